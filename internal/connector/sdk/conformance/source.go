package conformance

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/processor"
)

// Source describes an onramp to the suite.
type Source struct {
	Type string
	// Setup prepares a peer that will make the onramp see msgs (a file
	// holding them, a client that will send them) and returns the config
	// section (YAML) and a feed function the suite calls once the onramp
	// is open (a client connects then; nil when Setup did everything).
	// A source that makes its own input (the metronome) ignores msgs and
	// sets Generated.
	Setup func(t *testing.T, msgs []string) (config string, feed func(src sdk.Source) error)
	// Generated: the source makes its input itself; the suite checks
	// only that events arrive.
	Generated bool
	// Finite: the source ends by itself once it delivered its input.
	Finite bool
	// Text, when set, turns an event's value into the message it stands
	// for (a source whose events are records, such as a database row);
	// the default takes the value as a string.
	Text func(v event.Value) string
	// Preprocessors of the onramp, for a source whose input is a byte
	// stream (tcp: `lines`, and the peer sends a line per message).
	Preprocessors []string
	BadConfigs    []BadConfig
}

// target records what an onramp delivers.
type target struct {
	mu      sync.Mutex
	events  []event.Event
	block   chan struct{} // while non-nil, Send waits for it to close
	waiting int           // Sends waiting on block
}

func (g *target) blocked() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

func (g *target) Send(ctx context.Context, b *event.Batch, from sdk.Upstream) error {
	g.mu.Lock()
	block := g.block
	if block != nil {
		g.waiting++
	}
	g.mu.Unlock()
	if block != nil {
		defer func() { g.mu.Lock(); g.waiting--; g.mu.Unlock() }()
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.mu.Lock()
	g.events = append(g.events, b.Events...)
	g.mu.Unlock()
	// Taken is delivered here: ack what is transactional, as a pipeline
	// whose offramp has the events would.
	if ids := b.TransactionalIDs(); !ids.IsZero() {
		from.Contraflow(event.Insight{Action: event.ActAck, IDs: ids})
	}
	return nil
}

func (g *target) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.events)
}

func (g *target) data(text func(event.Value) string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, len(g.events))
	for i, ev := range g.events {
		if text != nil {
			out[i] = text(ev.Data)
			continue
		}
		s, _ := ev.Data.(string)
		out[i] = s
	}
	return out
}

type sourceRun struct {
	r      *sdk.SourceRunner
	src    sdk.Source
	out    *target
	cancel context.CancelFunc
	done   chan error
}

func startSource(t *testing.T, c Source, msgs []string, before func(*sdk.SourceRunner, *target)) (*sourceRun, func(sdk.Source) error) {
	t.Helper()
	section, feed := c.Setup(t, msgs)
	node, owner := parse(t, artefact(component.Onramp, c.Type, section))
	built, errs := sdk.NewSource(c.Type, node, sdk.Params{ID: "test", Instance: "01", URL: "/onramp/test/01"}, sdk.BuildOptions{Owner: owner})
	if errs.HasErrors() {
		t.Fatalf("the peer's config is refused: %v", errs)
	}
	r := sdk.NewSourceRunner("/onramp/test/01", c.Type, built.Value, stringCodec(t), processors(t, processor.Pre, c.Preprocessors))
	s := &sourceRun{r: r, src: built.Value, out: &target{}, done: make(chan error, 1)}
	r.Link("out", s.out)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if err := r.Open(ctx, env(t, "/onramp/test/01")); err != nil {
		t.Fatalf("open: %v", err)
	}
	if before != nil {
		before(r, s.out)
	}
	go func() { s.done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Error("the onramp did not stop when asked")
		}
		if err := r.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s, feed
}

// RunSource runs the onramp suite.
func RunSource(t *testing.T, c Source) {
	t.Run("ConfigErrorsArePositioned", func(t *testing.T) { checkBadConfigs(t, component.Onramp, c.Type, c.BadConfigs) })
	t.Run("DeliversInOrder", func(t *testing.T) { sourceDelivers(t, c) })
	t.Run("BreakerStopsItWithinOneBatch", func(t *testing.T) { sourceBreaker(t, c) })
	t.Run("StopsWhenAsked", func(t *testing.T) { sourceStops(t, c) })
}

func messages(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = payload(uint64(i))
	}
	return out
}

func sourceDelivers(t *testing.T, c Source) {
	msgs := messages(500)
	s, feed := startSource(t, c, msgs, nil)
	if feed != nil {
		if err := feed(s.src); err != nil {
			t.Fatalf("feeding the onramp: %v", err)
		}
	}
	if c.Generated {
		WaitFor(t, "3 events", func() bool { return s.out.count() >= 3 })
		return
	}
	WaitFor(t, "every message as an event", func() bool { return s.out.count() >= len(msgs) })
	got := s.out.data(c.Text)
	if len(got) != len(msgs) {
		t.Fatalf("%d events for %d messages", len(got), len(msgs))
	}
	for i := range msgs {
		if got[i] != msgs[i] {
			t.Fatalf("event %d is %q, want %q", i, got[i], msgs[i])
		}
	}
	if c.Finite {
		select {
		case err := <-s.done:
			if code, stop := sdk.StopCode(err); err != nil && (!stop || code != 0) {
				t.Errorf("the onramp ended with %v", err)
			}
			s.done <- err
		case <-time.After(20 * time.Second):
			t.Error("a finite onramp did not end after its input")
		}
	}
}

// sourceBreaker: with the breaker open before any input, the onramp is
// held before it hands over anything; when the breaker closes, all of
// its input arrives.
func sourceBreaker(t *testing.T, c Source) {
	msgs := messages(50)
	s, feed := startSource(t, c, msgs, func(r *sdk.SourceRunner, _ *target) {
		r.Contraflow(event.Insight{Action: event.ActTrigger, From: "/offramp/x/01", Reason: "test"})
	})
	fed := make(chan error, 1)
	if feed != nil {
		go func() { fed <- feed(s.src) }()
	} else {
		fed <- nil
	}
	WaitFor(t, "the onramp to be held by the breaker", func() bool { return s.r.Held() > 0 })
	if n := s.out.count(); n != 0 {
		t.Fatalf("%d events went out while the breaker was open", n)
	}
	s.r.Contraflow(event.Insight{Action: event.ActRestore, From: "/offramp/x/01"})
	want := len(msgs)
	if c.Generated {
		want = 1
	}
	WaitFor(t, "the input after the breaker closed", func() bool { return s.out.count() >= want })
	if err := <-fed; err != nil {
		t.Errorf("feeding the onramp: %v", err)
	}
}

// sourceStops: an onramp blocked on back-pressure (the pipeline does not
// take its batch) stops when asked.
func sourceStops(t *testing.T, c Source) {
	msgs := messages(50)
	s, feed := startSource(t, c, msgs, func(_ *sdk.SourceRunner, out *target) {
		// Block the pipeline before the onramp runs, so that it cannot
		// deliver everything first.
		out.block = make(chan struct{})
	})
	fed := make(chan struct{})
	if feed != nil {
		go func() { _ = feed(s.src); close(fed) }() // it may fail: the onramp stops
	} else {
		close(fed)
	}
	WaitFor(t, "the onramp to be blocked on back-pressure", func() bool { return s.out.blocked() > 0 })
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("stopping ended the onramp with %v", err)
		}
		s.done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("the onramp did not stop when asked")
	}
	<-fed
}
