// Package aggr holds the aggregate functions of windowed selects
// (`aggr::stats::*`, `aggr::win::*`): state that accumulates the events of
// a window and emits one value when the window closes.
//
// Every aggregate is registered as a component spec of kind aggregate, so
// `temblor doc` lists them and the compiler finds them by name. An
// aggregate instance is used by one goroutine (its pipeline's); it must
// never keep a reference to an argument it could see change: values are
// shared, not copied, and are never modified in place.
package aggr

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/event"
)

// Aggregate is the state of one aggregate call in one window group.
type Aggregate interface {
	// Accumulate adds one event's arguments (their count is checked at
	// compile time).
	Accumulate(args []event.Value) error
	// Emit is the value for the window so far.
	Emit() (event.Value, error)
	// Init empties the state for the next window.
	Init()
	// Merge adds the state of an earlier window of the same aggregate (a
	// chained window passing its state on). o is of the same type.
	Merge(o Aggregate) error
	// Clone is an independent copy.
	Clone() Aggregate
}

// Spec describes one aggregate function.
type Spec struct {
	Module, Name string // e.g. "stats", "sum": called as aggr::stats::sum
	Summary, Doc string
	Signature    string
	// Min and Max bound the number of arguments.
	Min, Max int
	// Warning, when set, is given wherever the aggregate is used.
	Warning string
	New     func() Aggregate
}

// Path is the module and name, e.g. "stats::sum".
func (s *Spec) Path() string { return s.Module + "::" + s.Name }

// Arity is the accepted argument counts as Tremor wrote them: "1..=2".
func (s *Spec) Arity() string { return fmt.Sprintf("%d..=%d", s.Min, s.Max) }

var specs = map[string]*Spec{}

// Register adds an aggregate; call it from init().
func Register(s *Spec) {
	if _, dup := specs[s.Path()]; dup {
		panic("aggr: " + s.Path() + " registered twice")
	}
	specs[s.Path()] = s
	component.Register(&component.Spec{Kind: component.Aggregate, Name: "aggr::" + s.Path(), Summary: s.Summary,
		Docs: s.Doc, Signature: s.Signature, Impl: s})
}

// Lookup finds aggr::module::name.
func Lookup(module, name string) (*Spec, bool) {
	s, ok := specs[module+"::"+name]
	return s, ok
}

// All lists the aggregates by path.
func All() []*Spec {
	out := make([]*Spec, 0, len(specs))
	for _, s := range specs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path() < out[j].Path() })
	return out
}

// Modules lists the aggregate modules ("stats", "win").
func Modules() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range All() {
		if !seen[s.Module] {
			seen[s.Module] = true
			out = append(out, s.Module)
		}
	}
	return out
}

// Error is an aggregate failing on a value: Tremor's wording, e.g. "Bad
// type passed to function stats::sum/1".
type Error struct {
	Path  string
	Arity int
	Msg   string // "" for a bad type
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("Bad type passed to function %s/%d", e.Path, e.Arity)
	}
	return fmt.Sprintf("Runtime error in function %s/%d: %s", e.Path, e.Arity, e.Msg)
}

func badType(path string) error { return &Error{Path: path, Arity: 1} }

// asFloat is a number argument as a float (Tremor's cast_f64).
func asFloat(args []event.Value) (float64, bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch v := args[0].(type) {
	case int64:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// percentiles reads the optional list of percentiles (strings such as
// "0.99") of hdr and dds.
func percentiles(path string, args []event.Value) ([]pct, error) {
	if len(args) < 2 {
		return nil, nil
	}
	list, ok := args[1].([]event.Value)
	if !ok {
		return nil, nil
	}
	out := make([]pct, 0, len(list))
	for _, v := range list {
		s, ok := v.(string)
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, &Error{Path: path, Arity: 2, Msg: fmt.Sprintf("Provided percentile '%s' isn't a float", s)}
		}
		out = append(out, pct{s, f})
	}
	return out, nil
}

type pct struct {
	name string
	p    float64
}

var defaultPercentiles = []pct{{"0.5", 0.5}, {"0.9", 0.9}, {"0.95", 0.95}, {"0.99", 0.99}, {"0.999", 0.999}, {"0.9999", 0.9999}, {"0.99999", 0.99999}}
