package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawGroupCommit is the baseline for appends: one writer goroutine that
// appends whatever has queued to a plain file and fsyncs it (or not, or on
// an interval), with the same concurrency and the same bytes (the WAL's
// framing included, so only the engine's own overhead is measured).
type rawGroupCommit struct {
	mu      sync.Mutex
	queue   []byte
	waiters []chan struct{}
	kick    chan struct{}
	f       *os.File
	policy  SyncPolicy
	quit    chan struct{}
	done    chan struct{}
}

func newRaw(b *testing.B, policy SyncPolicy) *rawGroupCommit {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "raw"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	r := &rawGroupCommit{kick: make(chan struct{}, 1), f: f, policy: policy, quit: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

func (r *rawGroupCommit) loop() {
	defer close(r.done)
	last := time.Now()
	for {
		select {
		case <-r.kick:
		case <-r.quit:
			return
		}
		r.mu.Lock()
		q, w := r.queue, r.waiters
		r.queue, r.waiters = nil, nil
		r.mu.Unlock()
		_, _ = r.f.Write(q)
		if r.policy == SyncAlways || (r.policy == SyncInterval && time.Since(last) > 100*time.Millisecond) {
			_ = r.f.Sync()
			last = time.Now()
		}
		for _, c := range w {
			close(c)
		}
	}
}

func (r *rawGroupCommit) append(p []byte) chan struct{} {
	c := make(chan struct{})
	r.mu.Lock()
	r.queue = appendRecord(r.queue, 1, p)
	r.waiters = append(r.waiters, c)
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
	return c
}

func (r *rawGroupCommit) close() { close(r.quit); <-r.done; r.f.Close() }

const benchWriters = 16

// runWriters runs n appends spread over benchWriters goroutines, each
// waiting for durability before its next append, and returns the time.
func runWriters(n int, appendWait func(p []byte)) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	per := (n + benchWriters - 1) / benchWriters
	for g := 0; g < benchWriters; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				appendWait(nil)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkAppend compares WAL appends with the raw baseline, both run in
// the same benchmark, and reports the ratio (WAL throughput / raw).
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{256, 1024} {
		for _, pol := range policies {
			b.Run(fmt.Sprintf("%dB/%s", size, pol), func(b *testing.B) {
				payload := make([]byte, size)
				raw := newRaw(b, pol)
				defer raw.close()
				l := mustOpen(b, b.TempDir(), Options{Sync: pol})
				defer l.Close()
				b.SetBytes(int64(size))
				b.ResetTimer()
				tRaw := runWriters(b.N, func([]byte) { <-raw.append(payload) })
				tWAL := runWriters(b.N, func([]byte) {
					_, _, c, err := l.Append(payload)
					if err != nil {
						b.Fatal(err)
					}
					<-c.Done()
				})
				b.StopTimer()
				b.ReportMetric(float64(b.N)/tWAL.Seconds(), "wal-appends/s")
				b.ReportMetric(float64(b.N)/tRaw.Seconds(), "raw-appends/s")
				b.ReportMetric(tRaw.Seconds()/tWAL.Seconds(), "ratio")
			})
		}
	}
}

// BenchmarkReplay reads a backlog through Read beside a raw sequential read
// of the same file bytes.
func BenchmarkReplay(b *testing.B) {
	dir := b.TempDir()
	l := mustOpen(b, dir, Options{Sync: SyncNone})
	payload := make([]byte, 256)
	const n = 200000
	var c *Commit
	for i := 0; i < n; i++ {
		_, _, c, _ = l.Append(payload)
	}
	<-c.Done()
	total := int64(n * (256 + recHeaderSize))
	b.SetBytes(total)
	b.ResetTimer()
	var tWAL, tRaw time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		from := uint64(1)
		for {
			recs, err := l.Read(from, 1000)
			if err != nil {
				b.Fatal(err)
			}
			if len(recs) == 0 {
				break
			}
			from = recs[len(recs)-1].Seq + 1
		}
		tWAL += time.Since(t0)
		t0 = time.Now()
		names, _ := osFS{}.List(dir)
		buf := make([]byte, 1<<20)
		for _, nm := range names {
			if _, ok := parseSegName(nm); !ok {
				continue
			}
			f, _ := os.Open(filepath.Join(dir, nm))
			for {
				k, err := f.Read(buf)
				if k == 0 || err != nil {
					break
				}
			}
			f.Close()
		}
		tRaw += time.Since(t0)
	}
	b.StopTimer()
	_ = l.Close()
	mb := float64(total) / (1 << 20)
	b.ReportMetric(mb*float64(b.N)/tWAL.Seconds(), "wal-MB/s")
	b.ReportMetric(mb*float64(b.N)/tRaw.Seconds(), "raw-MB/s")
	b.ReportMetric(tRaw.Seconds()/tWAL.Seconds(), "ratio")
}

func vmRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkReopenBacklog builds a backlog (WAL_BENCH_BACKLOG_MB, default
// 256; use 1024 for the 1 GiB figure) and times Open with it (which
// verifies every record) beside a plain sequential read of the segment
// files, reporting RSS growth while the backlog grew.
func BenchmarkReopenBacklog(b *testing.B) {
	mb := 256
	if v, err := strconv.Atoi(os.Getenv("WAL_BENCH_BACKLOG_MB")); err == nil && v > 0 {
		mb = v
	}
	dir := b.TempDir()
	runtime.GC()
	rss0 := vmRSS()
	l := mustOpen(b, dir, Options{Sync: SyncNone})
	payload := make([]byte, 1024)
	n := mb << 10
	var c *Commit
	for i := 0; i < n; i++ {
		var err error
		if _, _, c, err = l.Append(payload); err != nil {
			b.Fatal(err)
		}
		if i%4096 == 0 {
			<-c.Done()
		}
	}
	<-c.Done()
	runtime.GC()
	rss1 := vmRSS()
	_ = l.Close()
	b.ResetTimer()
	var total, raw time.Duration
	buf := make([]byte, 1<<20)
	for i := 0; i < b.N; i++ {
		// Baseline: reading every segment file once, sequentially (Open
		// verifies every record, so it reads them all too).
		t0 := time.Now()
		names, _ := osFS{}.List(dir)
		for _, nm := range names {
			if _, ok := parseSegName(nm); !ok {
				continue
			}
			f, _ := os.Open(filepath.Join(dir, nm))
			for {
				k, err := f.Read(buf)
				if k == 0 || err != nil {
					break
				}
			}
			f.Close()
		}
		raw += time.Since(t0)
		t0 = time.Now()
		l2, err := Open(dir, Options{Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(t0)
		if st := l2.Stats(); st.Records != uint64(n) {
			b.Fatalf("reopened with %d records, want %d", st.Records, n)
		}
		_ = l2.Close()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "reopen-ms")
	b.ReportMetric(float64(raw.Milliseconds())/float64(b.N), "raw-read-ms")
	b.ReportMetric(total.Seconds()/raw.Seconds(), "ratio")
	b.ReportMetric(float64(mb), "backlog-MB")
	b.ReportMetric(float64(rss1-rss0)/(1<<20), "rss-growth-MB")
}
