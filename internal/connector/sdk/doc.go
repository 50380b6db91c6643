// Package sdk is the connector SDK: what an onramp or offramp implements,
// how it registers its spec, and the shared runners that do everything
// connectors have in common, so that no connector repeats it.
//
// A sink implements Connect, Write(batch) and Disconnect, and Confirm when
// its peer confirms later (a ping behind the data). The one SinkRunner
// owns the rest: encoding (codec, postprocessors), reconnecting with
// backoff, the circuit breaker (trigger on disconnect, restore on
// connect), failing what is unconfirmed when the peer goes, the bound on
// unconfirmed messages, confirming what is in flight on shutdown, outage
// logs and per-offramp metrics.
//
// A source is a PushSource (a server: Run hands batches to Output.Push) or
// a PullSource (a client: the runner calls Read). Both hand over Inputs —
// batches of frames or values from one stream, optionally with an Acks
// handle that is told which of them were delivered. The one SourceRunner
// preprocesses and decodes per batch, stamps event IDs, feeds the linked
// pipelines, pauses while a downstream circuit breaker is open, and turns
// acks and fails of events back into Acks calls over input ranges.
//
// Lifecycle: New (from the spec, config decoded and checked: no I/O) →
// Open (component.Opener, optional) → run → Close (component.Closer,
// optional). The package never knows a particular connector; connectors
// live in their own packages under internal/connector and register from
// init().
package sdk
