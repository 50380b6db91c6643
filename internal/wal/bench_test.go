package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
			_ = unix.Fdatasync(int(r.f.Fd()))
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

// appendBatch queues the framed records of b and returns a channel closed
// once they are written (and synced per the policy).
func (r *rawGroupCommit) appendBatch(b *Batch) chan struct{} {
	c := make(chan struct{})
	r.mu.Lock()
	for i := range b.Len() {
		r.queue = appendRecord(r.queue, 1, b.Record(i))
	}
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
				b.ReportAllocs()
				b.ResetTimer()
				var tRaw, tWAL time.Duration
				rawA := allocsDuring(func() { tRaw = runWriters(b.N, func([]byte) { <-raw.append(payload) }) })
				walA := allocsDuring(func() {
					tWAL = runWriters(b.N, func([]byte) {
						_, _, c, err := l.Append(payload)
						if err != nil {
							b.Fatal(err)
						}
						<-c.Done()
					})
				})
				b.StopTimer()
				b.ReportMetric(float64(b.N)/tWAL.Seconds(), "wal-appends/s")
				b.ReportMetric(float64(b.N)/tRaw.Seconds(), "raw-appends/s")
				b.ReportMetric(tRaw.Seconds()/tWAL.Seconds(), "ratio")
				b.ReportMetric(float64(walA)/float64(b.N), "wal-allocs/op")
				b.ReportMetric(float64(rawA)/float64(b.N), "raw-allocs/op")
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

// allocsDuring is the heap allocations f made (all goroutines).
func allocsDuring(f func()) uint64 {
	n, _ := allocBytesDuring(f)
	return n
}

// allocBytesDuring is the heap allocations and bytes f made.
func allocBytesDuring(f func()) (allocs, bytes uint64) {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.Mallocs - a.Mallocs, b.TotalAlloc - a.TotalAlloc
}

// benchPayloads are n ~80-byte records of varied content (a log line's
// size, as in issue 13's pipeline).
func benchPayloads(n int) [][]byte {
	ps := make([][]byte, n)
	for i := range ps {
		ps[i] = fmt.Appendf(nil, `{"id":%d,"host":"web-%02d","msg":"GET /api/v1/items 200 %dms"}`, 1000000+i, i%50, i%997)
	}
	return ps
}

// pipelined appends n records in batches of bs from one goroutine, the way
// qos::wal appends a pipeline's batches: it does not wait for a batch to be
// durable before the next, but at most window batches are in flight (a
// second goroutine waits for each in turn, as the operator's watcher
// does). work(i) is the pipeline's CPU work for event i (or nil).
func pipelined(n, bs, window int, fill func(b *Batch, from, to int), appendBatch func(b *Batch) <-chan struct{}) time.Duration {
	waits := make(chan (<-chan struct{}), window)
	done := make(chan struct{})
	go func() {
		for w := range waits {
			<-w
		}
		close(done)
	}()
	var b Batch
	start := time.Now()
	for i := 0; i < n; i += bs {
		b.Reset()
		fill(&b, i, min(i+bs, n))
		waits <- appendBatch(&b)
	}
	close(waits)
	<-done
	return time.Since(start)
}

// walBatch appends b whole through AppendBatch (no caps in benchmarks).
func walBatch(tb testing.TB, l *Log) func(b *Batch) <-chan struct{} {
	return func(b *Batch) <-chan struct{} {
		n, _, _, c, err := l.AppendBatch(b)
		if err != nil || n != b.Len() {
			tb.Fatalf("AppendBatch: %d of %d: %v", n, b.Len(), err)
		}
		return c.Done()
	}
}

var benchWriteDelay time.Duration

func init() {
	if d, err := time.ParseDuration(os.Getenv("WAL_BENCH_WRITE_DELAY")); err == nil {
		benchWriteDelay = d
	}
}

// BenchmarkAppendBatch: the qos::wal pattern of issue 13 — one pipeline
// appends batches of ~80-byte events, up to 16 batches in flight — beside
// raw group commit of the same framed bytes (one goroutine writes what
// has queued and fdatasyncs per the policy), in the same run. b.N is the
// number of events; use -benchtime 200000x or more (20,000 events of
// each are appended first, as a warm-up).
func BenchmarkAppendBatch(b *testing.B) {
	const warm = 20000
	for _, bs := range []int{16, 256} {
		for _, pol := range policies {
			b.Run(fmt.Sprintf("80B/batch%d/%s", bs, pol), func(b *testing.B) {
				ps := benchPayloads(4096)
				fill := func(bt *Batch, from, to int) {
					for i := from; i < to; i++ {
						bt.Add(ps[i%len(ps)])
					}
				}
				raw := newRaw(b, pol)
				defer raw.close()
				l := mustOpen(b, b.TempDir(), Options{Sync: pol, WriteDelay: benchWriteDelay})
				defer l.Close()
				rawAppend := func(bt *Batch) <-chan struct{} { return raw.appendBatch(bt) }
				pipelined(warm, bs, 16, fill, rawAppend)
				pipelined(warm, bs, 16, fill, walBatch(b, l))
				var bytes int64
				for _, p := range ps {
					bytes += int64(len(p))
				}
				b.SetBytes(bytes / int64(len(ps)))
				b.ReportAllocs()
				b.ResetTimer()
				var tRaw, tWAL time.Duration
				rawA := allocsDuring(func() { tRaw = pipelined(b.N, bs, 16, fill, rawAppend) })
				walA, walB := allocBytesDuring(func() { tWAL = pipelined(b.N, bs, 16, fill, walBatch(b, l)) })
				b.StopTimer()
				b.ReportMetric(float64(b.N)/tWAL.Seconds(), "wal-events/s")
				b.ReportMetric(float64(b.N)/tRaw.Seconds(), "raw-events/s")
				b.ReportMetric(tRaw.Seconds()/tWAL.Seconds(), "ratio")
				b.ReportMetric(float64(walA)/float64(b.N), "wal-allocs/event")
				b.ReportMetric(float64(walB)/float64(b.N), "wal-B/event")
				b.ReportMetric(float64(rawA)/float64(b.N), "raw-allocs/event")
				if st := l.Stats(); st.Writes > 0 {
					b.ReportMetric(float64(st.Appended)/float64(st.Writes), "wal-events/write")
				}
			})
		}
	}
}

// BenchmarkAckRange: acking a batch's range in one call beside acking its
// records one by one (Ack per seq, what the operator did), in the same
// run, over the same 256-record batches.
func BenchmarkAckRange(b *testing.B) {
	const bs = 256
	ps := benchPayloads(bs)
	open := func() (*Log, uint64) {
		l := mustOpen(b, b.TempDir(), Options{Sync: SyncNone})
		var bt Batch
		for _, p := range ps {
			bt.Add(p)
		}
		var c *Commit
		n := b.N
		for i := 0; i < n; i += bs {
			_, _, _, c, _ = l.AppendBatch(&bt)
		}
		<-c.Done()
		return l, l.Stats().Last
	}
	b.ReportAllocs()
	l1, last1 := open()
	defer l1.Close()
	l2, last2 := open()
	defer l2.Close()
	b.ResetTimer()
	var tOne, tRange time.Duration
	oneA := allocsDuring(func() {
		t0 := time.Now()
		for s := uint64(1); s <= last1; s++ {
			_ = l1.Ack(s)
		}
		tOne = time.Since(t0)
	})
	rangeA := allocsDuring(func() {
		t0 := time.Now()
		for s := uint64(1); s <= last2; s += bs {
			_ = l2.AckRange(s, s+bs-1)
		}
		tRange = time.Since(t0)
	})
	b.StopTimer()
	n := float64(last1)
	b.ReportMetric(float64(tRange.Nanoseconds())/n, "range-ns/event")
	b.ReportMetric(float64(tOne.Nanoseconds())/n, "one-by-one-ns/event")
	b.ReportMetric(tOne.Seconds()/tRange.Seconds(), "ratio")
	b.ReportMetric(float64(rangeA)/n, "range-allocs/event")
	b.ReportMetric(float64(oneA)/n, "one-by-one-allocs/event")
}

// spin is a pipeline's CPU work for one event (a few µs, allocation-free:
// issue 13's pipeline spends 4-15 µs of CPU per event).
func spin(p []byte) uint32 {
	h := uint32(2166136261)
	for r := 0; r < 40; r++ {
		for _, c := range p {
			h = (h ^ uint32(c)) * 16777619
		}
	}
	return h
}

var spinSink atomic.Uint32

// BenchmarkDurableLogsScale: k = 1, 2 and 4 durable (sync=always) logs in
// one process, each fed by its own pipeline goroutine that spends a few µs
// of CPU per event and appends batches of 64 (64 in flight), for
// GOMAXPROCS = cores and = cores + 2, with each log's writer on an
// ordinary goroutine or on an OS thread of its own (LockOSThread). It
// reports total events/s for each k, the scaling (k logs / 1 log), and
// raw group commit with the same pipelines in the same run (ratio at
// k=4). b.N is the events per pipeline.
func BenchmarkDurableLogsScale(b *testing.B) {
	cores := runtime.NumCPU()
	for _, procs := range []int{cores, cores + 2} {
		for _, locked := range []bool{false, true} {
			thread := "goroutine"
			if locked {
				thread = "locked-thread"
			}
			b.Run(fmt.Sprintf("procs%d/writer-%s", procs, thread), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				defer func(old bool) { lockWriterThread = old }(lockWriterThread)
				lockWriterThread = locked
				ps := benchPayloads(4096)
				fill := func(bt *Batch, from, to int) {
					var h uint32
					for i := from; i < to; i++ {
						p := ps[i%len(ps)]
						h += spin(p)
						bt.Add(p)
					}
					spinSink.Add(h)
				}
				run := func(k int, rawMode bool) float64 {
					appends := make([]func(*Batch) <-chan struct{}, k)
					for j := range appends {
						if rawMode {
							r := newRaw(b, SyncAlways)
							defer r.close()
							appends[j] = func(bt *Batch) <-chan struct{} { return r.appendBatch(bt) }
						} else {
							l := mustOpen(b, b.TempDir(), Options{Sync: SyncAlways})
							defer l.Close()
							appends[j] = walBatch(b, l)
						}
					}
					var wg sync.WaitGroup
					start := time.Now()
					for j := range appends {
						wg.Add(1)
						go func() {
							defer wg.Done()
							pipelined(b.N, 64, 64, fill, appends[j])
						}()
					}
					wg.Wait()
					return float64(k*b.N) / time.Since(start).Seconds()
				}
				b.ResetTimer()
				var wal, raw [5]float64
				for _, k := range []int{1, 2, 4} {
					raw[k] = run(k, true)
					wal[k] = run(k, false)
				}
				b.StopTimer()
				for _, k := range []int{1, 2, 4} {
					b.ReportMetric(wal[k], fmt.Sprintf("wal-%dlogs-events/s", k))
				}
				b.ReportMetric(wal[2]/wal[1], "wal-scale-2/1")
				b.ReportMetric(wal[4]/wal[1], "wal-scale-4/1")
				b.ReportMetric(raw[4]/raw[1], "raw-scale-4/1")
				b.ReportMetric(raw[4], "raw-4logs-events/s")
				b.ReportMetric(wal[4]/raw[4], "ratio-4logs")
			})
		}
	}
}
