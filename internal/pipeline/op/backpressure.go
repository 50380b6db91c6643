package op

import (
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

// qos::backpressure (also generic::backpressure, its deprecated name in
// Tremor 0.11) slows down when its output is slow or failing: an event
// answered with a fail, or acked more than `timeout` ms after it was sent,
// starts a back-off — the next `steps` duration — during which events go
// to `overflow` instead of `out`. A timely ack ends it. With
// `circuit_breaker`, the back-off also pauses the sources upstream (a
// trigger) until it ends (a restore).
//
// Events are sent as transactional (as in Tremor) so that their answers
// come back; the answers of events that were not transactional are
// consumed here.

type backpressureConfig struct {
	Timeout        float64  `conf:"timeout,required" doc:"Milliseconds: an ack slower than this counts as a failure." example:"100"`
	Steps          []uint64 `conf:"steps" doc:"The back-off durations in ms, each failure moving to the next (default [50, 100, 250, 500, 1000, 5000, 10000])."`
	CircuitBreaker bool     `conf:"circuit_breaker" doc:"Pause the sources while backing off."`
}

var backpressureSchema = conf.MustSchemaOf(backpressureConfig{})

func init() {
	for _, name := range []string{"qos::backpressure", "generic::backpressure"} {
		doc := "Backs off when its output fails or acks slower than `timeout` ms: for the next of `steps` ms (default 50, 100, 250, 500, 1000, 5000, 10000) events go to `overflow`; a timely ack ends the back-off. With `circuit_breaker = true` the sources upstream pause meanwhile."
		if name == "generic::backpressure" {
			doc = "The deprecated name of `qos::backpressure` (as in Tremor 0.11). " + doc
		}
		pipeline.RegisterOperator(pipeline.OperatorSpec{
			Name:   name,
			Doc:    doc,
			Config: backpressureSchema,
			New: func(env pipeline.OpEnv, p *pipeline.Params) (pipeline.Operator, error) {
				var cfg backpressureConfig
				at, err := p.Decode(backpressureSchema, &cfg)
				if err != nil {
					return nil, err
				}
				if name == "generic::backpressure" {
					env.Logger.Warn("generic::backpressure is deprecated; use qos::backpressure", "at", p.Where(""))
				}
				steps := []uint64{50, 100, 250, 500, 1000, 5000, 10000}
				if at.Has("steps") {
					if len(cfg.Steps) == 0 {
						return nil, at.Errorf("steps", "`steps` must list at least one duration")
					}
					steps = cfg.Steps
				}
				o := &backpressure{timeoutMS: cfg.Timeout, cb: cfg.CircuitBreaker, sent: map[event.Range]sentEvent{}}
				for _, s := range steps {
					o.steps = append(o.steps, s*1_000_000)
				}
				return o, nil
			},
		})
	}
}

type sentEvent struct {
	at uint64 // ns, when it was sent
	tx bool   // it was transactional before it reached us
}

type backpressure struct {
	timeoutMS float64
	steps     []uint64 // ns
	cb        bool

	backoff uint64 // ns; 0: not backing off
	next    uint64 // ns: when events may go out again
	tripped bool
	sent    map[event.Range]sentEvent // by the event's (first) ID
}

func (o *backpressure) OnEvent(c *pipeline.Context, _ string, ev *event.Event) error {
	now := c.Now()
	if o.next > now {
		c.Emit("overflow", ev)
		return nil
	}
	o.next = now + o.backoff
	o.sent[ev.ID.First()] = sentEvent{at: now, tx: ev.Transactional}
	ev.Transactional = true
	c.Emit("out", ev)
	return nil
}

// nextBackoff is the first step above the current back-off (the last one
// when none is).
func nextBackoff(steps []uint64, cur uint64) uint64 {
	var b uint64
	for _, s := range steps {
		b = s
		if b > cur {
			break
		}
	}
	return b
}

func (o *backpressure) OnContraflow(c *pipeline.Context, in *event.Insight) bool {
	if in.Action != event.ActAck && in.Action != event.ActFail {
		return true
	}
	// An answer may name several events (ranges): each of ours adjusts
	// the back-off; those that were not transactional before they reached
	// us stop here.
	return passOn(in, o.sent, func(s sentEvent) { o.answered(c, in, s) })
}

// passOn runs fn for each event of in that is in sent (and forgets it),
// takes the ones that were not transactional before out of in, and
// reports whether anything of in goes on upstream.
func passOn(in *event.Insight, sent map[event.Range]sentEvent, fn func(sentEvent)) bool {
	if len(sent) == 0 {
		return true
	}
	var keep event.IDs
	dropped := false
	for r := range in.IDs.Events() {
		s, ok := sent[r]
		if !ok {
			keep.Add(r)
			continue
		}
		delete(sent, r)
		fn(s)
		if s.tx {
			keep.Add(r)
		} else {
			dropped = true
		}
	}
	if dropped {
		in.IDs = keep
	}
	return !in.IDs.IsZero()
}

func (o *backpressure) answered(c *pipeline.Context, in *event.Insight, s sentEvent) {
	now := c.Now()
	wasOpen := o.backoff == 0
	slow := float64(now-s.at)/1e6 > o.timeoutMS
	if in.Action == event.ActFail || slow {
		o.backoff = nextBackoff(o.steps, o.backoff)
		o.next = now + o.backoff
	} else {
		o.backoff, o.next = 0, 0
	}
	if o.cb && wasOpen && o.backoff > 0 && !o.tripped {
		o.tripped = true
		c.Upstream(event.Insight{Action: event.ActTrigger, From: c.URL(), Reason: "qos::backpressure: output slow or failing"})
	}
}

// OnSignal ends a back-off whose time passed.
func (o *backpressure) OnSignal(c *pipeline.Context) error {
	if o.backoff > 0 && o.next <= c.Now() {
		o.backoff, o.next = 0, 0
		if o.tripped {
			o.tripped = false
			c.Upstream(event.Insight{Action: event.ActRestore, From: c.URL()})
		}
	}
	return nil
}
