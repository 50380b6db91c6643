package op

import (
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

// generic::batch collects events into one batch event of `count` events
// (or fewer, once `timeout` ms passed since the batch's first event). A
// sink writes each event of a batch as a message of its own; the batch is
// acked or failed as a whole, and that answer goes back to every event in
// it — so a qos::wal before a batch keeps its events until the batch was
// delivered.

type batchConfig struct {
	Count   uint64  `conf:"count,required" min:"1" doc:"The number of events in a batch." example:"100"`
	Timeout *uint64 `conf:"timeout" doc:"Milliseconds after a batch's first event when it is sent however many events it has (checked on events and on ticks)."`
}

var batchSchema = conf.MustSchemaOf(batchConfig{})

func init() {
	pipeline.RegisterOperator(pipeline.OperatorSpec{
		Name: "generic::batch",
		Doc: "Collects `count` events into one batch event (sooner after `timeout` ms, when set). Sinks write the events of a batch one by one; " +
			"its ack or fail goes back to every event in it.",
		Config: batchSchema,
		New: func(_ pipeline.OpEnv, p *pipeline.Params) (pipeline.Operator, error) {
			var cfg batchConfig
			if _, err := p.Decode(batchSchema, &cfg); err != nil {
				return nil, err
			}
			b := &batch{count: int(min(cfg.Count, 1<<30))}
			if cfg.Timeout != nil {
				b.maxDelay = *cfg.Timeout * 1_000_000
			}
			return b, nil
		},
	})
}

type batch struct {
	count    int
	maxDelay uint64 // ns; 0: none

	data    []event.Value
	ids     event.IDs // the transactional events in the open batch, kept
	firstNS uint64
}

func (b *batch) OnEvent(c *pipeline.Context, _ string, ev *event.Event) error {
	if len(b.data) == 0 {
		b.firstNS = ev.IngestNS
	}
	meta := ev.Meta
	if meta == nil {
		meta = event.NewRecord(0)
	}
	b.data = append(b.data, event.RecordOf("data", event.RecordOf("value", ev.Data, "meta", meta,
		"ingest_ns", ev.IngestNS, "kind", nil, "is_batch", ev.Batch)))
	if ev.Transactional {
		c.Keep(ev)
		b.ids.AddAll(ev.ID)
	}
	if len(b.data) >= b.count || (b.maxDelay > 0 && ev.IngestNS-b.firstNS > b.maxDelay) {
		b.flush(c)
	}
	return nil
}

func (b *batch) flush(c *pipeline.Context) {
	if len(b.data) == 0 {
		return
	}
	// The batch event carries the IDs of its transactional events: its
	// ack or fail reaches each of them (and their sources or WALs).
	out := &event.Event{ID: b.ids, IngestNS: b.firstNS, Data: b.data,
		Meta: event.NewRecord(0), Batch: true, Transactional: !b.ids.IsZero()}
	ids := b.ids
	b.data, b.ids = nil, event.IDs{}
	c.Emit("out", out)
	if !ids.IsZero() {
		c.Release(ids)
	}
}

// OnSignal sends a batch whose timeout passed.
func (b *batch) OnSignal(c *pipeline.Context) error {
	if b.maxDelay > 0 && len(b.data) > 0 && c.Now()-b.firstNS > b.maxDelay {
		b.flush(c)
	}
	return nil
}
