package conformance

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/processor"
)

// SinkPeer is the real peer an offramp delivers to.
type SinkPeer interface {
	// Config is the offramp's config section (YAML) pointing at the peer.
	Config() string
	// Has reports whether the peer received the payload.
	Has(payload string) bool
	// Received lists the payloads in the order the peer got them.
	Received() []string
}

// Killable is a peer that can go away abruptly (connections dropped, no
// longer listening) and come back at the same address.
type Killable interface {
	Kill()
	Restart()
}

// Hangable is a peer that can stop reading and answering while keeping
// its connections open.
type Hangable interface {
	Hang()
}

// Stopper is a peer that hears the engine stops the offramp asks for
// (the exit offramp's peer is the engine).
type Stopper interface {
	Stopped(code int, reason string)
}

// Replier is a peer that listens on the offramp's own ports (a linked
// offramp's replies on `out` and `err`).
type Replier interface {
	Replies() map[string]sdk.Target
}

// Sink describes an offramp to the suite.
type Sink struct {
	Type string
	// Value, when set, is the event value for sequence number seq (an
	// offramp that reads values, such as exit or kv); the default is the
	// string payload(seq), and the peer is asked about payload(seq)
	// either way.
	Value func(seq uint64) event.Value
	// Start starts a fresh peer; the suite stops it with t.Cleanup.
	Start func(t *testing.T) SinkPeer
	// Ordered: the peer receives events in the order sent.
	Ordered bool
	// Postprocessors of the offramp, for a peer that reads a byte stream
	// (tcp: `lines`, and the peer splits lines).
	Postprocessors []string
	BadConfigs     []BadConfig
}

type sinkRun struct {
	value  func(seq uint64) event.Value
	t      *testing.T
	r      *sdk.SinkRunner
	up     *upstream
	seq    uint64
	cancel context.CancelFunc
	done   chan struct{}
}

func payload(seq uint64) string { return fmt.Sprintf(`{"seq":%d}`, seq) }

func startSink(t *testing.T, c Sink, peer SinkPeer, extra string) *sinkRun {
	t.Helper()
	return startSinkWithin(t, c, peer, extra, time.Second)
}

