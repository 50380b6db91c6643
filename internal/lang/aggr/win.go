package aggr

import "github.com/temblor-dev/temblor/internal/event"

// The aggr::win aggregates keep values of the window's events.

func init() {
	Register(&Spec{Module: "win", Name: "first", Min: 1, Max: 1, Signature: "aggr::win::first(v)",
		Summary: "The value of the window's first event (null for an empty window).", New: func() Aggregate { return &first{} }})
	Register(&Spec{Module: "win", Name: "last", Min: 1, Max: 1, Signature: "aggr::win::last(v)",
		Summary: "The value of the window's last event (null for an empty window).", New: func() Aggregate { return &last{} }})
	Register(&Spec{Module: "win", Name: "collect_flattened", Min: 1, Max: 1, Signature: "aggr::win::collect_flattened(v)",
		Summary: "The values of all the window's events, in order, as one array (a chained window appends its predecessors' arrays).",
		Warning: collectWarning, New: func() Aggregate { return &collect{} }})
	Register(&Spec{Module: "win", Name: "collect_nested", Min: 1, Max: 1, Signature: "aggr::win::collect_nested(v)",
		Summary: "The values of all the window's events as an array; a chained window collects its predecessors' arrays as elements.",
		Warning: collectWarning, New: func() Aggregate { return &collect{nested: true} }})
}

const collectWarning = "Collect functions are very expensive memory wise, try avoiding them."

type first struct {
	set bool
	v   event.Value
}

func (a *first) Accumulate(args []event.Value) error {
	if !a.set {
		a.set, a.v = true, args[0]
	}
	return nil
}
func (a *first) Emit() (event.Value, error) { return a.v, nil }
func (a *first) Init()                      { a.set, a.v = false, nil }
func (a *first) Merge(o Aggregate) error {
	if b := o.(*first); !a.set && b.set {
		a.set, a.v = true, b.v
	}
	return nil
}
func (a *first) Clone() Aggregate { c := *a; return &c }

type last struct {
	set bool
	v   event.Value
}

func (a *last) Accumulate(args []event.Value) error { a.set, a.v = true, args[0]; return nil }
func (a *last) Emit() (event.Value, error)          { return a.v, nil }
func (a *last) Init()                               { a.set, a.v = false, nil }
func (a *last) Merge(o Aggregate) error {
	if b := o.(*last); b.set {
		a.set, a.v = true, b.v
	}
	return nil
}
func (a *last) Clone() Aggregate { c := *a; return &c }

type collect struct {
	nested bool
	vs     []event.Value
}

func (a *collect) Accumulate(args []event.Value) error { a.vs = append(a.vs, args[0]); return nil }

// Emit hands out a copy of the slice header's elements: the state keeps
// growing after an emit only in a chained window, never in place.
func (a *collect) Emit() (event.Value, error) {
	out := make([]event.Value, len(a.vs))
	copy(out, a.vs)
	return out, nil
}
func (a *collect) Init() { a.vs = make([]event.Value, 0, len(a.vs)) }
func (a *collect) Merge(o Aggregate) error {
	b := o.(*collect)
	if a.nested {
		a.vs = append(a.vs, append([]event.Value(nil), b.vs...))
		return nil
	}
	a.vs = append(a.vs, b.vs...)
	return nil
}
func (a *collect) Clone() Aggregate {
	return &collect{nested: a.nested, vs: append([]event.Value(nil), a.vs...)}
}
