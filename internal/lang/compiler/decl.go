package compiler

import (
	"fmt"
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/vm"
)

// fnResName is the local a `fn ... of` case binds its arguments to.
const fnResName = "__fn_assign_this_is_ugly"

// body compiles the statements of a script (top) or function body.
func (u *unit) body(sc *scope, stmts []ast.Expr, top bool) []vm.Stmt {
	var out []vm.Stmt
	last := len(stmts) - 1
	for i, st := range stmts {
		switch s := st.(type) {
		case *ast.ModDecl:
			if !top {
				u.fail(expandLines(s.Span, 2), s.Span, "Can't declare a module here", "")
			}
			u.module(s, u.mod)
		case *ast.Use:
			if !top {
				u.fail(expandLines(s.Span, 2), s.Span, "Can't declare a module here", "")
			}
			u.use(s, u.mod)
		case *ast.Const:
			if !top {
				u.fail(expandLines(s.Span, 2), s.Span, "Can't declare a const here", "")
			}
			v := u.constDecl(s)
			if i == last {
				out = append(out, &vm.Imut{X: &vm.Literal{At: u.at(s.Span), V: v}})
			}
		case *ast.FnDecl:
			if !top {
				u.fail(expandLines(s.Span, 2), s.Span, "Can't declare a function here", "")
			}
			u.fnDecl(s)
		default:
			out = append(out, u.stmt(sc, st, i == last && sc.inFn))
		}
	}
	if top && !sc.inFn {
		// A script ending in `event` emits the event (and one without
		// expressions emits it unchanged).
		if len(out) == 0 {
			out = append(out, &vm.Emit{At: u.at(diag.Span{})})
		} else if im, ok := out[len(out)-1].(*vm.Imut); ok {
			if p, ok := im.X.(*vm.Path); ok && p.Root == vm.RootEvent && len(p.Segs) == 0 {
				out[len(out)-1] = &vm.Emit{At: p.At}
			}
		}
	}
	return out
}

// moduleBody compiles the statements of a module (a `mod` block or a
// module file) into u's module.
func (u *unit) moduleBody(stmts []ast.Node) {
	for _, st := range stmts {
		switch s := st.(type) {
		case *ast.Const:
			u.constDecl(s)
		case *ast.FnDecl:
			u.fnDecl(s)
		case *ast.ModDecl:
			u.module(s, u.mod)
		case *ast.Use:
			u.use(s, u.mod)
		case *ast.QueryMod:
			mod := u.mod.child(s.Name.Name)
			var inner []ast.Node
			for _, x := range s.Stmts {
				inner = append(inner, x)
			}
			u.c.unit(u.src, mod).moduleBody(inner)
		case *ast.DefineOperator:
			u.mod.Items[s.ID.Name] = &Item{Node: s, Src: u.src, Mod: u.mod}
		case *ast.DefineScript:
			u.mod.Items[s.ID.Name] = &Item{Node: s, Src: u.src, Mod: u.mod}
		case *ast.DefineWindow:
			u.mod.Items[s.ID.Name] = &Item{Node: s, Src: u.src, Mod: u.mod}
		default:
			u.fail(expandLines(st.Extent(), 2), st.Extent(), "Can't declare this in a module", "")
		}
	}
}

// Item is a trickle definition found in a module (for the query layer).
type Item struct {
	Node ast.Node
	Src  interface {
		Diag(o, i diag.Span, m, h string) *diag.Diagnostic
	}
	Mod *Module
}

// module compiles `mod NAME with ... end` below into.
func (u *unit) module(s *ast.ModDecl, into *Module) {
	mod := into.child(s.Name.Name)
	nodes := make([]ast.Node, len(s.Stmts))
	for i, x := range s.Stmts {
		nodes[i] = x
	}
	u.c.unit(u.src, mod).moduleBody(nodes)
}

// constDecl evaluates a constant and defines it in the unit's module.
func (u *unit) constDecl(s *ast.Const) vm.Value {
	sc := newScope(false)
	x := u.expr(sc, s.Value, false)
	lit, ok := x.(*vm.Literal)
	if !ok {
		ex := x.Extent()
		u.fail(ex, expandLines(ex, 2), "The expression isn't constant and can't be evaluated at compile time", "")
	}
	if _, dup := u.mod.consts[s.Name.Name]; dup {
		u.fail(expandLines(s.Span, 2), s.Span, fmt.Sprintf("Can't declare the constant `%s` twice", s.Name.Name), "")
	}
	u.mod.consts[s.Name.Name] = &constant{value: lit.V}
	return lit.V
}

