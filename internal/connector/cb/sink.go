package cb

import (
	"context"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[struct{}]{
		Name:    "cb",
		Summary: "Answers each event as its `cb` field says: ack, fail, and trigger or restore the circuit breaker (for tests)",
		Docs: "The commands are read from the event's metadata `$cb`, or else from its value's `cb` field: a " +
			"string or a list of strings. `ack` acks the event, else `fail` fails it; `trigger` (or `close`) opens " +
			"the circuit breaker upstream, else `restore` (or `open`) closes it — Tremor's words for both. An event " +
			"with no `ack` or `fail` command is acked: temblor answers every transactional event exactly once, " +
			"where Tremor left it unanswered (and a `qos::wal` upstream waiting for it).",
		DefaultCodec: "json",
		Acks:         "the event's `cb` command said `ack`, or named neither `ack` nor `fail`",
		New: func(*struct{}, sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
			return &sink{}, sdk.SinkOptions{NoEncode: true}, nil
		},
	})
}

type sink struct{ ctl sdk.Control }

var (
	_ sdk.Sink       = (*sink)(nil)
	_ sdk.Controlled = (*sink)(nil)
)

func (s *sink) SetControl(c sdk.Control)      { s.ctl = c }
func (s *sink) Connect(context.Context) error { return nil }
func (s *sink) Disconnect() error             { return nil }

// commands reads the cb commands of an event: the metadata's `cb` first,
// then the value's.
func commands(data, meta event.Value) map[string]bool {
	var cb event.Value
	found := false
	for _, v := range []event.Value{meta, data} {
		if rec, ok := v.(*event.Record); ok {
			if cb, found = rec.Get("cb"); found {
				break
			}
		}
	}
	if !found {
		return nil
	}
	out := map[string]bool{}
	switch c := cb.(type) {
	case string:
		out[c] = true
	case []event.Value:
		for _, e := range c {
			if s, ok := e.(string); ok {
				out[s] = true
			}
		}
	}
	return out
}

func (s *sink) Write(_ context.Context, b *sdk.Batch) error {
	for i := range b.Messages {
		cmds := commands(b.Messages[i].Data, b.Messages[i].Meta)
		if !cmds["ack"] && cmds["fail"] {
			b.Fail(i, "the cb offramp was told to fail this event")
		}
		switch {
		case cmds["trigger"] || cmds["close"]:
			s.ctl.Trigger("the cb offramp was told to trigger the circuit breaker")
		case cmds["restore"] || cmds["open"]:
			s.ctl.Restore()
		}
	}
	return nil
}
