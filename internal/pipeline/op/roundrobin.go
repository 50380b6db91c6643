package op

import (
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

// qos::roundrobin sends each event to the next of its output ports in
// turn, skipping outputs that failed an event until the circuit is
// restored; with every output closed, events go to `overflow`.

type roundrobinConfig struct {
	Outputs []string `conf:"outputs" doc:"The output ports to distribute events over, in order (default [\"out\"])." example:"[\"one\", \"two\"]"`
}

var roundrobinSchema = conf.MustSchemaOf(roundrobinConfig{})

func init() {
	pipeline.RegisterOperator(pipeline.OperatorSpec{
		Name: "qos::roundrobin",
		Doc: "Distributes events over the ports named in `outputs` (default `[\"out\"]`), one after the other. An output whose event " +
			"failed downstream is skipped until a circuit breaker restores; when every output is skipped, events go to `overflow` " +
			"and a trigger goes upstream.",
		Config: roundrobinSchema,
		New: func(_ pipeline.OpEnv, p *pipeline.Params) (pipeline.Operator, error) {
			cfg := roundrobinConfig{}
			at, err := p.Decode(roundrobinSchema, &cfg)
			if err != nil {
				return nil, err
			}
			if !at.Has("outputs") {
				cfg.Outputs = []string{"out"}
			}
			if len(cfg.Outputs) == 0 {
				return nil, at.Errorf("outputs", "`outputs` must name at least one port")
			}
			o := &roundrobin{outputs: cfg.Outputs, open: make([]bool, len(cfg.Outputs)), sent: map[event.Range]int{}}
			for i := range o.open {
				o.open[i] = true
			}
			return o, nil
		},
	})
}

type roundrobin struct {
	outputs []string
	open    []bool
	next    int
	sent    map[event.Range]int // transactional events in flight → output
	tripped bool
}

func (o *roundrobin) OnEvent(c *pipeline.Context, _ string, ev *event.Event) error {
	for n := range o.outputs {
		i := (o.next + n) % len(o.outputs)
		if o.open[i] {
			o.next = i + 1
			if ev.Transactional {
				o.sent[ev.ID.First()] = i
			}
			c.Emit(o.outputs[i], ev)
			return nil
		}
	}
	c.Emit("overflow", ev)
	return nil
}

func (o *roundrobin) anyOpen() bool {
	for _, b := range o.open {
		if b {
			return true
		}
	}
	return false
}

func (o *roundrobin) OnContraflow(c *pipeline.Context, in *event.Insight) bool {
	switch in.Action {
	case event.ActAck, event.ActFail:
		for r := range in.IDs.Events() {
			i, ok := o.sent[r]
			if !ok {
				continue
			}
			delete(o.sent, r)
			o.open[i] = in.Action == event.ActAck
			if !o.anyOpen() && !o.tripped {
				o.tripped = true
				c.Upstream(event.Insight{Action: event.ActTrigger, From: c.URL(), Reason: "qos::roundrobin: every output failed"})
			}
		}
	case event.ActRestore:
		for i := range o.open {
			o.open[i] = true
		}
		if o.tripped {
			o.tripped = false
			c.Upstream(event.Insight{Action: event.ActRestore, From: c.URL()})
		}
	}
	return true
}
