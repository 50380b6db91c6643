package connector

import (
	"context"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	RegisterSource(SourceSpec{
		Name:         "metronome",
		Doc:          "Emits {\"onramp\":\"metronome\",\"id\":N,\"ingest_ns\":T} every `interval` milliseconds, N counting from 0.",
		DefaultCodec: "json",
		New:          newMetronome,
	})
}

type metronomeConfig struct {
	Interval uint64 `yaml:"interval"` // milliseconds, required
}

type metronome struct {
	interval time.Duration
}

func newMetronome(p Params) (Source, error) {
	var c metronomeConfig
	if err := p.Config.Decode(&c); err != nil {
		return nil, err
	}
	if c.Interval == 0 {
		return nil, p.Config.Errorf("interval", "`interval` (milliseconds, at least 1) is required, e.g. `interval: 1000`")
	}
	return &metronome{interval: time.Duration(c.Interval) * time.Millisecond}, nil
}

// Run ticks until ctx ends. While a circuit breaker holds EmitValue, ticks
// are skipped, so ids continue without gaps when it resumes.
func (m *metronome) Run(ctx context.Context, out SourceOutput) error {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	var id int64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		rec := event.RecordOf("onramp", "metronome", "id", id, "ingest_ns", time.Now().UnixNano())
		if _, err := out.EmitValue(ctx, rec, nil); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		id++
	}
}
