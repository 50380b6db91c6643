// Package answer tracks the answers (acks and fails) that transactional
// events are owed while they travel a pipeline, by ID range: which IDs are
// owed how many answers, whether any was a fail, and — once none is owed
// any more — what to tell upstream.
//
// An event is held while it is routed, owed one answer per output it was
// sent to and one per operator that answers for what it accepts (the WAL);
// an operator that keeps events to emit them later inside another event (a
// batch, a window) keeps its hold until that event carries their IDs on.
// When every answer is in, the IDs are acked upstream if all were acks and
// failed if any was a fail; IDs that reached nothing that answers are
// acked as soon as their routing ends.
//
// Answers name ranges, so acking a batch of 1,000 consecutive events is
// one operation on one entry, and the outcome is one range. A Tracker is
// used by one goroutine (the pipeline's); it never routes anything itself.
package answer

import (
	"slices"

	"github.com/temblor-dev/temblor/internal/event"
)

// Outcome is what to tell upstream about IDs that are owed nothing more.
type Outcome struct {
	IDs    event.IDs
	Fail   bool
	Reason string // of the first fail
	// From is the position given with the answer that completed the IDs
	// (where a sink's answer entered, the operator that answered, the
	// place whose routing ended): the outcome travels upstream from there.
	From int
}

type key struct {
	src    event.SourceID
	stream uint64
}

// entry is a run of sequence numbers that are owed the same.
type entry struct {
	start, end uint64
	pending    int32
	failed     bool
	reason     string
}

func (e *entry) same(o *entry) bool {
	return e.pending == o.pending && e.failed == o.failed && e.reason == o.reason
}

// Tracker holds what is owed, per source and stream, as sorted runs.
type Tracker struct {
	streams map[key][]entry
	done    []Outcome // completed since the last Take
}

// New returns an empty tracker.
func New() *Tracker { return &Tracker{streams: map[key][]entry{}} }

// op is what an operation does to a run it covers (and to a gap).
type op uint8

const (
	opHold    op = iota // +1; a gap becomes tracked
	opOwe               // +1 on what is tracked
	opRelease           // -1 on what is tracked
	opFail              // -1 and mark failed
	opMark              // mark failed, no count change
)

// Hold takes one hold on every ID in ids (the event is being routed, or
// an operator keeps it); IDs not tracked yet begin to be.
func (t *Tracker) Hold(ids event.IDs) { t.each(ids, opHold, "", 0, nil) }

// Owe counts one more answer owed for the tracked IDs in ids (the event
// was sent to an output, or accepted by an operator that answers). IDs
// not tracked are left alone: nobody waits for their answer here.
func (t *Tracker) Owe(ids event.IDs) { t.each(ids, opOwe, "", 0, nil) }

// Release drops one hold or one owed answer of the tracked IDs in ids,
// as an ack does: the routing ended, an operator passed its hold on, or
// an output or operator will not answer after all. What it completes goes
// upstream from position from.
func (t *Tracker) Release(ids event.IDs, from int) { t.each(ids, opRelease, "", int32(from), nil) }

// Answer counts one answer for ids, given at position from: an ack, or a
// fail (with its reason). It returns the IDs that are not tracked here,
// which the caller passes upstream as they are.
func (t *Tracker) Answer(ids event.IDs, fail bool, reason string, from int) (untracked event.IDs) {
	o := opRelease
	if fail {
		o = opFail
	}
	t.each(ids, o, reason, int32(from), &untracked)
	return untracked
}

// MarkFailed records a fail for the tracked IDs in ids without counting
// an answer: their outcome will be a fail once every answer is in.
func (t *Tracker) MarkFailed(ids event.IDs, reason string) { t.each(ids, opMark, reason, 0, nil) }

// Tracked reports whether any ID in ids is tracked.
func (t *Tracker) Tracked(ids event.IDs) bool {
	for i := range ids.Len() {
		r := ids.At(i)
		es := t.streams[key{r.Source, r.Stream}]
		j := search(es, r.Start)
		if j < len(es) && es[j].start <= r.End {
			return true
		}
	}
	return false
}

// Len is the number of runs tracked (for tests and gauges).
func (t *Tracker) Len() int {
	n := 0
	for _, es := range t.streams {
		n += len(es)
	}
	return n
}

