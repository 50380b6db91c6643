package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lograte"
	"github.com/temblor-dev/temblor/internal/processor"
)

// These tests drive the runners with scripted connectors to check what the
// conformance suite cannot reach with real peers: partial acks of pull
// inputs, rejected batches, encode errors, reconnecting pull sources.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = component.Env{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustCodec(t *testing.T, name string) codec.Codec {
	s, err := codec.Registry.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return s.New()
}

// acks records a source's Acks calls.
type acks struct {
	mu    sync.Mutex
	calls []string
	state map[int]string
}

func (a *acks) Ack(from, to int) { a.record("ack", from, to, "") }
func (a *acks) Fail(from, to int, reason string) {
	a.record("fail", from, to, reason)
}
func (a *acks) record(what string, from, to int, reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state == nil {
		a.state = map[int]string{}
	}
	a.calls = append(a.calls, fmt.Sprintf("%s %d-%d%s", what, from, to, reason))
	for i := from; i < to; i++ {
		if prev, dup := a.state[i]; dup {
			panic(fmt.Sprintf("index %d answered twice (%s, then %s)", i, prev, what))
		}
		a.state[i] = what
	}
}
func (a *acks) get() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.calls...)
}
func (a *acks) answered() int { a.mu.Lock(); defer a.mu.Unlock(); return len(a.state) }

// collect is a Target that keeps what it is sent and who to answer.
type collect struct {
	mu     sync.Mutex
	events []event.Event
	from   Upstream
}

func (c *collect) Send(_ context.Context, b *event.Batch, from Upstream) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, b.Events...)
	c.from = from
	return nil
}

func (c *collect) snapshot() ([]event.Event, Upstream) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event.Event(nil), c.events...), c.from
}

// script is a PullSource returning the given inputs, then blocking.
type script struct {
	inputs chan *Input
	fail   chan error
}

