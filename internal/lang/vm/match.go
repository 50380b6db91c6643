package vm

import (
	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// Extractor is a compiled extractor (`re|...|`, `glob|...|` ...).
type Extractor interface {
	Extract(c *stdlib.Ctx, v Value) (out Value, ok bool, err error)
}

// Pattern tests a value; with result set it also returns what the
// pattern binds (for `case x = PATTERN`).
type Pattern interface {
	Test(f *Frame, outer *At, v Value, result bool) (Value, bool, error)
}

// PatExpr matches a value equal to X.
type PatExpr struct{ X Expr }

// Test compares.
func (p *PatExpr) Test(f *Frame, _ *At, v Value, _ bool) (Value, bool, error) {
	x, err := p.X.Eval(f)
	if err != nil {
		return nil, false, err
	}
	return x, Equal(v, x), nil
}

// PatAny is `_`.
type PatAny struct{}

// Test always matches.
func (PatAny) Test(_ *Frame, _ *At, v Value, _ bool) (Value, bool, error) { return v, true, nil }

// PatExtract is `~ kind|pattern|`.
type PatExtract struct {
	At
	Ex Extractor
}

// Tester is an extractor with a cheaper (or different) test for when
// what it extracts is not needed.
type Tester interface {
	Test(c *stdlib.Ctx, v Value) bool
}

// Test runs the extractor.
func (p *PatExtract) Test(f *Frame, _ *At, v Value, result bool) (Value, bool, error) {
	if !result {
		if t, ok := p.Ex.(Tester); ok {
			return nil, t.Test(f.Ctx, v), nil
		}
	}
	return p.extract(f, v)
}

func (p *PatExtract) extract(f *Frame, v Value) (Value, bool, error) {
	out, ok, err := p.Ex.Extract(f.Ctx, v)
	if err != nil {
		return nil, false, p.fail(outerLines(p.Span, 2), p.Span, err.Error(), "")
	}
	return out, ok, nil
}

// PatAssign is `name = PATTERN`: binds what the pattern matched.
type PatAssign struct {
	Slot  int
	Inner Pattern
}

// Test matches the inner pattern and binds its result.
func (p *PatAssign) Test(f *Frame, outer *At, v Value, _ bool) (Value, bool, error) {
	x, ok, err := p.Inner.Test(f, outer, v, true)
	if err != nil || !ok {
		return nil, ok, err
	}
	f.Locals[p.Slot] = x
	return x, true, nil
}

// FieldPat is one test of a record pattern.
type FieldPat struct {
	Test   ast.FieldTest
	Key    string
	Ex     *PatExtract
	Op     ast.BinOp
	Rhs    Expr
	Record *PatRecord
	Array  *PatArray
}

// PatRecord is `%{ ... }`.
type PatRecord struct{ Fields []*FieldPat }

// Test matches a record whose fields pass every test; the result holds the
// fields that were extracted or are present.
func (p *PatRecord) Test(f *Frame, outer *At, v Value, result bool) (Value, bool, error) {
	r, ok := v.(*event.Record)
	if !ok {
		return nil, false, nil
	}
	var acc *event.Record
	if result {
		acc = event.NewRecord(len(p.Fields))
	}
	for _, fp := range p.Fields {
		x, found := r.Get(fp.Key)
		switch fp.Test {
		case ast.FieldPresent:
			if !found {
				return nil, false, nil
			}
			if result {
				acc.Set(fp.Key, x)
			}
		case ast.FieldAbsent:
			if found {
				return nil, false, nil
			}
		case ast.FieldTildeEq:
			if !found {
				return nil, false, nil
			}
			out, ok, err := fp.Ex.extract(f, x)
			if err != nil || !ok {
				return nil, false, err
			}
			if result {
				acc.Set(fp.Key, out)
			}
		case ast.FieldBin:
			if !found {
				return nil, false, nil
			}
			rhs, err := fp.Rhs.Eval(f)
			if err != nil {
				return nil, false, err
			}
			res, oe := Binary(fp.Op, x, rhs)
			if oe != opOK {
				return nil, false, outer.fail(outer.Span, outer.Span, BinaryError(fp.Op, oe, x, rhs), BinaryHint(oe))
			}
			if b, _ := res.(bool); !b {
				return nil, false, nil
			}
		case ast.FieldRecord:
			if !found {
				return nil, false, nil
			}
			m, ok, err := fp.Record.Test(f, outer, x, result)
			if err != nil || !ok {
				return nil, false, err
			}
			if result {
				acc.Set(fp.Key, m)
			}
		case ast.FieldArray:
			if !found {
				return nil, false, nil
			}
			if _, isArr := x.([]Value); !isArr {
				return nil, false, nil
			}
			m, ok, err := fp.Array.Test(f, outer, x, result)
			if err != nil || !ok {
				return nil, false, err
			}
			if result {
				acc.Set(fp.Key, m)
			}
		}
	}
	if acc == nil {
		return nil, true, nil
	}
	return acc, true, nil
}

// ElemPat is one element test of an array or tuple pattern.
type ElemPat struct {
	Kind   ast.ElemKind
	X      Expr
	Ex     *PatExtract
	Record *PatRecord
}

// PatArray is `%[ ... ]`: each test must hold for some element; the result
// lists `[index, value]` for every element that passed a test.
type PatArray struct{ Elems []*ElemPat }

// Test matches an array.
func (p *PatArray) Test(f *Frame, outer *At, v Value, result bool) (Value, bool, error) {
	a, ok := v.([]Value)
	if !ok {
		return nil, false, nil
	}
	acc := []Value{}
	for _, e := range p.Elems {
		matched := false
		switch e.Kind {
		case ast.ElemIgnore:
			matched = len(a) > 0
		default:
			for i, c := range a {
				x, ok, err := e.test(f, outer, c, result)
				if err != nil {
					return nil, false, err
				}
				if ok {
					matched = true
					if !result {
						break
					}
					acc = append(acc, []Value{int64(i), x})
				}
			}
		}
		if !matched {
			return nil, false, nil
		}
	}
	return acc, true, nil
}

func (e *ElemPat) test(f *Frame, outer *At, c Value, result bool) (Value, bool, error) {
	switch e.Kind {
	case ast.ElemExpr:
		x, err := e.X.Eval(f)
		if err != nil {
			return nil, false, err
		}
		return x, Equal(c, x), nil
	case ast.ElemTilde:
		return e.Ex.extract(f, c)
	case ast.ElemRecord:
		return e.Record.Test(f, outer, c, result)
	}
	return c, true, nil
}

// PatTuple is `%( ... )`: element i passes test i (an open tuple allows
// more elements).
type PatTuple struct {
	Elems []*ElemPat
	Open  bool
}

// Test matches an array element by element.
func (p *PatTuple) Test(f *Frame, outer *At, v Value, result bool) (Value, bool, error) {
	a, ok := v.([]Value)
	if !ok {
		return nil, false, nil
	}
	if p.Open && len(a) < len(p.Elems) || !p.Open && len(a) != len(p.Elems) {
		return nil, false, nil
	}
	var acc []Value
	if result {
		acc = make([]Value, 0, len(p.Elems))
	}
	for i, e := range p.Elems {
		x, ok, err := e.test(f, outer, a[i], result)
		if err != nil || !ok {
			return nil, false, err
		}
		if result {
			acc = append(acc, x)
		}
	}
	if acc == nil {
		acc = []Value{}
	}
	return acc, true, nil
}

// Clause is a case of a match: Pattern nil for default. Body holds the
// statements of a match that may have effects; Last the value of a match
// inside an expression.
type Clause struct {
	Pattern Pattern
	Guard   Expr
	Body    []Stmt
	Last    Expr
}

func testGuard(f *Frame, outer *At, g Expr) (bool, error) {
	if g == nil {
		return true, nil
	}
	v, err := g.Eval(f)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, outer.typeConflict(outer.Span, g.Extent(), v, "boolean")
	}
	return b, nil
}

