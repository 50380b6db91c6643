package runtime

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/connector"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

// txnSource is a Transactional source the test drives by hand.
type txnSource struct{}

func (txnSource) Run(ctx context.Context, _ connector.SourceOutput) error { <-ctx.Done(); return nil }
func (txnSource) Transactional()                                          {}

// holdSink keeps every event it gets until the test answers it.
type holdSink struct {
	mu    sync.Mutex
	evs   []*event.Event
	backs []pipeline.Upstream
}

func (s *holdSink) Name() string { return "/offramp/hold/01" }
func (s *holdSink) Send(_ context.Context, ev *event.Event, back pipeline.Upstream) error {
	s.mu.Lock()
	s.evs = append(s.evs, ev)
	s.backs = append(s.backs, back)
	s.mu.Unlock()
	return nil
}
func (s *holdSink) n() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.evs) }
func (s *holdSink) answer(i int, a event.Action) {
	s.mu.Lock()
	ev, back := s.evs[i], s.backs[i]
	s.mu.Unlock()
	back.Contraflow(event.Insight{Action: a, ID: ev.ID, Reason: "test"})
}

// txnRig is a transactional source runner feeding npipes pipelines
// (`select event from in into out`), each into its own holdSink.
func txnRig(t *testing.T, npipes int) (*sourceRunner, []*holdSink) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	spec, err := codec.Registry.Get("json")
	if err != nil {
		t.Fatal(err)
	}
	r := newSourceRunner("/onramp/t/01", txnSource{}, spec.New(), nil, quiet, newMetrics(prometheus.NewRegistry()))
	q, err := lang.ParseQuery("p.trickle", []byte("select event from in into out;"), lang.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sinks []*holdSink
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < npipes; i++ {
		p, err := pipeline.Build(q, "/pipeline/p/0"+string(rune('1'+i)), pipeline.BuildEnv{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		s := &holdSink{}
		if err := p.Connect("out", s); err != nil {
			t.Fatal(err)
		}
		r.outs["out"] = append(r.outs["out"], p)
		sinks = append(sinks, s)
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(ctx) }()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	return r, sinks
}

// Settle returns only once every event of the stream was answered by every
// pipeline it went to; a fail makes it return ErrNotDelivered.
func TestSettleWaitsForEveryAnswer(t *testing.T) {
	ctx := context.Background()
	r, sinks := txnRig(t, 2)
	for _, m := range []string{`{"a":1}`, `{"a":2}`, `{"a":3}`} {
		if _, err := r.EmitBytes(ctx, 7, []byte(m), nil); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, 5*time.Second, "3 events at both sinks", func() bool { return sinks[0].n() == 3 && sinks[1].n() == 3 })
	if !sinks[0].evs[0].Transactional {
		t.Fatal("events of a Transactional source are not transactional")
	}
	var last atomic.Bool
	settled := make(chan bool, 1)
	go func() {
		err := r.Settle(ctx, 7)
		settled <- err == nil && last.Load()
	}()
	for i := 0; i < 3; i++ {
		sinks[0].answer(i, event.ActAck)
	}
	for i := 0; i < 2; i++ {
		sinks[1].answer(i, event.ActAck)
	}
	last.Store(true)
	sinks[1].answer(2, event.ActAck)
	if ok := <-settled; !ok {
		t.Fatal("Settle returned before the last answer, or with an error")
	}

	// Another stream: a fail of one event is reported.
	if _, err := r.EmitBytes(ctx, 8, []byte(`{"a":4}`), nil); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the event at both sinks", func() bool { return sinks[0].n() == 4 && sinks[1].n() == 4 })
	sinks[0].answer(3, event.ActAck)
	sinks[1].answer(3, event.ActFail)
	if err := r.Settle(ctx, 8); !errors.Is(err, connector.ErrNotDelivered) {
		t.Fatalf("Settle after a fail: %v, want ErrNotDelivered", err)
	}
	// Undecodable input reaches nothing (no err port): nothing is owed.
	if _, err := r.EmitBytes(ctx, 9, []byte(`{not json`), nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Settle(ctx, 9); err != nil {
		t.Fatalf("Settle of a stream whose only input was refused: %v", err)
	}
	// Once the stream ended, late answers are ignored and Settle is done.
	_ = r.EndStream(ctx, 7)
	if err := r.Settle(ctx, 7); err != nil {
		t.Fatalf("Settle of an ended stream: %v", err)
	}
}
