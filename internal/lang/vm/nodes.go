package vm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/source"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// Literal is a constant value.
type Literal struct {
	At
	V Value
}

// Eval returns the constant.
func (e *Literal) Eval(*Frame) (Value, error) { return e.V, nil }

// Local reads a local variable's slot.
type Local struct {
	At
	Slot int
	Name string
}

// Eval returns the local's value; reading one never assigned is an error.
func (e *Local) Eval(f *Frame) (Value, error) {
	v := f.Locals[e.Slot]
	if v == unset {
		msg, hint := badKeyMsg(kindLocal, e.Name, nil)
		return nil, e.fail(e.Span, e.Span, msg, hint)
	}
	return v, nil
}

// StrPart is a literal text or an expression of a string.
type StrPart struct {
	Lit string
	X   Expr
}

// MaxString caps the strings a script builds (by `+` or interpolation).
const MaxString = 64 << 20

// String is an interpolated string; a non-string value shows as JSON.
type String struct {
	At
	Parts []StrPart
}

// Eval builds the string.
func (e *String) Eval(f *Frame) (Value, error) {
	var b strings.Builder
	n := 0
	for _, p := range e.Parts {
		n += len(p.Lit) + 8
	}
	b.Grow(n)
	for _, p := range e.Parts {
		if p.X == nil {
			b.WriteString(p.Lit)
			continue
		}
		v, err := p.X.Eval(f)
		if err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok {
			b.WriteString(s)
		} else {
			b.WriteString(Encode(v))
		}
		if b.Len() > MaxString {
			return nil, e.fail(e.Span, e.Span, fmt.Sprintf("The string would be longer than %d bytes", MaxString), "")
		}
	}
	return b.String(), nil
}

// List is an array built from expressions.
type List struct {
	At
	Elems []Expr
}

