// Package pipeline executes one trickle pipeline instance: a graph of
// streams, select statements, scripts and operators built from a parsed
// query. Events flow along the graph; contraflow insights (ack, fail,
// circuit-breaker trigger/restore) flow back through the operators that
// asked for them and on to the sources.
//
// A pipeline instance is owned by exactly one goroutine (see Run): every
// operator method is called from it, so operators need no locks. Other
// goroutines talk to a pipeline only through its exported methods, which
// queue work for that goroutine.
//
// It must never perform network or file I/O itself; operators that persist
// (qos::wal) own their storage.
package pipeline
