package compiler

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/lang/aggr"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/source"
	"github.com/temblor-dev/temblor/internal/lang/vm"
)

// A select statement of a query: its target (with the aggregate calls of
// a windowed select taken out into their own list), its guards and its
// grouping.

// AggrCall is one aggregate call of a windowed select's target: the
// function and its arguments, evaluated on every event of the window.
type AggrCall struct {
	Spec *aggr.Spec
	Args []vm.Expr
	Span diag.Span
}

// GroupBy is a compiled `group by` clause.
type GroupBy struct {
	Kind  ast.GroupKind
	Expr  vm.Expr
	Items []*GroupBy
}

// Select is a compiled select statement.
type Select struct {
	Target, Where, Having vm.Expr
	Group                 *GroupBy
	Aggrs                 []*AggrCall
	// Locals is the number of slots an evaluation's frame needs (names
	// bound by comprehensions and patterns).
	Locals int
}

// selCtx is what compiling a select's expressions needs to know.
type selCtx struct {
	stmt      diag.Span
	allowAggr bool // the target of a windowed select
	inAggr    bool // inside an aggregate's arguments
	aggrs     []*AggrCall
	// windowed targets may not read the event outside aggregates, except
	// through an expression of the group by clause (read as group[i]).
	noEvent    bool
	groupExprs []ast.Expr
}