// Take appends the outcomes completed since the last Take to dst and
// returns it; the tracker keeps no reference to dst, so callers may
// track and answer more while they act on it.
func (t *Tracker) Take(dst []Outcome) []Outcome {
	dst = append(dst, t.done...)
	clear(t.done)
	t.done = t.done[:0]
	return dst
}

// search returns the index of the first run that ends at or after seq.
func search(es []entry, seq uint64) int {
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].end < seq {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (t *Tracker) each(ids event.IDs, o op, reason string, from int32, untracked *event.IDs) {
	first := len(t.done)
	for i := range ids.Len() {
		t.apply(ids.At(i), o, reason, from, untracked)
	}
	t.mergeDone(first)
}

// apply runs o over the IDs of r.
func (t *Tracker) apply(r event.Range, o op, reason string, from int32, untracked *event.IDs) {
	k := key{r.Source, r.Stream}
	es := t.streams[k]
	i := search(es, r.Start)
	lo := i
	pos := r.Start
	for {
		if i < len(es) && es[i].start <= pos {
			// A run covers pos: cut it to [pos, r.End] and apply.
			if es[i].start < pos {
				es = slices.Insert(es, i+1, es[i])
				es[i].end, es[i+1].start = pos-1, pos
				i++
			}
			if es[i].end > r.End {
				es = slices.Insert(es, i+1, es[i])
				es[i].end, es[i+1].start = r.End, r.End+1
			}
			e := &es[i]
			switch o {
			case opHold, opOwe:
				e.pending++
			case opRelease:
				e.pending--
			case opFail:
				e.pending--
				fallthrough
			case opMark:
				if !e.failed {
					e.failed, e.reason = true, reason
				}
			}
			end := e.end
			i++
			if end >= r.End {
				break
			}
			pos = end + 1
			continue
		}
		// A gap from pos to the next run or the end of r.
		gapEnd := r.End
		if i < len(es) && es[i].start <= r.End {
			gapEnd = es[i].start - 1
		}
		switch o {
		case opHold:
			es = slices.Insert(es, i, entry{start: pos, end: gapEnd, pending: 1})
			i++
		case opRelease, opFail:
			if untracked != nil {
				untracked.Add(event.Range{Source: r.Source, Stream: r.Stream, Start: pos, End: gapEnd})
			}
		}
		if gapEnd >= r.End {
			break
		}
		pos = gapEnd + 1
	}
	es = t.settle(k, es, max(lo-1, 0), min(i+1, len(es)), from)
	if len(es) == 0 {
		delete(t.streams, k)
	} else {
		t.streams[k] = es
	}
}

// settle completes the runs in es[lo:hi] owed nothing more and merges
// neighbours that are owed the same.
func (t *Tracker) settle(k key, es []entry, lo, hi int, from int32) []entry {
	w := lo
	for j := lo; j < hi; j++ {
		e := es[j]
		if e.pending <= 0 {
			t.complete(k, e, from)
			continue
		}
		if w > lo && es[w-1].end+1 == e.start && es[w-1].same(&e) {
			es[w-1].end = e.end
			continue
		}
		es[w] = e
		w++
	}
	if w == hi {
		return es
	}
	n := copy(es[w:], es[hi:])
	clear(es[w+n:])
	return es[:w+n]
}

// complete records that run e of stream k is owed nothing more.
func (t *Tracker) complete(k key, e entry, from int32) {
	r := event.Range{Source: k.src, Stream: k.stream, Start: e.start, End: e.end}
	t.done = append(t.done, Outcome{IDs: event.Of(r), Fail: e.failed, Reason: e.reason, From: int(from)})
}

// mergeDone joins the outcomes completed by one operation (from index
// first) that say the same thing, so that one answer for many IDs goes
// upstream as one insight.
func (t *Tracker) mergeDone(first int) {
	d := t.done[first:]
	if len(d) < 2 {
		return
	}
	w := 0
	for _, o := range d {
		merged := false
		for j := 0; j < w; j++ {
			if d[j].Fail == o.Fail && d[j].Reason == o.Reason && d[j].From == o.From {
				d[j].IDs.AddAll(o.IDs)
				merged = true
				break
			}
		}
		if !merged {
			d[w] = o
			w++
		}
	}
	clear(d[w:])
	t.done = t.done[:first+w]
}
