package answer

import (
	"fmt"
	"sort"
	"testing"

	"pgregory.net/rapid"

	"github.com/temblor-dev/temblor/internal/event"
)

func rng(src event.SourceID, start, end uint64) event.Range {
	return event.Range{Source: src, Start: start, End: end}
}

func take(t *Tracker) []string {
	var out []string
	for _, o := range t.Take(nil) {
		s := fmt.Sprintf("ack %s @%d", o.IDs, o.From)
		if o.Fail {
			s = fmt.Sprintf("fail %s @%d (%s)", o.IDs, o.From, o.Reason)
		}
		out = append(out, s)
	}
	return out
}

func expect(t *testing.T, tr *Tracker, want ...string) {
	t.Helper()
	got := take(tr)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outcomes %q, want %q", got, want)
	}
}

// A batch of 1,000 events from one source, routed to one sink that acks
// it: one run tracked, one outcome.
func TestBatchIsOneRun(t *testing.T) {
	tr := New()
	b := event.Of(rng(1, 0, 999))
	tr.Hold(b)
	tr.Owe(b) // sent to a sink
	if tr.Len() != 1 {
		t.Fatalf("%d runs", tr.Len())
	}
	tr.Release(b, 5) // routing ended
	expect(t, tr)
	if u := tr.Answer(b, false, "", 5); !u.IsZero() {
		t.Fatalf("untracked %s", u)
	}
	expect(t, tr, "ack 1:0:0-999 @5")
	if tr.Len() != 0 {
		t.Fatal("not empty")
	}
}

// A filter dropped event 5 of a batch: it is acked when the routing ends;
// the sink answers the rest as two ranges.
func TestFilteredEventsAckAtRoutingEnd(t *testing.T) {
	tr := New()
	b := event.Of(rng(1, 0, 9))
	tr.Hold(b)
	sent := event.Of(rng(1, 0, 4), rng(1, 6, 9))
	tr.Owe(sent)
	tr.Release(b, 3)
	expect(t, tr, "ack 1:0:5 @3")
	tr.Answer(event.Of(rng(1, 0, 2)), false, "", 7)
	expect(t, tr, "ack 1:0:0-2 @7")
	tr.Answer(event.Of(rng(1, 3, 4), rng(1, 6, 9)), true, "peer gone", 7)
	expect(t, tr, "fail 1:0:3-4,1:0:6-9 @7 (peer gone)")
}

// Fan-out: one sink's ack does not hide another's fail.
func TestFanOutFailWins(t *testing.T) {
	tr := New()
	ev := event.One(1, 0, 7)
	tr.Hold(ev)
	tr.Owe(ev)
	tr.Owe(ev)
	tr.Release(ev, 2)
	tr.Answer(ev, true, "sink b down", 2)
	expect(t, tr)
	tr.Answer(ev, false, "", 2)
	expect(t, tr, "fail 1:0:7 @2 (sink b down)")
}

// TestThreeSourceBatchAckedToAll: events from three sources are batched
// by an operator into one event carrying all their IDs; one ack of it
// completes every input, and the outcome names all three sources.
func TestThreeSourceBatchAckedToAll(t *testing.T) {
	tr := New()
	a, b, c := event.SourceID(1), event.SourceID(2), event.SourceID(3)
	in := []event.IDs{event.One(a, 0, 1), event.One(b, 0, 1), event.One(a, 0, 2), event.One(c, 4, 9)}
	for _, ids := range in {
		tr.Hold(ids)        // routed from the input
		tr.Hold(ids)        // the batch operator keeps it
		tr.Release(ids, 10) // routing ends
	}
	expect(t, tr) // nothing is answered while the batch is held
	var batch event.IDs
	for _, ids := range in {
		batch.AddAll(ids)
	}
	if batch.Len() != 4 || batch.String() != "1:0:1,2:0:1,1:0:2,3:4:9" {
		t.Fatalf("batch IDs %s", batch)
	}
	tr.Hold(batch)       // the batch event is emitted: already tracked
	tr.Release(batch, 4) // the operator passes its hold on to the batch event
	tr.Owe(batch)        // sent to the sink
	tr.Release(batch, 4) // routing ends
	expect(t, tr)
	tr.Answer(batch, false, "", 10)
	got := tr.Take(nil)
	if len(got) != 1 || got[0].Fail || got[0].From != 10 {
		t.Fatalf("want one ack from where the sink answered, got %+v", got)
	}
	for _, src := range []event.SourceID{a, b, c} {
		own, _ := got[0].IDs.Split(src)
		if own.IsZero() {
			t.Errorf("source %d gets no ack", src)
		}
	}
	if !got[0].IDs.Equal(batch) {
		t.Errorf("acked %s, want %s", got[0].IDs, batch)
	}
}

func TestAnswerOfUntrackedPassesThrough(t *testing.T) {
	tr := New()
	tr.Hold(event.Of(rng(1, 5, 9)))
	tr.Owe(event.Of(rng(1, 5, 9)))
	tr.Release(event.Of(rng(1, 5, 9)), 1)
	u := tr.Answer(event.Of(rng(1, 0, 12), rng(2, 1, 1)), false, "", 1)
	if u.String() != "1:0:0-4,1:0:10-12,2:0:1" {
		t.Errorf("untracked %s", u)
	}
	expect(t, tr, "ack 1:0:5-9 @1")
	if tr.Tracked(event.Of(rng(1, 0, 100))) {
		t.Error("still tracked")
	}
}

