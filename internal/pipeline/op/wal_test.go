package op_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
	"pgregory.net/rapid"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/pipeline"
	"github.com/temblor-dev/temblor/internal/pipeline/op"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// sink is a test Output standing in for an offramp: it records what it gets
// and replies with whatever decide says (ack by default).
type sink struct {
	mu     sync.Mutex
	got    []*event.Event
	decide func(ev *event.Event, attempt int) event.Action
	tries  map[event.Range]int
	back   pipeline.Upstream // the contraflow path of the last Send
}

func (s *sink) Name() string { return "test-sink" }

// Send answers each event of the batch on its own, as decide says.
func (s *sink) Send(_ context.Context, b *event.Batch, back pipeline.Upstream) error {
	for i := range b.Events {
		ev := &b.Events[i]
		s.mu.Lock()
		if s.tries == nil {
			s.tries = map[event.Range]int{}
		}
		s.tries[ev.ID.First()]++
		s.back = back
		act := event.ActAck
		if s.decide != nil {
			act = s.decide(ev, s.tries[ev.ID.First()])
		}
		if act == event.ActAck {
			s.got = append(s.got, ev)
		}
		s.mu.Unlock()
		if act != event.ActNone && ev.Transactional {
			back.Contraflow(event.Insight{Action: act, IDs: ev.ID})
		}
	}
	return nil
}

// reply answers the given events late, as a sink does for events it held
// (e.g. failing them all when its connection drops).
func (s *sink) reply(act event.Action, ids ...event.IDs) {
	s.mu.Lock()
	back := s.back
	s.mu.Unlock()
	for _, id := range ids {
		back.Contraflow(event.Insight{Action: act, IDs: id})
	}
}

func (s *sink) events() []*event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*event.Event(nil), s.got...)
}

// upstream records contraflow reaching the source side.
type upstream struct {
	mu  sync.Mutex
	ins []event.Insight
}

func (u *upstream) Contraflow(in event.Insight) {
	u.mu.Lock()
	u.ins = append(u.ins, in)
	u.mu.Unlock()
}

// count is how many events were acked or failed (an insight may answer
// many), or how many breaker insights came.
func (u *upstream) count(a event.Action) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, in := range u.ins {
		if in.Action != a {
			continue
		}
		if a == event.ActAck || a == event.ActFail {
			n += int(in.IDs.Count())
		} else {
			n++
		}
	}
	return n
}

const walQuery = `
define qos::wal operator w
with
  read_count = 20,
  max_elements = %d,
  overflow = "%s"
end;
create operator w;
select event from in into w;
select event from w into out;
`

type harness struct {
	p      *pipeline.Pipeline
	sink   *sink
	up     *upstream
	cancel context.CancelFunc
	done   chan error
	src    event.SourceID
	seq    uint64
}

func startWAL(t *testing.T, dataDir string, maxElements int, overflow string, s *sink) *harness {
	t.Helper()
	return startQuery(t, fmt.Sprintf(walQuery, maxElements, overflow), dataDir, s)
}

// startQuery builds and runs a pipeline from trickle text with s on `out`.
func startQuery(t *testing.T, src, dataDir string, s *sink, more ...portSink) *harness {
	t.Helper()
	return startQueryLogged(t, src, dataDir, quiet, s, more...)
}

