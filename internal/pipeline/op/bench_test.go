package op_test

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

// blackhole acks every event at once and reports each arrival.
type blackhole struct {
	n      atomic.Int64
	onRecv func(ev *event.Event)
}

func (b *blackhole) Name() string { return "blackhole" }
func (b *blackhole) Send(_ context.Context, batch *event.Batch, back pipeline.Upstream) error {
	if b.onRecv != nil {
		for i := range batch.Events {
			b.onRecv(&batch.Events[i])
		}
	}
	b.n.Add(int64(len(batch.Events)))
	if ids := batch.TransactionalIDs(); !ids.IsZero() {
		back.Contraflow(event.Insight{Action: event.ActAck, IDs: ids})
	}
	return nil
}

const benchPatch = "select patch event of insert hostname = system::hostname() end from in into %s;\n"

func benchPipeline(b *testing.B, withWAL bool, sync string, out *blackhole) (*pipeline.Pipeline, func()) {
	src := "use tremor::system;\n"
	if withWAL {
		src += "define qos::wal operator w with read_count = 1000, max_elements = 10000000, max_inflight = 10000, sync = \"" + sync + "\" end;\ncreate operator w;\n" +
			fmt.Sprintf(benchPatch, "w") + "select event from w into out;\n"
	} else {
		src += fmt.Sprintf(benchPatch, "out")
	}
	q, err := lang.ParseQuery("bench.trickle", []byte(src), lang.Options{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := pipeline.Build(q, "/pipeline/bench/01", pipeline.BuildEnv{DataDir: b.TempDir(), Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Connect("out", out); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = p.Run(ctx); close(done) }()
	return p, func() { cancel(); <-done }
}

func metronomeEvent(src event.SourceID, i int) *event.Event {
	return &event.Event{ID: event.One(src, 0, uint64(i)), IngestNS: uint64(time.Now().UnixNano()),
		Data: event.RecordOf("onramp", "metronome", "id", int64(i), "ingest_ns", time.Now().UnixNano())}
}

// pump sends n events and waits until the blackhole saw them all.
func pump(b *testing.B, p *pipeline.Pipeline, out *blackhole, n int) time.Duration {
	d, _ := pumpBatches(b, p, out, n, 1)
	return d
}

// pumpBatches sends n transactional events in batches of size and waits
// until the blackhole saw them all; it returns the time taken and the
// heap allocations per event (of the whole process, so the pipeline's
// goroutine and the WAL's are counted).
func pumpBatches(b *testing.B, p *pipeline.Pipeline, out *blackhole, n, size int) (time.Duration, float64) {
	src := event.NewSourceID()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	start := time.Now()
	base := out.n.Load()
	for i := 0; i < n; {
		k := min(size, n-i)
		batch := &event.Batch{Events: make([]event.Event, k)}
		for j := range k {
			batch.Events[j] = *metronomeEvent(src, i+j)
			batch.Events[j].Transactional = true
		}
		if err := p.Send(context.Background(), batch, nil); err != nil {
			b.Fatal(err)
		}
		i += k
	}
	for out.n.Load()-base < int64(n) {
		time.Sleep(50 * time.Microsecond)
	}
	el := time.Since(start)
	runtime.ReadMemStats(&ms)
	return el, float64(ms.Mallocs-mallocs) / float64(n)
}

// BenchmarkWALPipeline: generator → patch → qos::wal → blackhole, beside the
// same pipeline without the WAL, in the same run; reports both rates and the
// ratio (WAL / no WAL). Events go one per batch, as a source that hands
// over event by event does.
func BenchmarkWALPipeline(b *testing.B) {
	for _, sync := range []string{"always", "interval", "none"} {
		b.Run("sync="+sync, func(b *testing.B) {
			outBase, outWAL := &blackhole{}, &blackhole{}
			pBase, stopBase := benchPipeline(b, false, sync, outBase)
			defer stopBase()
			pWAL, stopWAL := benchPipeline(b, true, sync, outWAL)
			defer stopWAL()
			b.ResetTimer()
			tBase := pump(b, pBase, outBase, b.N)
			tWAL := pump(b, pWAL, outWAL, b.N)
			b.StopTimer()
			base := float64(b.N) / tBase.Seconds()
			wal := float64(b.N) / tWAL.Seconds()
			b.ReportMetric(base, "baseline-events/s")
			b.ReportMetric(wal, "wal-events/s")
			b.ReportMetric(wal/base, "ratio")
		})
	}
}

// BenchmarkBatches: the same two pipelines (patch, and patch → qos::wal
// sync=always → blackhole), fed one event per hand-over (the baseline: what
// a per-event engine does) and in batches of 64 and 256 (what the SDK's
// sources hand over), in the same run. Reports events/s and heap
// allocations per event of each, and each batch size's rate against the
// one-event baseline as a ratio.
//
//	go test -run xxx -bench BenchmarkBatches -benchtime 200000x ./internal/pipeline/op
func BenchmarkBatches(b *testing.B) {
	for _, withWAL := range []bool{false, true} {
		name := "patch"
		if withWAL {
			name = "patch+wal"
		}
		b.Run(name, func(b *testing.B) {
			sizes := []int{1, 64, 256}
			type pipe struct {
				p    *pipeline.Pipeline
				out  *blackhole
				stop func()
			}
			pipes := make([]pipe, len(sizes))
			for i := range sizes {
				out := &blackhole{}
				p, stop := benchPipeline(b, withWAL, "always", out)
				defer stop()
				pipes[i] = pipe{p, out, stop}
				pumpBatches(b, p, out, 20000, sizes[i]) // warm-up (WAL start-up, first segments)
			}
			b.ResetTimer()
			rates := make([]float64, len(sizes))
			allocs := make([]float64, len(sizes))
			for i, size := range sizes {
				d, a := pumpBatches(b, pipes[i].p, pipes[i].out, b.N, size)
				rates[i], allocs[i] = float64(b.N)/d.Seconds(), a
			}
			b.StopTimer()
			for i, size := range sizes {
				b.ReportMetric(rates[i], fmt.Sprintf("b%d-events/s", size))
				b.ReportMetric(allocs[i], fmt.Sprintf("b%d-allocs/event", size))
				if i > 0 {
					b.ReportMetric(rates[i]/rates[0], fmt.Sprintf("b%d/b1", size))
				}
			}
		})
	}
}

// BenchmarkWALLatency10k offers events at a fixed 10,000 events/s through
// patch → qos::wal (sync=always) → blackhole and reports p50/p99 latency
// from send to arrival.
func BenchmarkWALLatency10k(b *testing.B) {
	var mu sync.Mutex
	sentAt := map[int64]time.Time{}
	var lat []time.Duration
	out := &blackhole{onRecv: func(ev *event.Event) {
		id, _ := ev.Data.(*event.Record).Get("id")
		mu.Lock()
		if t0, ok := sentAt[id.(int64)]; ok {
			lat = append(lat, time.Since(t0))
			delete(sentAt, id.(int64))
		}
		mu.Unlock()
	}}
	p, stop := benchPipeline(b, true, "always", out)
	defer stop()
	src := event.NewSourceID()
	const interval = 100 * time.Microsecond // 10k/s
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		mu.Lock()
		sentAt[int64(i)] = time.Now()
		mu.Unlock()
		if err := p.Send(context.Background(), event.BatchOf(metronomeEvent(src, i)), nil); err != nil {
			b.Fatal(err)
		}
	}
	for out.n.Load() < int64(b.N) {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "offered-events/s")
}
