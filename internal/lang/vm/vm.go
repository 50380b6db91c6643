// Package vm runs compiled tremor-script: a tree of resolved nodes (locals
// are slots, functions and constants are bound, constants folded) built by
// the compiler. Evaluating it does no lookup by name.
//
// Values are never modified in place: a record or array may be shared by
// the event, `state`, a local and a constant at once, so an assignment to a
// nested path copies the records along that path (and only those). The
// package must never parse source nor resolve names.
package vm

import (
	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/lang/source"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// At is where a node is: its source and span.
type At struct {
	Src  *source.Source
	Span diag.Span
}

// Extent is the node's span.
func (a *At) Extent() diag.Span { return a.Span }

// outerLines is the span widened by n lines (Tremor showed that many lines
// around some errors).
func outerLines(s diag.Span, n int) diag.Span {
	s.Start.Line = max(s.Start.Line-n, 0)
	s.End.Line += n
	return s
}

// Expr is a compiled expression without effects.
type Expr interface {
	Eval(f *Frame) (Value, error)
	Extent() diag.Span
}

// Flow is how a statement ends.
type Flow uint8

// Statement outcomes.
const (
	// Next: go on with the next statement.
	Next Flow = iota
	// EmitValue: stop and emit Frame.Out on Frame.Port.
	EmitValue
	// EmitEvent: stop and emit the event on Frame.Port.
	EmitEvent
	// DropEvent: stop and emit nothing.
	DropEvent
	// Recurse: a tail `recur` in a function body.
	Recurse
)

// Stmt is a compiled statement (an expression that may assign, emit or
// drop). need reports whether its value is used; when it is not, an
// expression without effects is not evaluated at all (as in Tremor).
type Stmt interface {
	Exec(f *Frame, need bool) (Value, Flow, error)
	Extent() diag.Span
}

// MaxCallDepth caps nested function calls; MaxRecursion caps the loops of
// one function's tail recursion (`recur`).
const (
	MaxCallDepth = 512
	MaxRecursion = 1024
)

// Frame is the state of one evaluation: the roots paths start from, the
// local slots and what a statement emitted.
type Frame struct {
	Event, Meta, State *Value
	Args               Value
	Window, Group      Value
	Locals             []Value
	// Aggrs answers the aggregate calls of a windowed select (nil
	// elsewhere).
	Aggrs Aggregates
	Ctx   *stdlib.Ctx

	// Out and Port are what emit produced (HasPort false: the default).
	Out     Value
	Port    string
	HasPort bool

	// Budget, when set, bounds the steps of a run (function calls,
	// recursions, comprehension items); running out is an error. Nil:
	// unbounded (as Tremor).
	Budget *int64

	// Scratch is where native calls put their arguments (a stack: a call
	// pushes its arguments, calls and pops them). Keep it between runs so
	// that calls allocate nothing.
	Scratch []Value

	depth int
}

// step spends one step of the budget.
func (f *Frame) step(a *At) error {
	if f.Budget == nil {
		return nil
	}
	*f.Budget--
	if *f.Budget < 0 {
		return a.fail(outerLines(a.Span, 2), a.Span, "The run took more steps than its budget allows", "")
	}
	return nil
}

// unset marks a local slot no value was assigned to.
type unsetT struct{}

var unset Value = &unsetT{}

// recurMark is what a tail `recur` evaluates to.
type recurT struct{}

var recurMark Value = &recurT{}

// NewLocals is n unset local slots.
func NewLocals(n int) []Value {
	l := make([]Value, n)
	for i := range l {
		l[i] = unset
	}
	return l
}

// ResetLocals marks every slot unset again.
func ResetLocals(l []Value) {
	for i := range l {
		l[i] = unset
	}
}

// Imut runs an expression as a statement.
type Imut struct{ X Expr }

// Exec evaluates the expression when its value is needed.
func (s *Imut) Exec(f *Frame, need bool) (Value, Flow, error) {
	if !need {
		return nil, Next, nil
	}
	v, err := s.X.Eval(f)
	if err != nil {
		return nil, Next, err
	}
	if v == recurMark {
		return nil, Recurse, nil
	}
	return v, Next, nil
}

// Extent is the expression's span.
func (s *Imut) Extent() diag.Span { return s.X.Extent() }

// Result is how a script run ended.
type Result struct {
	// Drop: nothing is emitted.
	Drop bool
	// Event: the (possibly changed) event is emitted, else Value is.
	Event bool
	Value Value
	// Port is where to emit ("" for the default output).
	Port string
}

// RunBody runs statements: all but the last without their value; the
// first emit or drop ends the run; the last statement's value is emitted.
func RunBody(f *Frame, body []Stmt) (Result, error) {
	for i, s := range body {
		last := i == len(body)-1
		v, fl, err := s.Exec(f, last)
		if err != nil {
			return Result{}, err
		}
		switch fl {
		case DropEvent, Recurse:
			return Result{Drop: true}, nil
		case EmitEvent:
			return Result{Event: true, Port: f.Port}, nil
		case EmitValue:
			return Result{Value: f.Out, Port: f.Port}, nil
		}
		if last {
			return Result{Value: v}, nil
		}
	}
	return Result{Drop: true}, nil
}
