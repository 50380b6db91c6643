package pipeline

import (
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lograte"
)

// errLogEvery is how often a pipeline logs events that failed in it; the
// ones in between are counted and summed up.
var errLogEvery = 10 * time.Second

// eventErrors counts events that failed in a pipeline, by where they went:
// "err_port" (routed to the linked err output) or "dropped" (dead-lettered:
// no err output linked, or an output that can never take them).
var eventErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Subsystem: "pipeline",
	Name: "event_errors_total", Help: "Events that failed in a pipeline (a runtime error in a select, script or operator, or an output that can never take them), by outcome: err_port or dropped."},
	[]string{"pipeline", "outcome"})

var registerOnce sync.Map // prometheus.Registerer → struct{}

// RegisterMetrics registers the pipelines' collectors with reg (once).
func RegisterMetrics(reg prometheus.Registerer) {
	if _, loaded := registerOnce.LoadOrStore(reg, struct{}{}); loaded {
		return
	}
	reg.MustRegister(eventErrors)
}

// errorLog counts and logs, rate-limited, the events that failed in one
// pipeline instance. Owned by the pipeline goroutine (the limiters' timers
// only log).
type errorLog struct {
	log                 *slog.Logger
	errPort, drop       prometheus.Counter
	errPortLim, dropLim *lograte.Limiter
}

func newErrorLog(url string, log *slog.Logger) *errorLog {
	log = log.With("pipeline", url)
	e := &errorLog{log: log,
		errPort: eventErrors.WithLabelValues(url, "err_port"),
		drop:    eventErrors.WithLabelValues(url, "dropped"),
	}
	e.errPortLim = lograte.New(errLogEvery, func(n, total uint64) {
		log.Warn("more events failed in the pipeline and went to its err port", "events", n, "in", errLogEvery.String(), "total", total)
	})
	e.dropLim = lograte.New(errLogEvery, func(n, total uint64) {
		log.Warn("more events failed in the pipeline and were dropped (no err port linked)", "events", n, "in", errLogEvery.String(), "dropped_total", total)
	})
	return e
}

func (e *errorLog) toErrPort(n *node, ev *event.Event, err error) {
	e.errPort.Inc()
	if ok, total := e.errPortLim.Allow(); ok {
		e.log.Warn("event failed in the pipeline; sent to its err port", "node", n.id, "err", err.Error(), "id", ev.ID.String(), "total", total)
	}
}

func (e *errorLog) dropped(where string, ev *event.Event, err error) {
	e.drop.Inc()
	if ok, total := e.dropLim.Allow(); ok {
		e.log.Warn("event failed in the pipeline and was dropped: link the pipeline's err port to keep such events; it is not re-sent (the error would recur)",
			"at", where, "err", err.Error(), "id", ev.ID.String(), "dropped_total", total)
	}
}

// droppedN counts n events an output can never take (no event at hand).
func (e *errorLog) droppedN(where string, n int, err error) {
	e.drop.Add(float64(n))
	if ok, total := e.dropLim.Allow(); ok {
		e.log.Warn("events failed in the pipeline and were dropped: the output can never take them; they are not re-sent (the error would recur)",
			"at", where, "events", n, "err", err.Error(), "dropped_total", total)
	}
}

func (e *errorLog) stop() {
	e.errPortLim.Stop()
	e.dropLim.Stop()
}
