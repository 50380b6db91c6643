// Package exit is the exit offramp: an event `{"exit": N}` stops the
// engine, gracefully, with exit status N.
package exit

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[struct{}]{
		Name:    "exit",
		Summary: "Stops the engine with exit status N when it receives `{\"exit\": N}` (after `delay` milliseconds, if given)",
		Docs: "The event's value must be a record with an integer `exit` (the process's exit status, 0–255 " +
			"on Unix) and, optionally, a non-negative integer `delay` in milliseconds to wait first. The first such " +
			"event wins; later ones are acked and ignored.\n\n" +
			"Tremor exited on the spot, dropping what was still on its way. temblor stops gracefully instead: " +
			"the onramps stop, every `qos::wal` delivers what it holds (while delivery makes progress), the " +
			"offramps finish, and then the process exits with the status. An event that is not such a record is " +
			"failed with the reason (Tremor reported an error, too).",
		DefaultCodec: "json",
		Acks:         "the engine was asked to stop (or, for an event that is not an exit command, failed with the reason)",
		New: func(*struct{}, sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
			return &exit{}, sdk.SinkOptions{NoEncode: true}, nil
		},
	})
}

type exit struct {
	ctl sdk.Control

	mu      sync.Mutex
	pending *time.Timer
	asked   bool
}

var (
	_ sdk.Sink         = (*exit)(nil)
	_ sdk.Controlled   = (*exit)(nil)
	_ component.Closer = (*exit)(nil)
)

func (e *exit) SetControl(c sdk.Control) { e.ctl = c }

func (e *exit) Connect(context.Context) error { return nil }
func (e *exit) Disconnect() error             { return nil }

// command reads the exit status and delay of an event.
func command(v event.Value) (code int, delay time.Duration, err error) {
	rec, ok := v.(*event.Record)
	if !ok {
		return 0, 0, fmt.Errorf("the exit offramp got a %s; send a record such as {\"exit\": 0}", event.TypeName(v))
	}
	raw, ok := rec.Get("exit")
	if !ok {
		return 0, 0, fmt.Errorf("the exit offramp got a record without `exit`; send one such as {\"exit\": 0}")
	}
	n, ok := raw.(int64)
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, 0, fmt.Errorf("`exit` must be an integer exit status, got %s", event.MarshalJSON(raw))
	}
	if d, ok := rec.Get("delay"); ok {
		ms, ok := d.(int64)
		if !ok || ms < 0 {
			return 0, 0, fmt.Errorf("`delay` must be a non-negative integer (milliseconds), got %s", event.MarshalJSON(d))
		}
		delay = time.Duration(ms) * time.Millisecond
	}
	return int(n), delay, nil
}

func (e *exit) Write(_ context.Context, b *sdk.Batch) error {
	for i := range b.Messages {
		code, delay, err := command(b.Messages[i].Data)
		if err != nil {
			b.Fail(i, err.Error())
			continue
		}
		e.mu.Lock()
		if e.asked {
			e.mu.Unlock()
			continue
		}
		e.asked = true
		reason := fmt.Sprintf("exit offramp: {\"exit\": %d}", code)
		if delay == 0 {
			e.mu.Unlock()
			e.ctl.Stop(code, reason)
			continue
		}
		e.pending = time.AfterFunc(delay, func() { e.ctl.Stop(code, reason) })
		e.mu.Unlock()
	}
	return nil
}

// Close cancels a delayed stop that has not happened (the engine stops
// anyway).
func (e *exit) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending != nil {
		e.pending.Stop()
	}
	return nil
}
