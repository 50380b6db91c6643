package event

import (
	"fmt"
	"sync/atomic"
)

// SourceID names an emitter of event IDs: an onramp instance, or an operator
// (such as qos::wal) that takes ownership of delivery and re-emits events
// under IDs of its own. IDs are unique within one process run; an operator
// that persists IDs maps them to its own durable sequence numbers.
type SourceID uint64

var lastSourceID atomic.Uint64

// NewSourceID allocates a process-unique SourceID (never 0).
func NewSourceID() SourceID { return SourceID(lastSourceID.Add(1)) }

// Event is the unit that flows from onramps through pipelines to offramps.
type Event struct {
	// ID names the event, or every event it was made from (a batch, a
	// window's aggregate): answering it answers all of them.
	ID       IDs
	IngestNS uint64 // nanoseconds since the Unix epoch when the onramp received it
	Data     Value
	// Meta is the event's metadata ($ in tremor-script): nil or a *Record.
	Meta Value
	// Transactional events are acked or failed by the sink that receives
	// them; others are fire-and-forget (as in Tremor).
	Transactional bool
	// Origin is the URL of the onramp instance the event entered at, for
	// diagnostics (e.g. "/onramp/metronome/01/out").
	Origin string
	// Batch marks an event made by generic::batch: Data is an array of
	// {"data": {"value": V, "meta": M, "ingest_ns": N, ...}} and a sink
	// writes each V as a message of its own (Tremor's is_batch).
	Batch bool
}

// BatchValues is what a sink writes for e: the values of a batch, or the
// event's data.
func (e *Event) BatchValues() []Value {
	if !e.Batch {
		return []Value{e.Data}
	}
	arr, _ := e.Data.([]Value)
	out := make([]Value, 0, len(arr))
	for _, el := range arr {
		r, ok := el.(*Record)
		if !ok {
			continue
		}
		d, _ := r.Get("data")
		dr, ok := d.(*Record)
		if !ok {
			continue
		}
		v, _ := dr.Get("value")
		out = append(out, v)
	}
	return out
}

// Clone returns a deep copy of e.
func (e *Event) Clone() *Event {
	c := *e
	c.ID = e.ID.Clone()
	c.Data = DeepCopy(e.Data)
	c.Meta = DeepCopy(e.Meta)
	return &c
}

// MetaRecord returns e.Meta as a record, creating an empty one if needed.
func (e *Event) MetaRecord() *Record {
	if r, ok := e.Meta.(*Record); ok && r != nil {
		return r
	}
	r := NewRecord(0)
	e.Meta = r
	return r
}

// Action is what an Insight tells upstream.
type Action uint8

const (
	// ActNone carries no instruction.
	ActNone Action = iota
	// ActAck: the event with this ID was delivered (the peer confirmed it).
	ActAck
	// ActFail: the event with this ID was not delivered and may be re-sent.
	ActFail
	// ActTrigger: a downstream circuit breaker opened (tripped); stop sending.
	ActTrigger
	// ActRestore: the downstream circuit breaker closed again; resume.
	ActRestore
)

func (a Action) String() string {
	switch a {
	case ActNone:
		return "none"
	case ActAck:
		return "ack"
	case ActFail:
		return "fail"
	case ActTrigger:
		return "trigger"
	case ActRestore:
		return "restore"
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Insight is a contraflow message: it travels against the data, from a sink
// back through the operators on the event's path to its source. Ack and Fail
// name the IDs they answer, as ranges (one insight acks a whole batch);
// Trigger and Restore apply to everything upstream.
type Insight struct {
	Action Action
	IDs    IDs
	// Reason explains a Fail or Trigger for logs (e.g. "connection lost").
	Reason string
	// From names who raised a Trigger or Restore (a sink's or operator's
	// URL), so that a source paused by several breakers resumes only when
	// all of them are closed again.
	From string
}

func (in Insight) String() string {
	switch in.Action {
	case ActAck, ActFail:
		if in.Reason != "" {
			return fmt.Sprintf("%s %s (%s)", in.Action, in.IDs, in.Reason)
		}
		return fmt.Sprintf("%s %s", in.Action, in.IDs)
	}
	if in.Reason != "" {
		return fmt.Sprintf("%s (%s)", in.Action, in.Reason)
	}
	return in.Action.String()
}

// Upstream receives contraflow — acks and fails of the events it sent, and
// circuit-breaker changes — from what it sends to: a source from the
// pipelines it feeds, a pipeline from its outputs. Contraflow must never
// block.
type Upstream interface {
	Contraflow(in Insight)
}
