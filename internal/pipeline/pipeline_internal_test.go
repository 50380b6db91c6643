package pipeline

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
)

// The executor's own tests build graphs by hand (no trickle), so they test
// routing and contraflow alone.

type recOut struct {
	name  string
	mu    sync.Mutex
	evs   []*event.Event
	backs []Upstream
}

func (o *recOut) Name() string { return o.name }
func (o *recOut) Send(_ context.Context, b *event.Batch, back Upstream) error {
	o.mu.Lock()
	for i := range b.Events {
		o.evs = append(o.evs, &b.Events[i])
		o.backs = append(o.backs, back)
	}
	o.mu.Unlock()
	return nil
}
func (o *recOut) reply(i int, a event.Action) {
	o.mu.Lock()
	ev, back := o.evs[i], o.backs[i]
	o.mu.Unlock()
	back.Contraflow(event.Insight{Action: a, IDs: ev.ID})
}
func (o *recOut) n() int { o.mu.Lock(); defer o.mu.Unlock(); return len(o.evs) }

type recUp struct {
	mu  sync.Mutex
	ins []event.Insight
}

func (u *recUp) Contraflow(in event.Insight) { u.mu.Lock(); u.ins = append(u.ins, in); u.mu.Unlock() }
func (u *recUp) got() []event.Insight {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]event.Insight(nil), u.ins...)
}

// passOp forwards events and records contraflow it sees.
type passOp struct {
	mu      sync.Mutex
	seen    []event.Insight
	consume bool
}

func (p *passOp) OnEvent(c *Context, _ string, ev *event.Event) error { c.Emit("out", ev); return nil }
func (p *passOp) OnContraflow(_ *Context, in *event.Insight) bool {
	p.mu.Lock()
	p.seen = append(p.seen, *in)
	p.mu.Unlock()
	return !p.consume
}
func (p *passOp) saw() []event.Insight {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]event.Insight(nil), p.seen...)
}

// answers is the acks and fails up got, in order.
func answers(up *recUp) []event.Insight {
	var out []event.Insight
	for _, in := range up.got() {
		if in.Action == event.ActAck || in.Action == event.ActFail {
			out = append(out, in)
		}
	}
	return out
}

// settled waits until the pipeline processed everything queued before it
// (it sends a marker through the contraflow queue, which is handled in
// order and only between events, and waits for it at up, a registered
// upstream) and returns the acks and fails up got before the marker. A
// test asserts on that instead of sleeping and hoping.
func settled(t *testing.T, p *Pipeline, up *recUp) []event.Insight {
	t.Helper()
	const marker = "/test/marker"
	p.Contraflow(event.Insight{Action: event.ActTrigger, From: marker})
	var before []event.Insight
	eventually(t, func() bool {
		before = before[:0]
		for _, in := range up.got() {
			if in.Action == event.ActTrigger && in.From == marker {
				return true
			}
			if in.Action == event.ActAck || in.Action == event.ActFail {
				before = append(before, in)
			}
		}
		return false
	})
	return before
}

// chain builds in → op → out by hand.
func chain(t *testing.T, op Operator) *Pipeline {
	t.Helper()
	p := newPipeline("/pipeline/t/01", Options{Tick: 10 * time.Millisecond})
	b := &builder{p: p, env: BuildEnv{Logger: p.log}}
	in := &node{id: "in", kind: nodeStream}
	out := &node{id: "out", kind: nodeOutput}
	mid := &node{id: "op", kind: nodeOperator}
	for _, n := range []*node{in, out, mid} {
		b.addNode(n)
	}
	b.addNode(&node{id: "err", kind: nodeOutput})
	b.setOp(mid, op)
	in.outs["out"] = []target{{n: mid, port: "in"}}
	mid.outs["out"] = []target{{n: out, port: "in"}}
	if err := b.sort(); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, p *Pipeline) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = p.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatal("condition not reached")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestAckRoutesThroughOperatorsToSource(t *testing.T) {
	op := &passOp{}
	p := chain(t, op)
	o := &recOut{name: "o"}
	if err := p.Connect("out", o); err != nil {
		t.Fatal(err)
	}
	up := &recUp{}
	stop := run(t, p)
	defer stop()
	src := event.NewSourceID()
	ev := &event.Event{ID: event.One(src, 0, 1), Data: "x", Transactional: true}
	if err := p.Send(context.Background(), event.BatchOf(ev), up); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return o.n() == 1 })
	o.reply(0, event.ActAck)
	eventually(t, func() bool { return len(up.got()) == 1 })
	if in := up.got()[0]; in.Action != event.ActAck || !in.IDs.Equal(ev.ID) {
		t.Fatalf("source got %v", in)
	}
}

