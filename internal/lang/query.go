package lang

import (
	"sync"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/compiler"
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
	src := source.New(name, string(text))
	q, d := parser.ParseQuery(src)
	if d != nil {
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
	rs.frame = vm.Frame{Event: env.Data, Meta: env.Meta, State: env.State, Args: env.Args, Locals: locals, Ctx: env.Ctx}
	v, err := e.x.Eval(&rs.frame)
	if locals != nil {
		vm.ResetLocals(locals)
	}
	rs.frame = vm.Frame{Locals: locals}
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
