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
	l := New(50*time.Millisecond, s.add)
	logged := 0
	for i := 0; i < 20000; i++ {
		if ok, _ := l.Allow(); ok {
			logged++
		}
	}
	if logged != 1 {
		t.Fatalf("%d lines logged in full for a burst, want 1", logged)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if sups, _ := s.get(); len(sups) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no summary after the interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
	sups, tots := s.get()
	if sups[0] != 19999 || tots[0] != 20000 {
		t.Fatalf("summary says %d suppressed of %d, want 19999 of 20000", sups[0], tots[0])
	}
	// After a quiet interval a new occurrence is logged in full again.
	time.Sleep(120 * time.Millisecond)
	if ok, total := l.Allow(); !ok || total != 20001 {
		t.Fatalf("after a quiet interval: logged %v, total %d; want a full line, total 20001", ok, total)
	}
	l.Stop()
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
