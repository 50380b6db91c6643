package sdk

import "sort"

// pending is one Input whose frames await answers.
type pending struct {
	acks        Acks
	first, last uint64 // sequence numbers of its first and last events
	frames      []frameState
	open        int // frames not reported yet
}

type frameState struct {
	first    uint64
	n        uint32 // events made from it
	left     uint32 // answers still owed: n × the pipelines they went to
	failed   bool
	reason   string
	reported bool
}

// track starts waiting for the answers of the events made from an input,
// each sent to targets pipelines; frames that made no event (or whose
// events go nowhere) are acked at once.
func (r *SourceRunner) track(acks Acks, spans []span, targets int) {
	p := &pending{acks: acks, frames: make([]frameState, len(spans)), open: len(spans)}
	p.first = ^uint64(0)
	for i, s := range spans {
		p.frames[i] = frameState{first: s.first, n: s.n, left: s.n * uint32(targets)}
		if s.n > 0 && targets > 0 {
			p.first = min(p.first, s.first)
			p.last = max(p.last, s.first+uint64(s.n)-1)
		}
	}
	r.bookMu.Lock()
	if p.first != ^uint64(0) {
		i := sort.Search(len(r.book), func(i int) bool { return r.book[i].first > p.first })
		r.book = append(r.book, nil)
		copy(r.book[i+1:], r.book[i:])
		r.book[i] = p
	}
	reports := p.reportLocked(nil)
	r.bookMu.Unlock()
	deliver(p.acks, reports)
}

// report is one Ack or Fail call to make outside the lock.
type report struct {
	from, to int
	fail     bool
	reason   string
}

// reportLocked collects the runs of frames answered and not reported yet.
func (p *pending) reportLocked(out []report) []report {
	for i := 0; i < len(p.frames); {
		f := &p.frames[i]
		if f.reported || f.left > 0 {
			i++
			continue
		}
		j := i
		for j < len(p.frames) && !p.frames[j].reported && p.frames[j].left == 0 &&
			p.frames[j].failed == f.failed && p.frames[j].reason == f.reason {
			p.frames[j].reported = true
			j++
		}
		out = append(out, report{from: i, to: j, fail: f.failed, reason: f.reason})
		p.open -= j - i
		i = j
	}
	return out
}

func deliver(acks Acks, rs []report) {
	for _, rp := range rs {
		if rp.fail {
			acks.Fail(rp.from, rp.to, rp.reason)
		} else {
			acks.Ack(rp.from, rp.to)
		}
	}
}

// answer counts an ack or fail of the events start..end.
func (r *SourceRunner) answer(start, end uint64, fail bool, reason string) {
	type call struct {
		acks Acks
		rs   []report
	}
	var calls []call
	r.bookMu.Lock()
	// Inputs are sorted by their first sequence; one may start before
	// start and still cover it.
	i := sort.Search(len(r.book), func(i int) bool { return r.book[i].first > end })
	for j := i - 1; j >= 0; j-- {
		p := r.book[j]
		touched := false
		for k := range p.frames {
			f := &p.frames[k]
			if f.n == 0 || f.left == 0 {
				continue
			}
			lo, hi := max(f.first, start), min(f.first+uint64(f.n)-1, end)
			if lo > hi {
				continue
			}
			f.left -= min(f.left, uint32(hi-lo+1))
			if fail && !f.failed {
				f.failed, f.reason = true, reason
			}
			touched = true
		}
		if touched {
			if rs := p.reportLocked(nil); len(rs) > 0 {
				calls = append(calls, call{p.acks, rs})
			}
			if p.open == 0 {
				r.book = append(r.book[:j], r.book[j+1:]...)
			}
		}
		if p.last < start {
			break // the inputs further back end before start too
		}
	}
	r.bookMu.Unlock()
	for _, c := range calls {
		deliver(c.acks, c.rs)
	}
}

// failPending fails every frame still owed an answer (the onramp stops).
func (r *SourceRunner) failPending(reason string) {
	r.bookMu.Lock()
	book := r.book
	r.book = nil
	var calls [][]report
	for _, p := range book {
		for k := range p.frames {
			f := &p.frames[k]
			if !f.reported && f.left > 0 {
				f.left, f.failed, f.reason = 0, true, reason
			}
		}
		calls = append(calls, p.reportLocked(nil))
	}
	r.bookMu.Unlock()
	for i, p := range book {
		deliver(p.acks, calls[i])
	}
}
