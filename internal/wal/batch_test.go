package wal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
)

func batchOf(ps ...[]byte) *Batch {
	var b Batch
	for _, p := range ps {
		b.Add(p)
	}
	return &b
}

func TestBatchEncodeInPlaceAndDrop(t *testing.T) {
	var b Batch
	for i := range 5 {
		b.Done(fmt.Appendf(b.Next(), "rec-%d", i))
	}
	b.Add([]byte("copied"))
	if b.Len() != 6 || string(b.Record(3)) != "rec-3" || string(b.Record(5)) != "copied" {
		t.Fatalf("batch holds %d records, #3 %q, #5 %q", b.Len(), b.Record(3), b.Record(5))
	}
	// A record's slice cannot grow into the next one.
	if r := append(b.Record(0), 'X'); string(b.Record(1)) != "rec-1" || string(r) != "rec-0X" {
		t.Fatalf("appending to record 0 changed record 1: %q", b.Record(1))
	}
	b.Drop(4)
	if b.Len() != 2 || string(b.Record(0)) != "rec-4" || string(b.Record(1)) != "copied" || b.Bytes() != len("rec-4copied") {
		t.Fatalf("after Drop(4): %d records, %q %q", b.Len(), b.Record(0), b.Record(1))
	}
	c := cap(b.Next())
	b.Reset()
	if b.Len() != 0 || b.Bytes() != 0 || cap(b.Next()) != c {
		t.Fatalf("Reset: %d records, %d bytes, capacity %d (was %d)", b.Len(), b.Bytes(), cap(b.Next()), c)
	}
}

// TestAppendBatchAppendsWhatFits: AppendBatch appends the longest prefix
// that fits and says why the next record did not, as Append would for it
// alone; the caller goes on from there (Drop).
func TestAppendBatchAppendsWhatFits(t *testing.T) {
	for _, pol := range policies {
		t.Run(pol.String(), func(t *testing.T) {
			l := mustOpen(t, t.TempDir(), Options{Sync: pol, SegmentSize: 4096, MaxElements: 5})
			defer l.Close()
			var ps [][]byte
			for i := range 8 {
				ps = append(ps, payload(i))
			}
			b := batchOf(ps...)
			n, first, last, c, err := l.AppendBatch(b)
			if n != 5 || first != 1 || last != 5 || !errors.Is(err, ErrFull) || c == nil {
				t.Fatalf("AppendBatch of 8 with max_elements 5: n=%d seqs %d..%d err=%v", n, first, last, err)
			}
			if err := c.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			b.Drop(n)
			if err := l.AckRange(1, 3); err != nil {
				t.Fatal(err)
			}
			n, first, last, c, err = l.AppendBatch(b)
			if n != 3 || first != 6 || last != 8 || err != nil {
				t.Fatalf("the rest after acks: n=%d seqs %d..%d err=%v", n, first, last, err)
			}
			if err := c.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			recs := readAll(t, l)
			if len(recs) != 5 {
				t.Fatalf("read %d records, want 5 (4..8)", len(recs))
			}
			for i, r := range recs {
				if r.Seq != uint64(4+i) || !bytes.Equal(r.Data, ps[3+i]) {
					t.Fatalf("record %d: seq %d %q, want seq %d %q", i, r.Seq, r.Data, 4+i, ps[3+i])
				}
			}
		})
	}
}

func TestAppendBatchRefusesTooLargeAndDropsNewest(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{SegmentSize: 256, MaxElements: 3, Overflow: OverflowDropNewest})
	defer l.Close()
	b := batchOf([]byte("a"), make([]byte, 300), []byte("b"), []byte("c"), []byte("d"))
	n, _, _, _, err := l.AppendBatch(b)
	if n != 1 || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("n=%d err=%v, want 1 and ErrTooLarge", n, err)
	}
	b.Drop(2) // the one appended and the one refused
	n, first, _, c, err := l.AppendBatch(b)
	if n != 2 || first != 2 || !errors.Is(err, ErrDropped) {
		t.Fatalf("n=%d first=%d err=%v, want 2 from seq 2 and ErrDropped", n, first, err)
	}
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.Dropped != 1 || st.Records != 3 {
		t.Fatalf("dropped %d, %d records; want 1 and 3", st.Dropped, st.Records)
	}
	// An empty batch appends nothing and is no error.
	if n, _, _, c, err := l.AppendBatch(&Batch{}); n != 0 || c != nil || err != nil {
		t.Fatalf("empty batch: n=%d c=%v err=%v", n, c, err)
	}
}

// TestOneCommitPerFlush: appends queued while an fsync runs share one
// Commit (one allocation, one wake-up per flush): there are no more
// distinct Commits than fsyncs. A Commit per append fails it.
func TestOneCommitPerFlush(t *testing.T) {
	fs := &countingFS{}
	l := mustOpen(t, t.TempDir(), Options{FS: fs, SegmentSize: 1 << 30})
	defer l.Close()
	const appends = 2000
	commits := map[*Commit]int{}
	var last *Commit
	var b Batch
	for i := range appends {
		b.Reset()
		for k := range 4 {
			b.Add(payload(i + k))
		}
		n, _, _, c, err := l.AppendBatch(&b)
		if n != 4 || err != nil {
			t.Fatalf("append %d: n=%d err=%v", i, n, err)
		}
		commits[c]++
		last = c
	}
	if err := last.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	syncs, _ := fs.counts()
	if len(commits) > syncs || len(commits) >= appends {
		t.Fatalf("%d appends got %d distinct commits, with %d fsyncs: want at most one per fsync", appends, len(commits), syncs)
	}
	t.Logf("%d batch appends: %d commits, %d fsyncs", appends, len(commits), syncs)
}

