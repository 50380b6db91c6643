package wal

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// walModel is what the log must hold, kept by the test alone: every record
// appended (and committed), every ack issued, and the acks issued since
// the last open (out-of-order acks above the watermark are not persisted,
// so an open forgets them: duplicates, never loss).
//
// A crash inside an operation copies the model from the goroutine that did
// the file system operation, so the model changes under mu, and changes
// only in the safe direction before the log can act on them: an ack is
// recorded before it is issued, a record once its commit completed (until
// then it is in flight: it may or may not survive a crash).
type walModel struct {
	mu        sync.Mutex
	records   map[uint64][]byte
	acked     map[uint64]bool
	ackedHere map[uint64]bool
	top       uint64   // highest seq of a record
	inflight  bool     // an append whose commit has not completed
	pending   [][]byte // its payloads
}

func newWALModel() *walModel {
	return &walModel{records: map[uint64][]byte{}, acked: map[uint64]bool{}, ackedHere: map[uint64]bool{}}
}

// snapshot copies the model (the caller holds no lock of m's).
func (m *walModel) snapshot() *walModel {
	m.mu.Lock()
	defer m.mu.Unlock()
	return &walModel{records: maps.Clone(m.records), acked: maps.Clone(m.acked), ackedHere: maps.Clone(m.ackedHere),
		top: m.top, inflight: m.inflight, pending: m.pending}
}

// adoptInFlight: the records of the append in flight when the log crashed
// may have been stored (written, or even fsynced, before its commit
// completed). Those the reopened log holds, a first part of them with
// consecutive seqs above every record and their exact bytes, are records
// now; anything else unknown is left for check to report.
func (m *walModel) adoptInFlight(rt *rapid.T, l *Log, where string) {
	if !m.inflight {
		return
	}
	m.inflight = false
	recs, err := l.Read(0, 1<<20)
	if err != nil {
		rt.Fatalf("%s: read: %v", where, err)
	}
	k := 0
	for _, r := range recs {
		if _, ok := m.records[r.Seq]; ok || r.Seq <= m.top || k == len(m.pending) || !bytes.Equal(r.Data, m.pending[k]) {
			continue
		}
		m.records[r.Seq] = r.Data
		m.top = r.Seq
		k++
	}
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
		m.mu.Lock()
		for s := range m.acked {
			if s > st.Acked {
				delete(m.acked, s)
			}
		}
		m.mu.Unlock()
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
	// The caps count what is unacked: records and framed bytes.
	var size uint64
	for _, s := range want {
		size += uint64(recHeaderSize + len(m.records[s]))
	}
	if st.Records != uint64(len(want)) || st.Bytes != size {
		rt.Fatalf("%s: the log counts %d records, %d bytes unacked; the model %d, %d", where, st.Records, st.Bytes, len(want), size)
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
	m := newWALModel()
	open := func(what string) {
		if l, err = Open("/w", opts); err != nil {
			rt.Fatalf("%s: %v", what, err)
		}
		if reopen != nil {
			reopen(l)
		}
		m.mu.Lock()
		m.ackedHere = map[uint64]bool{}
		m.mu.Unlock()
	}
	// A crash image a power loss may leave holds every committed record
	// only under SyncAlways; a process kill keeps what reached the OS.
	drawMode := func(label string) crashMode {
		if pol != SyncAlways {
			return crashProcessKill
		}
		return crashMode(rapid.IntRange(0, int(numCrashModes)-1).Draw(rt, label))
	}
	crashTo := func(img *memFS, snap *walModel, where string) {
		_ = l.Close()
		fs = img
		opts.FS = fs
		m = snap
		open(where)
		noLoss(rt, l, where)
		m.adoptInFlight(rt, l, where)
		m.check(rt, l, where, false)
	}
	// inside is a crash armed to happen at a file system operation inside
	// the steps that follow, by whichever goroutine does it (appender,
	// writer, preallocator, recovery).
	var inside *opCrash
	var b Batch
	steps := rapid.IntRange(1, 60).Draw(rt, "steps")
	for i := 0; i < steps; i++ {
		if inside != nil && (inside.taken() || i >= inside.by) {
			img, snap := inside.take(fs, m)
			crashTo(img, snap, fmt.Sprintf("crash inside an operation (%s)", inside.mode))
			inside = nil
		}
		switch rapid.IntRange(0, 11).Draw(rt, "op") {
		case 0, 1, 2, 3:
			// One to eight records: a batch is one write, which may
			// span a segment rotation.
			ps := rapid.SliceOfN(rapid.SliceOfN(rapid.Byte(), 0, 60), 1, 8).Draw(rt, "payloads")
			m.mu.Lock()
			m.inflight, m.pending = true, ps
			m.mu.Unlock()
			var first, last uint64
			var c *Commit
			var err error
			if rapid.Bool().Draw(rt, "batch_api") {
				b.Reset()
				for _, p := range ps {
					if len(p)%2 == 0 {
						b.Add(p)
					} else {
						b.Done(append(b.Next(), p...))
					}
				}
				var n int
				n, first, last, c, err = l.AppendBatch(&b)
				if err == nil && n != len(ps) {
					rt.Fatalf("AppendBatch appended %d of %d records, and no error", n, len(ps))
				}
			} else {
				first, last, c, err = l.Append(ps...)
			}
			if err != nil {
				rt.Fatalf("append: %v", err)
			}
			if last-first+1 != uint64(len(ps)) {
				rt.Fatalf("append of %d records got seqs %d..%d", len(ps), first, last)
			}
			if first <= m.top {
				rt.Fatalf("append got seq %d again (records up to %d exist)", first, m.top)
			}
			if err := c.Wait(context.Background()); err != nil {
				rt.Fatal(err)
			}
			m.mu.Lock()
			for k, p := range ps {
				m.records[first+uint64(k)] = append([]byte(nil), p...)
			}
			m.top, m.inflight = last, false
			m.mu.Unlock()
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
				if rapid.Bool().Draw(rt, "ack_range") {
					// A range from an unacked record (or from the
					// watermark's next seq), over records acked or not.
					if rapid.Bool().Draw(rt, "from_watermark") {
						s = l.Stats().Acked + 1
					}
					to := s + uint64(rapid.IntRange(0, 6).Draw(rt, "ack_len"))
					m.mu.Lock()
					for q := s; q <= to; q++ {
						if _, ok := m.records[q]; ok {
							m.acked[q], m.ackedHere[q] = true, true
						}
					}
					m.mu.Unlock()
					_ = l.AckRange(s, to)
				} else {
					m.mu.Lock()
					m.acked[s], m.ackedHere[s] = true, true
					m.mu.Unlock()
					_ = l.Ack(s)
				}
			}
		case 6:
			m.check(rt, l, "read", false)
		case 7:
			_ = l.Close()
			open("reopen")
			noLoss(rt, l, "reopen")
			m.check(rt, l, "reopen", true)
		case 8, 9:
			// Crash between steps.
			if inside != nil {
				inside.disarm(fs)
				inside = nil
			}
			mode := drawMode("mode")
			crashTo(fs.crashImage(mode), m.snapshot(), fmt.Sprintf("crash (%s)", mode))
		case 10, 11:
			if inside == nil {
				inside = armCrash(fs, drawMode("inside_mode"), rapid.IntRange(1, 16).Draw(rt, "inside_op"), m)
				inside.by = i + 1 + rapid.IntRange(1, 4).Draw(rt, "inside_steps")
			}
		}
	}
	if inside != nil {
		inside.disarm(fs)
	}
	m.check(rt, l, "end", false)
}