// find is the first clause whose pattern and guard hold.
func find(f *Frame, outer *At, clauses []*Clause, target Value) (*Clause, error) {
	for _, c := range clauses {
		if c.Pattern != nil {
			_, ok, err := c.Pattern.Test(f, outer, target, false)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		ok, err := testGuard(f, outer, c.Guard)
		if err != nil {
			return nil, err
		}
		if ok {
			return c, nil
		}
	}
	return nil, nil
}

func (a *At) noClause() error {
	return a.fail(outerLines(a.Span, 2), a.Span, msgNoClause, hintNoClause)
}

// MatchExpr is a match inside an expression.
type MatchExpr struct {
	At
	Target  Expr
	Clauses []*Clause
}

// Eval evaluates the matching clause's (last) expression.
func (e *MatchExpr) Eval(f *Frame) (Value, error) {
	t, err := e.Target.Eval(f)
	if err != nil {
		return nil, err
	}
	c, err := find(f, &e.At, e.Clauses, t)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, e.noClause()
	}
	return c.Last.Eval(f)
}

// MatchStmt is a match whose case bodies may assign, emit or drop.
type MatchStmt struct {
	At
	Target  Expr
	Clauses []*Clause
}

// Exec runs the matching clause's body.
func (s *MatchStmt) Exec(f *Frame, need bool) (Value, Flow, error) {
	t, err := s.Target.Eval(f)
	if err != nil {
		return nil, Next, err
	}
	c, err := find(f, &s.At, s.Clauses, t)
	if err != nil {
		return nil, Next, err
	}
	if c == nil {
		return nil, Next, s.noClause()
	}
	return execBody(f, c.Body, need)
}

