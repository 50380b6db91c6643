package pipeline

import (
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// selectOp runs a select without windows and grouping: `where` on the
// incoming event, the target, then `having` on the result.
type selectOp struct {
	q                     *lang.Query
	target, where, having *lang.Expr
	passthrough           bool       // the target is `event`
	ctx                   stdlib.Ctx // reused between events
}

func (s *selectOp) OnEvent(c *Context, _ string, ev *event.Event) error {
	if ev.Meta == nil {
		ev.Meta = event.NewRecord(0)
	}
	s.ctx = stdlib.Ctx{IngestNS: ev.IngestNS}
	env := lang.Env{Data: &ev.Data, Meta: &ev.Meta, Ctx: &s.ctx}
	if s.where != nil {
		ok, err := cond(s.q, s.where, env)
		if err != nil || !ok {
			return err
		}
	}
	if s.passthrough && s.having == nil {
		c.Emit("out", ev)
		return nil
	}
	env.Group = groupOfOne
	out, err := s.target.Eval(env)
	if err != nil {
		return &langError{err}
	}
	if s.having != nil {
		null := event.Value(nil)
		ok, err := cond(s.q, s.having, lang.Env{Data: &out, Meta: &null, Ctx: env.Ctx})
		if err != nil || !ok {
			return err
		}
	}
	ev.Data = out
	c.Emit("out", ev)
	return nil
}

// groupOfOne is `group` in a select without grouping (Tremor's value).
var groupOfOne = event.Value([]event.Value{nil, "[null]"})

// groupSelectOp runs a select with `group by` and no window: the target
// is evaluated once per group the event falls into, with `group` set.
type groupSelectOp struct {
	q   *lang.Query
	sel *lang.Select
}

func (s *groupSelectOp) OnEvent(c *Context, _ string, ev *event.Event) error {
	env := eventEnv(ev)
	if s.sel.Where != nil {
		ok, err := cond(s.q, s.sel.Where, env)
		if err != nil || !ok {
			return err
		}
	}
	groups, err := s.sel.Group.Groups(env)
	if err != nil {
		return &langError{err}
	}
	if len(groups) == 0 {
		groups = [][]event.Value{{nil}}
	}
	var outs []event.Value
	for _, g := range groups {
		env.Group = groupValue(g)
		out, err := s.sel.Target.Eval(env)
		if err != nil {
			return &langError{err}
		}
		if s.sel.Having != nil {
			null := event.Value(nil)
			ok, err := cond(s.q, s.sel.Having, lang.Env{Data: &out, Meta: &null, Ctx: env.Ctx, Group: env.Group})
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		outs = append(outs, out)
	}
	for i, out := range outs {
		e := ev
		if i < len(outs)-1 {
			e = ev.Clone()
		}
		e.Data = out
		c.Emit("out", e)
	}
	return nil
}

// groupValue is `group` for a group: its values followed by their JSON
// text with keys sorted (the group's name, as Tremor keyed groups).
func groupValue(g []event.Value) event.Value {
	out := make([]event.Value, len(g), len(g)+1)
	copy(out, g)
	return append(out, groupKey(g))
}

func groupKey(g []event.Value) string {
	return string(event.AppendSortedJSON(nil, event.Value(g)))
}