func TestConsumingOperatorStopsInsight(t *testing.T) {
	op := &passOp{consume: true}
	p := chain(t, op)
	o := &recOut{name: "o"}
	_ = p.Connect("out", o)
	up := &recUp{}
	p.AddUpstream(up)
	stop := run(t, p)
	defer stop()
	p.Contraflow(event.Insight{Action: event.ActTrigger, From: "/offramp/x/01"})
	// The operator sees it and consumes it in the same step, so once it
	// saw it nothing can reach the source any more.
	eventually(t, func() bool { return len(op.saw()) == 1 })
	if got := up.got(); len(got) != 0 {
		t.Fatalf("operator saw %v, source got %v", op.saw(), got)
	}
}

func TestTriggerReachesAllUpstreams(t *testing.T) {
	p := chain(t, &passOp{})
	up1, up2 := &recUp{}, &recUp{}
	p.AddUpstream(up1)
	p.AddUpstream(up2)
	stop := run(t, p)
	defer stop()
	p.Contraflow(event.Insight{Action: event.ActTrigger, From: "/offramp/x/01"})
	eventually(t, func() bool { return len(up1.got()) == 1 && len(up2.got()) == 1 })
	if up1.got()[0].From != "/offramp/x/01" {
		t.Fatalf("From lost: %+v", up1.got()[0])
	}
}

// A transactional event fanned out to two outputs is acked upstream only
// when both acked, and failed when either failed.
func TestFanOutAckWaitsForAll(t *testing.T) {
	for _, second := range []event.Action{event.ActAck, event.ActFail} {
		p := chain(t, &passOp{})
		o1, o2 := &recOut{name: "a"}, &recOut{name: "b"}
		_ = p.Connect("out", o1)
		_ = p.Connect("out", o2)
		up := &recUp{}
		stop := run(t, p)
		ev := &event.Event{ID: event.One(event.NewSourceID(), 0, 9), Data: event.RecordOf("a", int64(1)), Transactional: true}
		_ = p.Send(context.Background(), event.BatchOf(ev), up)
		eventually(t, func() bool { return o1.n() == 1 && o2.n() == 1 })
		o1.reply(0, event.ActAck)
		if got := settled(t, p, up); len(got) != 0 {
			t.Fatalf("answered upstream after one of two outputs: %v", got)
		}
		o2.reply(0, second)
		eventually(t, func() bool { return len(answers(up)) == 1 })
		if got := answers(up)[0].Action; got != second {
			t.Fatalf("upstream got %v, want %v", got, second)
		}
		stop()
		// Fan-out clones: the outputs must not share one mutable record.
		if o1.evs[0].Data.(*event.Record) == o2.evs[0].Data.(*event.Record) {
			t.Fatal("outputs share one record")
		}
	}
}

func TestQuiesceWaitsForQueuedEvents(t *testing.T) {
	p := chain(t, &passOp{})
	o := &recOut{name: "o"}
	_ = p.Connect("out", o)
	stop := run(t, p)
	defer stop()
	for i := 0; i < 10; i++ {
		_ = p.Send(context.Background(), event.BatchOf(&event.Event{ID: event.One(1, 0, uint64(i))}), nil)
	}
	if err := p.Quiesce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if o.n() != 10 {
		t.Fatalf("quiesce returned with %d of 10 processed", o.n())
	}
}

// dropOp drops every event; errOp fails every event.
type dropOp struct{}

func (dropOp) OnEvent(*Context, string, *event.Event) error { return nil }

type errOp struct{}

func (errOp) OnEvent(*Context, string, *event.Event) error { return errors.New("boom") }