// TestNoneAndIntervalBatchWrites: under sync=none and interval, with a
// WriteDelay, the writer waits for WriteDelay or 256 KiB before it
// writes: appends (with a yield in between) make no write until then. A
// write per kick fails it.
func TestNoneAndIntervalBatchWrites(t *testing.T) {
	for _, pol := range []SyncPolicy{SyncNone, SyncInterval} {
		t.Run(pol.String(), func(t *testing.T) {
			fs := &countingFS{noWait: true}
			l := mustOpen(t, t.TempDir(), Options{FS: fs, Sync: pol, SegmentSize: 4 << 20, WriteDelay: time.Hour})
			defer l.Close()
			p := make([]byte, 100)
			var c *Commit
			var err error
			appended := 0
			for ; appended < 2000; appended++ { // 232,000 bytes framed
				if _, _, c, err = l.Append(p); err != nil {
					t.Fatal(err)
				}
				runtime.Gosched()
			}
			if _, writes := fs.counts(); writes != 0 {
				t.Fatalf("%d writes for %d appends (232 KB queued, under 256 KiB, WriteDelay 1h): a write per kick", writes, appended)
			}
			select {
			case <-c.Done():
				t.Fatal("a commit completed before its records were written")
			default:
			}
			for ; appended < 2400; appended++ { // past 256 KiB
				if _, _, c, err = l.Append(p); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, writes := fs.counts()
			if writes > 3 {
				t.Fatalf("%d writes for %d appends", writes, appended)
			}
			t.Logf("%d appends, %d writes", appended, writes)
		})
	}
}

// TestWriteDelayBoundsLatency: with a short WriteDelay a lone append is
// written (its commit completes) without any further append or kick.
func TestWriteDelayBoundsLatency(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{Sync: SyncNone, WriteDelay: 5 * time.Millisecond, CursorInterval: time.Hour})
	defer l.Close()
	_, _, c, err := l.Append([]byte("alone"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Wait(ctx); err != nil {
		t.Fatalf("a lone append under sync=none never completed: %v", err)
	}
}

// TestAckRangeCountsBytesAndSkipsAcked: a range ack at the watermark moves
// it in one step and counts off exactly the bytes of the records not acked
// before (acked out of order, or lost); one above the watermark acks
// each seq.
func TestAckRangeCountsBytesAndSkipsAcked(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{SegmentSize: 512})
	defer l.Close()
	var size [41]uint64
	var c *Commit
	for i := 1; i <= 40; i++ {
		var err error
		if _, _, c, err = l.Append(payload(i)); err != nil {
			t.Fatal(err)
		}
		size[i] = uint64(recHeaderSize + len(payload(i)))
	}
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	unacked := func(from, to int) (n, b uint64) {
		for i := from; i <= to; i++ {
			n++
			b += size[i]
		}
		return
	}
	check := func(what string, wantAcked uint64, n, b uint64) {
		t.Helper()
		if st := l.Stats(); st.Acked != wantAcked || st.Records != n || st.Bytes != b {
			t.Fatalf("%s: acked %d, %d records, %d bytes; want %d, %d, %d", what, st.Acked, st.Records, st.Bytes, wantAcked, n, b)
		}
	}
	_ = l.Ack(5)
	_ = l.AckRange(20, 22) // above the watermark: one by one
	n, b := unacked(1, 40)
	n, b = n-4, b-size[5]-size[20]-size[21]-size[22]
	check("out of order", 0, n, b)
	_ = l.AckRange(1, 25) // over the acked ones and several segments
	n, b = unacked(26, 40)
	check("range at the watermark", 25, n, b)
	_ = l.AckRange(30, 1000) // past the end: clipped
	n, b = unacked(26, 29)
	check("clipped", 25, n, b)
	_ = l.AckRange(26, 29)
	check("all", 40, 0, 0)
	if recs := readAll(t, l); len(recs) != 0 {
		t.Fatalf("read %d records after all were acked", len(recs))
	}
}

// TestWritesGatherWhatQueued: without WriteDelay the writer writes at once,
// but one write takes everything queued meanwhile and appends to a
// non-empty queue do not wake it: a pipeline appending batches with
// several in flight makes far fewer writes than appends.
func TestWritesGatherWhatQueued(t *testing.T) {
	fs := &countingFS{noWait: true}
	l := mustOpen(t, t.TempDir(), Options{FS: fs, Sync: SyncNone, SegmentSize: 16 << 20})
	defer l.Close()
	ps := [][]byte{make([]byte, 80)}
	var b Batch
	const batches = 4000
	window := make(chan *Commit, 16)
	done := make(chan struct{})
	go func() {
		for c := range window {
			<-c.Done()
		}
		close(done)
	}()
	for range batches {
		b.Reset()
		for range 16 {
			b.Add(ps[0])
		}
		_, _, _, c, err := l.AppendBatch(&b)
		if err != nil {
			t.Fatal(err)
		}
		window <- c
	}
	close(window)
	<-done
	_, writes := fs.counts()
	if writes >= batches/2 {
		t.Fatalf("%d writes for %d batch appends: the writer wrote per append", writes, batches)
	}
	t.Logf("%d batch appends of 16 records: %d writes", batches, writes)
}
