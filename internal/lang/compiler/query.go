package compiler

import (
	"strings"

	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/source"
	"github.com/temblor-dev/temblor/internal/lang/vm"
)

// The parts of compilation the trickle layer uses: a query's own modules,
// its expressions (select targets, guards, parameters) and its scripts.

// QueryModules processes the `use` and `mod` statements of a query into
// the root module (so that its expressions and definitions see them).
func (c *Compiler) QueryModules(q *ast.Query) error {
	return c.run(func() {
		u := c.unit(q.Source, c.root)
		for _, st := range q.Stmts {
			switch s := st.(type) {
			case *ast.Use:
				u.use(s, c.root)
			case *ast.QueryMod:
				u.moduleBody([]ast.Node{s})
			}
		}
	})
}

// Expr compiles an expression of a query in module mod (nil: the root).
// Local variables are not allowed in it; the names a comprehension or a
// pattern binds are, in slots (the count is returned: an evaluation's
// frame needs that many Locals).
func (c *Compiler) Expr(src *source.Source, mod *Module, e ast.Expr, where ast.Span) (vm.Expr, int, error) {
	if mod == nil {
		mod = c.root
	}
	var x vm.Expr
	var n int
	err := c.run(func() {
		u := c.unit(src, mod)
		sc := newScope(false)
		x = u.expr(sc, e, false)
		for name := range sc.slots {
			if !strings.HasPrefix(name, shadowPrefix) {
				u.fail(where, e.Extent(), "Local variables are not allowed here", "")
			}
		}
		n = sc.n
	})
	return x, n, err
}

// Const evaluates an expression that must be constant (operator and
// script parameters).
func (c *Compiler) Const(src *source.Source, mod *Module, e ast.Expr) (vm.Value, error) {
	if mod == nil {
		mod = c.root
	}
	var v vm.Value
	err := c.run(func() {
		u := c.unit(src, mod)
		x := u.expr(newScope(false), e, false)
		lit, ok := x.(*vm.Literal)
		if !ok {
			ex := x.Extent()
			u.fail(ex, expandLines(ex, 2), "The expression isn't constant and can't be evaluated at compile time", "")
		}
		v = lit.V
	})
	return v, err
}

// Script compiles the body of a `define script` in its own module below
// mod (named after the script, so that scripts do not share names).
func (c *Compiler) Script(src *source.Source, mod *Module, name string, s *ast.Script) (*Program, error) {
	if mod == nil {
		mod = c.root
	}
	if p, ok := c.scripts[s]; ok {
		return p, nil
	}
	var p *Program
	err := c.run(func() {
		u := c.unit(src, mod.child(name))
		sc := newScope(true)
		body := u.body(sc, s.Stmts, true)
		p = &Program{Src: src, Body: body, Locals: sc.n}
	})
	if err != nil {
		return nil, err
	}
	p.Warnings = c.Warnings()
	c.scripts[s] = p
	return p, nil
}
