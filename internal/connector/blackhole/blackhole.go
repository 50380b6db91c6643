// Package blackhole is the blackhole offramp: it acks and discards.
package blackhole

import (
	"context"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[config]{
		Name:         "blackhole",
		Summary:      "Acks and discards every event (for benchmarks)",
		Docs:         "Tremor's fields are accepted; temblor does not print Tremor's latency histogram yet.",
		DefaultCodec: "json",
		Acks:         "received",
		New: func(*config, sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
			return blackhole{}, sdk.SinkOptions{}, nil
		},
	})
}

type config struct {
	WarmupSecs         uint64 `conf:"warmup_secs" doc:"Accepted for Tremor compatibility; unused."`
	StopAfterSecs      uint64 `conf:"stop_after_secs" doc:"Accepted for Tremor compatibility; unused."`
	SignificantFigures uint64 `conf:"significant_figures" doc:"Accepted for Tremor compatibility; unused."`
}

type blackhole struct{}

func (blackhole) Connect(context.Context) error           { return nil }
func (blackhole) Write(context.Context, *sdk.Batch) error { return nil }
func (blackhole) Disconnect() error                       { return nil }
