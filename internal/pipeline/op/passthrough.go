package op

import (
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

func init() {
	pipeline.RegisterOperator(pipeline.OperatorSpec{
		Name: "passthrough",
		Doc:  "Forwards every event from its input to its `out` port unchanged.",
		New: func(env pipeline.OpEnv, p *pipeline.Params) (pipeline.Operator, error) {
			if err := p.CheckUnknown(); err != nil {
				return nil, err
			}
			return passthrough{}, nil
		},
	})
}

type passthrough struct{}

func (passthrough) OnEvent(c *pipeline.Context, _ string, ev *event.Event) error {
	c.Emit("out", ev)
	return nil
}
