package compiler

import (
	"fmt"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/vm"
)

const (
	warnNoDefault = "This match expression has no default clause, if the other clauses do not cover all possibilities this will lead to events being discarded with runtime errors."
	warnDefaults  = "A match statement with more then one default clause will never reach any but the first default clause."
)

func isDefault(c *ast.Case) bool {
	if c.Guard != nil {
		return false
	}
	switch p := c.Pattern.(type) {
	case nil, *ast.DontCare:
		return true
	case *ast.AssignPattern:
		_, ok := p.Pattern.(*ast.DontCare)
		return ok
	}
	return false
}

// clauses compiles the cases of a match (patterns first, as Tremor did)
// and warns about missing or repeated defaults.
func (u *unit) clauses(sc *scope, m *ast.Match, tail bool) []*vm.Clause {
	var out []*vm.Clause
	defaults := 0
	for _, c := range m.Cases {
		if isDefault(c) {
			defaults++
		}
		cl := &vm.Clause{}
		shadowed := false
		if c.Pattern != nil {
			if _, ok := c.Pattern.(*ast.AssignPattern); ok {
				shadowed = true
			}
			cl.Pattern = u.pattern(sc, c.Pattern)
		}
		if c.Guard != nil {
			cl.Guard = u.expr(sc, c.Guard, false)
		}
		last := len(c.Body) - 1
		if m.Imut {
			for i, b := range c.Body {
				x := u.expr(sc, b, tail && i == last)
				if i == last {
					cl.Last = x
				}
			}
		} else {
			for i, b := range c.Body {
				cl.Body = append(cl.Body, u.stmt(sc, b, tail && i == last))
			}
		}
		if shadowed {
			sc.popShadow()
		}
		out = append(out, cl)
	}
	switch {
	case defaults == 0:
		u.warn(m.Span, m.Span, warnNoDefault)
	case defaults > 1:
		u.warn(m.Span, m.Span, warnDefaults)
	}
	return out
}

func (u *unit) matchExpr(sc *scope, m *ast.Match, tail bool) vm.Expr {
	cl := u.clauses(sc, m, tail)
	return &vm.MatchExpr{At: u.at(m.Span), Clauses: cl, Target: u.expr(sc, m.Target, false)}
}

func (u *unit) matchStmt(sc *scope, m *ast.Match, tail bool) vm.Stmt {
	if m.Imut {
		return &vm.Imut{X: u.matchExpr(sc, m, tail)}
	}
	cl := u.clauses(sc, m, tail)
	return &vm.MatchStmt{At: u.at(m.Span), Clauses: cl, Target: u.expr(sc, m.Target, false)}
}

// forExpr compiles a comprehension (as an expression or a statement).
func (u *unit) forExpr(sc *scope, f *ast.For) *vm.For {
	target := u.expr(sc, f.Target, false)
	k, v := sc.reserveShadows()
	out := &vm.For{At: u.at(f.Span), Target: target, KeySlot: k, VSlot: v, Imut: f.Imut}
	for _, c := range f.Cases {
		sc.pushShadow(c.Key.Name)
		sc.pushShadow(c.Value.Name)
		fc := &vm.ForCase{}
		if c.Guard != nil {
			fc.Guard = u.expr(sc, c.Guard, false)
		}
		last := len(c.Body) - 1
		for i, b := range c.Body {
			if f.Imut {
				x := u.expr(sc, b, false)
				if i == last {
					fc.Last = x
				}
			} else {
				fc.Body = append(fc.Body, u.stmt(sc, b, false))
			}
		}
		sc.popShadow()
		sc.popShadow()
		out.Cases = append(out.Cases, fc)
	}
	return out
}

