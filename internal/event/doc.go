// Package event holds temblor's data model: the Value that flows through
// pipelines (null, bool, int64, uint64, float64, string, bytes, array and
// key-ordered record), the Event that carries it with its ID and ingest time,
// and the contraflow Insight (ack, fail, circuit-breaker trigger/restore)
// that travels back from sinks to sources.
//
// It must never depend on any other temblor package: everything else builds
// on it.
package event
