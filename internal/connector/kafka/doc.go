// Package kafka is the kafka onramp and offramp, on franz-go.
//
// The onramp is a consumer-group member that commits an offset only once
// every record before it was acked downstream, per partition; a partition
// taken away by a rebalance keeps nothing of its in-flight records (their
// later acks are ignored, the new owner re-reads them), and a failed record
// is re-read (seek back) when retry_failed_events is set. The offramp is an
// idempotent producer that acks an event once the broker acknowledged every
// record made from it, and fails it on an error or a timeout so that a
// qos::wal re-sends it.
//
// It never holds a record it has not handed over or committed one whose
// events were not all acked.
package kafka
