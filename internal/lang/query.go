package lang

import (
	"sync"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/aggr"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/compiler"
	"github.com/temblor-dev/temblor/internal/lang/lexer"
	"github.com/temblor-dev/temblor/internal/lang/parser"
	"github.com/temblor-dev/temblor/internal/lang/source"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
	"github.com/temblor-dev/temblor/internal/lang/vm"
)

// Query is a parsed trickle query whose modules (`use`, `mod`) are loaded;
// the trickle layer compiles its expressions and scripts through it.
type Query struct {
	AST *ast.Query
	Src *source.Source
	c   *compiler.Compiler
}

// ParseQuery parses a trickle query and loads the modules it uses.
func ParseQuery(name string, text []byte, opts Options) (*Query, error) {
	// Tremor's query preprocessor ended the text with one more line
	// break; errors near the end show that empty line.
	src := source.New(name, string(text)+"\n")
	q, d := parser.ParseQuery(src)
	if d != nil {
		if err := missingModule(src, d, opts); err != nil {
			return nil, err
		}
		return nil, d
	}
	c := compiler.New(opts.CompilerOptions(true))
	if err := c.QueryModules(q); err != nil {
		return nil, err
	}
	return &Query{AST: q, Src: src, c: c}, nil
}

// Warnings are what compiling the query's parts found so far.
func (q *Query) Warnings() diag.List { return q.c.Warnings() }

// Err is an error positioned in the query (for the trickle layer's own
// checks): inner underlined, the lines of outer shown.
func (q *Query) Err(outer, inner ast.Span, msg, hint string) *diag.Diagnostic {
	return q.Src.Diag(outer, inner, msg, hint)
}

// Const evaluates a parameter that must be constant.
func (q *Query) Const(e ast.Expr) (event.Value, error) { return q.c.Const(q.Src, nil, e) }

// Expr is a compiled expression of a query, safe for concurrent use.
type Expr struct {
	x      vm.Expr
	locals int       // slots of the names comprehensions and patterns bind
	pool   sync.Pool // of *runState
}

// Expr compiles an expression (no local variables; stmt is the statement
// it belongs to, shown around errors).
func (q *Query) Expr(e ast.Expr, stmt ast.Span) (*Expr, error) {
	x, n, err := q.c.Expr(q.Src, nil, e, stmt)
	if err != nil {
		return nil, err
	}
	return &Expr{x: x, locals: n}, nil
}

// Eval evaluates the expression against an event.
func (e *Expr) Eval(env Env) (event.Value, error) {
	rs, _ := e.pool.Get().(*runState)
	if rs == nil {
		rs = &runState{}
	}
	if env.Meta == nil {
		rs.nullMeta = nil
		env.Meta = &rs.nullMeta
	}
	if env.State == nil {
		rs.state = nil
		env.State = &rs.state
	}
	if env.Ctx == nil {
		rs.ctx = stdlib.Ctx{}
		env.Ctx = &rs.ctx
	}
	locals := rs.frame.Locals
	if locals == nil && e.locals > 0 {
		locals = vm.NewLocals(e.locals)
	}
	rs.frame = vm.Frame{Event: env.Data, Meta: env.Meta, State: env.State, Args: env.Args, Locals: locals, Scratch: rs.frame.Scratch[:0], Ctx: env.Ctx,
		Window: env.Window, Group: env.Group, Aggrs: env.Aggrs}
	v, err := e.x.Eval(&rs.frame)
	if locals != nil {
		vm.ResetLocals(locals)
	}
	rs.frame = vm.Frame{Locals: locals, Scratch: rs.frame.Scratch[:0]}
	e.pool.Put(rs)
	return v, err
}

// Extent is the expression's span.
func (e *Expr) Extent() ast.Span { return e.x.Extent() }

// Script compiles a `define script` body.
func (q *Query) Script(d *ast.DefineScript) (*Script, error) {
	p, err := q.c.Script(q.Src, nil, d.ID.Name, d.Script)
	if err != nil {
		return nil, err
	}
	return &Script{Src: q.Src, prog: p}, nil
}

// Select is a compiled select statement: each part is an Expr (nil when
// absent).
type Select struct {
	Target, Where, Having *Expr
	Group                 *GroupBy
	Aggrs                 []*Aggr
}

// Aggr is an aggregate call of a windowed select's target.
type Aggr struct {
	Spec *aggr.Spec
	Args []*Expr
	Span ast.Span
}

// GroupBy is a compiled `group by` clause.
type GroupBy struct {
	src   *source.Source
	Kind  ast.GroupKind
	Expr  *Expr
	Items []*GroupBy
}

// Select compiles a select statement.
func (q *Query) Select(s *ast.Select) (*Select, error) {
	p, err := q.c.Select(q.Src, s)
	if err != nil {
		return nil, err
	}
	wrap := func(x vm.Expr) *Expr {
		if x == nil {
			return nil
		}
		return &Expr{x: x, locals: p.Locals}
	}
	out := &Select{Target: wrap(p.Target), Where: wrap(p.Where), Having: wrap(p.Having)}
	for _, a := range p.Aggrs {
		ag := &Aggr{Spec: a.Spec, Span: a.Span}
		for _, x := range a.Args {
			ag.Args = append(ag.Args, wrap(x))
		}
		out.Aggrs = append(out.Aggrs, ag)
	}
	var group func(g *compiler.GroupBy) *GroupBy
	group = func(g *compiler.GroupBy) *GroupBy {
		if g == nil {
			return nil
		}
		o := &GroupBy{src: q.Src, Kind: g.Kind, Expr: wrap(g.Expr)}
		for _, it := range g.Items {
			o.Items = append(o.Items, group(it))
		}
		return o
	}
	out.Group = group(p.Group)
	return out, nil
}