// A transactional event that reaches no output (an operator dropped it, or
// its port is linked to nothing) is acked upstream once; so is one that
// fails in an operator with no `err` output linked: the error is permanent,
// so the event is dead-lettered (counted and logged) instead of being
// failed for a re-send that would fail again.
func TestEventsReachingNoOutputAreAnswered(t *testing.T) {
	cases := []struct {
		name    string
		op      Operator
		connect bool
		want    event.Action
	}{
		{"dropped by an operator", dropOp{}, true, event.ActAck},
		{"port linked to nothing", &passOp{}, false, event.ActAck},
		{"operator error, no err output", errOp{}, true, event.ActAck},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := chain(t, tc.op)
			o := &recOut{name: "o"}
			if tc.connect {
				_ = p.Connect("out", o)
			}
			up := &recUp{}
			stop := run(t, p)
			ev := &event.Event{ID: event.One(event.NewSourceID(), 0, 1), Data: int64(1), Transactional: true}
			_ = p.Send(context.Background(), event.BatchOf(ev), up)
			eventually(t, func() bool { return len(up.got()) >= 1 })
			got := settled(t, p, up)
			stop()
			if len(got) != 1 || got[0].Action != tc.want || !got[0].IDs.Equal(ev.ID) {
				t.Fatalf("upstream got %v, want one %v", got, tc.want)
			}
			if o.n() != 0 {
				t.Fatalf("%d events reached the output", o.n())
			}
		})
	}
}

// An event that fails in an operator goes to the `err` output when one is
// linked; it is answered upstream only when that output answered.
func TestErrOutputAnswersForFailedEvent(t *testing.T) {
	for _, reply := range []event.Action{event.ActAck, event.ActFail} {
		p := chain(t, errOp{})
		o := &recOut{name: "errors"}
		_ = p.Connect("err", o)
		up := &recUp{}
		stop := run(t, p)
		ev := &event.Event{ID: event.One(event.NewSourceID(), 0, 1), Data: int64(1), Transactional: true}
		_ = p.Send(context.Background(), event.BatchOf(ev), up)
		eventually(t, func() bool { return o.n() == 1 })
		if got := settled(t, p, up); len(got) != 0 {
			t.Fatalf("answered upstream before the err output did: %v", got)
		}
		o.reply(0, reply)
		eventually(t, func() bool { return len(answers(up)) == 1 })
		stop()
		if got := answers(up)[0]; got.Action != reply || !got.IDs.Equal(ev.ID) {
			t.Fatalf("upstream got %v, want %v", got, reply)
		}
	}
}

