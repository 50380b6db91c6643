// Package lograte keeps repetitive log lines from flooding a log: of a run
// of similar lines (one per undecodable message, say) the first is written
// at once and then at most one line per interval, while the occurrences in
// between are counted and reported in a summary line when the interval
// ends. It never drops a count, and it never logs by itself beyond the
// summary callback it is given.
package lograte

import (
	"sync"
	"time"
)

// Limiter rate-limits one kind of log line. Safe for concurrent use.
type Limiter struct {
	every   time.Duration
	summary func(suppressed, total uint64)

	mu      sync.Mutex
	next    time.Time // before it, occurrences are counted, not logged
	pending uint64    // occurrences since the last line
	total   uint64
	timer   *time.Timer
	stopped bool
}

// New returns a limiter that lets one line through per every; summary is
// called (from a timer goroutine, or from Stop) with the number of
// occurrences that were counted but not logged since the last line, and
// the total so far.
func New(every time.Duration, summary func(suppressed, total uint64)) *Limiter {
	return &Limiter{every: every, summary: summary}
}

// Allow counts one occurrence and reports whether the caller should log it
// in full now; total is the number of occurrences so far, this one
// included.
func (l *Limiter) Allow() (ok bool, total uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	now := time.Now()
	if l.pending == 0 && !now.Before(l.next) {
		l.next = now.Add(l.every)
		return true, l.total
	}
	l.pending++
	if l.timer == nil && !l.stopped {
		l.timer = time.AfterFunc(l.next.Sub(now), l.flush)
	}
	return false, l.total
}

// Total is the number of occurrences so far.
func (l *Limiter) Total() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

func (l *Limiter) flush() {
	l.mu.Lock()
	n, total := l.pending, l.total
	l.pending, l.timer = 0, nil
	l.next = time.Now().Add(l.every)
	l.mu.Unlock()
	if n > 0 {
		l.summary(n, total)
	}
}

// Stop reports the pending count at once (if any) and stops the timer;
// later occurrences are reported only by Allow's answer.
func (l *Limiter) Stop() {
	l.mu.Lock()
	l.stopped = true
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	n, total := l.pending, l.total
	l.pending = 0
	l.mu.Unlock()
	if n > 0 {
		l.summary(n, total)
	}
}
