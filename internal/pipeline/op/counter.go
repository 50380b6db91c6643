package op

import (
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

// generic::counter wraps each event as {"count": N, "event": EVENT}, N
// counting from 1 for the operator instance.

type counterConfig struct{}

var counterSchema = conf.MustSchemaOf(counterConfig{})

func init() {
	pipeline.RegisterOperator(pipeline.OperatorSpec{
		Name:   "generic::counter",
		Doc:    "Counts the events it sees: each becomes `{\"count\": N, \"event\": EVENT}`, N from 1. Takes no parameters.",
		Config: counterSchema,
		New: func(_ pipeline.OpEnv, p *pipeline.Params) (pipeline.Operator, error) {
			var cfg counterConfig
			if _, err := p.Decode(counterSchema, &cfg); err != nil {
				return nil, err
			}
			return &counter{}, nil
		},
	})
}

type counter struct{ n uint64 }

func (o *counter) OnEvent(c *pipeline.Context, _ string, ev *event.Event) error {
	o.n++
	ev.Data = event.RecordOf("count", o.n, "event", ev.Data)
	c.Emit("out", ev)
	return nil
}