// noLoss: a crash costs no committed record (the images a crash can leave
// under the policy are the only ones drawn), so recovery must not report
// one lost either: that would be a false alarm.
func noLoss(rt *rapid.T, l *Log, where string) {
	if r := l.Recovery(); r.LostRecords > 0 {
		rt.Fatalf("%s: recovery reports %d records lost, none was: %v", where, r.LostRecords, r.Losses)
	}
}

// opCrash is a crash image taken at a chosen file system operation, with
// the model as it was at that operation.
type opCrash struct {
	mode crashMode
	done chan struct{}
	img  *memFS
	snap *walModel
	by   int // the step by which it is taken (between steps if no operation came)
}

// armCrash arms fs to take the image of mode after its n-th operation
// from now. The hook runs with fs locked (nothing else changes it), so
// the model it copies is the model at that operation.
func armCrash(fs *memFS, mode crashMode, n int, m *walModel) *opCrash {
	c := &opCrash{mode: mode, done: make(chan struct{})}
	fs.lock()
	defer fs.mu.Unlock()
	at := fs.ops + n
	fs.onOp = func(op int) {
		if op != at {
			return
		}
		c.img, c.snap = fs.crashImageLocked(mode), m.snapshot()
		fs.onOp = nil
		close(c.done)
	}
	return c
}

func (c *opCrash) taken() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *opCrash) disarm(fs *memFS) {
	fs.lock()
	fs.onOp = nil
	fs.mu.Unlock()
}

// take disarms c and returns its image, taken now if no operation came.
func (c *opCrash) take(fs *memFS, m *walModel) (*memFS, *walModel) {
	fs.lock()
	defer fs.mu.Unlock()
	fs.onOp = nil
	if c.img == nil {
		c.img, c.snap = fs.crashImageLocked(c.mode), m.snapshot()
	}
	return c.img, c.snap
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
