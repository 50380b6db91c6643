package op

import (
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

// qos::percentile lets through a share of the events that shrinks by
// `step_down` on every failed or slow answer (slower than `timeout` ms)
// and grows by `step_up` on every timely ack; the others go to
// `overflow`. Which events pass is decided from their ingest time, as in
// Tremor. Events are sent as transactional so that answers come back; the
// answers of events that were not are consumed here.

type percentileConfig struct {
	Timeout  float64 `conf:"timeout,required" doc:"Milliseconds: an ack slower than this counts as a failure." example:"100"`
	StepDown float64 `conf:"step_down" default:"0.05" min:"0" max:"1" doc:"How much the share shrinks on a failure."`
	StepUp   float64 `conf:"step_up" default:"0.001" min:"0" max:"1" doc:"How much the share grows on a timely ack."`
}

var percentileSchema = conf.MustSchemaOf(percentileConfig{})

func init() {
	pipeline.RegisterOperator(pipeline.OperatorSpec{
		Name: "qos::percentile",
		Doc: "Lets a share of events through to `out` (the rest to `overflow`): the share drops by `step_down` (default 0.05) on a fail " +
			"or an ack slower than `timeout` ms, and rises by `step_up` (default 0.001) on a timely ack.",
		Config: percentileSchema,
		New: func(_ pipeline.OpEnv, p *pipeline.Params) (pipeline.Operator, error) {
			var cfg percentileConfig
			if _, err := p.Decode(percentileSchema, &cfg); err != nil {
				return nil, err
			}
			return &percentile{cfg: cfg, perc: 1, sent: map[event.Range]sentEvent{}}, nil
		},
	})
}

type percentile struct {
	cfg  percentileConfig
	perc float64
	sent map[event.Range]sentEvent
}

func (o *percentile) OnEvent(c *pipeline.Context, _ string, ev *event.Event) error {
	r := float64(ev.IngestNS%0xFFFF) / float64(0xFFFF)
	if r > o.perc {
		c.Emit("overflow", ev)
		return nil
	}
	o.sent[ev.ID.First()] = sentEvent{at: c.Now(), tx: ev.Transactional}
	ev.Transactional = true
	c.Emit("out", ev)
	return nil
}

func (o *percentile) OnContraflow(c *pipeline.Context, in *event.Insight) bool {
	if in.Action != event.ActAck && in.Action != event.ActFail {
		return true
	}
	return passOn(in, o.sent, func(s sentEvent) {
		if in.Action == event.ActFail || float64(c.Now()-s.at)/1e6 > o.cfg.Timeout {
			o.perc = max(o.perc-o.cfg.StepDown, 0)
		} else {
			o.perc = min(o.perc+o.cfg.StepUp, 1)
		}
	})
}
