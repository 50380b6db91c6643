package vm

// Aggregates gives the value of the aggregate calls of a windowed select
// while its target is evaluated for a closing window.
type Aggregates interface {
	EmitAggr(i int) (Value, error)
}

// AggrRef is an aggregate call in a select target: the value the i-th
// aggregate of the statement emits for the window being closed.
type AggrRef struct {
	At
	Index int
	Name  string // e.g. "stats::sum", for errors
}

// Eval reads the aggregate's value.
func (a *AggrRef) Eval(f *Frame) (Value, error) {
	if f.Aggrs == nil {
		return nil, a.fail(outerLines(a.Span, 2), a.Span, "Aggregate functions are only available in a windowed select", "")
	}
	v, err := f.Aggrs.EmitAggr(a.Index)
	if err != nil {
		return nil, a.fail(outerLines(a.Span, 2), a.Span, err.Error(), "")
	}
	return v, nil
}
