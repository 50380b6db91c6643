package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
)

// Control is what a sink may do beyond delivering, through its runner:
// move the circuit breaker (the cb offramp), stop the engine (exit,
// blackhole's stop_after_secs) and send events out of its own ports (a
// linked offramp such as kv answers on `out` and `err`).
type Control interface {
	// Trigger opens the circuit breaker upstream: the sources feeding this
	// offramp pause.
	Trigger(reason string)
	// Restore closes it again.
	Restore()
	// Stop asks the engine to stop gracefully and exit with code: the
	// sources stop, every qos::wal delivers what it holds, the offramps
	// finish. It returns at once.
	Stop(code int, reason string)
	// Reply sends events out of the offramp's port ("out", "err") to the
	// pipelines linked to it; with none linked they are dropped. The
	// events are not transactional; the runner sets their IDs and origin
	// (and the ingest time, when zero). It blocks while the pipelines do
	// not take them (back-pressure).
	Reply(ctx context.Context, port string, evs []event.Event) error
}

// Controlled is a sink that uses a Control; the runner hands it over
// before Open.
type Controlled interface {
	SetControl(c Control)
}

// Replying marks a Controlled sink whose results leave by its `out` and
// `err` ports through Control.Reply (kv: each command's result or error).
// As in Tremor 0.11, linking those ports needs `linked: true` on the
// offramp; the replies are events already, so nothing is decoded.
type Replying interface {
	Controlled
	RepliesOnOutAndErr()
}

// StopError is returned by a source (from Run or Read) that asks the
// engine to stop gracefully and exit with Code (the cb onramp's verdict).
// ErrDone is the same with code 0.
type StopError struct {
	Code   int
	Reason string
}

func (e *StopError) Error() string {
	return fmt.Sprintf("onramp asks the engine to stop with exit status %d: %s", e.Code, e.Reason)
}

// StopCode says whether err asks the engine to stop (ErrDone or a
// *StopError), and with which exit status.
func StopCode(err error) (code int, ok bool) {
	var se *StopError
	switch {
	case errors.As(err, &se):
		return se.Code, true
	case errors.Is(err, ErrDone):
		return 0, true
	}
	return 0, false
}

// control is the runner's side of Control.
type control struct {
	mu     sync.Mutex
	outs   map[string][]Target
	onStop func(code int, reason string)
	src    event.SourceID
	seq    uint64
}

// Link sends what the sink replies on port to t (a linked offramp's `out`
// or `err`). Call before Run.
func (r *SinkRunner) Link(port string, t Target) {
	r.ctl.mu.Lock()
	defer r.ctl.mu.Unlock()
	if r.ctl.outs == nil {
		r.ctl.outs = map[string][]Target{}
	}
	r.ctl.outs[port] = append(r.ctl.outs[port], t)
}

// OnStop sets what the runner does when the sink asks the engine to stop.
// fn must not block. Call before Run.
func (r *SinkRunner) OnStop(fn func(code int, reason string)) {
	r.ctl.mu.Lock()
	r.ctl.onStop = fn
	r.ctl.mu.Unlock()
}

// runnerControl is the Control a SinkRunner gives its sink.
type runnerControl struct{ r *SinkRunner }

func (c runnerControl) Trigger(reason string) {
	c.r.log.Info("offramp opened the circuit breaker", "type", c.r.typ, "reason", reason)
	c.r.broadcast(event.Insight{Action: event.ActTrigger, Reason: reason, From: c.r.url + "#control"})
}

func (c runnerControl) Restore() {
	c.r.log.Info("offramp closed the circuit breaker", "type", c.r.typ)
	c.r.broadcast(event.Insight{Action: event.ActRestore, From: c.r.url + "#control"})
}

func (c runnerControl) Stop(code int, reason string) {
	c.r.ctl.mu.Lock()
	fn := c.r.ctl.onStop
	c.r.ctl.mu.Unlock()
	if fn == nil {
		c.r.log.Warn("offramp asks the engine to stop, but nothing listens", "type", c.r.typ, "code", code, "reason", reason)
		return
	}
	fn(code, reason)
}

func (c runnerControl) Reply(ctx context.Context, port string, evs []event.Event) error {
	r := c.r
	r.ctl.mu.Lock()
	ts := r.ctl.outs[port]
	if len(ts) == 0 {
		r.ctl.mu.Unlock()
		return nil
	}
	if r.ctl.src == 0 {
		r.ctl.src = event.NewSourceID()
	}
	now := uint64(time.Now().UnixNano())
	origin := r.url + "/" + port
	b := &event.Batch{Events: make([]event.Event, len(evs))}
	for i, ev := range evs {
		ev.ID = event.One(r.ctl.src, 0, r.ctl.seq)
		r.ctl.seq++
		ev.Transactional = false
		ev.Origin = origin
		if ev.IngestNS == 0 {
			ev.IngestNS = now
		}
		b.Events[i] = ev
	}
	r.ctl.mu.Unlock()
	for i, t := range ts {
		bb := b
		if i < len(ts)-1 {
			bb = b.Clone()
		}
		if err := t.Send(ctx, bb, ignoreUpstream{}); err != nil {
			return err
		}
	}
	return nil
}

// ignoreUpstream takes the contraflow of replies, which are not
// transactional: there is nothing to answer.
type ignoreUpstream struct{}

func (ignoreUpstream) Contraflow(event.Insight) {}