// pattern compiles a case pattern.
func (u *unit) pattern(sc *scope, p ast.Pattern) vm.Pattern {
	switch x := p.(type) {
	case *ast.ExprPattern:
		return &vm.PatExpr{X: u.expr(sc, x.Expr, false)}
	case *ast.DontCare:
		return vm.PatAny{}
	case *ast.Extract:
		return u.extractor(x.Test)
	case *ast.AssignPattern:
		slot := sc.pushShadow(x.Name.Name)
		return &vm.PatAssign{Slot: slot, Inner: u.pattern(sc, x.Pattern)}
	case *ast.RecordPattern:
		return u.recordPattern(sc, x)
	case *ast.ArrayPattern:
		return u.arrayPattern(sc, x)
	case *ast.TuplePattern:
		t := &vm.PatTuple{Open: x.Open}
		for _, e := range x.Elems {
			t.Elems = append(t.Elems, u.elem(sc, e))
		}
		return t
	}
	u.fail(expandLines(p.Extent(), 2), p.Extent(), "Unsupported pattern", "")
	return nil
}

// extractor compiles `kind|pattern|`.
func (u *unit) extractor(t *ast.TestExpr) *vm.PatExtract {
	var ex vm.Extractor
	var err error
	if u.c.opts.Extractor == nil {
		err = fmt.Errorf("Unsupported extractor %s", t.Kind.Name)
	} else {
		ex, err = u.c.opts.Extractor(t.Kind.Name, t.Pattern)
	}
	if err != nil {
		hint := ""
		if h, ok := err.(interface{ Hint() string }); ok {
			hint = h.Hint()
		}
		u.fail(expandLines(t.Span, 2), t.Span, "Invalid tilde predicate pattern: "+err.Error(), hint)
	}
	return &vm.PatExtract{At: u.at(t.Span), Ex: ex}
}

func (u *unit) recordPattern(sc *scope, x *ast.RecordPattern) *vm.PatRecord {
	rp := &vm.PatRecord{}
	for _, f := range x.Fields {
		fp := &vm.FieldPat{Test: f.Test, Key: f.Key.Name, Op: f.Op}
		switch f.Test {
		case ast.FieldTildeEq:
			fp.Ex = u.extractor(f.Extract)
		case ast.FieldBin:
			fp.Rhs = u.expr(sc, f.Rhs, false)
		case ast.FieldRecord:
			fp.Record = u.recordPattern(sc, f.Record)
		case ast.FieldArray:
			fp.Array = u.arrayPattern(sc, f.Array)
		}
		rp.Fields = append(rp.Fields, fp)
	}
	for _, f := range x.Fields {
		if f.Test != ast.FieldPresent && f.Test != ast.FieldAbsent {
			continue
		}
		for _, g := range x.Fields {
			if g.Test == f.Test || g.Key.Name != f.Key.Name {
				continue
			}
			msg := fmt.Sprintf("The field %s is checked with both present and another extractor, this is redundant as extractors imply presence. It may also overwrite the result of the extractor.", f.Key.Name)
			if f.Test == ast.FieldAbsent {
				msg = fmt.Sprintf("The field %s is checked with both absence and another extractor, this test can never be true.", f.Key.Name)
			}
			u.warn(expandLines(x.Span, 2), x.Span, msg)
			break
		}
	}
	return rp
}

func (u *unit) arrayPattern(sc *scope, x *ast.ArrayPattern) *vm.PatArray {
	ap := &vm.PatArray{}
	for _, e := range x.Elems {
		ap.Elems = append(ap.Elems, u.elem(sc, e))
	}
	return ap
}

func (u *unit) elem(sc *scope, e *ast.ElemPattern) *vm.ElemPat {
	ep := &vm.ElemPat{Kind: e.Kind}
	switch e.Kind {
	case ast.ElemExpr:
		ep.X = u.expr(sc, e.Expr, false)
	case ast.ElemTilde:
		ep.Ex = u.extractor(e.Extract)
	case ast.ElemRecord:
		ep.Record = u.recordPattern(sc, e.Record)
	}
	return ep
}

var _ = diag.Span{}
