package conformance

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

// SinkHarness drives one offramp against its peer for a connector's own
// tests (what the suite cannot ask of every connector): send events, read
// the answers.
type SinkHarness struct{ s *sinkRun }

// StartSink opens offramp c against peer (extra is appended to the peer's
// config section) and runs it until the test ends.
func StartSink(t *testing.T, c Sink, peer SinkPeer, extra string) *SinkHarness {
	t.Helper()
	return &SinkHarness{startSink(t, c, peer, extra)}
}

// Send sends a batch of n transactional events with the suite's payloads
// ({"seq":N}); it returns their sequence numbers' range.
func (h *SinkHarness) Send(n int) error { return h.s.send(n) }

// SendValues sends one transactional event per value (encoded by the
// suite's string codec: a string value is sent as it is), each with its
// metadata (nil for none).
func (h *SinkHarness) SendValues(vals []event.Value, metas []event.Value) error {
	b := &event.Batch{}
	for i, v := range vals {
		ev := event.Event{ID: event.One(1, 0, h.s.seq), Data: v, Transactional: true}
		if i < len(metas) {
			ev.Meta = metas[i]
		}
		b.Events = append(b.Events, ev)
		h.s.seq++
	}
	return h.s.r.Send(context.Background(), b, h.s.up)
}

// Sent is how many events were sent.
func (h *SinkHarness) Sent() uint64 { return h.s.seq }

// Answered is how many events were acked or failed.
func (h *SinkHarness) Answered() int { return h.s.up.answered() }

// Counts are the events acked and failed and the breaker's trips and
// restores so far.
func (h *SinkHarness) Counts() (acked, failed, triggers, restores int) { return h.s.up.counts() }

// Acked lists the sequences acked so far, in order.
func (h *SinkHarness) Acked() []uint64 {
	h.s.up.mu.Lock()
	defer h.s.up.mu.Unlock()
	out := make([]uint64, 0, len(h.s.up.acks))
	for s := range h.s.up.acks {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ExactlyOnce checks that every event sent was answered exactly once.
func (h *SinkHarness) ExactlyOnce(t *testing.T) { t.Helper(); h.s.up.exactlyOnce(t, h.s.seq) }

// CloseInput drains the offramp.
func (h *SinkHarness) CloseInput() { h.s.r.CloseInput() }

// Onramp is an onramp started for a connector's own tests: built from its
// config (YAML, as under `config:`), opened and run by a SourceRunner with
// the string codec and the given preprocessors, its `out` and `err` ports
// recorded. Decide (optional) answers each transactional event.
type Onramp struct {
	t      *testing.T
	Runner *sdk.SourceRunner
	Source sdk.Source
	out    *recorder
	errs   *recorder
	cancel context.CancelFunc
	done   chan error
	result error
	ended  bool
}

// recorder is a Target that keeps what it is sent and can answer it.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
	decide func(ev *event.Event) event.Action
}

func (r *recorder) Send(_ context.Context, b *event.Batch, from sdk.Upstream) error {
	r.mu.Lock()
	r.events = append(r.events, b.Events...)
	decide := r.decide
	r.mu.Unlock()
	if decide == nil {
		return nil
	}
	for i := range b.Events {
		ev := &b.Events[i]
		if !ev.Transactional {
			continue
		}
		if a := decide(ev); a != event.ActNone {
			from.Contraflow(event.Insight{Action: a, IDs: ev.ID, Reason: "test"})
		}
	}
	return nil
}

func (r *recorder) snapshot() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.events...)
}

