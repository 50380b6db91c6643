// Package blackhole is the blackhole offramp: it acks and discards every
// event, and measures what went through — throughput and an HDR
// histogram of the latency since each event entered the engine — for
// benchmarks.
package blackhole

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[config]{
		Name:    "blackhole",
		Summary: "Acks and discards every event, and reports throughput and latency at the end (for benchmarks)",
		Docs: "The offramp measures from the moment it opens. Events in the first `warmup_secs` are acked and not " +
			"measured; after that it counts events and encoded bytes and records each event's latency (from when " +
			"its onramp received it to now) in an HDR histogram with `significant_figures` digits. After " +
			"`warmup_secs` + `stop_after_secs` it prints the report to standard output and stops the engine " +
			"gracefully (every `qos::wal` delivers what it holds first); the process exits 0. With " +
			"`stop_after_secs: 0` it never stops the engine, and prints the report when the engine stops.\n\n" +
			"The report is Tremor's: the histogram's percentile table (latencies in nanoseconds), its mean, " +
			"standard deviation, maximum and count, then `Throughput: N MB/s` — and `Throughput: N events/s`, " +
			"which Tremor did not print. Tremor stopped only when an event arrived after the deadline, divided by " +
			"`stop_after_secs` rather than the time measured, and exited on the spot; temblor stops on time " +
			"(even with no traffic), divides by the time it measured, and shuts down gracefully.",
		DefaultCodec: "null",
		Acks:         "received (the event is discarded)",
		New: func(c *config, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
			return &blackhole{cfg: *c, out: os.Stdout}, sdk.SinkOptions{}, nil
		},
	})
}

type config struct {
	WarmupSecs         uint64 `conf:"warmup_secs" default:"0" doc:"Seconds during which events are acked but not measured."`
	StopAfterSecs      uint64 `conf:"stop_after_secs" default:"0" doc:"Seconds to measure after the warm-up; then the report is printed and the engine stops. 0: never stop."`
	SignificantFigures uint64 `conf:"significant_figures" default:"2" min:"1" max:"5" doc:"Significant decimal digits the latency histogram keeps."`
}

// The histogram's range, in nanoseconds, as Tremor's.
const lowest, highest = 1, 100_000_000_000

type blackhole struct {
	cfg  config
	out  io.Writer
	ctl  sdk.Control
	stop *time.Timer

	mu       sync.Mutex
	hist     *hdrhistogram.Histogram
	opened   time.Time
	measured time.Time // end of the warm-up
	events   uint64
	bytes    uint64
	reported bool
}

var (
	_ sdk.Sink         = (*blackhole)(nil)
	_ sdk.Controlled   = (*blackhole)(nil)
	_ component.Opener = (*blackhole)(nil)
	_ component.Closer = (*blackhole)(nil)
)

func (b *blackhole) SetControl(c sdk.Control) { b.ctl = c }

func (b *blackhole) Open(context.Context, component.Env) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hist = hdrhistogram.New(lowest, highest, int(b.cfg.SignificantFigures))
	b.opened = time.Now()
	b.measured = b.opened.Add(time.Duration(b.cfg.WarmupSecs) * time.Second)
	if b.cfg.StopAfterSecs > 0 {
		b.stop = time.AfterFunc(time.Duration(b.cfg.WarmupSecs+b.cfg.StopAfterSecs)*time.Second, b.finish)
	}
	return nil
}

// finish prints the report and stops the engine.
func (b *blackhole) finish() {
	if !b.report() {
		return
	}
	if b.ctl != nil {
		b.ctl.Stop(0, fmt.Sprintf("blackhole: measured for stop_after_secs (%d s) after warmup_secs (%d s)", b.cfg.StopAfterSecs, b.cfg.WarmupSecs))
	}
}

func (b *blackhole) Connect(context.Context) error { return nil }
func (b *blackhole) Disconnect() error             { return nil }

func (b *blackhole) Write(_ context.Context, batch *sdk.Batch) error {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.reported || now.Before(b.measured) {
		return nil
	}
	ns := now.UnixNano()
	for i := range batch.Messages {
		m := &batch.Messages[i]
		for _, p := range m.Payloads {
			b.bytes += uint64(len(p))
		}
		b.events++
		lat := ns - int64(m.IngestNS)
		if lat < lowest {
			lat = lowest
		} else if lat > highest {
			lat = highest
		}
		_ = b.hist.RecordValue(lat) // in range: cannot fail
	}
	return nil
}

// report prints the report once; false if it was printed already.
func (b *blackhole) report() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.reported || b.hist == nil {
		return false
	}
	b.reported = true
	secs := time.Since(b.measured).Seconds()
	if secs <= 0 {
		secs = math.SmallestNonzeroFloat64
	}
	var w strings.Builder
	writeQuantiles(&w, b.hist)
	fmt.Fprintf(&w, "\n\nThroughput: %.1f MB/s\n", float64(b.bytes)/secs/(1024*1024))
	fmt.Fprintf(&w, "Throughput: %.1f events/s\n", float64(b.events)/secs)
	_, _ = io.WriteString(b.out, w.String())
	return true
}

// writeQuantiles writes the histogram as Tremor's blackhole did: the
// percentile table (two ticks per half distance, five decimals), then the
// summary lines.
func writeQuantiles(w io.Writer, h *hdrhistogram.Histogram) {
	const precision = 5
	fmt.Fprintf(w, "%10s %*s %10s %14s\n\n", "Value", precision+2, "Percentile", "TotalCount", "1/(1-Percentile)")
	if h.TotalCount() > 0 {
		for _, br := range h.CumulativeDistributionWithTicks(2) {
			q := br.Quantile / 100
			if q < 1 {
				fmt.Fprintf(w, "%12d %1.*f %10d %14.2f\n", br.ValueAt, precision, q, br.Count, 1/(1-q))
			} else {
				fmt.Fprintf(w, "%12d %1.*f %10d %14s\n", br.ValueAt, precision, q, br.Count, "inf")
			}
		}
	}
	fmt.Fprintf(w, "#[%-10s = %12.2f, %-14s = %12.2f]\n", "Mean", h.Mean(), "StdDeviation", h.StdDev())
	fmt.Fprintf(w, "#[%-10s = %12d, %-14s = %12d]\n", "Max", h.Max(), "Total count", h.TotalCount())
	fmt.Fprintf(w, "#[%-10s = %12d, %-14s = %12d]\n", "Buckets", buckets(h), "SubBuckets", len(h.Export().Counts))
}

// buckets is the number of buckets of h's geometry (the library keeps it
// to itself): each doubles the range of the one before, from the first
// bucket's sub-bucket count up to the highest trackable value.
func buckets(h *hdrhistogram.Histogram) int {
	sub := int64(1)
	for largest := 2 * int64(math.Pow10(int(h.SignificantFigures()))); sub < largest; {
		sub <<= 1
	}
	n := 1
	for smallest := sub; smallest <= h.HighestTrackableValue(); n++ {
		if smallest > math.MaxInt64/2 {
			return n + 1
		}
		smallest <<= 1
	}
	return n
}

// Close prints the report if the engine stopped before stop_after_secs
// (or it is 0).
func (b *blackhole) Close() error {
	if b.stop != nil {
		b.stop.Stop()
	}
	b.report()
	return nil
}
