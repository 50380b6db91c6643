package op

import (
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

// debug::history appends "evt: OP(ID)" to the metadata array NAME of every
// event that passes (a trace of the operators an event went through).

type historyConfig struct {
	Op   string `conf:"op,required" doc:"The label written into the history." example:"enrich"`
	Name string `conf:"name,required" doc:"The metadata field (\\$NAME) that holds the history array." example:"history"`
}

var historySchema = conf.MustSchemaOf(historyConfig{})

func init() {
	pipeline.RegisterOperator(pipeline.OperatorSpec{
		Name:   "debug::history",
		Doc:    "Appends `\"evt: OP(ID)\"` to the metadata array `$NAME` of each event (created when missing), to trace the path of events.",
		Config: historySchema,
		New: func(_ pipeline.OpEnv, p *pipeline.Params) (pipeline.Operator, error) {
			var cfg historyConfig
			if _, err := p.Decode(historySchema, &cfg); err != nil {
				return nil, err
			}
			return &history{cfg: cfg}, nil
		},
	})
}

type history struct{ cfg historyConfig }

func (o *history) OnEvent(c *pipeline.Context, _ string, ev *event.Event) error {
	meta := ev.MetaRecord()
	entry := "evt: " + o.cfg.Op + "(" + ev.ID.String() + ")"
	if h, ok := meta.Get(o.cfg.Name); ok {
		if arr, ok := h.([]event.Value); ok {
			// Values are shared: append to a copy.
			meta.Set(o.cfg.Name, append(append(make([]event.Value, 0, len(arr)+1), arr...), entry))
		}
	} else {
		meta.Set(o.cfg.Name, []event.Value{entry})
	}
	c.Emit("out", ev)
	return nil
}