// StartOnramp builds and runs onramp typ with config; decide, when not
// nil, answers every transactional event as it arrives.
func StartOnramp(t *testing.T, typ, config string, pre []string, decide func(ev *event.Event) event.Action) *Onramp {
	t.Helper()
	node, owner := parse(t, artefact(component.Onramp, typ, config))
	built, errs := sdk.NewSource(typ, node, sdk.Params{ID: "test", Instance: "01", URL: "/onramp/test/01", Preprocessors: pre},
		sdk.BuildOptions{Owner: owner})
	if errs.HasErrors() {
		t.Fatalf("config refused: %v", errs)
	}
	var specs []sdkProcessor
	for _, name := range pre {
		specs = append(specs, preprocessor(t, name))
	}
	r := sdk.NewSourceRunner("/onramp/test/01", typ, built.Value, stringCodec(t), specs)
	o := &Onramp{t: t, Runner: r, Source: built.Value, out: &recorder{decide: decide}, errs: &recorder{}, done: make(chan error, 1)}
	r.Link("out", o.out)
	r.Link("err", o.errs)
	ctx, cancel := context.WithCancel(context.Background())
	o.cancel = cancel
	if err := r.Open(ctx, env(t, "/onramp/test/01")); err != nil {
		t.Fatalf("open: %v", err)
	}
	go func() { o.done <- r.Run(ctx) }()
	t.Cleanup(func() {
		o.Stop()
		if err := r.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return o
}

// Events returns the data of the events on `out` so far (strings with the
// string codec).
func (o *Onramp) Events() []event.Event { return o.out.snapshot() }

// Errors returns the events on `err` so far.
func (o *Onramp) Errors() []event.Event { return o.errs.snapshot() }

// Data returns what Events carry as strings.
func (o *Onramp) Data() []string {
	var out []string
	for _, ev := range o.Events() {
		s, _ := ev.Data.(string)
		out = append(out, s)
	}
	return out
}

// Wait waits for the onramp to end by itself and returns Run's result.
func (o *Onramp) Wait(timeout time.Duration) error {
	o.t.Helper()
	if o.ended {
		return o.result
	}
	select {
	case o.result = <-o.done:
		o.ended = true
		return o.result
	case <-time.After(timeout):
		o.t.Fatalf("the onramp did not end within %v", timeout)
		return nil
	}
}

// Stop stops the onramp (if still running) and returns Run's result.
func (o *Onramp) Stop() error {
	o.cancel()
	if !o.ended {
		o.result = <-o.done
		o.ended = true
	}
	return o.result
}

// Offramp is an offramp started for a connector's own tests, run by a
// SinkRunner with the string codec; its answers are recorded per event
// sequence.
type Offramp struct {
	run *sinkRun
}

// StartOfframp builds and runs offramp typ with config.
func StartOfframp(t *testing.T, typ, config string) *Offramp {
	t.Helper()
	return &Offramp{run: startSink(t, Sink{Type: typ}, refusingPeer{config}, "")}
}

// Send sends n events whose data are the strings `{"seq":N}`.
func (o *Offramp) Send(n int) error { return o.run.send(n) }

// Answered reports how many events were acked and failed so far.
func (o *Offramp) Answered() (acked, failed int) {
	a, f, _, _ := o.run.up.counts()
	return a, f
}

// Drain closes the offramp's input and waits until it delivered or failed
// what it holds.
func (o *Offramp) Drain() {
	o.run.r.CloseInput()
	<-o.run.done
}

// OpenError builds onramp typ with config and opens it, returning Open's
// error (and closing it if it opened): for configs that pass New but fail
// at Open (a file that is not what its name says).
func OpenError(t *testing.T, typ, config string) error {
	t.Helper()
	node, owner := parse(t, artefact(component.Onramp, typ, config))
	built, errs := sdk.NewSource(typ, node, sdk.Params{ID: "test", Instance: "01", URL: "/onramp/test/01"}, sdk.BuildOptions{Owner: owner})
	if errs.HasErrors() {
		t.Fatalf("config refused: %v", errs)
	}
	r := sdk.NewSourceRunner("/onramp/test/01", typ, built.Value, stringCodec(t), nil)
	err := r.Open(context.Background(), env(t, "/onramp/test/01"))
	_ = r.Close()
	return err
}