// execBody runs a case body: all but the last without their value.
func execBody(f *Frame, body []Stmt, need bool) (Value, Flow, error) {
	for i, st := range body {
		last := i == len(body)-1
		v, fl, err := st.Exec(f, last && need)
		if err != nil || fl != Next {
			return v, fl, err
		}
		if last {
			return v, Next, nil
		}
	}
	return nil, Next, nil
}

// ForCase is one case of a comprehension.
type ForCase struct {
	Guard Expr
	Body  []Stmt
	Last  Expr
}

// For is a comprehension `for T of case (k, v) ... end`: over a record's
// fields or an array's elements (anything else gives []).
type For struct {
	At
	Target         Expr
	KeySlot, VSlot int
	Cases          []*ForCase
	Imut           bool
}

func (e *For) run(f *Frame, need bool) (Value, Flow, error) {
	t, err := e.Target.Eval(f)
	if err != nil {
		return nil, Next, err
	}
	var out []Value
	each := func(k, v Value) (Flow, error) {
		if err := f.step(&e.At); err != nil {
			return Next, err
		}
		f.Locals[e.KeySlot], f.Locals[e.VSlot] = k, v
		for _, c := range e.Cases {
			ok, err := testGuard(f, &e.At, c.Guard)
			if err != nil {
				return Next, err
			}
			if !ok {
				continue
			}
			var x Value
			if e.Imut {
				if x, err = c.Last.Eval(f); err != nil {
					return Next, err
				}
			} else {
				var fl Flow
				x, fl, err = execBody(f, c.Body, need)
				if err != nil || fl != Next {
					return fl, err
				}
			}
			if e.Imut || need {
				out = append(out, x)
			}
			return Next, nil
		}
		return Next, nil
	}
	switch c := t.(type) {
	case *event.Record:
		out = make([]Value, 0, c.Len())
		for i := 0; i < c.Len(); i++ {
			k, v := c.At(i)
			if fl, err := each(k, v); err != nil || fl != Next {
				return nil, fl, err
			}
		}
	case []Value:
		out = make([]Value, 0, len(c))
		for i, v := range c {
			if fl, err := each(int64(i), v); err != nil || fl != Next {
				return nil, fl, err
			}
		}
	}
	if out == nil {
		out = []Value{}
	}
	return out, Next, nil
}

// Eval runs a comprehension inside an expression.
func (e *For) Eval(f *Frame) (Value, error) {
	v, _, err := e.run(f, true)
	return v, err
}

// Exec runs a comprehension whose bodies may have effects.
func (e *For) Exec(f *Frame, need bool) (Value, Flow, error) { return e.run(f, need) }

var _ = diag.Span{}