// TestMetricsEvents: with metrics_interval_s, an event arriving more than
// the interval after the last report sends the counts of every node's
// ports out of the metrics port.
func TestMetricsEvents(t *testing.T) {
	q, err := lang.ParseQuery("m.trickle", []byte("#!config id = \"main\"\n#!config metrics_interval_s = 1\nselect event from in into out;\n"), lang.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(q, "/pipeline/m/01", BuildEnv{Options: Options{NoTicks: true}})
	if err != nil {
		t.Fatal(err)
	}
	m := &recOut{name: "metrics"}
	if err := p.Connect("metrics", m); err != nil {
		t.Fatal(err)
	}
	stop := run(t, p)
	defer stop()
	for _, ns := range []uint64{2e9, 2e9 + 1, 4e9} {
		if err := p.Send(context.Background(), event.BatchOf(&event.Event{IngestNS: ns, Data: "x"}), nil); err != nil {
			t.Fatal(err)
		}
		if err := p.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	m.mu.Lock()
	evs := append([]*event.Event(nil), m.evs...)
	m.mu.Unlock()
	for _, ev := range evs {
		got = append(got, string(event.AppendJSON(nil, ev.Data)))
	}
	want := `{"measurement":"events","tags":{"pipeline":"main","node":"in","direction":"input","port":"in"},"fields":{"count":2},"timestamp":4000000000}`
	if len(got) == 0 || got[0] != want {
		t.Fatalf("metrics events:\n%s\nwant first:\n%s", strings.Join(got, "\n"), want)
	}
	if len(got) != 5 { // in and select_0: an input and an output each; out: an input
		t.Errorf("%d metrics events, want 5:\n%s", len(got), strings.Join(got, "\n"))
	}
}

// batchOp is a minimal batching operator: it keeps events until it has
// three, then emits one event made of them, carrying all their IDs.
type batchOp struct{ kept []event.Event }

func (b *batchOp) OnEvent(c *Context, _ string, ev *event.Event) error {
	c.Keep(ev)
	b.kept = append(b.kept, *ev)
	if len(b.kept) < 3 {
		return nil
	}
	agg := event.Event{Transactional: true}
	var data []event.Value
	for _, k := range b.kept {
		agg.ID.AddAll(k.ID)
		data = append(data, k.Data)
	}
	agg.Data = data
	b.kept = nil
	c.Emit("out", &agg)
	c.Release(agg.ID)
	return nil
}

// TestBatchOfThreeSourcesAckedToAll: one event built from three sources'
// events (a batch) is acked to all three when the sink acks it, and to
// none before.
func TestBatchOfThreeSourcesAckedToAll(t *testing.T) {
	p := chain(t, &batchOp{})
	o := &recOut{name: "o"}
	_ = p.Connect("out", o)
	ups := []*recUp{{}, {}, {}}
	stop := run(t, p)
	defer stop()
	var sent []*event.Event
	for i, up := range ups {
		ev := &event.Event{ID: event.One(event.NewSourceID(), 0, uint64(10+i)), Data: int64(i), Transactional: true}
		sent = append(sent, ev)
		if err := p.Send(context.Background(), event.BatchOf(ev), up); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, func() bool { return o.n() == 1 })
	for _, up := range ups {
		if got := settled(t, p, up); len(got) != 0 {
			t.Fatalf("a kept event was answered before the batch was: %v", got)
		}
	}
	if ids := o.evs[0].ID; ids.Len() != 3 || ids.Count() != 3 {
		t.Fatalf("the batch carries %s", ids)
	}
	o.reply(0, event.ActAck)
	for i, up := range ups {
		eventually(t, func() bool { return len(answers(up)) == 1 })
		if got := answers(up)[0]; got.Action != event.ActAck || !got.IDs.Equal(sent[i].ID) {
			t.Fatalf("source %d got %v, want an ack of %s", i, got, sent[i].ID)
		}
	}
}

// TestBatchFailReachesAll: a fail of the batch event fails every input.
func TestBatchFailReachesAll(t *testing.T) {
	p := chain(t, &batchOp{})
	o := &recOut{name: "o"}
	_ = p.Connect("out", o)
	ups := []*recUp{{}, {}, {}}
	stop := run(t, p)
	defer stop()
	for i, up := range ups {
		ev := &event.Event{ID: event.One(event.NewSourceID(), 0, uint64(i)), Data: int64(i), Transactional: true}
		_ = p.Send(context.Background(), event.BatchOf(ev), up)
	}
	eventually(t, func() bool { return o.n() == 1 })
	o.reply(0, event.ActFail)
	for _, up := range ups {
		eventually(t, func() bool { return len(answers(up)) == 1 })
		if got := answers(up)[0]; got.Action != event.ActFail {
			t.Fatalf("got %v", got)
		}
	}
}

// TestBatchIsOneAnswer: a batch of 1,000 consecutive events from one
// source, acked by the sink, is one insight upstream with one range.
func TestBatchIsOneAnswer(t *testing.T) {
	p := chain(t, &passOp{})
	o := &recOut{name: "o"}
	_ = p.Connect("out", o)
	up := &recUp{}
	stop := run(t, p)
	defer stop()
	src := event.NewSourceID()
	b := &event.Batch{}
	for i := range 1000 {
		b.Events = append(b.Events, event.Event{ID: event.One(src, 0, uint64(i)), Data: int64(i), Transactional: true})
	}
	_ = p.Send(context.Background(), b, up)
	eventually(t, func() bool { return o.n() == 1000 })
	o.mu.Lock()
	back := o.backs[0]
	o.mu.Unlock()
	back.Contraflow(event.Insight{Action: event.ActAck, IDs: event.Of(event.Range{Source: src, Start: 0, End: 999})})
	eventually(t, func() bool { return len(answers(up)) == 1 })
	if got := settled(t, p, up); len(got) != 1 || got[0].IDs.Len() != 1 || got[0].IDs.Count() != 1000 {
		t.Fatalf("upstream got %v", got)
	}
}