// Groups evaluates a group by clause for an event: the group values it
// falls into (each a list; `each` fans one event out into several).
func (g *GroupBy) Groups(env Env) ([][]event.Value, error) {
	var out [][]event.Value
	err := g.groups(env, &out)
	return out, err
}

func (g *GroupBy) groups(env Env, out *[][]event.Value) error {
	switch g.Kind {
	case ast.GroupSet:
		for _, it := range g.Items {
			if err := it.groups(env, out); err != nil {
				return err
			}
		}
		return nil
	case ast.GroupEach:
		v, err := g.Expr.Eval(env)
		if err != nil {
			return err
		}
		each, ok := v.([]event.Value)
		if !ok {
			sp := g.Expr.Extent()
			msg, hint := vm.TypeConflict(v, "array")
			return g.src.Diag(sp, sp, msg, hint)
		}
		if len(*out) == 0 {
			for _, e := range each {
				*out = append(*out, []event.Value{e})
			}
			return nil
		}
		next := make([][]event.Value, 0, len(each)*len(*out))
		for _, grp := range *out {
			for _, e := range each {
				next = append(next, append(append(make([]event.Value, 0, len(grp)+1), grp...), e))
			}
		}
		*out = next
		return nil
	}
	v, err := g.Expr.Eval(env)
	if err != nil {
		return err
	}
	if len(*out) == 0 {
		*out = append(*out, []event.Value{v})
		return nil
	}
	for i := range *out {
		(*out)[i] = append((*out)[i], v)
	}
	return nil
}

// Def is a definition (operator, script or window) of a query or of a
// module it uses, with the scope its expressions are compiled in.
type Def struct {
	Node ast.Node // *ast.DefineOperator, *ast.DefineScript or *ast.DefineWindow
	Src  *source.Source
	q    *Query
	mod  *compiler.Module // nil: the query's root
}

// Defs lists the query's own definitions (its top-level define
// statements), in order.
func (q *Query) Defs() []*Def {
	var out []*Def
	for _, st := range q.AST.Stmts {
		switch st.(type) {
		case *ast.DefineOperator, *ast.DefineScript, *ast.DefineWindow:
			out = append(out, &Def{Node: st, Src: q.Src, q: q})
		}
	}
	return out
}

// ModuleDef finds the definition name in the module at path (relative to
// the query: `use foo::bar;` makes `bar::name`, `mod m with ... end;` makes
// `m::name`).
func (q *Query) ModuleDef(path []string, name string) (*Def, bool) {
	m := q.c.Root().Sub(path)
	if m == nil {
		return nil, false
	}
	it, ok := m.Items[name].(*compiler.Item)
	if !ok {
		return nil, false
	}
	src, _ := it.Src.(*source.Source)
	return &Def{Node: it.Node, Src: src, q: q, mod: it.Mod}, true
}

// ModuleDefNames lists the names defined in the module at path, for
// suggestions.
func (q *Query) ModuleDefNames(path []string) []string {
	m := q.c.Root().Sub(path)
	if m == nil {
		return nil
	}
	var out []string
	for k := range m.Items {
		out = append(out, k)
	}
	return out
}

// Const evaluates a constant expression in the definition's scope.
func (d *Def) Const(e ast.Expr) (event.Value, error) { return d.q.c.Const(d.Src, d.mod, e) }

// Expr compiles an expression in the definition's scope (a window's
// script).
func (d *Def) Expr(e ast.Expr, stmt ast.Span) (*Expr, error) {
	x, n, err := d.q.c.Expr(d.Src, d.mod, e, stmt)
	if err != nil {
		return nil, err
	}
	return &Expr{x: x, locals: n}, nil
}

// Script compiles the definition's script (a *ast.DefineScript).
func (d *Def) Script() (*Script, error) {
	ds := d.Node.(*ast.DefineScript)
	p, err := d.q.c.Script(d.Src, d.mod, ds.ID.Name, ds.Script)
	if err != nil {
		return nil, err
	}
	return &Script{Src: d.Src, prog: p}, nil
}

// Warn records a warning about the query (shown with its other warnings).
func (q *Query) Warn(outer, inner ast.Span, msg string) { q.c.Warn(q.Src, outer, inner, msg) }

// missingModule finds a `use` before the syntax error d whose module
// cannot be loaded: Tremor resolved them first and reported that instead.
func missingModule(src *source.Source, d *diag.Diagnostic, opts Options) error {
	toks, _ := lexer.Tokenize(src.Text)
	toks = lexer.Significant(toks)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.Start.Line > d.Span.Start.Line || t.Start.Line == d.Span.Start.Line && t.Start.Col >= d.Span.Start.Col {
			return nil
		}
		if t.Kind != lexer.Use {
			continue
		}
		u := &ast.Use{Span: ast.Span{Start: t.Start, End: t.End}}
		j := i + 1
		for j < len(toks) && toks[j].Kind == lexer.Ident {
			u.Path = append(u.Path, ast.Ident{Name: toks[j].Text, Span: ast.Span{Start: toks[j].Start, End: toks[j].End}})
			j++
			if j < len(toks) && toks[j].Kind == lexer.ColonColon {
				j++
				continue
			}
			break
		}
		if len(u.Path) == 0 || j >= len(toks) {
			continue
		}
		if toks[j].Kind == lexer.As && j+2 < len(toks) && toks[j+1].Kind == lexer.Ident {
			j += 2
		}
		if toks[j].Kind != lexer.Semi {
			continue
		}
		u.After = ast.Span{Start: toks[j].End, End: toks[j].End}
		if err := compiler.New(opts.CompilerOptions(true)).CheckUse(src, u); err != nil {
			return err
		}
	}
	return nil
}
