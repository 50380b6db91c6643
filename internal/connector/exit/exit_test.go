package exit

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// engine is the exit offramp's peer: the engine it asks to stop. Once
// asked, it "has" every event (an ack means the stop was asked).
type engine struct {
	mu    sync.Mutex
	codes []int
}

func (e *engine) Config() string { return "" }
func (e *engine) Stopped(code int, _ string) {
	e.mu.Lock()
	e.codes = append(e.codes, code)
	e.mu.Unlock()
}
func (e *engine) Has(string) bool    { e.mu.Lock(); defer e.mu.Unlock(); return len(e.codes) > 0 }
func (e *engine) Received() []string { return nil }

func TestConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type:  "exit",
		Start: func(*testing.T) conformance.SinkPeer { return &engine{} },
		Value: func(seq uint64) event.Value { return event.RecordOf("exit", int64(3), "seq", int64(seq)) },
		BadConfigs: []conformance.BadConfig{
			{Config: "status: 1\n", Pos: "5:7", Contains: "unknown field `status`"},
		},
	})
}

// control records what the offramp asks of the engine.
type control struct {
	mu      sync.Mutex
	stops   []int
	stopped chan struct{}
}

func (c *control) Trigger(string)                                     {}
func (c *control) Restore()                                           {}
func (c *control) Reply(context.Context, string, []event.Event) error { return nil }
func (c *control) Stop(code int, _ string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stops = append(c.stops, code)
	if len(c.stops) == 1 {
		close(c.stopped)
	}
}

func write(t *testing.T, e *exit, vals ...event.Value) *sdk.Batch {
	t.Helper()
	b := &sdk.Batch{}
	for _, v := range vals {
		b.Messages = append(b.Messages, sdk.Message{Data: v})
	}
	if err := e.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStatusAndDelay: the first command wins, with its status, after its
// delay; bad commands do not stop anything.
func TestStatusAndDelay(t *testing.T) {
	c := &control{stopped: make(chan struct{})}
	e := &exit{}
	e.SetControl(c)
	defer e.Close()
	start := time.Now()
	write(t, e, "not a record", event.RecordOf("exit", "zero"), event.RecordOf("exit", int64(55), "delay", int64(100)),
		event.RecordOf("exit", int64(1)))
	select {
	case <-c.stopped:
	case <-time.After(20 * time.Second):
		t.Fatal("no stop")
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("stopped after %v, before the 100ms delay", took)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.stops) != 1 || c.stops[0] != 55 {
		t.Errorf("stops %v, want [55]", c.stops)
	}
}

// TestBadCommandsAreFailedWithAReason, and the good ones in the same batch
// are not.
func TestBadCommandsAreFailedWithAReason(t *testing.T) {
	c := &control{stopped: make(chan struct{})}
	e := &exit{}
	e.SetControl(c)
	for _, tc := range []struct {
		v    event.Value
		want string
	}{
		{"hello", "got a string"},
		{event.RecordOf("status", int64(1)), "without `exit`"},
		{event.RecordOf("exit", 1.5), "`exit` must be an integer exit status, got 1.5"},
		{event.RecordOf("exit", int64(1), "delay", int64(-1)), "`delay` must be a non-negative integer"},
	} {
		_, _, err := command(tc.v)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.v, err, tc.want)
		}
	}
	if _, _, err := command(event.RecordOf("exit", int64(0))); err != nil {
		t.Error(err)
	}
}