// startSinkWithin starts the offramp with its confirmation timeout capped
// at confirm. Tests of a peer that dies or hangs keep it short (a dead
// peer is noticed within a second); tests of a live peer give it long
// enough that a loaded machine (-race, busy CI) does not fail a slow
// confirmation.
func startSinkWithin(t *testing.T, c Sink, peer SinkPeer, extra string, confirm time.Duration) *sinkRun {
	t.Helper()
	node, owner := parse(t, artefact(component.Offramp, c.Type, peer.Config()+extra))
	built, errs := sdk.NewSink(c.Type, node, sdk.Params{ID: "test", Instance: "01", URL: "/offramp/test/01"}, sdk.BuildOptions{Owner: owner})
	if errs.HasErrors() {
		t.Fatalf("the peer's config is refused: %v", errs)
	}
	opts := built.Options
	// Keep the suite quick: a dead peer is noticed soon and retried often.
	if opts.ConfirmTimeout == 0 || opts.ConfirmTimeout > confirm {
		opts.ConfirmTimeout = confirm
	}
	opts.BackoffInitial, opts.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	r := sdk.NewSinkRunner("/offramp/test/01", c.Type, built.Value, stringCodec(t), processors(t, processor.Post, c.Postprocessors), opts)
	s := &sinkRun{t: t, r: r, up: newUpstream(), done: make(chan struct{}), value: c.Value}
	if s.value == nil {
		s.value = func(seq uint64) event.Value { return payload(seq) }
	}
	if st, ok := peer.(Stopper); ok {
		r.OnStop(st.Stopped)
	}
	if rp, ok := peer.(Replier); ok {
		for port, t := range rp.Replies() {
			r.Link(port, t)
		}
	}
	r.AddUpstream(s.up)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if err := r.Open(ctx, env(t, "/offramp/test/01")); err != nil {
		t.Fatalf("open: %v", err)
	}
	go func() {
		defer close(s.done)
		if err := r.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(s.stop)
	return s
}

func (s *sinkRun) stop() {
	s.cancel()
	<-s.done
	if err := s.r.Close(); err != nil {
		s.t.Errorf("close: %v", err)
	}
}

// send sends a batch of n transactional events, each a JSON string
// payload naming its sequence.
func (s *sinkRun) send(n int) error {
	b := &event.Batch{}
	for range n {
		b.Events = append(b.Events, event.Event{ID: event.One(1, 0, s.seq), Data: s.value(s.seq), Transactional: true})
		s.seq++
	}
	return s.r.Send(context.Background(), b, s.up)
}

// RunSink runs the offramp suite.
func RunSink(t *testing.T, c Sink) {
	t.Run("ConfigErrorsArePositioned", func(t *testing.T) { checkBadConfigs(t, component.Offramp, c.Type, c.BadConfigs) })
	t.Run("AcksOnlyWhatThePeerHas", func(t *testing.T) { sinkAcksOnlyWhatPeerHas(t, c) })
	t.Run("DrainsOnShutdown", func(t *testing.T) { sinkDrains(t, c) })
	t.Run("FailsUnconfirmedWhenPeerDiesAndReconnects", func(t *testing.T) { sinkPeerDies(t, c) })
	t.Run("HungPeerNeverAcks", func(t *testing.T) { sinkHungPeer(t, c) })
}

func sinkAcksOnlyWhatPeerHas(t *testing.T, c Sink) {
	peer := c.Start(t)
	s := startSinkWithin(t, c, peer, "", 15*time.Second)
	var early []uint64
	s.up.onAck = func(seq uint64) {
		if !peer.Has(payload(seq)) {
			early = append(early, seq)
		}
	}
	const batches, size = 50, 10
	for range batches {
		if err := s.send(size); err != nil {
			t.Fatal(err)
		}
	}
	WaitFor(t, "every event answered", func() bool { return s.up.answered() == batches*size })
	acked, failed, _, _ := s.up.counts()
	if acked != batches*size || failed != 0 {
		t.Fatalf("%d acked, %d failed; want all %d acked", acked, failed, batches*size)
	}
	s.up.mu.Lock()
	if len(early) > 0 {
		t.Errorf("acked before the peer had them: %v", early)
	}
	s.up.mu.Unlock()
	s.up.exactlyOnce(t, batches*size)
	if c.Ordered {
		got := peer.Received()
		for i, p := range got {
			if p != payload(uint64(i)) {
				t.Fatalf("the peer got %s at position %d", p, i)
			}
		}
	}
}

func sinkDrains(t *testing.T, c Sink) {
	peer := c.Start(t)
	s := startSinkWithin(t, c, peer, "", 15*time.Second)
	var early []uint64
	s.up.onAck = func(seq uint64) {
		if !peer.Has(payload(seq)) {
			early = append(early, seq)
		}
	}
	const batches, size = 20, 25
	for range batches {
		if err := s.send(size); err != nil {
			t.Fatal(err)
		}
	}
	s.r.CloseInput()
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the offramp did not drain")
	}
	if err := s.send(1); err == nil {
		t.Error("Send after CloseInput succeeded")
	}
	s.seq--
	s.up.exactlyOnce(t, batches*size)
	if acked, _, _, _ := s.up.counts(); acked != batches*size {
		t.Errorf("a live peer and a drain: %d of %d acked", acked, batches*size)
	}
	s.up.mu.Lock()
	defer s.up.mu.Unlock()
	if len(early) > 0 {
		t.Errorf("acked before the peer had them: %v", early)
	}
}

