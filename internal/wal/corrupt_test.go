package wal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// recLoc is where a record lies in a clean WAL image.
type recLoc struct {
	seg       int // index into walImage.segs
	off, size int64
}

// walImage is a closed, clean WAL on disk and where each record is.
type walImage struct {
	dir   string
	segs  []string // segment paths, oldest first
	recs  map[uint64]recLoc
	last  uint64
	acked uint64
}

// buildWAL writes n records (payload(i)) into dir with policy pol and
// segments of segSize, acks the first acked, closes, and maps the records.
func buildWAL(t testing.TB, dir string, pol SyncPolicy, n int, acked uint64, segSize int64) *walImage {
	t.Helper()
	l := mustOpen(t, dir, Options{SegmentSize: segSize, Sync: pol, SyncInterval: time.Millisecond})
	var c *Commit
	for i := 1; i <= n; i++ {
		var err error
		if _, _, c, err = l.Append(payload(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if acked > 0 {
		_ = l.AckThrough(acked)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	img := &walImage{dir: dir, recs: map[uint64]recLoc{}, last: uint64(n), acked: acked}
	names, _ := osFS{}.List(dir)
	for _, nm := range names {
		if _, ok := parseSegName(nm); ok {
			img.segs = append(img.segs, filepath.Join(dir, nm))
		}
	}
	for i, p := range img.segs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(segHeaderSize); ; {
			seq, _, size, err := DecodeRecord(b[off:])
			if err != nil {
				break
			}
			img.recs[seq] = recLoc{seg: i, off: off, size: int64(size)}
			off += int64(size)
		}
	}
	for s := acked + 1; s <= uint64(n); s++ {
		if _, ok := img.recs[s]; !ok {
			t.Fatalf("record %d not found in the clean image", s)
		}
	}
	return img
}

// seqsIn lists the records of segment i, in order.
func (w *walImage) seqsIn(i int) []uint64 {
	var out []uint64
	for s, r := range w.recs {
		if r.seg == i {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// unacked keeps the seqs above the acked watermark.
func (w *walImage) unacked(seqs []uint64) []uint64 {
	var out []uint64
	for _, s := range seqs {
		if s > w.acked {
			out = append(out, s)
		}
	}
	return out
}

func patchFile(t testing.TB, path string, fn func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, fn(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

func flipAt(t testing.TB, path string, off int64, mask byte) {
	t.Helper()
	patchFile(t, path, func(b []byte) []byte { b[off] ^= mask; return b })
}

// corruptionCase damages a clean image and says exactly which undelivered
// records that costs.
type corruptionCase struct {
	name   string
	damage func(t *testing.T, w *walImage) (lost []uint64)
	// finding: the damage must be reported (every case but "clean").
	finding bool
}

// matrixSegSize holds ~300 records of ~50 bytes: the 1,000 records of the
// matrix fill four segments, enough for an oldest, middles and a newest.
const matrixSegSize = 16 << 10

func corruptionCases() []corruptionCase {
	mid := 1 // a middle segment
	recIn := func(w *walImage, seg, k int) (uint64, recLoc) {
		s := w.seqsIn(seg)[k]
		return s, w.recs[s]
	}
	newest := func(w *walImage) int { return len(w.segs) - 1 }
	return []corruptionCase{
		{"clean", func(*testing.T, *walImage) []uint64 { return nil }, false},
		{"bit flip in a record's length", func(t *testing.T, w *walImage) []uint64 {
			s, r := recIn(w, mid, 40)
			flipAt(t, w.segs[mid], r.off+1, 0x04)
			return []uint64{s}
		}, true},
		{"bit flip in a record's payload", func(t *testing.T, w *walImage) []uint64 {
			s, r := recIn(w, mid, 41)
			flipAt(t, w.segs[mid], r.off+recHeaderSize+(r.size-recHeaderSize)/2, 0x10)
			return []uint64{s}
		}, true},
		{"bit flip in a record's checksum", func(t *testing.T, w *walImage) []uint64 {
			s, r := recIn(w, mid, 42)
			flipAt(t, w.segs[mid], r.off+5, 0x80)
			return []uint64{s}
		}, true},
		{"bit flip in a record's sequence number", func(t *testing.T, w *walImage) []uint64 {
			s, r := recIn(w, mid, 43)
			flipAt(t, w.segs[mid], r.off+9, 0x01)
			return []uint64{s}
		}, true},
		{"bit flip in the newest segment's last record", func(t *testing.T, w *walImage) []uint64 {
			seqs := w.seqsIn(newest(w))
			s := seqs[len(seqs)-1]
			r := w.recs[s]
			flipAt(t, w.segs[newest(w)], r.off+r.size-1, 0x02)
			return []uint64{s}
		}, true},
		{"bit flip in an acked record", func(t *testing.T, w *walImage) []uint64 {
			_, r := recIn(w, 0, 2)
			flipAt(t, w.segs[0], r.off+recHeaderSize, 0x08)
			return nil
		}, true},
		{"bit flip in a middle segment's header", func(t *testing.T, w *walImage) []uint64 {
			flipAt(t, w.segs[mid], 17, 0x01) // the first seq field
			return nil
		}, true},
		{"bit flip in the newest segment's header", func(t *testing.T, w *walImage) []uint64 {
			flipAt(t, w.segs[newest(w)], 3, 0x40) // the magic
			return nil
		}, true},
		{"bit flip in the cursor", func(t *testing.T, w *walImage) []uint64 {
			flipAt(t, filepath.Join(w.dir, "cursor"), 14, 0x01)
			return nil
		}, true},
		{"zeroed 4 KiB page", func(t *testing.T, w *walImage) []uint64 {
			var lost []uint64
			for _, s := range w.seqsIn(mid) {
				if r := w.recs[s]; r.off < 8192 && r.off+r.size > 4096 {
					lost = append(lost, s)
				}
			}
			patchFile(t, w.segs[mid], func(b []byte) []byte { clear(b[4096:8192]); return b })
			return lost
		}, true},
		{"truncated tail", func(t *testing.T, w *walImage) []uint64 {
			seqs := w.seqsIn(newest(w))
			k := len(seqs) / 2
			r := w.recs[seqs[k]]
			if err := os.Truncate(w.segs[newest(w)], r.off+7); err != nil {
				t.Fatal(err)
			}
			return seqs[k:]
		}, true},
		{"truncated middle", func(t *testing.T, w *walImage) []uint64 {
			seqs := w.seqsIn(mid)
			k := len(seqs) / 3
			r := w.recs[seqs[k]]
			if err := os.Truncate(w.segs[mid], r.off+20); err != nil {
				t.Fatal(err)
			}
			return seqs[k:]
		}, true},
		{"0-byte middle segment", func(t *testing.T, w *walImage) []uint64 {
			if err := os.Truncate(w.segs[mid], 0); err != nil {
				t.Fatal(err)
			}
			return w.seqsIn(mid)
		}, true},
		{"missing middle segment", func(t *testing.T, w *walImage) []uint64 {
			if err := os.Remove(w.segs[mid+1]); err != nil {
				t.Fatal(err)
			}
			return w.seqsIn(mid + 1)
		}, true},
		{"missing newest segment", func(t *testing.T, w *walImage) []uint64 {
			if err := os.Remove(w.segs[newest(w)]); err != nil {
				t.Fatal(err)
			}
			return w.seqsIn(newest(w))
		}, true},
		{"missing oldest segment", func(t *testing.T, w *walImage) []uint64 {
			if err := os.Remove(w.segs[0]); err != nil {
				t.Fatal(err)
			}
			return w.unacked(w.seqsIn(0))
		}, true},
		{"garbage appended to the newest segment", func(t *testing.T, w *walImage) []uint64 {
			patchFile(t, w.segs[newest(w)], func(b []byte) []byte { return append(b, []byte("\x17garbage after the end of the file\xff")...) })
			return nil
		}, true},
		{"garbage appended to a middle segment", func(t *testing.T, w *walImage) []uint64 {
			patchFile(t, w.segs[mid], func(b []byte) []byte { return append(b, bytes.Repeat([]byte{0xa5}, 100)...) })
			return nil
		}, true},
	}
}

func copyDir(t testing.TB, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(from)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readBack opens dir, reads every record, and checks that exactly the
// records of the image above its watermark that are not in lost come back,
// with their bytes.
func readBack(t *testing.T, dir string, pol SyncPolicy, w *walImage, lost []uint64) *Log {
	t.Helper()
	l := mustOpen(t, dir, Options{SegmentSize: matrixSegSize, Sync: pol})
	recs := readAll(t, l)
	got := map[uint64]bool{}
	for _, r := range recs {
		if !bytes.Equal(r.Data, payload(int(r.Seq))) {
			l.Close()
			t.Fatalf("record %d returned with wrong bytes", r.Seq)
		}
		got[r.Seq] = true
	}
	var missing []uint64
	for s := w.acked + 1; s <= w.last; s++ {
		if !got[s] {
			missing = append(missing, s)
		}
	}
	if !slices.Equal(missing, lost) {
		l.Close()
		t.Fatalf("records not delivered: %v\nwant exactly: %v", compact(missing), compact(lost))
	}
	return l
}

// compact prints seqs as ranges.
func compact(seqs []uint64) string {
	var parts []string
	for i := 0; i < len(seqs); {
		j := i
		for j+1 < len(seqs) && seqs[j+1] == seqs[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, fmt.Sprint(seqs[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d..%d", seqs[i], seqs[j]))
		}
		i = j + 1
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestCorruptionMatrix damages a clean WAL in each way of the matrix, under
// every sync policy, and checks, with the loss in records asserted exactly:
// the offline report (InspectDir) counts what will be lost; Open keeps every
// record that verifies, delivers exactly the others, reports each loss with
// its segment, byte range and sequence range, and the log goes on; a repair
// of a copy leaves a WAL the check calls healthy that delivers the same
// records; and once everything is acked, a reopen finds nothing.
func TestCorruptionMatrix(t *testing.T) {
	for _, pol := range policies {
		for _, c := range corruptionCases() {
			t.Run(pol.String()+"/"+c.name, func(t *testing.T) {
				root := t.TempDir()
				dir := filepath.Join(root, "w")
				w := buildWAL(t, dir, pol, 1000, 10, matrixSegSize)
				if len(w.segs) < 4 {
					t.Fatalf("want at least 4 segments, got %d", len(w.segs))
				}
				lost := c.damage(t, w)
				slices.Sort(lost)

				// Offline: the report counts the loss before anything changes.
				rep, err := InspectDir(dir, nil)
				if err != nil {
					t.Fatalf("inspect: %v", err)
				}
				if rep.LostRecords != uint64(len(lost)) {
					t.Fatalf("inspect counts %d lost records, want %d: %v", rep.LostRecords, len(lost), rep.Problems)
				}
				if rep.Healthy() == c.finding {
					t.Fatalf("inspect: healthy=%v, want %v: %v", rep.Healthy(), !c.finding, rep.Problems)
				}

				// Repair a copy: healthy afterwards, delivering the same.
				fixed := filepath.Join(root, "fixed")
				copyDir(t, dir, fixed)
				if _, err := RepairDir(fixed, true); err != nil {
					t.Fatalf("repair: %v", err)
				}
				if rep2, err := InspectDir(fixed, nil); err != nil || !rep2.Healthy() {
					t.Fatalf("after repair --apply: %v %v", err, rep2.Problems)
				}
				lf := readBack(t, fixed, pol, w, lost)
				if rr := lf.Recovery(); len(rr.Losses) > 0 {
					t.Errorf("the repaired WAL still reports findings: %v", rr.Losses)
				}
				lf.Close()

				// The engine's view.
				l := readBack(t, dir, pol, w, lost)
				defer l.Close()
				rr := l.Recovery()
				var sum uint64
				for _, x := range rr.Losses {
					sum += x.Records
				}
				if rr.LostRecords != uint64(len(lost)) || sum != rr.LostRecords || l.Stats().LostRecords != rr.LostRecords {
					t.Fatalf("reported %d lost (findings sum %d, stats %d), want %d: %v", rr.LostRecords, sum, l.Stats().LostRecords, len(lost), rr.Losses)
				}
				if !c.finding && len(rr.Losses) > 0 {
					t.Fatalf("findings in a clean WAL: %v", rr.Losses)
				}
				if c.finding && len(rr.Losses) == 0 {
					t.Fatalf("the damage was not reported")
				}
				if len(lost) > 0 {
					// The finding names the seqs it cost.
					var named bool
					for _, x := range rr.Losses {
						if x.Records > 0 && x.FirstSeq <= lost[0] && x.LastSeq >= lost[0] && (x.Segment != "" || x.Kind == LossEmptied) {
							named = true
						}
					}
					if !named {
						t.Fatalf("no finding names seq %d with its segment: %v", lost[0], rr.Losses)
					}
				}
				// The log goes on: append, read back, ack everything.
				_, seq, cm, err := l.Append([]byte("after"))
				if err != nil || cm.Wait(context.Background()) != nil {
					t.Fatalf("append after recovery: %v", err)
				}
				if seq <= w.last {
					t.Fatalf("sequence number %d reused (the old WAL went up to %d)", seq, w.last)
				}
				if recs, _ := l.Read(seq, 1); len(recs) != 1 || string(recs[0].Data) != "after" {
					t.Fatalf("read after recovery: %v", recs)
				}
				_ = l.AckThrough(seq)
				if st := l.Stats(); st.Records != 0 || st.Acked != seq {
					t.Fatalf("after acking all: %+v", st)
				}
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				l2 := mustOpen(t, dir, Options{SegmentSize: matrixSegSize, Sync: pol})
				if rr := l2.Recovery(); len(rr.Losses) > 0 {
					t.Errorf("after acking everything, a reopen still finds: %v", rr.Losses)
				}
				l2.Close()
			})
		}
	}
}

// TestOneFlippedByteCostsOneRecord flips every byte of every file of a small
// WAL, one at a time (two masks), and checks the acceptance bound: a flip
// costs at most the one record whose bytes it hit, never a record it did
// not, never returns wrong bytes, and is always reported.
func TestOneFlippedByteCostsOneRecord(t *testing.T) {
	fs := newMemFS()
	const n, acked = 30, 5
	opts := Options{SegmentSize: 256, FS: fs, Logger: quiet}
	l := mustOpen(t, "/w", opts)
	var c *Commit
	for i := 1; i <= n; i++ {
		_, _, c, _ = l.Append(payload(i))
	}
	_ = c.Wait(context.Background())
	_ = l.AckThrough(acked)
	_ = l.Close()
	base := fs.crashImage(crashProcessKill)
	names, _ := base.List("/w")
	// which record each byte of each segment belongs to
	owner := map[string][]uint64{}
	for _, nm := range names {
		if _, ok := parseSegName(nm); !ok {
			continue
		}
		b, _ := base.ReadFile("/w/" + nm)
		own := make([]uint64, len(b))
		for off := segHeaderSize; ; {
			seq, _, size, err := DecodeRecord(b[off:])
			if err != nil {
				break
			}
			for i := off; i < off+size; i++ {
				own[i] = seq
			}
			off += size
		}
		owner[nm] = own
	}
	flips, costly := 0, 0
	files := 0
	for _, nm := range names {
		if _, seg := parseSegName(nm); !seg && nm != "cursor" {
			continue // the lock, and spare.tmp (discarded on open)
		}
		files++
		size := len(mustRead(t, base, "/w/"+nm))
		for off := 0; off < size; off++ {
			for _, mask := range []byte{0x01, 0xff} {
				img := base.crashImage(crashProcessKill)
				img.corrupt("/w/"+nm, func(b []byte) []byte { b[off] ^= mask; return b })
				o := opts
				o.FS = img
				l, err := Open("/w", o)
				if err != nil {
					t.Fatalf("%s byte %d ^%#x: open: %v", nm, off, mask, err)
				}
				recs := readAll(t, l)
				got := map[uint64]bool{}
				for _, r := range recs {
					if !bytes.Equal(r.Data, payload(int(r.Seq))) {
						t.Fatalf("%s byte %d ^%#x: record %d returned with wrong bytes", nm, off, mask, r.Seq)
					}
					got[r.Seq] = true
				}
				var hit uint64
				if own, ok := owner[nm]; ok {
					hit = own[off]
				}
				var missing []uint64
				for s := uint64(acked + 1); s <= n; s++ {
					if !got[s] {
						missing = append(missing, s)
					}
				}
				rep := l.Recovery()
				switch {
				case len(missing) > 1 || (len(missing) == 1 && missing[0] != hit):
					t.Errorf("%s byte %d ^%#x (in record %d): records %v not delivered", nm, off, mask, hit, missing)
				case uint64(len(missing)) != rep.LostRecords:
					t.Errorf("%s byte %d ^%#x: %d missing, %d reported lost", nm, off, mask, len(missing), rep.LostRecords)
				case len(rep.Losses) == 0:
					t.Errorf("%s byte %d ^%#x: not reported", nm, off, mask)
				}
				if len(missing) > 0 {
					costly++
				}
				flips++
				l.Close()
			}
		}
	}
	t.Logf("%d single-byte flips over %d files: %d cost one record, none cost more", flips, files, costly)
}

func mustRead(t testing.TB, fs *memFS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestResyncIgnoresFramesInsidePayloads: a record whose payload holds a
// whole valid frame (of a plausible seq) must not be mistaken for that
// frame when the record's own header is damaged.
func TestResyncIgnoresFramesInsidePayloads(t *testing.T) {
	fs := newMemFS()
	l := mustOpen(t, "/w", Options{SegmentSize: 4096, FS: fs})
	inner := appendRecord(nil, 3, []byte("forged"))
	var c *Commit
	for i := 1; i <= 5; i++ {
		p := payload(i)
		if i == 2 {
			p = append(append([]byte("xx"), inner...), "yy"...)
		}
		_, _, c, _ = l.Append(p)
	}
	_ = c.Wait(context.Background())
	_ = l.Close()
	// Damage record 2's length field: a scan byte by byte passes through
	// its payload, where the forged frame of seq 3 lies.
	fs.corrupt("/w/"+segName(1), func(b []byte) []byte {
		off := segHeaderSize + recHeaderSize + len(payload(1))
		b[off] ^= 0x40
		return b
	})
	l = mustOpen(t, "/w", Options{SegmentSize: 4096, FS: fs})
	defer l.Close()
	recs := readAll(t, l)
	var seqs []uint64
	for _, r := range recs {
		seqs = append(seqs, r.Seq)
		if r.Seq == 3 && string(r.Data) == "forged" {
			t.Fatal("the frame inside record 2's payload was taken for record 3")
		}
	}
	if !slices.Equal(seqs, []uint64{1, 3, 4, 5}) {
		t.Fatalf("records %v, want 1 3 4 5", seqs)
	}
}

// TestSequenceNumbersAreNeverReused: after an unclean stop, even with the
// newest segment gone, numbering continues above every seq ever handed out
// (the reservation in the cursor), and the jump is declared, not reported
// as a loss, at the next open.
func TestSequenceNumbersAreNeverReused(t *testing.T) {
	for _, pol := range policies {
		t.Run(pol.String(), func(t *testing.T) {
			fs := newMemFS()
			opts := Options{SegmentSize: 512, FS: fs, Sync: pol, Logger: quiet}
			l := mustOpen(t, "/w", opts)
			var c *Commit
			var last uint64
			for i := 1; i <= 40; i++ {
				_, last, c, _ = l.Append(payload(i))
			}
			_ = c.Wait(context.Background())
			// A crash (the cursor was not written at close) that also loses
			// the newest segment.
			img := fs.crashImage(crashProcessKill)
			_ = l.Close()
			names, _ := img.List("/w")
			var newest string
			for _, nm := range names {
				if _, ok := parseSegName(nm); ok {
					newest = nm
				}
			}
			_ = img.Remove("/w/" + newest)
			opts.FS = img
			l = mustOpen(t, "/w", opts)
			_, seq, c, err := l.Append([]byte("next"))
			if err != nil || c.Wait(context.Background()) != nil {
				t.Fatal(err)
			}
			if seq <= last {
				t.Fatalf("seq %d reused: %d was handed out before the crash", seq, last)
			}
			_ = l.Close()
			l = mustOpen(t, "/w", opts)
			defer l.Close()
			rep := l.Recovery()
			for _, x := range rep.Losses {
				if x.Records > 0 && x.LastSeq > last {
					t.Fatalf("the numbering jump is reported as a loss: %v", x)
				}
			}
			recs := readAll(t, l)
			if n := len(recs); n == 0 || recs[n-1].Seq != seq || string(recs[n-1].Data) != "next" {
				t.Fatalf("after reopen: %d records, last %+v", n, recs[len(recs)-1])
			}
		})
	}
}

// TestEmptiedDirectoryIsReported: with a marker directory, a WAL whose
// directory is emptied or deleted is reported with what it held, and its
// numbering continues above the old.
func TestEmptiedDirectoryIsReported(t *testing.T) {
	for _, how := range []string{"emptied", "deleted"} {
		t.Run(how, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "wal", "p", "01", "op")
			marks := filepath.Join(root, MarkerDirName)
			var logBuf bytes.Buffer
			opts := Options{SegmentSize: 4096, MarkerDir: marks, Logger: slogTo(&logBuf)}
			l := mustOpen(t, dir, opts)
			var c *Commit
			for i := 1; i <= 50; i++ {
				_, _, c, _ = l.Append(payload(i))
			}
			_ = c.Wait(context.Background())
			_ = l.AckThrough(20)
			_ = l.Close()
			if how == "emptied" {
				ents, _ := os.ReadDir(dir)
				for _, e := range ents {
					_ = os.Remove(filepath.Join(dir, e.Name()))
				}
				// The offline tools see it too.
				rep, err := InspectDir(dir, nil)
				if err != nil || rep.Healthy() || rep.LostRecords != 30 {
					t.Fatalf("inspect of the emptied dir: %v %+v", err, rep)
				}
			} else if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			l = mustOpen(t, dir, opts)
			rep := l.Recovery()
			if rep.LostRecords != 30 || len(rep.Losses) != 1 || rep.Losses[0].Kind != LossEmptied || rep.Losses[0].FirstSeq != 21 || rep.Losses[0].LastSeq != 50 {
				t.Fatalf("recovery: %+v", rep)
			}
			if !strings.Contains(logBuf.String(), "WAL DIRECTORY WAS EMPTIED OR DELETED") {
				t.Fatalf("not logged loudly:\n%s", logBuf.String())
			}
			_, seq, c, _ := l.Append([]byte("x"))
			_ = c.Wait(context.Background())
			if seq <= 50 {
				t.Fatalf("seq %d reused after the directory was %s", seq, how)
			}
			_ = l.Close()
			// Reported once: the next open finds nothing more.
			l = mustOpen(t, dir, opts)
			defer l.Close()
			if rep := l.Recovery(); len(rep.Losses) > 0 {
				t.Fatalf("reported again: %+v", rep.Losses)
			}
		})
	}
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// TestFindingsLoggedOnce: recovery logs each finding and one summary, once.
func TestFindingsLoggedOnce(t *testing.T) {
	dir := t.TempDir()
	w := buildWAL(t, dir, SyncAlways, 1000, 0, matrixSegSize)
	s := w.seqsIn(1)[5]
	flipAt(t, w.segs[1], w.recs[s].off+recHeaderSize, 0x01)
	var buf bytes.Buffer
	l := mustOpen(t, dir, Options{SegmentSize: matrixSegSize, Logger: slogTo(&buf)})
	defer l.Close()
	out := buf.String()
	if n := strings.Count(out, "wal recovered with findings"); n != 1 {
		t.Fatalf("summary logged %d times:\n%s", n, out)
	}
	if n := strings.Count(out, "records lost to damage"); n != 1 {
		t.Fatalf("loss logged %d times:\n%s", n, out)
	}
	want := fmt.Sprintf("seqs=%d..%d lost_records=1", s, s)
	if !strings.Contains(out, want) || !strings.Contains(out, "segment="+filepath.Base(w.segs[1])) || !strings.Contains(out, fmt.Sprintf("bytes=%d..", w.recs[s].off)) {
		t.Fatalf("the log line lacks the segment, byte range or %q:\n%s", want, out)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendRecord(nil, 1, []byte("hello")))
	f.Add(appendRecord(nil, 42, nil))
	f.Add(make([]byte, 16))
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, p, n, err := DecodeRecord(b)
		if err != nil {
			return
		}
		if n > len(b) || n != recHeaderSize+len(p) || seq == 0 {
			t.Fatalf("inconsistent decode: seq %d n %d len %d", seq, n, len(b))
		}
		if !bytes.Equal(appendRecord(nil, seq, p), b[:n]) {
			t.Fatalf("decoded record does not re-encode to its bytes")
		}
	})
}

// FuzzScanSegment: whatever a segment file holds, the scan never panics,
// every record it indexes verifies, and its accounting adds up.
func FuzzScanSegment(f *testing.F) {
	var seg []byte
	seg = append(seg, encodeSegHeader(segHeader{first: 7})...)
	for i := 7; i < 12; i++ {
		seg = appendRecord(seg, uint64(i), payload(i))
	}
	f.Add(seg)
	f.Add(append(seg[:len(seg)-3:len(seg)-3], make([]byte, 40)...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		fs := newMemFS()
		h, _ := fs.OpenFile("/s", os.O_RDWR|os.O_CREATE)
		_, _ = h.WriteAt(b, 0)
		sr, err := scanSegment(h, 7, 0)
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		for i, o := range sr.offs {
			if o == holeOff {
				continue
			}
			n++
			seq, _, _, err := DecodeRecord(b[o:])
			if err != nil || seq != 7+uint64(i) {
				t.Fatalf("indexed record %d at %d does not verify: %v", 7+i, o, err)
			}
		}
		if n != sr.records || (len(b) >= segHeaderSize && sr.end > int64(len(b))) {
			t.Fatalf("accounting: %d present, %d counted, end %d of %d", n, sr.records, sr.end, len(b))
		}
		for i, x := range sr.bad {
			if x.off < 0 || x.n < 0 || x.off+x.n > int64(len(b)) || (i > 0 && x.off < sr.bad[i-1].off+sr.bad[i-1].n) {
				t.Fatalf("bad span %d (%d+%d) is out of order or outside the file of %d bytes", i, x.off, x.n, len(b))
			}
		}
	})
}

// TestFreshNewestSegmentIsNoFinding: a crash right after a rotation (the
// spare renamed into place, its header not yet written) leaves an all-zero
// newest segment; that is normal, not damage: no finding, nothing lost,
// and numbering continues.
func TestFreshNewestSegmentIsNoFinding(t *testing.T) {
	fs := newMemFS()
	l := mustOpen(t, "/w", Options{SegmentSize: 4096, FS: fs})
	var c *Commit
	for i := 1; i <= 10; i++ {
		_, _, c, _ = l.Append(payload(i))
	}
	_ = c.Wait(context.Background())
	_ = l.Close()
	h, _ := fs.OpenFile("/w/"+segName(11), os.O_RDWR|os.O_CREATE)
	_ = h.Allocate(4096)
	l = mustOpen(t, "/w", Options{SegmentSize: 4096, FS: fs})
	defer l.Close()
	if rep := l.Recovery(); len(rep.Losses) > 0 {
		t.Fatalf("findings for a never-written newest segment: %v", rep.Losses)
	}
	if recs := readAll(t, l); len(recs) != 10 {
		t.Fatalf("%d records", len(recs))
	}
	if _, seq, _, err := l.Append([]byte("x")); err != nil || seq != 11 {
		t.Fatalf("next append: seq %d, %v", seq, err)
	}
}
