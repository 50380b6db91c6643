package op_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

// countingOutput counts what reaches a port.
type countingOutput struct{ n atomic.Int64 }

func (o *countingOutput) Name() string { return "count" }
func (o *countingOutput) Send(_ context.Context, b *event.Batch, _ pipeline.Upstream) error {
	o.n.Add(int64(len(b.Events)))
	return nil
}

const (
	benchPassthrough = "select event from in into out;\n"
	benchWhere       = "select {\"host\": event.host, \"v\": event.v} from in where event.v > 10 and event.host != \"h3\" into out;\n"
	benchWindow      = "define tumbling window w with size = 100 end;\n" +
		"select {\"host\": group[0], \"n\": aggr::stats::count(), \"mean\": aggr::stats::mean(event.v), \"max\": aggr::stats::max(event.v)}\n" +
		"from in[w] group by set(event.host) into out;\n"
)

// runQuery sends n events through a pipeline built from src and returns
// the events per second.
func runQuery(b *testing.B, src string, vals []event.Value, n int) float64 {
	q, err := lang.ParseQuery("bench.trickle", []byte(src), lang.Options{})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := pipeline.Build(q, "/pipeline/bench/01", pipeline.BuildEnv{Logger: log, Options: pipeline.Options{NoTicks: true, Logger: log}})
	if err != nil {
		b.Fatal(err)
	}
	out := &countingOutput{}
	if err := p.Connect("out", out); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	start := time.Now()
	for i := 0; i < n; i++ {
		ev := &event.Event{IngestNS: uint64(i), Data: vals[i%len(vals)]}
		if err := p.Send(ctx, event.BatchOf(ev), nil); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	cancel()
	<-done
	return float64(n) / el.Seconds()
}

// BenchmarkTrickle runs, in the same run, a passthrough query (the
// baseline: the pipeline's own cost per event), a select with a where
// clause, and a count window (100 events) grouped by host with three
// aggregates; it reports each in events/s and the two against the
// passthrough as ratios.
//
//	go test -run xxx -bench BenchmarkTrickle -benchtime 200000x ./internal/pipeline/op
func BenchmarkTrickle(b *testing.B) {
	vals := make([]event.Value, 1024)
	for i := range vals {
		vals[i] = event.RecordOf("host", fmt.Sprintf("h%d", i%8), "v", float64(i%50), "msg", "a log line of some length", "n", int64(i))
	}
	n := max(b.N, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	base := runQuery(b, benchPassthrough, vals, n)
	where := runQuery(b, benchWhere, vals, n)
	win := runQuery(b, benchWindow, vals, n)
	b.StopTimer()
	b.ReportMetric(base, "passthrough_ev/s")
	b.ReportMetric(where, "where_ev/s")
	b.ReportMetric(win, "window_ev/s")
	b.ReportMetric(where/base, "where_ratio")
	b.ReportMetric(win/base, "window_ratio")
}