func (s *script) Read(ctx context.Context) (*Input, error) {
	select {
	case in := <-s.inputs:
		return in, nil
	case err := <-s.fail:
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func runSource(t *testing.T, src Source, pre []processor.Spec, targets ...Target) (*SourceRunner, func()) {
	r := NewSourceRunner("/onramp/t/01", "test", src, mustCodec(t, "string"), pre)
	for _, tg := range targets {
		r.Link("out", tg)
	}
	if err := r.Open(context.Background(), quiet); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	return r, func() { cancel(); <-done }
}

func answer(up Upstream, act event.Action, evs ...event.Event) {
	var ids event.IDs
	for _, ev := range evs {
		ids.AddAll(ev.ID)
	}
	up.Contraflow(event.Insight{Action: act, IDs: ids, Reason: "r"})
}

// TestPullInputAcksInRanges: a pull source's input is answered per frame,
// in ranges; a frame is acked only once every event made from it was, by
// every pipeline it went to, and failed if one failed.
func TestPullInputAcksInRanges(t *testing.T) {
	s := &script{inputs: make(chan *Input, 4), fail: make(chan error)}
	a, b := &collect{}, &collect{}
	pre, err := processor.Pre.Get("lines")
	if err != nil {
		t.Fatal(err)
	}
	_, stop := runSource(t, s, []processor.Spec{pre}, a, b)
	defer stop()
	h := &acks{}
	// Frame 1 holds no full line (it completes in frame 2): it made no
	// event and is acked at once. Frame 3 makes two events.
	s.inputs <- &Input{Frames: [][]byte{[]byte("a\n"), []byte("b"), []byte("c\n"), []byte("d\ne\n"), []byte("f\n")}, Acks: h}
	waitFor(t, "5 events at both pipelines", func() bool { e, _ := a.snapshot(); f, _ := b.snapshot(); return len(e) == 5 && len(f) == 5 })
	evs, upA := a.snapshot()
	_, upB := b.snapshot()
	if got := fmt.Sprint(h.get()); got != "[ack 1-2]" {
		t.Fatalf("before any answer: %s", got)
	}
	for i, want := range []string{"a", "bc", "d", "e", "f"} {
		if evs[i].Data != want || !evs[i].Transactional {
			t.Fatalf("event %d: %+v", i, evs[i])
		}
	}
	answer(upA, event.ActAck, evs...) // pipeline a acks everything
	if got := fmt.Sprint(h.get()); got != "[ack 1-2]" {
		t.Fatalf("one of two pipelines answered: %s", got)
	}
	answer(upB, event.ActAck, evs[0], evs[1]) // frames 0 and 2
	answer(upB, event.ActFail, evs[3])        // frame 3 fails (its first event was not answered yet)
	answer(upB, event.ActAck, evs[2])
	answer(upB, event.ActAck, evs[4])
	want := "[ack 1-2 ack 0-1 ack 2-3 fail 3-4r ack 4-5]"
	if got := fmt.Sprint(h.get()); got != want {
		t.Fatalf("answers %s, want %s", got, want)
	}
}

// TestPullInputFailedOnStop: what is owed an answer when the onramp stops
// is failed to the source, so it can re-deliver.
func TestPullInputFailedOnStop(t *testing.T) {
	s := &script{inputs: make(chan *Input, 1), fail: make(chan error)}
	tg := &collect{}
	_, stop := runSource(t, s, nil, tg)
	h := &acks{}
	s.inputs <- &Input{Values: []event.Value{"x", "y", "z"}, Acks: h}
	waitFor(t, "3 events", func() bool { e, _ := tg.snapshot(); return len(e) == 3 })
	evs, up := tg.snapshot()
	answer(up, event.ActAck, evs[1])
	stop()
	if got := fmt.Sprint(h.get()); got != "[ack 1-2 fail 0-1onramp stopped fail 2-3onramp stopped]" {
		t.Fatalf("got %s", got)
	}
}

// reconnecting is a pull source whose connection drops once.
type reconnecting struct {
	script
	mu       sync.Mutex
	connects int
}

func (r *reconnecting) Connect(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connects++
	if r.connects == 2 {
		return errors.New("refused once")
	}
	return nil
}
func (r *reconnecting) Disconnect() error { return nil }
func (r *reconnecting) n() int            { r.mu.Lock(); defer r.mu.Unlock(); return r.connects }

func TestPullReconnects(t *testing.T) {
	s := &reconnecting{script: script{inputs: make(chan *Input, 2), fail: make(chan error, 1)}}
	tg := &collect{}
	_, stop := runSource(t, s, nil, tg)
	defer stop()
	s.inputs <- &Input{Values: []event.Value{"before"}}
	waitFor(t, "the first event", func() bool { e, _ := tg.snapshot(); return len(e) == 1 })
	s.fail <- errors.New("connection reset")
	s.inputs <- &Input{Values: []event.Value{"after"}}
	waitFor(t, "the event after reconnecting", func() bool { e, _ := tg.snapshot(); return len(e) == 2 })
	if n := s.n(); n != 3 {
		t.Errorf("%d connects, want 3 (first, refused, then connected)", n)
	}
}

// scripted is a sink whose Write is decided per batch.
type scripted struct {
	mu       sync.Mutex
	writes   int
	decide   func(n int) error
	confirms []int // messages covered by each Confirm
	pending  int
}

func (s *scripted) Connect(context.Context) error { return nil }
func (s *scripted) Disconnect() error             { return nil }
func (s *scripted) Write(_ context.Context, b *Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.decide != nil {
		if err := s.decide(s.writes); err != nil {
			return err
		}
	}
	s.pending += len(b.Messages)
	return nil
}

type confirming struct{ *scripted }

func (c confirming) Confirm(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.confirms = append(c.confirms, c.pending)
	c.pending = 0
	return nil
}

type answers struct {
	mu                 sync.Mutex
	acked, failed      int
	triggers, restores int
}

func (a *answers) Contraflow(in event.Insight) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch in.Action {
	case event.ActAck:
		a.acked += int(in.IDs.Count())
	case event.ActFail:
		a.failed += int(in.IDs.Count())
	case event.ActTrigger:
		a.triggers++
	case event.ActRestore:
		a.restores++
	}
}

func (a *answers) get() (int, int, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.acked, a.failed, a.triggers
}

func runSink(t *testing.T, s Sink, c codec.Codec, o SinkOptions) (*SinkRunner, *answers, func()) {
	r := NewSinkRunner("/offramp/t/01", "test", s, c, nil, o)
	up := &answers{}
	r.AddUpstream(up)
	if err := r.Open(context.Background(), quiet); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	return r, up, func() { cancel(); <-done }
}

var nextSeq uint64

func batchOf(n int, transactional bool) *event.Batch {
	b := &event.Batch{}
	for range n {
		b.Events = append(b.Events, event.Event{ID: event.One(1, 0, nextSeq), Data: "x", Transactional: transactional})
		nextSeq++
	}
	return b
}

// TestRejectedBatchKeepsTheConnection: a batch the peer refuses is failed
// without a disconnect or a breaker trip.
func TestRejectedBatchKeepsTheConnection(t *testing.T) {
	s := &scripted{decide: func(n int) error {
		if n == 2 {
			return Rejected(errors.New("413 too large"))
		}
		return nil
	}}
	r, up, stop := runSink(t, s, mustCodec(t, "string"), SinkOptions{})
	defer stop()
	for range 3 {
		if err := r.Send(context.Background(), batchOf(5, true), up); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "15 answers", func() bool { a, f, _ := up.get(); return a+f == 15 })
	if a, f, tr := up.get(); a != 10 || f != 5 || tr != 0 {
		t.Errorf("acked %d, failed %d, trips %d", a, f, tr)
	}
}

type failingCodec struct{ codec.Codec }

func (f failingCodec) Encode(v event.Value) ([]byte, error) {
	if v == "bad" {
		return nil, errors.New("cannot encode")
	}
	return f.Codec.Encode(v)
}

// TestEncodeErrorIsUndeliverable: an event the codec refuses is reported
// as undeliverable (permanent); the rest of its batch is delivered.
func TestEncodeErrorIsUndeliverable(t *testing.T) {
	s := &scripted{}
	r, up, stop := runSink(t, s, failingCodec{mustCodec(t, "string")}, SinkOptions{})
	defer stop()
	b := batchOf(4, true)
	b.Events[1].Data = "bad"
	err := r.Send(context.Background(), b, up)
	var ue *event.UndeliverableError
	if !errors.As(err, &ue) || ue.Events != 1 || !ue.IDs.Equal(b.Events[1].ID) {
		t.Fatalf("Send: %v", err)
	}
	waitFor(t, "3 answers", func() bool { a, f, _ := up.get(); return a+f == 3 })
	if a, f, _ := up.get(); a != 3 || f != 0 {
		t.Errorf("acked %d, failed %d", a, f)
	}
}

// TestConfirmGroupsUpToMaxUnconfirmed: a Confirmer is asked to confirm at
// the latest when max_unconfirmed messages are written.
func TestConfirmGroupsUpToMaxUnconfirmed(t *testing.T) {
	s := &scripted{}
	r := NewSinkRunner("/offramp/t/01", "test", confirming{s}, mustCodec(t, "string"), nil, SinkOptions{MaxUnconfirmed: 20, Queue: 16})
	up := &answers{}
	for range 10 { // queued before Run: the runner finds a burst
		if err := r.Send(context.Background(), batchOf(5, true), up); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	waitFor(t, "50 acks", func() bool { a, _, _ := up.get(); return a == 50 })
	cancel()
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.confirms {
		if n > 20 {
			t.Errorf("a confirm covered %d messages, over max_unconfirmed 20: %v", n, s.confirms)
		}
	}
	if len(s.confirms) > 5 {
		t.Errorf("%d confirms for 10 queued batches of 5 with max 20: not grouped (%v)", len(s.confirms), s.confirms)
	}
}

// TestUndecodableFrameOwesNothing: a frame the codec refuses makes no
// event (it goes to the err port or the log), so it is acked at once; the
// good frame beside it waits for its event's answer.
func TestUndecodableFrameOwesNothing(t *testing.T) {
	s := &script{inputs: make(chan *Input, 1), fail: make(chan error)}
	tg := &collect{}
	r := NewSourceRunner("/onramp/t/01", "test", s, mustCodec(t, "json"), nil)
	r.Link("out", tg)
	if err := r.Open(context.Background(), quiet); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	h := &acks{}
	s.inputs <- &Input{Frames: [][]byte{[]byte(`{"a":1}`), []byte(`{not json`)}, Acks: h}
	waitFor(t, "the good event", func() bool { e, _ := tg.snapshot(); return len(e) == 1 })
	waitFor(t, "the bad frame acked", func() bool { return h.answered() == 1 })
	evs, up := tg.snapshot()
	answer(up, event.ActAck, evs[0])
	waitFor(t, "the good frame acked", func() bool { return h.answered() == 2 })
	if got := fmt.Sprint(h.get()); got != "[ack 1-2 ack 0-1]" {
		t.Fatalf("answers %s", got)
	}
}

// TestUndecodableInputIsLoggedRateLimited: 20,000 undecodable frames make
// one warning in full and one summary with the count, not 20,000 lines;
// the metric counts every one.
func TestUndecodableInputIsLoggedRateLimited(t *testing.T) {
	var logs lockedBuffer
	reg := prometheus.NewRegistry()
	r := NewSourceRunner("/onramp/t/01", "test", &script{}, mustCodec(t, "json"), nil)
	if err := r.Open(context.Background(), component.Env{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Metrics: reg}); err != nil {
		t.Fatal(err)
	}
	// However slow the machine, the 20,000 fall within one interval.
	r.decodeLog = lograte.New(time.Hour, func(n, total uint64) {
		r.log.Warn("more input could not be decoded", "inputs", n, "total", total)
	})
	ctx := context.Background()
	for range 20 {
		frames := make([][]byte, 1000)
		for i := range frames {
			frames[i] = []byte("{not json")
		}
		if err := r.Push(ctx, &Input{Stream: 1, Frames: frames}); err != nil {
			t.Fatal(err)
		}
	}
	r.decodeLog.Stop()
	full := strings.Count(logs.String(), `msg="input could not be decoded"`)
	summaries := strings.Count(logs.String(), `msg="more input could not be decoded"`)
	if full != 1 || summaries != 1 || !strings.Contains(logs.String(), "inputs=19999") || !strings.Contains(logs.String(), "total=20000") {
		t.Fatalf("%d full lines and %d summaries, want 1 and 1 accounting for all 20000:\n%.2000s", full, summaries, logs.String())
	}
	if n := testutil.ToFloat64(r.m.decodeErrors); n != 20000 {
		t.Fatalf("decode errors counted: %v, want 20000", n)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
