package wal

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// walModel is what the log must hold, kept by the test alone: every record
// appended (and committed), every ack issued, and the acks issued since
// the last open (out-of-order acks above the watermark are not persisted,
// so an open forgets them: duplicates, never loss).
type walModel struct {
	records   map[uint64][]byte
	acked     map[uint64]bool
	ackedHere map[uint64]bool
}

// watermark is the model's own: the last record of the contiguously
// acked prefix of records (0 if none).
func (m *walModel) watermark() uint64 {
	var seqs []uint64
	for s := range m.records {
		seqs = append(seqs, s)
	}
	slices.Sort(seqs)
	var w uint64
	for _, s := range seqs {
		if !m.acked[s] {
			break
		}
		w = s
	}
	return w
}

// check compares the log with the model. The log's watermark may pass
// sequence numbers that hold no record, never a record that was not acked;
// after a clean reopen it covers every contiguously acked record (after a
// crash it may lag: the cursor is persisted in batches); and Read returns
// exactly the records above it that were not acked since the last open.
func (m *walModel) check(rt *rapid.T, l *Log, where string, clean bool) {
	st := l.Stats()
	var last uint64
	for s := range m.records {
		last = max(last, s)
		if s <= st.Acked && !m.acked[s] {
			rt.Fatalf("%s: the log's watermark %d covers record %d, which was never acked", where, st.Acked, s)
		}
	}
	if st.Last < last {
		rt.Fatalf("%s: last %d, but record %d was appended", where, st.Last, last)
	}
	if w := m.watermark(); clean && st.Acked < w {
		rt.Fatalf("%s: watermark %d after a clean reopen, the model's is %d", where, st.Acked, w)
	}
	if where != "read" && where != "end" {
		// An open forgets acks above the watermark (out of order, or not
		// persisted before a crash): those records are delivered again.
		for s := range m.acked {
			if s > st.Acked {
				delete(m.acked, s)
			}
		}
	}
	recs, err := l.Read(0, 1<<20)
	if err != nil {
		rt.Fatalf("%s: read: %v", where, err)
	}
	var want []uint64
	for s := range m.records {
		if s > st.Acked && !m.ackedHere[s] {
			want = append(want, s)
		}
	}
	slices.Sort(want)
	if len(recs) != len(want) {
		rt.Fatalf("%s: read %d records, the model has %d unacked above watermark %d", where, len(recs), len(want), st.Acked)
	}
	for i, r := range recs {
		if r.Seq != want[i] || !bytes.Equal(r.Data, m.records[r.Seq]) {
			rt.Fatalf("%s: record %d = seq %d, want %d", where, i, r.Seq, want[i])
		}
	}
}

// TestProperty drives random append/ack/read/close/reopen/crash sequences
// against a model, for every sync policy, with tiny segments.
func TestProperty(t *testing.T) {
	for _, pol := range policies {
		t.Run(pol.String(), func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) { propertyRun(rt, pol, nil) })
		})
	}
}

// propertyRun is one random run; reopen, if set, is called on each log
// just opened again (a test injects a bug there).
func propertyRun(rt *rapid.T, pol SyncPolicy, reopen func(*Log)) {
	fs := newMemFS()
	opts := Options{SegmentSize: 128 + int64(rapid.IntRange(0, 256).Draw(rt, "seg")), Sync: pol, Logger: quiet, FS: fs, CursorInterval: 1}
	l, err := Open("/w", opts)
	if err != nil {
		rt.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	m := &walModel{records: map[uint64][]byte{}, acked: map[uint64]bool{}, ackedHere: map[uint64]bool{}}
	open := func(what string) {
		if l, err = Open("/w", opts); err != nil {
			rt.Fatalf("%s: %v", what, err)
		}
		if reopen != nil {
			reopen(l)
		}
		m.ackedHere = map[uint64]bool{}
	}
	steps := rapid.IntRange(1, 60).Draw(rt, "steps")
	for i := 0; i < steps; i++ {
		switch rapid.IntRange(0, 9).Draw(rt, "op") {
		case 0, 1, 2, 3:
			p := rapid.SliceOfN(rapid.Byte(), 0, 60).Draw(rt, "payload")
			_, seq, c, err := l.Append(p)
			if err != nil {
				rt.Fatalf("append: %v", err)
			}
			if err := c.Wait(context.Background()); err != nil {
				rt.Fatal(err)
			}
			m.records[seq] = append([]byte(nil), p...)
		case 4, 5:
			var open []uint64
			for s := range m.records {
				if !m.acked[s] {
					open = append(open, s)
				}
			}
			if len(open) > 0 {
				slices.Sort(open)
				s := open[rapid.IntRange(0, len(open)-1).Draw(rt, "ack")]
				_ = l.Ack(s)
				m.acked[s], m.ackedHere[s] = true, true
			}
		case 6:
			m.check(rt, l, "read", false)
		case 7:
			_ = l.Close()
			open("reopen")
			m.check(rt, l, "reopen", true)
		case 8, 9:
			// Crash: a process kill keeps what reached the OS; under
			// SyncAlways a power loss keeps it too.
			mode := crashProcessKill
			if pol == SyncAlways && rapid.Bool().Draw(rt, "powerloss") {
				mode = crashPowerLoss
			}
			img := fs.crashImage(mode)
			_ = l.Close()
			fs = img
			opts.FS = fs
			open(fmt.Sprintf("reopen after %s", mode))
			m.check(rt, l, fmt.Sprintf("crash (%s)", mode), false)
		}
	}
	m.check(rt, l, "end", false)
}

// TestPropertyCatchesASilentAck: the property must fail for a log that
// marks one unacked record acked at each reopen (the model owns the
// watermark: it does not take the log's word for it).
func TestPropertyCatchesASilentAck(t *testing.T) {
	for name, v := range map[string]string{"rapid.nofailfile": "true", "rapid.shrinktime": "200ms"} {
		if f := flag.Lookup(name); f != nil {
			old := f.Value.String()
			_ = f.Value.Set(v)
			defer func() { _ = f.Value.Set(old) }()
		}
	}
	rec := &recorder{T: t}
	rapid.Check(rec, func(rt *rapid.T) {
		propertyRun(rt, SyncAlways, func(l *Log) {
			if st := l.Stats(); st.Records > 0 {
				_ = l.Ack(st.Acked + 1) // the injected bug
			}
		})
	})
	if !rec.failed {
		t.Fatal("a log that silently acks a record at each reopen passed the property")
	}
	t.Logf("the injected silent ack was caught: %s", rec.msg)
}

// recorder is a rapid.TB that records a failure instead of failing.
type recorder struct {
	*testing.T
	failed bool
	msg    string
}

func (r *recorder) Errorf(f string, a ...any) {
	if !r.failed {
		r.msg = fmt.Sprintf(f, a...)
		if i := strings.IndexByte(r.msg, '\n'); i > 0 {
			r.msg = r.msg[:i]
		}
	}
	r.failed = true
}
func (r *recorder) Error(a ...any)            { r.Errorf("%s", fmt.Sprint(a...)) }
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...) }
func (r *recorder) Fatal(a ...any)            { r.Error(a...) }
func (r *recorder) FailNow()                  { r.failed = true }
func (r *recorder) Fail()                     { r.failed = true }
func (r *recorder) Failed() bool              { return r.failed }
func (r *recorder) Logf(string, ...any)       {}
func (r *recorder) Log(...any)                {}
