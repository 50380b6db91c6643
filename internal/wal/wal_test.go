package wal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		childMain()
		return
	}
	goleak.VerifyTestMain(m)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func payload(i int) []byte {
	n := 5 + (i*37)%60
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(i*7 + j)
	}
	return b
}

func mustOpen(t testing.TB, dir string, o Options) *Log {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quiet
	}
	l, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func readAll(t testing.TB, l *Log) []Record {
	t.Helper()
	recs, err := l.Read(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

var policies = []SyncPolicy{SyncAlways, SyncInterval, SyncNone}

func TestAppendReadAckReopen(t *testing.T) {
	for _, pol := range policies {
		t.Run(pol.String(), func(t *testing.T) {
			dir := t.TempDir()
			o := Options{SegmentSize: 4096, Sync: pol, SyncInterval: 5 * time.Millisecond}
			l := mustOpen(t, dir, o)
			for i := 1; i <= 300; i++ {
				first, last, c, err := l.Append(payload(i))
				if err != nil || first != uint64(i) || last != uint64(i) {
					t.Fatalf("append %d: %d %d %v", i, first, last, err)
				}
				if err := c.Wait(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			recs := readAll(t, l)
			if len(recs) != 300 || !bytes.Equal(recs[41].Data, payload(42)) {
				t.Fatalf("read %d records", len(recs))
			}
			if err := l.AckThrough(100); err != nil {
				t.Fatal(err)
			}
			_ = l.Ack(150) // out of order: held until 101..149 are acked
			st := l.Stats()
			if st.Acked != 100 || st.Records != 199 || st.Segments < 2 {
				t.Fatalf("stats %+v", st)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l = mustOpen(t, dir, o)
			defer l.Close()
			recs = readAll(t, l)
			// 150's out-of-order ack was not covered by the watermark: it
			// comes back (a duplicate, never a loss).
			if len(recs) != 200 || recs[0].Seq != 101 || !bytes.Equal(recs[199].Data, payload(300)) {
				t.Fatalf("after reopen: %d records from %d", len(recs), recs[0].Seq)
			}
			if _, _, _, err := l.Append([]byte("next")); err != nil {
				t.Fatal(err)
			}
			if st := l.Stats(); st.Last != 301 {
				t.Fatalf("seq after reopen: %+v", st)
			}
		})
	}
}

func TestAckedSegmentsAreRemoved(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{SegmentSize: 1024, CursorInterval: time.Millisecond})
	defer l.Close()
	var c *Commit
	for i := 1; i <= 200; i++ {
		_, _, c, _ = l.Append(payload(i))
	}
	_ = c.Wait(context.Background())
	before := l.Stats().Segments
	_ = l.AckThrough(190)
	onDisk := func() (n int) {
		names, _ := osFS{}.List(dir)
		for _, nm := range names {
			if _, ok := parseSegName(nm); ok {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.Stats().Segments > 2 || onDisk() > 2 {
		if time.Now().After(deadline) {
			t.Fatalf("segments not removed: %d listed, %d on disk (before %d)", l.Stats().Segments, onDisk(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCaps(t *testing.T) {
	t.Run("block", func(t *testing.T) {
		l := mustOpen(t, t.TempDir(), Options{MaxElements: 3})
		defer l.Close()
		for i := 0; i < 3; i++ {
			if _, _, _, err := l.Append([]byte("x")); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, _, err := l.Append([]byte("x")); !errors.Is(err, ErrFull) {
			t.Fatalf("want ErrFull, got %v", err)
		}
		_ = l.Ack(1)
		if _, _, _, err := l.Append([]byte("x")); err != nil {
			t.Fatalf("after an ack: %v", err)
		}
	})
	t.Run("drop_newest", func(t *testing.T) {
		l := mustOpen(t, t.TempDir(), Options{MaxElements: 3, Overflow: OverflowDropNewest})
		defer l.Close()
		for i := 0; i < 5; i++ {
			_, _, c, err := l.Append([]byte{byte(i)})
			if i >= 3 && !errors.Is(err, ErrDropped) {
				t.Fatalf("append %d: %v", i, err)
			}
			if c != nil {
				_ = c.Wait(context.Background())
			}
		}
		recs := readAll(t, l)
		if len(recs) != 3 || recs[2].Data[0] != 2 || l.Stats().DroppedNew != 2 {
			t.Fatalf("%v %+v", recs, l.Stats())
		}
	})
	t.Run("drop_oldest", func(t *testing.T) {
		l := mustOpen(t, t.TempDir(), Options{MaxBytes: 3 * (recHeaderSize + 1), Overflow: OverflowDropOldest})
		defer l.Close()
		var c *Commit
		for i := 0; i < 5; i++ {
			_, _, c, _ = l.Append([]byte{byte(i)})
		}
		_ = c.Wait(context.Background())
		recs := readAll(t, l)
		if len(recs) != 3 || recs[0].Data[0] != 2 || l.Stats().DroppedOld != 2 {
			t.Fatalf("%v %+v", recs, l.Stats())
		}
	})
	t.Run("drop_oldest_counts_each_record_once", func(t *testing.T) {
		// Seqs 2 and 3 are acked out of order while 1 is not: dropping 1
		// moves the watermark to 3 but discards one record, not three.
		var dropped []uint64
		l := mustOpen(t, t.TempDir(), Options{MaxElements: 3, Overflow: OverflowDropOldest,
			OnDrop: func(seq uint64) { dropped = append(dropped, seq) }})
		defer l.Close()
		var c *Commit
		for i := 0; i < 4; i++ {
			_, _, c, _ = l.Append([]byte{byte(i)})
			if i == 2 {
				_ = l.Ack(2)
				_ = l.Ack(3)
			}
		}
		_ = c.Wait(context.Background())
		for i := 4; i < 7; i++ {
			_, _, c, _ = l.Append([]byte{byte(i)})
		}
		_ = c.Wait(context.Background())
		st := l.Stats()
		if want := []uint64{1, 4}; !slices.Equal(dropped, want) || st.DroppedOld != 2 || st.Dropped != 2 {
			t.Fatalf("dropped %v (want %v), stats %+v", dropped, want, st)
		}
		recs := readAll(t, l)
		if len(recs) != 3 || recs[0].Seq != 5 || recs[2].Seq != 7 {
			t.Fatalf("kept %v", recs)
		}
	})
	t.Run("too_large", func(t *testing.T) {
		l := mustOpen(t, t.TempDir(), Options{SegmentSize: 256})
		defer l.Close()
		if _, _, _, err := l.Append(make([]byte, 300)); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("want ErrTooLarge, got %v", err)
		}
	})
}

func TestSecondOpenerIsLockedOut(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	defer l.Close()
	_, err := Open(dir, Options{Logger: quiet})
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
	if le.Pid != os.Getpid() || !strings.Contains(err.Error(), fmt.Sprintf("in use by process %d", os.Getpid())) {
		t.Fatalf("holder reported as pid %d (%v), want %d", le.Pid, err, os.Getpid())
	}
}

// countingFS counts the fsyncs of segment files and makes each take a
// while, as a disk's would, so that appends arriving meanwhile pile up.
type countingFS struct {
	osFS
	mu     sync.Mutex
	syncs  int
	writes int // WriteAt calls on segment files
	noWait bool
}

type countingFile struct {
	File
	fs *countingFS
}

func (c *countingFS) OpenFile(name string, flag int) (File, error) {
	f, err := c.osFS.OpenFile(name, flag)
	if err != nil || !strings.Contains(name, "seg-") {
		return f, err
	}
	return countingFile{f, c}, nil
}

func (c *countingFS) Rename(o, n string) error { return c.osFS.Rename(o, n) }

func (f countingFile) Sync() error {
	f.fs.mu.Lock()
	f.fs.syncs++
	noWait := f.fs.noWait
	f.fs.mu.Unlock()
	if !noWait {
		time.Sleep(time.Millisecond)
	}
	return f.File.Sync()
}

func (f countingFile) WriteAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	f.fs.writes++
	f.fs.mu.Unlock()
	return f.File.WriteAt(p, off)
}

func (c *countingFS) counts() (syncs, writes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.syncs, c.writes
}

// TestGroupCommitCoversConcurrentAppends: 8 appenders, each waiting for
// its commit before the next append, share fsyncs: with a 1 ms fsync the
// other seven queue behind each one, so there are at most a quarter as
// many fsyncs of the segment files as appends. One fsync per append (no
// group commit) fails it.
func TestGroupCommitCoversConcurrentAppends(t *testing.T) {
	fs := &countingFS{}
	// No spare: every segment is opened through OpenFile and counted.
	l := mustOpen(t, t.TempDir(), Options{FS: fs, SegmentSize: 1 << 30})
	defer l.Close()
	const goroutines, each = 8, 200
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, _, c, err := l.Append(payload(i))
				if err != nil {
					t.Error(err)
					return
				}
				if err := c.Wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	st := l.Stats()
	if st.Last != goroutines*each {
		t.Fatalf("last = %d", st.Last)
	}
	fs.mu.Lock()
	syncs := fs.syncs
	fs.mu.Unlock()
	if syncs > goroutines*each/4 {
		t.Fatalf("%d fsyncs of segment files for %d appends: no group commit", syncs, goroutines*each)
	}
	t.Logf("%d appends from %d goroutines took %d fsyncs of segment files (%.1f appends per fsync)", goroutines*each, goroutines, syncs, float64(goroutines*each)/float64(syncs))
}

// TestWriteErrorFailsCommitsThenResumes: a failing fsync fails the commits
// it covered, and appends fail while it lasts; once the disk works again
// the log writes again by itself, and what was durable before is intact.
func TestWriteErrorFailsCommitsThenResumes(t *testing.T) {
	fs := newMemFS()
	l := mustOpen(t, "/w", Options{FS: fs, SegmentSize: 4096})
	defer l.Close()
	_, _, c, _ := l.Append([]byte("ok"))
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	fs.mu.Lock()
	fs.failSync = true
	fs.mu.Unlock()
	_, _, c, _ = l.Append([]byte("lost"))
	if err := c.Wait(context.Background()); err == nil {
		t.Fatal("commit succeeded although fsync failed")
	}
	if _, _, c, err := l.Append([]byte("still failing")); err == nil && c.Wait(context.Background()) == nil {
		t.Fatal("an append was made durable while fsync fails")
	}
	fs.mu.Lock()
	fs.failSync = false
	fs.mu.Unlock()
	_, seq, c, err := l.Append([]byte("again"))
	if err != nil || c.Wait(context.Background()) != nil {
		t.Fatalf("append after the disk recovered: %v", err)
	}
	recs := readAll(t, l)
	if len(recs) != 2 || string(recs[0].Data) != "ok" || string(recs[1].Data) != "again" || recs[1].Seq != seq {
		t.Fatalf("records after the failure: %v", recs)
	}
	_ = l.Close()
	l2 := mustOpen(t, "/w", Options{FS: fs, SegmentSize: 4096})
	defer l2.Close()
	if recs := readAll(t, l2); len(recs) != 2 || string(recs[1].Data) != "again" || len(l2.Recovery().Losses) > 0 {
		t.Fatalf("after reopen: %v %v", recs, l2.Recovery().Losses)
	}
}

// TestFullDiskPausesAndResumes: on a file system too small for a segment
// of the configured size, segments are sized to what is free; when even
// that is not enough, Append fails with ErrNoSpace (saying what is needed)
// and the log is not stuck: once space is freed, appends go on.
func TestFullDiskPausesAndResumes(t *testing.T) {
	fs := newMemFS()
	fs.setCapacity(200 << 10)
	var logBuf bytes.Buffer
	l := mustOpen(t, "/w", Options{FS: fs, SegmentSize: 1 << 20, Logger: slogTo(&logBuf)})
	defer l.Close()
	p := bytes.Repeat([]byte("x"), 1000)
	var n int
	var err error
	for n = 0; n < 10000; n++ {
		var c *Commit
		if _, _, c, err = l.Append(p); err != nil {
			break
		}
		if err = c.Wait(context.Background()); err != nil {
			t.Fatalf("commit %d: %v", n, err)
		}
	}
	var ns *NoSpaceError
	if !errors.Is(err, ErrNoSpace) || !errors.As(err, &ns) || !strings.Contains(err.Error(), "needs at least") {
		t.Fatalf("after %d appends: %v, want ErrNoSpace", n, err)
	}
	if n < 150 {
		t.Fatalf("only %d KiB stored on a 200 KiB file system with 1 MiB segments: the first segment was not sized to what is free", n)
	}
	if !strings.Contains(logBuf.String(), "sized to the space that is free") {
		t.Errorf("the smaller segment was not logged:\n%s", logBuf.String())
	}
	// Not sticky: still failing while full, then working once there is room.
	if _, _, _, err := l.Append(p); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("still full: %v", err)
	}
	fs.setCapacity(1 << 30)
	_, seq, c, err := l.Append([]byte("after"))
	if err != nil || c.Wait(context.Background()) != nil {
		t.Fatalf("append once space returned: %v", err)
	}
	recs := readAll(t, l)
	if len(recs) != n+1 || recs[n].Seq != seq || string(recs[n].Data) != "after" {
		t.Fatalf("%d records (want %d), last %v", len(recs), n+1, recs[len(recs)-1].Seq)
	}
}

func ExampleLog() {
	dir, _ := os.MkdirTemp("", "wal-example")
	defer os.RemoveAll(dir)
	l, _ := Open(dir, Options{Logger: quiet})
	_, _, c, _ := l.Append([]byte("hello"))
	_ = c.Wait(context.Background()) // durable: fsynced
	recs, _ := l.Read(1, 10)
	_ = l.Ack(recs[0].Seq)
	fmt.Println(recs[0].Seq, string(recs[0].Data), l.Stats().Acked)
	_ = l.Close()
	// Output: 1 hello 1
}