// Eval builds the array.
func (e *List) Eval(f *Frame) (Value, error) {
	out := make([]Value, len(e.Elems))
	for i, x := range e.Elems {
		v, err := x.Eval(f)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// Record is a record built from expressions.
type Record struct {
	At
	Names []Expr
	Vals  []Expr
}

// Eval builds the record (a repeated key keeps the last value).
func (e *Record) Eval(f *Frame) (Value, error) {
	r := event.NewRecord(len(e.Vals))
	for i, x := range e.Vals {
		v, err := x.Eval(f)
		if err != nil {
			return nil, err
		}
		k, err := e.Names[i].Eval(f)
		if err != nil {
			return nil, err
		}
		ks, ok := k.(string)
		if !ok {
			return nil, e.typeConflict(e.Names[i].Extent(), e.Names[i].Extent(), k, "string")
		}
		r.Set(ks, v)
	}
	return r, nil
}

// UnaryExpr applies a prefix operator.
type UnaryExpr struct {
	At
	Op ast.UnaryOp
	X  Expr
}

// Eval applies the operator.
func (e *UnaryExpr) Eval(f *Frame) (Value, error) {
	v, err := e.X.Eval(f)
	if err != nil {
		return nil, err
	}
	r, ok := Unary(e.Op, v)
	if !ok {
		return nil, e.fail(e.Span, e.X.Extent(), InvalidUnary(e.Op, v), "")
	}
	return r, nil
}

// BinaryExpr applies an infix operator; `and` and `or` decide on their
// left operand when they can.
type BinaryExpr struct {
	At
	Op   ast.BinOp
	L, R Expr
}

// Eval applies the operator.
func (e *BinaryExpr) Eval(f *Frame) (Value, error) {
	l, err := e.L.Eval(f)
	if err != nil {
		return nil, err
	}
	if b, ok := l.(bool); ok && (e.Op == ast.And && !b || e.Op == ast.Or && b) {
		return b, nil
	}
	r, err := e.R.Eval(f)
	if err != nil {
		return nil, err
	}
	v, oe := Binary(e.Op, l, r)
	if oe != opOK {
		return nil, e.fail(e.Span, e.Span, BinaryError(e.Op, oe, l, r), BinaryHint(oe))
	}
	return v, nil
}

// Native calls a function of the standard library.
type Native struct {
	At
	Fn   *stdlib.Func
	Args []Expr
}

// Eval calls the function. The arguments go on the frame's scratch stack
// (an argument that is itself a call pushes above them and pops before
// they are taken), so a call allocates nothing; stdlib functions never
// keep the argument slice.
func (e *Native) Eval(f *Frame) (Value, error) {
	if len(e.Args) == 0 {
		v, err := e.Fn.Fn(f.Ctx, nil)
		if err != nil {
			return nil, e.callErr(err, 0)
		}
		return v, nil
	}
	base := len(f.Scratch)
	for _, x := range e.Args {
		v, err := x.Eval(f)
		if err != nil {
			clear(f.Scratch[base:])
			f.Scratch = f.Scratch[:base]
			return nil, err
		}
		f.Scratch = append(f.Scratch, v)
	}
	top := len(f.Scratch)
	v, err := e.Fn.Fn(f.Ctx, f.Scratch[base:top:top])
	clear(f.Scratch[base:top])
	f.Scratch = f.Scratch[:base]
	if err != nil {
		return nil, e.callErr(err, top-base)
	}
	return v, nil
}

func (e *Native) callErr(err error, n int) error {
	var d *diag.Diagnostic
	if errors.As(err, &d) {
		return err
	}
	return e.fail(outerLines(e.Span, 2), e.Span, NativeErrorMsg(e.Fn.Path, n, err), "")
}

// NativeErrorMsg is how Tremor worded a function's failure.
func NativeErrorMsg(path string, n int, err error) string { return stdlib.Message(path, n, err) }

// Function is a function written in tremor-script.
type Function struct {
	Name   string
	Src    *source.Source
	Params int
	Open   bool
	Locals int
	Body   []Stmt
}

// Call calls a tremor-script function.
type Call struct {
	At
	Fn   *Function
	Args []Expr
}

var null Value

// Eval runs the function body (looping on a tail `recur`).
func (e *Call) Eval(f *Frame) (Value, error) {
	fn := e.Fn
	vals := make([]Value, len(e.Args))
	for i, x := range e.Args {
		v, err := x.Eval(f)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	if f.depth >= MaxCallDepth {
		return nil, e.fail(outerLines(e.Span, 2), e.Span, msgRecursionLimit, "")
	}
	var ev, meta, state Value
	nf := &Frame{Event: &ev, Meta: &meta, State: &state, Locals: NewLocals(fn.Locals), Ctx: f.Ctx, depth: f.depth + 1,
		Budget: f.Budget, Scratch: f.Scratch[len(f.Scratch):]}
	n := min(len(vals), fn.Params, fn.Locals)
	copy(nf.Locals, vals[:n])
	var rest []Value
	if len(vals) > fn.Params {
		rest = vals[fn.Params:]
	}
	nf.Args = append([]Value{}, rest...)
	for loops := 0; ; loops++ {
		if err := f.step(&e.At); err != nil {
			return nil, err
		}
		v, fl, err := runFn(nf, fn)
		if err != nil {
			return nil, err
		}
		if fl != Recurse {
			return v, nil
		}
		if loops+1 >= MaxRecursion {
			return nil, e.fail(outerLines(e.Span, 2), e.Span, msgRecursionLimit, "")
		}
		for i := len(vals); i < len(nf.Locals); i++ {
			nf.Locals[i] = unset
		}
	}
}

func runFn(f *Frame, fn *Function) (Value, Flow, error) {
	for i, s := range fn.Body {
		last := i == len(fn.Body)-1
		v, fl, err := s.Exec(f, last)
		if err != nil {
			return nil, Next, err
		}
		if fl == EmitValue || fl == EmitEvent || fl == DropEvent {
			return nil, Next, fn.Src.NoContext("can't emit here")
		}
		if last || fl == Recurse {
			return v, fl, nil
		}
	}
	return nil, Next, nil
}

// Recur is a tail `recur(args)`: it rebinds the function's arguments.
type Recur struct {
	At
	Args []Expr
	Argc int
}

// Eval evaluates the arguments into the parameters' slots.
func (e *Recur) Eval(f *Frame) (Value, error) {
	vals := make([]Value, len(e.Args))
	for i, x := range e.Args {
		v, err := x.Eval(f)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	for i := 0; i < e.Argc && i < len(vals); i++ {
		f.Locals[i] = vals[i]
	}
	return recurMark, nil
}

// Drop is `drop`.
type Drop struct{ At }

// Exec drops the event.
func (s *Drop) Exec(*Frame, bool) (Value, Flow, error) { return nil, DropEvent, nil }

// Emit is `emit [value] [=> port]`; Value nil emits the event.
type Emit struct {
	At
	Value Expr
	Port  Expr
}

// Exec evaluates the port, then the value.
func (s *Emit) Exec(f *Frame, _ bool) (Value, Flow, error) {
	f.Port, f.HasPort = "", false
	if s.Port != nil {
		p, err := s.Port.Eval(f)
		if err != nil {
			return nil, Next, err
		}
		ps, ok := p.(string)
		if !ok {
			return nil, Next, s.typeConflict(s.Port.Extent(), s.Port.Extent(), p, "string")
		}
		f.Port, f.HasPort = ps, true
	}
	if s.Value == nil {
		return nil, EmitEvent, nil
	}
	v, err := s.Value.Eval(f)
	if err != nil {
		return nil, Next, err
	}
	f.Out = v
	return v, EmitValue, nil
}

// MergeExpr is `merge TARGET of VALUE end`.
type MergeExpr struct {
	At
	Target, Value Expr
}

// Eval merges VALUE into a copy of TARGET.
func (e *MergeExpr) Eval(f *Frame) (Value, error) {
	t, err := e.Target.Eval(f)
	if err != nil {
		return nil, err
	}
	if _, ok := t.(*event.Record); !ok {
		return nil, e.typeConflict(e.Span, e.Target.Extent(), t, "record")
	}
	v, err := e.Value.Eval(f)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(*event.Record); !ok {
		return nil, e.typeConflict(e.Span, e.Value.Extent(), v, "record")
	}
	return MergeValues(t, v), nil
}

// MergeValues merges repl into target: records key by key (a null
// removes the key), anything else replaces. target is not modified.
func MergeValues(target, repl Value) Value {
	tr, ok1 := target.(*event.Record)
	rr, ok2 := repl.(*event.Record)
	if !ok1 || !ok2 {
		return repl
	}
	out := tr.CloneGrow(rr.Len())
	for i := 0; i < rr.Len(); i++ {
		k, v := rr.At(i)
		if v == nil {
			out.Delete(k)
			continue
		}
		if old, ok := out.Get(k); ok {
			out.Set(k, MergeValues(old, v))
		} else {
			out.Set(k, v)
		}
	}
	return out
}
