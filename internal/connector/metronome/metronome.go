// Package metronome is the metronome onramp: an event at a fixed interval.
package metronome

import (
	"context"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[config]{
		Name:         "metronome",
		Summary:      "Emits {\"onramp\":\"metronome\",\"id\":N,\"ingest_ns\":T} every `interval` milliseconds, N counting from 0",
		Docs:         "While a circuit breaker downstream is open it pauses: ticks are skipped, and ids go on without gaps when it resumes.",
		DefaultCodec: "json",
		New: func(c *config, _ sdk.Params) (sdk.Source, error) {
			return &metronome{interval: sdk.Millis(c.Interval)}, nil
		},
	})
}

type config struct {
	Interval uint64 `conf:"interval,required" min:"1" doc:"Milliseconds between events." example:"1000"`
}

type metronome struct {
	interval time.Duration
	t        *time.Ticker
	id       int64
}

var (
	_ sdk.PullSource   = (*metronome)(nil)
	_ component.Opener = (*metronome)(nil)
	_ component.Closer = (*metronome)(nil)
)

func (m *metronome) Open(context.Context, component.Env) error {
	m.t = time.NewTicker(m.interval)
	return nil
}

// Read waits for the next tick. The runner does not read while a breaker
// is open, and a ticker drops the ticks nobody took.
func (m *metronome) Read(ctx context.Context) (*sdk.Input, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-m.t.C:
	}
	rec := event.RecordOf("onramp", "metronome", "id", m.id, "ingest_ns", time.Now().UnixNano())
	m.id++
	return &sdk.Input{Values: []event.Value{rec}}, nil
}

func (m *metronome) Close() error {
	if m.t != nil {
		m.t.Stop()
	}
	return nil
}
