package aggr

import (
	"math"

	"github.com/temblor-dev/temblor/internal/event"
)

// The aggr::stats aggregates over numbers. As in Tremor, sum, min, max,
// mean, var and stdev compute in floats; count counts events.

func init() {
	Register(&Spec{Module: "stats", Name: "count", Min: 0, Max: 0, Signature: "aggr::stats::count()",
		Summary: "The number of events in the window.", New: func() Aggregate { return &count{} }})
	Register(&Spec{Module: "stats", Name: "sum", Min: 1, Max: 1, Signature: "aggr::stats::sum(n)",
		Summary: "The sum of a number over the window's events, as a float.", New: func() Aggregate { return &sum{} }})
	Register(&Spec{Module: "stats", Name: "min", Min: 1, Max: 1, Signature: "aggr::stats::min(n)",
		Summary: "The smallest value of a number over the window (a float; 0.0 for an empty window).", New: func() Aggregate { return &extreme{path: "stats::min", less: true} }})
	Register(&Spec{Module: "stats", Name: "max", Min: 1, Max: 1, Signature: "aggr::stats::max(n)",
		Summary: "The largest value of a number over the window (a float; 0.0 for an empty window).", New: func() Aggregate { return &extreme{path: "stats::max"} }})
	Register(&Spec{Module: "stats", Name: "mean", Min: 1, Max: 1, Signature: "aggr::stats::mean(n)",
		Summary: "The arithmetic mean of a number over the window (null for an empty window).", New: func() Aggregate { return &mean{} }})
	Register(&Spec{Module: "stats", Name: "var", Min: 1, Max: 1, Signature: "aggr::stats::var(n)",
		Summary: "The sample variance of a number over the window.", New: func() Aggregate { return &variance{path: "stats::var"} }})
	Register(&Spec{Module: "stats", Name: "stdev", Min: 1, Max: 1, Signature: "aggr::stats::stdev(n)",
		Summary: "The sample standard deviation of a number over the window.", New: func() Aggregate { return &variance{path: "stats::stdev", sqrt: true} }})
}

type count struct{ n int64 }

func (a *count) Accumulate([]event.Value) error { a.n++; return nil }
func (a *count) Emit() (event.Value, error)     { return a.n, nil }
func (a *count) Init()                          { a.n = 0 }
func (a *count) Merge(o Aggregate) error        { a.n += o.(*count).n; return nil }
func (a *count) Clone() Aggregate               { c := *a; return &c }

type sum struct{ s float64 }

func (a *sum) Accumulate(args []event.Value) error {
	v, ok := asFloat(args)
	if !ok {
		return badType("stats::sum")
	}
	a.s += v
	return nil
}
func (a *sum) Emit() (event.Value, error) { return a.s, nil }
func (a *sum) Init()                      { a.s = 0 }
func (a *sum) Merge(o Aggregate) error    { a.s += o.(*sum).s; return nil }
func (a *sum) Clone() Aggregate           { c := *a; return &c }

// extreme is min (less) or max.
type extreme struct {
	path string
	less bool
	set  bool
	v    float64
}

func (a *extreme) better(v float64) bool {
	if a.less {
		return v < a.v
	}
	return v > a.v
}

func (a *extreme) Accumulate(args []event.Value) error {
	v, ok := asFloat(args)
	if !ok {
		return badType(a.path)
	}
	if !a.set || a.better(v) {
		a.set, a.v = true, v
	}
	return nil
}

func (a *extreme) Emit() (event.Value, error) {
	if !a.set {
		return 0.0, nil
	}
	return a.v, nil
}
func (a *extreme) Init() { a.set, a.v = false, 0 }
func (a *extreme) Merge(o Aggregate) error {
	b := o.(*extreme)
	// Tremor compared Options: None is below every value, so an empty
	// earlier window never wins a max, and always wins a min.
	switch {
	case a.less && !b.set:
		a.set, a.v = false, 0
	case a.less && a.set && b.v < a.v:
		a.v = b.v
	case !a.less && b.set && (!a.set || b.v > a.v):
		a.set, a.v = true, b.v
	}
	return nil
}
func (a *extreme) Clone() Aggregate { c := *a; return &c }

type mean struct {
	n int64
	s float64
}

func (a *mean) Accumulate(args []event.Value) error {
	v, ok := asFloat(args)
	if !ok {
		return badType("stats::mean")
	}
	a.n++
	a.s += v
	return nil
}

func (a *mean) Emit() (event.Value, error) {
	if a.n == 0 {
		return nil, nil
	}
	return a.s / float64(a.n), nil
}
func (a *mean) Init() { a.n, a.s = 0, 0 }
func (a *mean) Merge(o Aggregate) error {
	b := o.(*mean)
	a.n += b.n
	a.s += b.s
	return nil
}
func (a *mean) Clone() Aggregate { c := *a; return &c }

// variance is the shifted-data sample variance Tremor computed (k is the
// first value seen); stdev is its square root.
type variance struct {
	path      string
	sqrt      bool
	n         uint64
	k, ex, e2 float64
}

func (a *variance) Accumulate(args []event.Value) error {
	v, ok := asFloat(args)
	if !ok {
		return badType(a.path)
	}
	if a.n == 0 {
		a.k = v
	}
	a.n++
	a.ex += v - a.k
	a.e2 += (v - a.k) * (v - a.k)
	return nil
}

func (a *variance) Emit() (event.Value, error) {
	r := 0.0
	if a.n > 0 {
		n := float64(a.n)
		r = (a.e2 - (a.ex*a.ex)/n) / (n - 1)
	}
	if a.sqrt {
		r = math.Sqrt(r)
	}
	return r, nil
}
func (a *variance) Init() { a.n, a.k, a.ex, a.e2 = 0, 0, 0, 0 }
func (a *variance) Merge(o Aggregate) error {
	// As Tremor: the sums (and shifts) are added.
	b := o.(*variance)
	a.n += b.n
	a.k += b.k
	a.ex += b.ex
	a.e2 += b.e2
	return nil
}
func (a *variance) Clone() Aggregate { c := *a; return &c }