// startQueryLogged is startQuery with the pipeline's logger.
func startQueryLogged(t *testing.T, src, dataDir string, logger *slog.Logger, s *sink, more ...portSink) *harness {
	t.Helper()
	q, err := lang.ParseQuery("test.trickle", []byte(src), lang.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Build(q, "/pipeline/test/01", pipeline.BuildEnv{DataDir: dataDir, Logger: logger,
		Options: pipeline.Options{Tick: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Connect("out", s); err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		if err := p.Connect(m.port, m.sink); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{p: p, sink: s, up: &upstream{}, done: make(chan error, 1), src: event.NewSourceID()}
	p.AddUpstream(h.up)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- p.Run(ctx) }()
	return h
}

// portSink is one more sink, on another output port.
type portSink struct {
	port string
	sink *sink
}

func (h *harness) send(t *testing.T, data event.Value, transactional bool) {
	t.Helper()
	ev := &event.Event{ID: event.One(h.src, 0, h.seq), IngestNS: 1600860720749137000 + h.seq,
		Data: data, Meta: event.RecordOf("seq", int64(h.seq)), Transactional: transactional, Origin: "/onramp/test/01/out"}
	h.seq++
	if err := h.p.Send(context.Background(), event.BatchOf(ev), h.up); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) stop(t *testing.T) {
	t.Helper()
	h.cancel()
	if err := <-h.done; err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// markerID is the id of the event onlyMarker sends.
const markerID = 999999

// onlyMarker sends one new event through h and waits until s got it, then
// stops h: a WAL delivers in order, so whatever it was going to re-send
// arrived before the marker. It returns the ids s got before the marker.
func onlyMarker(t *testing.T, h *harness, s *sink) []int64 {
	t.Helper()
	h.send(t, event.RecordOf("id", int64(markerID)), false)
	waitFor(t, "the marker event", func() bool { return slices.Contains(ids(s.events()), markerID) })
	h.stop(t)
	got := ids(s.events())
	return got[:slices.Index(got, markerID)]
}

// distinctIDs counts the different ids the sink acked.
func distinctIDs(s *sink) int {
	seen := map[int64]bool{}
	for _, id := range ids(s.events()) {
		seen[id] = true
	}
	return len(seen)
}

func ids(evs []*event.Event) []int64 {
	var out []int64
	for _, e := range evs {
		id, _ := e.Data.(*event.Record).Get("id")
		out = append(out, id.(int64))
	}
	return out
}

func TestWALDeliversInOrderAndAcksUpstream(t *testing.T) {
	s := &sink{}
	h := startWAL(t, t.TempDir(), 1000, "block", s)
	for i := 0; i < 100; i++ {
		h.send(t, event.RecordOf("id", int64(i), "ingest_ns", int64(1600860720749137000)), true)
	}
	waitFor(t, "100 deliveries", func() bool { return len(s.events()) == 100 })
	waitFor(t, "100 upstream acks", func() bool { return h.up.count(event.ActAck) == 100 })
	h.stop(t)
	for i, id := range ids(s.events()) {
		if id != int64(i) {
			t.Fatalf("event %d has id %d", i, id)
		}
	}
	ev := s.events()[7]
	if ns, _ := ev.Data.(*event.Record).Get("ingest_ns"); ns != int64(1600860720749137000) || ev.IngestNS != 1600860720749137007 {
		t.Errorf("integers changed through the WAL: %v %d", ns, ev.IngestNS)
	}
	if seq, _ := ev.Meta.(*event.Record).Get("seq"); seq != int64(7) {
		t.Errorf("meta lost: %v", ev.Meta)
	}
}

func TestWALResendsOnFail(t *testing.T) {
	s := &sink{decide: func(ev *event.Event, attempt int) event.Action {
		id, _ := ev.Data.(*event.Record).Get("id")
		if id.(int64)%3 == 0 && attempt == 1 {
			return event.ActFail
		}
		return event.ActAck
	}}
	h := startWAL(t, t.TempDir(), 1000, "block", s)
	for i := 0; i < 30; i++ {
		h.send(t, event.RecordOf("id", int64(i)), false)
	}
	waitFor(t, "every event delivered", func() bool { return distinctIDs(s) == 30 })
	h.stop(t)
}

// TestWALFailResendsOnlyTheFailed: a fail of one event rewinds the WAL's
// read position, but events after it that are still awaiting their answer
// are not sent a second time.
func TestWALFailResendsOnlyTheFailed(t *testing.T) {
	var first event.IDs
	s := &sink{decide: func(ev *event.Event, attempt int) event.Action {
		if id, _ := ev.Data.(*event.Record).Get("id"); id.(int64) == 0 {
			first = ev.ID
			if attempt > 1 {
				return event.ActAck
			}
		}
		return event.ActNone // in flight until the test says otherwise
	}}
	h := startWAL(t, t.TempDir(), 1000, "block", s)
	for i := 0; i < 10; i++ {
		h.send(t, event.RecordOf("id", int64(i)), false)
	}
	waitFor(t, "10 events in flight", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.tries) == 10 })
	s.mu.Lock()
	id0 := first
	s.mu.Unlock()
	s.reply(event.ActFail, id0)
	waitFor(t, "the failed event re-sent", func() bool { return len(s.events()) == 1 })
	// A new event is read after the ones the rewind passed over: once it
	// was sent, any second sending of events 1..9 would have happened.
	h.send(t, event.RecordOf("id", int64(10)), false)
	waitFor(t, "the event after them sent", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.tries) == 11 })
	h.stop(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, n := range s.tries {
		if want := 1 + btoi(id == id0.First()); n != want {
			t.Errorf("event %v sent %d times, want %d", id, n, want)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestWALRestartResendsUnacked(t *testing.T) {
	dir := t.TempDir()
	// First run: the sink never answers, so nothing is acked.
	silent := &sink{decide: func(*event.Event, int) event.Action { return event.ActNone }}
	h := startWAL(t, dir, 1000, "block", silent)
	for i := 0; i < 50; i++ {
		h.send(t, event.RecordOf("id", int64(i), "blob", []byte{0, byte(i)}), false)
	}
	waitFor(t, "50 emitted", func() bool {
		silent.mu.Lock()
		defer silent.mu.Unlock()
		return len(silent.tries) == 50
	})
	h.stop(t)

	s := &sink{}
	h2 := startWAL(t, dir, 1000, "block", s)
	waitFor(t, "50 re-sent after restart", func() bool { return len(s.events()) == 50 })
	h2.stop(t)
	for i, ev := range s.events() {
		r := ev.Data.(*event.Record)
		if id, _ := r.Get("id"); id != int64(i) {
			t.Fatalf("re-sent event %d has id %v", i, id)
		}
		if b, _ := r.Get("blob"); string(b.([]byte)) != string([]byte{0, byte(i)}) {
			t.Fatalf("bytes changed: %v", b)
		}
	}
	// Third run: everything was acked, nothing comes back before a new
	// event (the WAL delivers in order).
	s3 := &sink{}
	h3 := startWAL(t, dir, 1000, "block", s3)
	if got := onlyMarker(t, h3, s3); len(got) != 0 {
		t.Fatalf("acked events were re-sent: ids %v", got)
	}
}

func TestWALBlockTripsUpstream(t *testing.T) {
	silent := &sink{decide: func(*event.Event, int) event.Action { return event.ActNone }}
	h := startWAL(t, t.TempDir(), 10, "block", silent)
	for i := 0; i < 10; i++ {
		h.send(t, event.RecordOf("id", int64(i)), false)
	}
	waitFor(t, "the breaker to trip upstream", func() bool { return h.up.count(event.ActTrigger) == 1 })
	h.stop(t)
}

// TestWALDropOldestInFlight fills a drop_oldest WAL whose sink holds every
// event unanswered, so the oldest events are in flight when newer ones push
// them out. Their later fail must not re-send them (the log let them go),
// the ones still stored must be re-sent, and each drop is counted once.
func TestWALDropOldestInFlight(t *testing.T) {
	var mu sync.Mutex
	var held []event.IDs
	answer := false
	s := &sink{decide: func(ev *event.Event, _ int) event.Action {
		mu.Lock()
		defer mu.Unlock()
		if answer {
			return event.ActAck
		}
		held = append(held, ev.ID)
		return event.ActNone
	}}
	dropped := op.DroppedCounter("/pipeline/test/01", "w", "drop_oldest")
	before := testutil.ToFloat64(dropped)
	h := startQuery(t, fmt.Sprintf(walQuery, 10, "drop_oldest"), t.TempDir(), s)
	for i := 0; i < 10; i++ {
		h.send(t, event.RecordOf("id", int64(i)), false)
	}
	waitFor(t, "10 events in flight", func() bool { mu.Lock(); defer mu.Unlock(); return len(held) == 10 })
	for i := 10; i < 15; i++ {
		h.send(t, event.RecordOf("id", int64(i)), false)
	}
	waitFor(t, "5 drops", func() bool { return testutil.ToFloat64(dropped)-before == 5 })
	// The sink gives up on everything it held (its connection dropped).
	mu.Lock()
	answer = true
	ins := held
	mu.Unlock()
	s.reply(event.ActFail, ins...)
	waitFor(t, "ids 5..14 delivered", func() bool { return len(s.events()) >= 10 })
	if got, want := onlyMarker(t, h, s), []int64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}; !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v (ids 0..4 were dropped in flight and must not be re-sent)", got, want)
	}
	if n := testutil.ToFloat64(dropped) - before; n != 5 {
		t.Fatalf("%v drops counted, want 5", n)
	}
}

// TestWALFilteredEventsAreAcked: events a `where` after the WAL filters out
// reach no sink, so nothing would ever answer for them; the pipeline acks
// them, or a block-policy WAL would fill with them and stall its sources.
func TestWALFilteredEventsAreAcked(t *testing.T) {
	dir := t.TempDir()
	s := &sink{}
	h := startQuery(t, `
define qos::wal operator w with read_count = 20, max_elements = 10 end;
create operator w;
select event from in into w;
select event from w where event.id % 2 == 0 into out;
`, dir, s)
	for i := 0; i < 60; i++ {
		h.send(t, event.RecordOf("id", int64(i)), false)
	}
	waitFor(t, "the 30 even ids", func() bool { return len(s.events()) == 30 })
	h.stop(t)
	// The same WAL without the filter: nothing comes back, the odd ids
	// were acked when the filter dropped them.
	s2 := &sink{}
	h2 := startQuery(t, `
define qos::wal operator w with read_count = 20, max_elements = 10 end;
create operator w;
select event from in into w;
select event from w into out;
`, dir, s2)
	if got := onlyMarker(t, h2, s2); len(got) != 0 {
		t.Fatalf("filtered events stayed in the WAL and came back: %v", got)
	}
}

// TestWALFanOutInGraphWaitsForEverySink: the WAL's output feeds two selects
// into two ports. An event is acked in the log only when both sinks acked;
// when one fails it, it is re-sent (duplicates for the other, never loss).
func TestWALFanOutInGraphWaitsForEverySink(t *testing.T) {
	good := &sink{}
	flaky := &sink{decide: func(ev *event.Event, attempt int) event.Action {
		if id, _ := ev.Data.(*event.Record).Get("id"); id.(int64)%4 == 1 && attempt == 1 {
			return event.ActFail
		}
		return event.ActAck
	}}
	dir := t.TempDir()
	h := startQuery(t, `
define qos::wal operator w with read_count = 20, max_elements = 1000 end;
create operator w;
select event from in into w;
select event from w into out;
select event from w into err;
`, dir, good, portSink{"err", flaky})
	for i := 0; i < 40; i++ {
		h.send(t, event.RecordOf("id", int64(i)), false)
	}
	waitFor(t, "every id at both sinks", func() bool { return distinctIDs(flaky) == 40 && distinctIDs(good) == 40 })
	// The WAL did not take the good sink's ack for the whole answer: each
	// event the flaky sink failed was sent again, so the good sink has it
	// twice; every other event exactly once.
	waitFor(t, "the failed events re-sent to both", func() bool { return len(good.events()) == 50 })
	count := map[int64]int{}
	for _, id := range ids(good.events()) {
		count[id]++
	}
	for id := int64(0); id < 40; id++ {
		if want := 1 + btoi(id%4 == 1); count[id] != want {
			t.Errorf("good sink got id %d %d times, want %d", id, count[id], want)
		}
	}
	h.stop(t)
	// Both acked everything in the end: nothing is left in the WAL.
	good2 := &sink{}
	h2 := startQuery(t, `
define qos::wal operator w with read_count = 20, max_elements = 1000 end;
create operator w;
select event from in into w;
select event from w into out;
`, dir, good2)
	if got := onlyMarker(t, h2, good2); len(got) != 0 {
		t.Fatalf("events acked by both sinks came back after a restart: %v", got)
	}
}

// TestWALReportsBacklogProgress: a backlog of 1000+ events is logged while
// it lasts (with downstream's state) and once more when it has drained.
func TestWALReportsBacklogProgress(t *testing.T) {
	defer op.SetProgressEvery(50 * time.Millisecond)()
	var logs lockedBuffer
	var mu sync.Mutex
	hold := true
	var held []event.IDs
	s := &sink{decide: func(ev *event.Event, _ int) event.Action {
		mu.Lock()
		defer mu.Unlock()
		if hold {
			held = append(held, ev.ID)
			return event.ActNone
		}
		return event.ActAck
	}}
	h := startQueryLogged(t, fmt.Sprintf(walQuery, 5000, "block"), t.TempDir(), slog.New(slog.NewTextHandler(&logs, nil)), s)
	for i := 0; i < 1500; i++ {
		h.send(t, event.RecordOf("id", int64(i)), false)
	}
	// Reports may come while the 1,500 are still being sent; one after
	// that gives the whole backlog.
	waitFor(t, "a backlog report of all 1500", func() bool {
		return strings.Contains(logs.String(), "msg=\"qos::wal backlog\"") && strings.Contains(logs.String(), "backlog=1500")
	})
	// Downstream gives up on what it held (as a sink does when its
	// connection drops), then takes everything.
	mu.Lock()
	hold = false
	ids := held
	mu.Unlock()
	s.reply(event.ActFail, ids...)
	waitFor(t, "the drained report", func() bool { return strings.Contains(logs.String(), "qos::wal backlog drained") })
	h.stop(t)
	if n := len(s.events()); n != 1500 {
		t.Errorf("%d of 1500 events delivered", n)
	}
}

// lockedBuffer is a bytes.Buffer safe for a logger and a test to share.
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

func TestWALParamErrors(t *testing.T) {
	cases := map[string]string{
		"define qos::wal operator w with max_elements = 10 end; create operator w;":                                   "`read_count` is required",
		"define qos::wal operator w with read_count = 1 end; create operator w;":                                      "needs at least one of `max_elements` or `max_bytes`",
		"define qos::wal operator w with read_count = 1, max_elements = 1, max_elemnts = 2 end; create operator w;":   "did you mean `max_elements`?",
		"define qos::wal operator w with read_count = \"x\", max_elements = 1 end; create operator w;":                "`read_count` must be an integer",
		"define qos::wal operator w with read_count = 1, max_bytes = 1, sync = \"sometimes\" end; create operator w;": "`sync` must be",
		"define qos::wal operator w with read_count = 1, max_bytes = 1, overflow = \"spill\" end; create operator w;": "`overflow` must be",
		"define qos::batch operator w with read_count = 1 end; create operator w;":                                    "unknown operator kind `qos::batch`",
	}
	for src, want := range cases {
		q, err := lang.ParseQuery("p.trickle", []byte(src), lang.Options{})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		_, err = pipeline.Build(q, "/pipeline/p/01", pipeline.BuildEnv{DataDir: t.TempDir(), Logger: quiet})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %q", src, err, want)
		}
		if err != nil && !strings.Contains(err.Error(), "p.trickle:1:") {
			t.Errorf("error lacks a position: %v", err)
		}
	}
}

func TestWALSecondInstanceSameDirIsAClearError(t *testing.T) {
	dir := t.TempDir()
	src := fmt.Sprintf("define qos::wal operator w with read_count = 1, max_elements = 5, dir = %q end; create operator w; select event from in into w; select event from w into out;", dir)
	q, err := lang.ParseQuery("p.trickle", []byte(src), lang.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := pipeline.Build(q, "/pipeline/p/01", pipeline.BuildEnv{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer p1.Close()
	_, err = pipeline.Build(q, "/pipeline/p/02", pipeline.BuildEnv{DataDir: t.TempDir(), Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "directory of its own") {
		t.Fatalf("second instance on the same dir: %v", err)
	}
}

func TestStoredEventRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ev := &event.Event{
			IngestNS: rapid.Uint64().Draw(t, "ns"),
			Origin:   rapid.String().Draw(t, "origin"),
			Data:     genValue(t, 3),
			Meta:     genValue(t, 2),
		}
		got, err := op.DecodeStored(op.EncodeStored(ev))
		if err != nil {
			t.Fatal(err)
		}
		if got.IngestNS != ev.IngestNS || got.Origin != ev.Origin ||
			string(event.AppendBinary(nil, got.Data)) != string(event.AppendBinary(nil, ev.Data)) ||
			string(event.AppendBinary(nil, got.Meta)) != string(event.AppendBinary(nil, ev.Meta)) {
			t.Fatalf("round trip changed the event: %+v -> %+v", ev, got)
		}
	})
}

// FuzzDecodeStored feeds arbitrary bytes to the stored-event decoder (what
// a WAL record holds): it must return an error or an event that encodes
// back to the same bytes, and never panic.
func FuzzDecodeStored(f *testing.F) {
	f.Add(op.EncodeStored(&event.Event{IngestNS: 1600860720749137000, Origin: "/onramp/metronome/01/out",
		Data: event.RecordOf("onramp", "metronome", "id", int64(5), "hostname", "vm"), Meta: event.RecordOf()}))
	f.Add(op.EncodeStored(&event.Event{Data: []event.Value{nil, true, 1.5, []byte{0, 1}, uint64(1 << 63)}}))
	f.Add([]byte{})
	f.Add([]byte{1, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := op.DecodeStored(b)
		if err != nil {
			return
		}
		if again := op.EncodeStored(ev); string(again) != string(b) {
			// Varints have several encodings; the decoded event must at
			// least survive its own round trip.
			ev2, err := op.DecodeStored(again)
			if err != nil || string(op.EncodeStored(ev2)) != string(again) {
				t.Fatalf("re-encoding a decoded event is not stable: %x -> %x (%v)", b, again, err)
			}
		}
	})
}

func genValue(t *rapid.T, depth int) event.Value {
	kinds := 7
	if depth > 0 {
		kinds = 9
	}
	switch rapid.IntRange(0, kinds-1).Draw(t, "kind") {
	case 0:
		return nil
	case 1:
		return rapid.Bool().Draw(t, "b")
	case 2:
		return rapid.Int64().Draw(t, "i")
	case 3:
		return rapid.Uint64Range(1<<63, 1<<64-1).Draw(t, "u")
	case 4:
		return rapid.Float64().Draw(t, "f")
	case 5:
		return rapid.String().Draw(t, "s")
	case 6:
		return rapid.SliceOf(rapid.Byte()).Draw(t, "bytes")
	case 7:
		n := rapid.IntRange(0, 4).Draw(t, "n")
		a := make([]event.Value, n)
		for i := range a {
			a[i] = genValue(t, depth-1)
		}
		return a
	default:
		n := rapid.IntRange(0, 4).Draw(t, "n")
		r := event.NewRecord(n)
		for i := 0; i < n; i++ {
			r.Set(rapid.StringN(0, 8, -1).Draw(t, "k"), genValue(t, depth-1))
		}
		return r
	}
}

// TestWALDiskFull puts the WAL on a 1 MiB tmpfs, a third of it taken by
// another file: once the disk is full the append fails, the event is
// failed upstream and the sources are paused; when the other file is
// deleted, storing resumes by itself (no restart), and after a restart
// every event that was acked upstream is delivered, in order. Needs root
// (mount); without it the skip is printed, and wal's
// TestFullDiskPausesAndResumes covers the log on a simulated full disk.
func TestWALDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "SKIP TestWALDiskFull: mounting a tmpfs needs root (wal.TestFullDiskPausesAndResumes covers the log without it)")
		t.Skip("mounting a tmpfs needs root")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "SKIP TestWALDiskFull: cannot mount a tmpfs here: %v %s\n", err, out)
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	defer func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) }()
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, 384<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(mnt, "wal")
	src := fmt.Sprintf(`define qos::wal operator w with read_count = 10, max_bytes = 100000000, segment_size = 65536, dir = %q end;
create operator w; select event from in into w; select event from w into out;`, dir)
	run := func(s *sink) *harness { return startQuery(t, src, t.TempDir(), s) }
	ackedIDs := func(h *harness) []uint64 {
		h.up.mu.Lock()
		defer h.up.mu.Unlock()
		var out []uint64
		for _, in := range h.up.ins {
			if in.Action == event.ActAck {
				for i := range in.IDs.Len() {
					for s := in.IDs.At(i).Start; s <= in.IDs.At(i).End; s++ {
						out = append(out, s)
					}
				}
			}
		}
		return out
	}
	silent := &sink{decide: func(*event.Event, int) event.Action { return event.ActNone }}
	h := run(silent)
	blob := strings.Repeat("x", 4000)
	sent := 0
	for i := 0; i < 1000 && h.up.count(event.ActFail) == 0; i++ {
		h.send(t, event.RecordOf("id", int64(h.seq), "blob", blob), true)
		sent++
		if i%20 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(t, "a failed append", func() bool { return h.up.count(event.ActFail) > 0 })
	waitFor(t, "the sources to be paused", func() bool { return h.up.count(event.ActTrigger) > 0 })
	before := len(ackedIDs(h))
	if before == 0 {
		t.Fatal("nothing was stored before the disk filled")
	}
	// Space returns: storing resumes without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(ackedIDs(h)) < before+20 {
		if time.Now().After(deadline) {
			t.Fatalf("no event stored after space returned: %d acked before, %d now", before, len(ackedIDs(h)))
		}
		h.send(t, event.RecordOf("id", int64(h.seq), "blob", blob), true)
		sent++
		time.Sleep(10 * time.Millisecond)
	}
	acked := ackedIDs(h)
	h.stop(t)
	s := &sink{}
	h2 := run(s)
	waitFor(t, "every acked event re-sent", func() bool { return len(s.events()) >= len(acked) })
	h2.stop(t)
	got := ids(s.events())
	for i, want := range acked {
		if got[i] != int64(want) {
			t.Fatalf("after disk full, delivered event %d has id %d, want %d (acked: %v)", i, got[i], want, acked)
		}
	}
	t.Logf("disk full after %d acked of %d sent; space freed: %d acked in all without a restart, all delivered after it", before, sent, len(acked))
}

// TestWALCloseAfterRunAndTwice: Close after Run (which closes the
// operators itself), and Close again, neither panics nor fails: a harness
// or a runtime that closes defensively must not crash the engine.
func TestWALCloseAfterRunAndTwice(t *testing.T) {
	s := &sink{}
	h := startWAL(t, t.TempDir(), 100, "block", s)
	h.send(t, event.RecordOf("n", int64(1)), true)
	waitFor(t, "the event at the sink", func() bool { return len(s.events()) == 1 })
	h.stop(t)
	h.p.Close()
	h.p.Close()
}
