package pipeline

import (
	"fmt"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/aggr"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// A select over windows: events are grouped, accumulated into the
// aggregates of each group's window, and the target is evaluated when a
// window closes. Several windows chain (a tilt frame): when the first
// closes, its state is merged into the second, and so on.
//
// Answers: an event a window holds is not answered until every aggregate
// it went into was answered. Each emitted aggregate gets an ID of this
// operator's own; when it is acked (or failed) downstream, the events it
// aggregated are acked (or failed) upstream — once each, after the last
// aggregate holding them. So a qos::wal before a window keeps an event
// until the window that used it was delivered, and after a crash the
// events of windows that never closed are read again. Events that are
// filtered out are acked at once; events of a dropped window (eviction,
// a target that fails) are acked as handled.

type groupData struct {
	group event.Value // the group's values (without its key)
	win   winState
	aggrs []aggr.Aggregate
	ids   []event.Range // transactional events accumulated (or passed on)
	tx    bool
}

func (g *groupData) reset() {
	for _, a := range g.aggrs {
		a.Init()
	}
	g.tx = false
}

type windowRun struct {
	def            *windowDef
	dims, lastDims map[string]*groupData
	order          []string // group keys in creation order (for ticks)
	lastOrder      []string
	nextSwap       uint64
}

type scratch struct {
	aggrs []aggr.Aggregate
	tx    bool
}

type windowSelect struct {
	q       *lang.Query
	sel     *lang.Select
	windows []*windowRun
	s1, s2  scratch

	src     event.SourceID
	seq     uint64
	pending map[event.Range][]event.Range // emitted aggregate → the events it holds
	holds   map[event.Range]*hold         // event → how many holds, and how it fared
	ctx     stdlib.Ctx                    // reused between events
	args    []event.Value                 // reused between aggregate calls
}

// eventEnv is the environment for an event, without allocating.
func (w *windowSelect) eventEnv(ev *event.Event) lang.Env {
	if ev.Meta == nil {
		ev.Meta = event.NewRecord(0)
	}
	w.ctx = stdlib.Ctx{IngestNS: ev.IngestNS}
	return lang.Env{Data: &ev.Data, Meta: &ev.Meta, Ctx: &w.ctx}
}

type hold struct {
	n      int
	failed bool
	reason string
}

func newWindowSelect(q *lang.Query, sel *lang.Select, defs []*windowDef) *windowSelect {
	w := &windowSelect{q: q, sel: sel, src: event.NewSourceID(), pending: map[event.Range][]event.Range{}, holds: map[event.Range]*hold{}}
	for _, d := range defs {
		w.windows = append(w.windows, &windowRun{def: d, dims: map[string]*groupData{}, lastDims: map[string]*groupData{}})
	}
	w.s1.aggrs, w.s2.aggrs = w.newAggrs(), w.newAggrs()
	return w
}

func (w *windowSelect) newAggrs() []aggr.Aggregate {
	out := make([]aggr.Aggregate, len(w.sel.Aggrs))
	for i, a := range w.sel.Aggrs {
		out[i] = a.Spec.New()
	}
	return out
}

// AnswersUpstream: every transactional event accepted is answered.
func (w *windowSelect) AnswersUpstream() {}

// aggrValues answers the target's aggregate calls from a group.
type aggrValues []aggr.Aggregate

func (a aggrValues) EmitAggr(i int) (event.Value, error) { return a[i].Emit() }

func (w *windowSelect) OnEvent(c *Context, _ string, ev *event.Event) error {
	env := w.eventEnv(ev)
	if w.sel.Where != nil {
		ok, err := cond(w.q, w.sel.Where, env)
		if err != nil {
			return err
		}
		if !ok {
			w.answer(c, ev)
			return nil
		}
	}
	var groups [][]event.Value
	if w.sel.Group != nil {
		var err error
		if groups, err = w.sel.Group.Groups(env); err != nil {
			return &langError{err}
		}
	}
	if len(groups) == 0 {
		groups = [][]event.Value{{nil}}
	}
	for _, win := range w.windows {
		w.evict(c, win, ev.IngestNS)
	}
	held := false
	for _, g := range groups {
		key := groupKey(g)
		ok, err := w.onGroup(c, ev, key, g)
		if err != nil {
			// This group cannot take it; the others still do.
			c.Error(ev, err)
		}
		held = held || ok
	}
	if !held {
		w.answer(c, ev)
	}
	return nil
}

// answer acks an event no window holds.
func (w *windowSelect) answer(c *Context, ev *event.Event) {
	if ev.Transactional {
		c.Upstream(event.Insight{Action: event.ActAck, IDs: ev.ID})
	}
}

// group finds (or opens) the group key of a window.
func (w *windowSelect) group(win *windowRun, key string, g []event.Value) (*groupData, error) {
	if d, ok := win.dims[key]; ok {
		return d, nil
	}
	if uint64(len(win.dims)) >= win.def.maxGroups {
		return nil, fmt.Errorf("Maxmimum amount of groups reached (%d). Ignoring group %s", win.def.maxGroups, key)
	}
	d, ok := win.lastDims[key]
	if ok {
		delete(win.lastDims, key)
	} else {
		d = &groupData{group: g, win: winState{def: win.def}, aggrs: w.newAggrs()}
	}
	win.dims[key] = d
	win.order = append(win.order, key)
	return d, nil
}

// evict forgets the groups that saw no event for two eviction periods
// (Tremor's scheme: groups move to a second generation, and are dropped
// from there).
func (w *windowSelect) evict(c *Context, win *windowRun, now uint64) {
	if win.def.evict == 0 || win.nextSwap >= now {
		return
	}
	win.nextSwap = now + win.def.evict
	for _, k := range win.lastOrder {
		if d, ok := win.lastDims[k]; ok {
			if len(d.ids) > 0 {
				c.Logger().Debug("window group evicted with an open window; its events are acked", "window", win.def.name, "group", k, "events", len(d.ids))
			}
			w.release(c, d.ids, false, "")
		}
	}
	win.lastDims, win.dims = win.dims, map[string]*groupData{}
	win.lastOrder, win.order = win.order, nil
}

func (w *windowSelect) accumulate(c *Context, d *groupData, ev *event.Event) error {
	env := w.eventEnv(ev)
	args := w.args
	for i, a := range w.sel.Aggrs {
		args = args[:0]
		for _, x := range a.Args {
			v, err := x.Eval(env)
			if err != nil {
				return &langError{err}
			}
			args = append(args, v)
		}
		w.args = args
		if err := d.aggrs[i].Accumulate(args); err != nil {
			sp := a.Span
			return &langError{w.q.Err(sp, sp, err.Error(), "")}
		}
	}
	if ev.Transactional {
		for r := range ev.ID.Events() {
			d.ids = append(d.ids, r)
			w.take(r)
		}
		d.tx = true
	}
	return nil
}

func (w *windowSelect) take(id event.Range) {
	h := w.holds[id]
	if h == nil {
		h = &hold{}
		w.holds[id] = h
	}
	h.n++
}

// passOn adds ids (held by a closing window) to a group of the next one.
func (w *windowSelect) passOn(d *groupData, ids []event.Range) {
	for _, id := range ids {
		w.take(id)
	}
	d.ids = append(d.ids, ids...)
}

// release gives up one hold on each of ids; an event no longer held is
// answered upstream (failed if any aggregate it was in failed).
func (w *windowSelect) release(c *Context, ids []event.Range, fail bool, reason string) {
	for _, id := range ids {
		h := w.holds[id]
		if h == nil {
			continue
		}
		if fail && !h.failed {
			h.failed, h.reason = true, reason
		}
		if h.n--; h.n > 0 {
			continue
		}
		delete(w.holds, id)
		in := event.Insight{Action: event.ActAck, IDs: event.Of(id)}
		if h.failed {
			in.Action, in.Reason = event.ActFail, h.reason
		}
		c.Upstream(in)
	}
}

// emit evaluates the target for a closing window of group d and sends
// the result; the group's held events go with it.
func (w *windowSelect) emit(c *Context, win *windowRun, d *groupData, trigger *event.Event, key string) {
	ids := d.ids
	d.ids = nil
	env := eventEnv(trigger)
	env.Window = win.def.name
	env.Group = append(append([]event.Value(nil), d.group.([]event.Value)...), key)
	env.Aggrs = aggrValues(d.aggrs)
	out, err := w.sel.Target.Eval(env)
	if err == nil && w.sel.Having != nil {
		null := event.Value(nil)
		var ok bool
		ok, err = cond(w.q, w.sel.Having, lang.Env{Data: &out, Meta: &null, Ctx: env.Ctx, Window: env.Window, Group: env.Group})
		if err == nil && !ok {
			w.release(c, ids, false, "")
			return
		}
	} else if err != nil {
		err = &langError{err}
	}
	if err != nil {
		c.Error(trigger, err)
		w.release(c, ids, false, "")
		return
	}
	w.seq++
	o := &event.Event{ID: event.One(w.src, 0, w.seq), IngestNS: trigger.IngestNS, Data: out,
		Meta: event.DeepCopy(trigger.Meta), Transactional: d.tx && len(ids) > 0}
	if o.Meta == nil {
		o.Meta = event.NewRecord(0)
	}
	if o.Transactional {
		w.pending[o.ID.First()] = ids
	} else {
		w.release(c, ids, false, "")
	}
	c.Emit("out", o)
}

// OnContraflow answers the events of an aggregate once it is answered.
func (w *windowSelect) OnContraflow(c *Context, in *event.Insight) bool {
	if in.Action != event.ActAck && in.Action != event.ActFail {
		return true
	}
	own, rest := in.IDs.Split(w.src)
	if own.IsZero() {
		return true
	}
	for r := range own.Events() {
		ids, ok := w.pending[r]
		if !ok {
			continue
		}
		delete(w.pending, r)
		w.release(c, ids, in.Action == event.ActFail, in.Reason)
	}
	in.IDs = rest
	return !rest.IsZero()
}

// onGroup runs the windows for one group of an event; it reports whether
// a window holds the event.
func (w *windowSelect) onGroup(c *Context, ev *event.Event, key string, g []event.Value) (bool, error) {
	if len(w.windows) == 1 {
		win := w.windows[0]
		d, err := w.group(win, key, g)
		if err != nil {
			return false, err
		}
		we, err := d.win.onEvent(ev)
		if err != nil {
			return false, err
		}
		if we.emit && !we.include {
			w.emit(c, win, d, ev, key)
			d.reset()
		}
		if err := w.accumulate(c, d, ev); err != nil {
			return false, err
		}
		if we.emit && we.include {
			w.emit(c, win, d, ev, key)
			d.reset()
		}
		return ev.Transactional, nil
	}
	var events []winEvent
	for _, win := range w.windows {
		d, err := w.group(win, key, g)
		if err != nil {
			return false, err
		}
		we, err := d.win.onEvent(ev)
		if err != nil {
			return false, err
		}
		if !we.emit {
			break
		}
		events = append(events, we)
	}
	pending := len(events) > 0 && !events[0].include
	if !pending {
		d, err := w.group(w.windows[0], key, g)
		if err != nil {
			return false, err
		}
		if err := w.accumulate(c, d, ev); err != nil {
			return false, err
		}
	}
	if err := w.tilt(c, events, ev, key, g); err != nil {
		return false, err
	}
	if pending {
		d, err := w.group(w.windows[0], key, g)
		if err != nil {
			return false, err
		}
		if err := w.accumulate(c, d, ev); err != nil {
			return false, err
		}
	}
	return ev.Transactional, nil
}

// tilt emits the windows that close (events[i] for window i), each
// passing its state on to the next, as Tremor's tilt frames did.
func (w *windowSelect) tilt(c *Context, events []winEvent, trigger *event.Event, key string, g []event.Value) error {
	var ids1, ids2 []event.Range
	for i, we := range events {
		win := w.windows[i]
		d, err := w.group(win, key, g)
		if err != nil {
			return err
		}
		first := i == 0
		if we.include {
			if !first {
				if err := mergeAggrs(d.aggrs, w.s1.aggrs); err != nil {
					return err
				}
				d.tx = d.tx || w.s1.tx
				w.passOn(d, ids1)
			}
			ids1 = append([]event.Range(nil), d.ids...)
			w.emit(c, win, d, trigger, key)
			w.s1.aggrs, d.aggrs = d.aggrs, w.s1.aggrs
			w.s1.tx = d.tx
			d.reset()
			continue
		}
		if !first {
			ids1, ids2 = ids2, ids1
		}
		ids1 = append([]event.Range(nil), d.ids...)
		w.emit(c, win, d, trigger, key)
		if first {
			w.s1.aggrs, d.aggrs = d.aggrs, w.s1.aggrs
			w.s1.tx = d.tx
			d.reset()
			continue
		}
		w.s1, w.s2 = w.s2, w.s1
		d.aggrs, w.s1.aggrs = w.s1.aggrs, d.aggrs
		w.s1.tx = d.tx
		d.reset()
		if err := mergeAggrs(d.aggrs, w.s2.aggrs); err != nil {
			return err
		}
		d.tx = d.tx || w.s2.tx
		w.passOn(d, ids2)
	}
	if len(events) > 0 && len(events) < len(w.windows) {
		d, err := w.group(w.windows[len(events)], key, g)
		if err != nil {
			return err
		}
		if err := mergeAggrs(d.aggrs, w.s1.aggrs); err != nil {
			return err
		}
		d.tx = d.tx || w.s1.tx
		w.passOn(d, ids1)
	}
	return nil
}

func mergeAggrs(dst, src []aggr.Aggregate) error {
	for i := range dst {
		if err := dst[i].Merge(src[i]); err != nil {
			return err
		}
	}
	return nil
}

// OnSignal closes the time windows whose time passed (on the pipeline's
// ticks, with the pipeline's clock).
func (w *windowSelect) OnSignal(c *Context) error {
	now := c.Now()
	for _, win := range w.windows {
		w.evict(c, win, now)
	}
	tick := &event.Event{IngestNS: now, Meta: event.NewRecord(0)}
	if len(w.windows) == 1 {
		win := w.windows[0]
		for gi, gen := range [][]string{win.order, win.lastOrder} {
			dims := win.dims
			if gi == 1 {
				dims = win.lastDims
			}
			for _, k := range gen {
				d := dims[k]
				if d == nil {
					continue
				}
				if we := d.win.onTick(now); we.emit {
					w.emit(c, win, d, tick, k)
					d.reset()
				}
			}
		}
		return nil
	}
	first := w.windows[0]
	var keys []string
	var vals [][]event.Value
	for gi, gen := range [][]string{first.order, first.lastOrder} {
		dims := first.dims
		if gi == 1 {
			dims = first.lastDims
		}
		for _, k := range gen {
			if d := dims[k]; d != nil {
				keys = append(keys, k)
				vals = append(vals, d.group.([]event.Value))
			}
		}
	}
	{
		for i, k := range keys {
			g := vals[i]
			var events []winEvent
			for _, win := range w.windows {
				gd, err := w.group(win, k, g)
				if err != nil {
					return err
				}
				we := gd.win.onTick(now)
				if !we.emit {
					break
				}
				events = append(events, we)
			}
			if err := w.tilt(c, events, tick, k, g); err != nil {
				return err
			}
		}
	}
	return nil
}
