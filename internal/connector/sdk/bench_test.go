package sdk

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
)

// These benchmarks measure what the runners add per event, beside the
// codec work alone in the same run (the baseline), as a ratio; run with
// -benchmem for allocations (reported per event as allocs/event).

var sample = []byte(`{"onramp":"metronome","id":12345,"ingest_ns":1600860720749137000,"hostname":"bench"}`)

type discard struct{}

func (discard) Connect(context.Context) error                      { return nil }
func (discard) Write(context.Context, *Batch) error                { return nil }
func (discard) Disconnect() error                                  { return nil }
func (discard) Contraflow(event.Insight)                           {}
func (discard) Send(context.Context, *event.Batch, Upstream) error { return nil }

// BenchmarkSinkRunner: batches of events through Send → the runner → a
// sink that discards, acked back, beside encoding the same events.
func BenchmarkSinkRunner(b *testing.B) {
	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			js := mustCodec(&testing.T{}, "json")
			v, err := js.Decode(sample)
			if err != nil {
				b.Fatal(err)
			}
			batch := &event.Batch{}
			for i := range size {
				batch.Events = append(batch.Events, event.Event{ID: event.One(1, 0, uint64(i)), Data: v, Transactional: true})
			}
			// Baseline: encode only.
			start := time.Now()
			for range b.N {
				for i := range batch.Events {
					if _, err := js.Encode(batch.Events[i].Data); err != nil {
						b.Fatal(err)
					}
				}
			}
			base := time.Since(start)
			r := NewSinkRunner("/offramp/b/01", "bench", discard{}, js, nil, SinkOptions{Queue: 64})
			ctx, cancel := context.WithCancel(context.Background())
			if err := r.Open(ctx, quiet); err != nil {
				b.Fatal(err)
			}
			done := make(chan struct{})
			go func() { _ = r.Run(ctx); close(done) }()
			b.ResetTimer()
			start = time.Now()
			for range b.N {
				if err := r.Send(ctx, batch, discard{}); err != nil {
					b.Fatal(err)
				}
			}
			r.CloseInput()
			<-done
			el := time.Since(start)
			b.StopTimer()
			cancel()
			n := float64(b.N * size)
			b.ReportMetric(n/el.Seconds(), "events/s")
			b.ReportMetric(n/base.Seconds(), "encode-only-events/s")
			b.ReportMetric(base.Seconds()/el.Seconds(), "ratio")
		})
	}
}

// BenchmarkSourceRunner: inputs of lines pushed through the runner
// (decode, IDs, hand-over) beside decoding the same lines.
func BenchmarkSourceRunner(b *testing.B) {
	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			js := mustCodec(&testing.T{}, "json")
			frames := make([][]byte, size)
			for i := range frames {
				frames[i] = sample
			}
			start := time.Now()
			for range b.N {
				for _, f := range frames {
					if _, err := js.Decode(f); err != nil {
						b.Fatal(err)
					}
				}
			}
			base := time.Since(start)
			r := NewSourceRunner("/onramp/b/01", "bench", &script{}, js, nil)
			r.Link("out", discard{})
			ctx := context.Background()
			if err := r.Open(ctx, quiet); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start = time.Now()
			for range b.N {
				if err := r.Push(ctx, &Input{Frames: frames}); err != nil {
					b.Fatal(err)
				}
			}
			el := time.Since(start)
			b.StopTimer()
			n := float64(b.N * size)
			b.ReportMetric(n/el.Seconds(), "events/s")
			b.ReportMetric(n/base.Seconds(), "decode-only-events/s")
			b.ReportMetric(base.Seconds()/el.Seconds(), "ratio")
		})
	}
}