func TestMarkFailed(t *testing.T) {
	tr := New()
	ev := event.One(1, 0, 3)
	tr.Hold(ev)
	tr.MarkFailed(ev, "operator error")
	tr.Release(ev, 0)
	expect(t, tr, "fail 1:0:3 @0 (operator error)")
}

func TestSingleEventsCoalesce(t *testing.T) {
	tr := New()
	for seq := uint64(0); seq < 1000; seq++ {
		ev := event.One(9, 0, seq)
		tr.Hold(ev)
		tr.Owe(ev)
		tr.Release(ev, 0)
	}
	if tr.Len() != 1 {
		t.Fatalf("1,000 events owed the same are %d runs", tr.Len())
	}
	tr.Answer(event.Of(rng(9, 0, 999)), false, "", 0)
	expect(t, tr, "ack 9:0:0-999 @0")
}

func TestAllocationsPerBatch(t *testing.T) {
	tr := New()
	b := event.Of(rng(1, 0, 999))
	var buf [4]Outcome
	tr.Hold(b) // warm up the map and slices
	tr.Release(b, 1)
	tr.Take(buf[:0])
	n := testing.AllocsPerRun(200, func() {
		tr.Hold(b)
		tr.Owe(b)
		tr.Release(b, 1)
		tr.Answer(b, false, "", 1)
		if len(tr.Take(buf[:0])) != 1 {
			panic("no outcome")
		}
	})
	if n > 1 {
		t.Errorf("%v allocations per batch", n)
	}
}

// TestTrackerMatchesModel runs random operations against a model that
// counts per event ID.
func TestTrackerMatchesModel(t *testing.T) {
	type st struct {
		pending int
		failed  bool
		reason  string
	}
	rapid.Check(t, func(rt *rapid.T) {
		tr := New()
		model := map[[3]uint64]*st{}
		genIDs := func() event.IDs {
			var ids event.IDs
			for range rapid.IntRange(1, 3).Draw(rt, "ranges") {
				src := event.SourceID(rapid.IntRange(1, 2).Draw(rt, "src"))
				start := rapid.Uint64Range(0, 20).Draw(rt, "start")
				end := start + rapid.Uint64Range(0, 6).Draw(rt, "len")
				ids.Add(event.Range{Source: src, Stream: rapid.Uint64Range(0, 1).Draw(rt, "stream"), Start: start, End: end})
			}
			return ids.Normalized()
		}
		seqs := func(ids event.IDs) [][3]uint64 {
			var out [][3]uint64
			for i := range ids.Len() {
				r := ids.At(i)
				for s := r.Start; s <= r.End; s++ {
					out = append(out, [3]uint64{uint64(r.Source), r.Stream, s})
				}
			}
			return out
		}
		for range rapid.IntRange(1, 40).Draw(rt, "ops") {
			ids := genIDs()
			var wantDone []string
			from := rapid.IntRange(0, 3).Draw(rt, "from")
			finish := func(k [3]uint64, m *st) {
				if m.pending <= 0 {
					wantDone = append(wantDone, fmt.Sprintf("%v %v %q %d", k, m.failed, m.reason, from))
					delete(model, k)
				}
			}
			var wantUntracked []string
			switch rapid.IntRange(0, 4).Draw(rt, "op") {
			case 0:
				tr.Hold(ids)
				for _, k := range seqs(ids) {
					if m := model[k]; m != nil {
						m.pending++
					} else {
						model[k] = &st{pending: 1}
					}
				}
			case 1:
				tr.Owe(ids)
				for _, k := range seqs(ids) {
					if m := model[k]; m != nil {
						m.pending++
					}
				}
			case 2:
				tr.Release(ids, from)
				for _, k := range seqs(ids) {
					if m := model[k]; m != nil {
						m.pending--
						finish(k, m)
					}
				}
			case 3:
				fail := rapid.Bool().Draw(rt, "fail")
				reason := rapid.SampledFrom([]string{"a", "b"}).Draw(rt, "reason")
				u := tr.Answer(ids, fail, reason, from)
				for _, k := range seqs(u) {
					wantUntracked = append(wantUntracked, fmt.Sprint(k))
				}
				var got []string
				for _, k := range seqs(ids) {
					m := model[k]
					if m == nil {
						got = append(got, fmt.Sprint(k))
						continue
					}
					m.pending--
					if fail && !m.failed {
						m.failed, m.reason = true, reason
					}
					finish(k, m)
				}
				if fmt.Sprint(got) != fmt.Sprint(wantUntracked) {
					rt.Fatalf("untracked %v, model %v", wantUntracked, got)
				}
			case 4:
				tr.MarkFailed(ids, "m")
				for _, k := range seqs(ids) {
					if m := model[k]; m != nil && !m.failed {
						m.failed, m.reason = true, "m"
					}
				}
			}
			var gotDone []string
			for _, o := range tr.Take(nil) {
				for _, k := range seqs(o.IDs) {
					gotDone = append(gotDone, fmt.Sprintf("%v %v %q %d", k, o.Fail, o.Reason, o.From))
				}
			}
			sort.Strings(gotDone)
			sort.Strings(wantDone)
			if fmt.Sprint(gotDone) != fmt.Sprint(wantDone) {
				rt.Fatalf("completed\n%v\nmodel\n%v", gotDone, wantDone)
			}
			n := 0
			for _, es := range tr.streams {
				for j, e := range es {
					if e.pending <= 0 || e.end < e.start || (j > 0 && es[j-1].end >= e.start) {
						rt.Fatalf("bad runs %+v", es)
					}
					n += int(e.end - e.start + 1)
				}
			}
			if n != len(model) {
				rt.Fatalf("tracker holds %d IDs, model %d", n, len(model))
			}
		}
	})
}