// Select compiles a select statement of the query's root module; windowed
// tells whether it reads windows (aggregates are allowed in its target,
// and the event only inside them or through its group by expressions).
func (c *Compiler) Select(src *source.Source, s *ast.Select) (*Select, error) {
	out := &Select{}
	windowed := len(s.Windows) > 0
	err := c.run(func() {
		u := c.unit(src, c.root)
		// The order of Tremor's checks: target, having, where, group by.
		u.sel = &selCtx{stmt: s.Span, allowAggr: true}
		out.Target = u.selectExpr(s.Target, s.Target.Extent(), &out.Locals)
		out.Aggrs = u.sel.aggrs
		if len(out.Aggrs) > 0 && !windowed {
			a := out.Aggrs[0]
			u.fail(expandLines(a.Span, 2), a.Span, "Aggregate functions can only be used in a select that reads a window",
				"add a window: `from in[my_window]` with `define tumbling window my_window with size = 10 end;`")
		}
		u.sel = &selCtx{stmt: s.Span}
		if s.Having != nil {
			out.Having = u.selectExpr(s.Having, s.Having.Extent(), &out.Locals)
		}
		if s.Where != nil {
			out.Where = u.selectExpr(s.Where, s.Where.Extent(), &out.Locals)
		}
		if s.GroupBy != nil {
			sc := newScope(false)
			out.Group = u.groupBy(sc, s.GroupBy)
			u.noLocals(sc, s.GroupBy.Span)
			out.Locals = max(out.Locals, sc.n)
		}
		if windowed {
			// Compile the target again, now checking its event references.
			var groupExprs []ast.Expr
			collectGroupExprs(s.GroupBy, &groupExprs)
			u.sel = &selCtx{stmt: s.Span, allowAggr: true, noEvent: true, groupExprs: groupExprs}
			out.Target = u.selectExpr(s.Target, s.Target.Extent(), &out.Locals)
			out.Aggrs = u.sel.aggrs
		}
		u.sel = nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (u *unit) selectExpr(e ast.Expr, at diag.Span, locals *int) vm.Expr {
	sc := newScope(false)
	x := u.expr(sc, e, false)
	u.noLocals(sc, at)
	*locals = max(*locals, sc.n)
	return x
}

func (u *unit) noLocals(sc *scope, at diag.Span) {
	for name := range sc.slots {
		if !strings.HasPrefix(name, shadowPrefix) {
			u.fail(u.sel.stmt, at, "Local variables are not allowed here", "")
		}
	}
}

func (u *unit) groupBy(sc *scope, g *ast.GroupBy) *GroupBy {
	out := &GroupBy{Kind: g.Kind}
	switch g.Kind {
	case ast.GroupSet:
		for _, it := range g.Items {
			out.Items = append(out.Items, u.groupBy(sc, it))
		}
	default:
		out.Expr = u.expr(sc, g.Expr, false)
	}
	return out
}

func collectGroupExprs(g *ast.GroupBy, out *[]ast.Expr) {
	if g == nil {
		return
	}
	if g.Kind == ast.GroupSet {
		for _, it := range g.Items {
			collectGroupExprs(it, out)
		}
		return
	}
	*out = append(*out, g.Expr)
}

// groupRef is the group by expression e stands for in a windowed target,
// read as group[i].
func (u *unit) groupRef(e ast.Expr) vm.Expr {
	if u.sel == nil || !u.sel.noEvent || u.sel.inAggr {
		return nil
	}
	for i, g := range u.sel.groupExprs {
		if sameAST(reflect.ValueOf(e), reflect.ValueOf(g)) {
			at := u.at(e.Extent())
			return &vm.Path{At: at, Root: vm.RootGroup, Name: "group", Segs: []*vm.Seg{{At: at, Kind: vm.SegIndex, Index: i}}}
		}
	}
	return nil
}

// checkEventRef fails for a read of the event or its metadata where a
// windowed target does not allow it.
func (u *unit) checkEventRef(p *ast.Path) {
	if u.sel == nil || !u.sel.noEvent || u.sel.inAggr {
		return
	}
	if p.Root == ast.RootEvent || p.Root == ast.RootMeta {
		u.fail(p.Span, p.Span, "References to `event` or `$` are not allowed in this context",
			"Here you operate in the whole window, not a single event. You need to wrap this reference in an aggregate function (e.g. aggr::win::last(...)) or use it in the group by clause of this query.")
	}
}

// aggregate compiles a call of aggr::MOD::FN, or returns nil when x is not
// one (outside a select, aggregates are unknown functions).
func (u *unit) aggregate(sc *scope, x *ast.Invoke) vm.Expr {
	if u.sel == nil || len(x.Module) != 2 || x.Module[0] != "aggr" {
		return nil
	}
	spec, ok := aggr.Lookup(x.Module[1], x.Fn)
	if !ok {
		return nil
	}
	// Tremor underlined these two errors from the statement's first line.
	if u.sel.inAggr {
		u.fail(x.Span, expandLines(x.Span, 2), "Aggregates can not be called inside of aggregates", "")
	}
	if len(x.Args) < spec.Min || len(x.Args) > spec.Max {
		u.fail(x.Span, expandLines(x.Span, 2), fmt.Sprintf("Bad arity for function %s/%s but was called with %d arguments",
			spec.Path(), spec.Arity(), len(x.Args)), "")
	}
	if !u.sel.allowAggr {
		u.fail(expandLines(x.Span, 2), x.Span, "Aggregate functions can only be used in the target of a select that reads a window", "")
	}
	if spec.Warning != "" && !u.sel.noEvent {
		u.warn(x.Span, x.Span, spec.Warning)
	}
	call := &AggrCall{Spec: spec, Span: x.Span}
	u.sel.inAggr = true
	for _, a := range x.Args {
		call.Args = append(call.Args, u.expr(sc, a, false))
	}
	u.sel.inAggr = false
	u.sel.aggrs = append(u.sel.aggrs, call)
	return &vm.AggrRef{At: u.at(x.Span), Index: len(u.sel.aggrs) - 1, Name: spec.Path()}
}

var spanType = reflect.TypeOf(diag.Span{})

// sameAST compares two syntax trees, ignoring where they were written.
func sameAST(a, b reflect.Value) bool {
	if a.Kind() == reflect.Interface || b.Kind() == reflect.Interface {
		if a.Kind() == reflect.Interface {
			if a.IsNil() {
				return b.Kind() == reflect.Interface && b.IsNil()
			}
			a = a.Elem()
		}
		if b.Kind() == reflect.Interface {
			if b.IsNil() {
				return false
			}
			b = b.Elem()
		}
	}
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameAST(a.Elem(), b.Elem())
	case reflect.Struct:
		if a.Type() == spanType {
			return true
		}
		for i := 0; i < a.NumField(); i++ {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if !sameAST(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameAST(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
	if a.CanInterface() && b.CanInterface() {
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
	return false
}

// Warn records a warning found outside compilation (by the query layer).
func (c *Compiler) Warn(src *source.Source, outer, inner diag.Span, msg string) {
	c.warnings = append(c.warnings, warning{outer: outer, inner: inner, msg: msg, src: src})
}

// CheckUse loads the module a `use` statement names (into a scratch
// scope), for reporting a missing module the way Tremor's preprocessor
// did: before the syntax errors that follow it.
func (c *Compiler) CheckUse(src *source.Source, u *ast.Use) error {
	return c.run(func() {
		c.unit(src, newModule(nil, nil)).use(u, newModule(nil, nil))
	})
}