func sinkPeerDies(t *testing.T, c Sink) {
	peer := c.Start(t)
	k, ok := peer.(Killable)
	if !ok {
		t.Skipf("offramp %s: its peer cannot go away and come back", c.Type)
	}
	s := startSink(t, c, peer, "")
	var mu sync.Mutex
	killed := false
	var early []uint64
	s.up.onAck = func(seq uint64) {
		mu.Lock()
		defer mu.Unlock()
		if !peer.Has(payload(seq)) {
			early = append(early, seq)
		}
	}
	for range 20 {
		if err := s.send(10); err != nil {
			t.Fatal(err)
		}
	}
	WaitFor(t, "some acks", func() bool { a, _, _, _ := s.up.counts(); return a > 0 })
	mu.Lock()
	killed = true
	mu.Unlock()
	k.Kill()
	// Keep sending while it is gone: each is failed (or, if it was
	// written before the drop was noticed, failed with the unconfirmed).
	for range 20 {
		if err := s.send(10); err != nil {
			t.Fatal(err)
		}
	}
	WaitFor(t, "the circuit breaker to open", func() bool { _, _, tr, _ := s.up.counts(); return tr > 0 })
	WaitFor(t, "every event sent so far answered", func() bool { return s.up.answered() == int(s.seq) })
	if _, failed, _, _ := s.up.counts(); failed == 0 {
		t.Error("nothing failed although the peer went away with events in flight")
	}
	k.Restart()
	WaitFor(t, "the circuit breaker to close", func() bool { _, _, _, rs := s.up.counts(); return rs > 0 })
	before := s.seq
	for range 10 {
		if err := s.send(10); err != nil {
			t.Fatal(err)
		}
	}
	WaitFor(t, "the events after the restart answered", func() bool { return s.up.answered() == int(s.seq) })
	s.up.mu.Lock()
	for seq := before; seq < s.seq; seq++ {
		if s.up.acks[seq] != 1 {
			t.Errorf("event %d sent after the peer came back was not acked", seq)
		}
	}
	s.up.mu.Unlock()
	s.up.exactlyOnce(t, s.seq)
	mu.Lock()
	defer mu.Unlock()
	_ = killed
	if len(early) > 0 {
		t.Errorf("acked without the peer having them: %v", early)
	}
}

func sinkHungPeer(t *testing.T, c Sink) {
	peer := c.Start(t)
	h, ok := peer.(Hangable)
	if !ok {
		t.Skipf("offramp %s: its peer cannot hang", c.Type)
	}
	h.Hang()
	s := startSink(t, c, peer, "")
	for range 5 {
		if err := s.send(10); err != nil {
			t.Fatal(err)
		}
	}
	WaitFor(t, "every event answered", func() bool { return s.up.answered() == 50 })
	if acked, _, tr, _ := s.up.counts(); acked != 0 || tr == 0 {
		t.Errorf("a peer that never answers: %d acked, %d breaker trips", acked, tr)
	}
	s.up.exactlyOnce(t, 50)
}

// refusingPeer is a peer that refuses everything (a full disk).
type refusingPeer struct{ config string }

func (p refusingPeer) Config() string     { return p.config }
func (p refusingPeer) Has(string) bool    { return false }
func (p refusingPeer) Received() []string { return nil }

// RunSinkRefusing checks an offramp whose peer refuses every write (config
// points it there, e.g. a file on a full disk): every event is failed
// exactly once, none is acked, and the circuit breaker opens.
func RunSinkRefusing(t *testing.T, typ, config string) {
	s := startSink(t, Sink{Type: typ}, refusingPeer{config}, "")
	for range 10 {
		if err := s.send(10); err != nil {
			t.Fatal(err)
		}
	}
	WaitFor(t, "every event answered", func() bool { return s.up.answered() == 100 })
	if acked, failed, tr, _ := s.up.counts(); acked != 0 || failed != 100 || tr == 0 {
		t.Errorf("a peer that refuses everything: %d acked, %d failed, %d breaker trips", acked, failed, tr)
	}
	s.up.exactlyOnce(t, 100)
}