// fnDecl compiles a function and defines it in the unit's module (after
// its body: a function cannot call itself by name; use `recur`).
func (u *unit) fnDecl(s *ast.FnDecl) {
	sym := &fnSym{name: s.Name.Name, params: len(s.Params), open: s.Open}
	if s.Intrinsic != nil {
		path := strings.Join(s.Intrinsic, "::")
		nf, ok := u.c.opts.Natives(path)
		if !ok {
			u.missingNative(s.Span, s.Intrinsic[:len(s.Intrinsic)-1], s.Intrinsic[len(s.Intrinsic)-1])
		}
		if !arityOK(nf.Min, nf.Max, len(s.Params), s.Open) {
			u.fail(expandLines(s.Span, 2), s.Span, fmt.Sprintf("Bad arity for function %s/%s but was declared with %d arguments",
				path, arityText(nf.Min, nf.Max), len(s.Params)), "")
		}
		sym.native = nf
		u.register(s, sym)
		return
	}
	sc := newScope(false)
	sc.inFn, sc.argc, sc.open = true, len(s.Params), s.Open
	for i, p := range s.Params {
		sc.slots[p.Name] = i
	}
	sc.n = len(s.Params)
	var body []vm.Stmt
	if s.Cases != nil {
		body = []vm.Stmt{u.stmt(sc, u.matchFnBody(s), true)}
	} else {
		body = u.body(sc, s.Body, false)
	}
	fn := &vm.Function{Name: u.fnName(s.Name.Name), Src: u.src, Params: len(s.Params), Open: s.Open, Locals: sc.n, Body: body}
	sym.fn = fn
	sym.forward = forwardOf(body, len(s.Params))
	u.register(s, sym)
}

// forwardOf recognises a body that only calls another function with the
// parameters in order (Tremor inlined such calls).
func forwardOf(body []vm.Stmt, params int) *fnSym {
	if len(body) != 1 {
		return nil
	}
	im, ok := body[0].(*vm.Imut)
	if !ok {
		return nil
	}
	var args []vm.Expr
	fw := &fnSym{}
	switch x := im.X.(type) {
	case *vm.Native:
		args, fw.native = x.Args, x.Fn
	case *vm.Call:
		args, fw.fn = x.Args, x.Fn
	default:
		return nil
	}
	if len(args) != params {
		return nil
	}
	for i, a := range args {
		l, ok := a.(*vm.Local)
		if !ok || l.Slot != i {
			return nil
		}
	}
	return fw
}

func (u *unit) fnName(name string) string {
	if len(u.mod.Path) == 0 {
		return name
	}
	return u.mod.Name() + "::" + name
}

func (u *unit) register(s *ast.FnDecl, sym *fnSym) {
	g, ok := u.mod.fns[s.Name.Name]
	if !ok {
		g = &fnGroup{byArity: map[int]*fnSym{}}
		u.mod.fns[s.Name.Name] = g
	}
	if sym.open {
		for _, o := range g.open {
			if o.params == sym.params {
				u.failNoContext(fmt.Sprintf("function %s already defined.", s.Name.Name))
			}
		}
		g.open = append(g.open, sym)
		return
	}
	if _, dup := g.byArity[sym.params]; dup {
		u.failNoContext(fmt.Sprintf("function %s already defined.", s.Name.Name))
	}
	g.byArity[sym.params] = sym
}

// matchFnBody is the match a `fn f(a, b) of case (...) => ... end` stands
// for: the arguments as a list matched against each case's tuple, the
// case binding them again.
func (u *unit) matchFnBody(s *ast.FnDecl) ast.Expr {
	local := func(id ast.Ident, segs ...*ast.Segment) *ast.Path {
		seg := &ast.Segment{Expr: &ast.Literal{Value: id.Name, Span: id.Span}, Field: true, Span: id.Span}
		return &ast.Path{Root: ast.RootLocal, Segments: append([]*ast.Segment{seg}, segs...), Span: id.Span}
	}
	target := &ast.List{Span: s.Span}
	for _, p := range s.Params {
		target.Elems = append(target.Elems, local(p))
	}
	m := &ast.Match{Target: target, Span: s.Span}
	for _, c := range s.Cases {
		if c.Pattern == nil {
			m.Cases = append(m.Cases, c)
			continue
		}
		res := ast.Ident{Name: fnResName, Span: c.Span}
		nc := &ast.Case{Guard: c.Guard, Span: c.Span,
			Pattern: &ast.AssignPattern{Name: res, Pattern: c.Pattern, Span: c.Pattern.Extent()}}
		for i, p := range s.Params {
			idx := &ast.Segment{Expr: &ast.Literal{Value: int64(i), Span: p.Span}, Span: p.Span}
			nc.Body = append(nc.Body, &ast.Let{Path: local(p), Value: local(ast.Ident{Name: fnResName, Span: p.Span}, idx),
				Span: c.Span})
		}
		nc.Body = append(nc.Body, c.Body...)
		m.Cases = append(m.Cases, nc)
	}
	return m
}

func arityOK(min, max, n int, open bool) bool {
	if open {
		return max < 0
	}
	return n >= min && (max < 0 || n <= max)
}

func arityText(min, max int) string {
	switch {
	case max < 0:
		return fmt.Sprintf("%d..", min)
	case min == max:
		return fmt.Sprintf("%d..=%d", min, max)
	}
	return fmt.Sprintf("%d..=%d", min, max)
}
