package lograte

import (
	"sync"
	"testing"
	"time"
)

type summaries struct {
	mu   sync.Mutex
	sups []uint64
	tots []uint64
}

func (s *summaries) add(sup, total uint64) {
	s.mu.Lock()
	s.sups = append(s.sups, sup)
	s.tots = append(s.tots, total)
	s.mu.Unlock()
}

func (s *summaries) get() ([]uint64, []uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint64(nil), s.sups...), append([]uint64(nil), s.tots...)
}

// A burst of 20,000 occurrences logs one line in full and one summary that
// accounts for every other occurrence.
func TestBurstLogsOnceAndCountsTheRest(t *testing.T) {
	var s summaries
	l := New(time.Hour, s.add)
	logged := 0
	for i := 0; i < 20000; i++ {
		if ok, _ := l.Allow(); ok {
			logged++
		}
	}
	if logged != 1 {
		t.Fatalf("%d lines logged in full for a burst, want 1", logged)
	}
	l.Stop()
	sups, tots := s.get()
	if len(sups) != 1 || sups[0] != 19999 || tots[0] != 20000 {
		t.Fatalf("summaries %v (totals %v), want one of 19999 suppressed of 20000", sups, tots)
	}
}

// The summary comes by itself when the interval ends (no Stop needed), the
// counts add up whatever the timing, and after a quiet interval an
// occurrence is logged in full again.
func TestSummaryComesWhenTheIntervalEnds(t *testing.T) {
	var s summaries
	l := New(20*time.Millisecond, s.add)
	defer l.Stop()
	logged := uint64(0)
	for i := 0; i < 1000; i++ {
		if ok, _ := l.Allow(); ok {
			logged++
		}
	}
	sum := func() uint64 {
		sups, _ := s.get()
		var n uint64
		for _, x := range sups {
			n += x
		}
		return n
	}
	deadline := time.Now().Add(20 * time.Second)
	for logged+sum() != 1000 {
		if time.Now().After(deadline) {
			t.Fatalf("%d logged in full + %d in summaries, want 1000 accounted for", logged, sum())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Quiet for longer than the interval since the last summary: the next
	// occurrence is logged in full.
	time.Sleep(50 * time.Millisecond)
	if ok, total := l.Allow(); !ok || total != 1001 {
		t.Fatalf("after a quiet interval: logged in full %v, total %d; want true, 1001", ok, total)
	}
}

// Stop reports what is pending at once and writes nothing later.
func TestStopFlushesPending(t *testing.T) {
	var s summaries
	l := New(time.Hour, s.add)
	l.Allow()
	l.Allow()
	l.Allow()
	l.Stop()
	sups, tots := s.get()
	if len(sups) != 1 || sups[0] != 2 || tots[0] != 3 {
		t.Fatalf("after Stop: summaries %v totals %v, want one of 2 (total 3)", sups, tots)
	}
	if l.Total() != 3 {
		t.Fatalf("Total %d, want 3", l.Total())
	}
}
