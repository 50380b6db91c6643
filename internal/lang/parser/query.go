package parser

import (
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/lexer"
)

// The trickle layer: statements of a query built on the expression
// grammar (select targets, where/having, with-parameters and embedded
// scripts are tremor-script).

var queryStart = set{lexer.Module, lexer.Define, lexer.Create, lexer.Select}

// queryFile parses a whole trickle query.
func (p *parser) queryFile() *ast.Query {
	q := &ast.Query{Source: p.src}
	for p.at(lexer.ConfigDirective) {
		p.next()
		q.Config = append(q.Config, p.withExpr())
	}
	for {
		// Tremor rejected doc comments between statements; they are
		// harmless, so they are skipped.
		for p.at(lexer.DocComment) || p.at(lexer.ModComment) {
			p.next()
		}
		if !p.at(lexer.Use) && !queryStart.has(p.peek().Kind) {
			p.unexpected(queryStart)
		}
		st := p.queryStmt()
		q.Stmts = append(q.Stmts, st)
		p.capElems(len(q.Stmts))
		if _, ok := st.(*ast.Use); !ok && !p.accept(lexer.Semi) {
			if p.at(lexer.EOS) {
				break
			}
			p.unexpected(p.afterQueryStmt(st))
		}
		for p.at(lexer.DocComment) || p.at(lexer.ModComment) {
			p.next()
		}
		if p.at(lexer.EOS) {
			break
		}
	}
	p.expect(lexer.EOS, set{lexer.EOS})
	return q
}

func (p *parser) afterQueryStmt(st ast.Stmt) set {
	if s, ok := st.(*ast.Select); ok {
		switch {
		case s.Having != nil:
			return p.afterExpr(s.Having)
		case s.Into.Port != nil:
			return set{lexer.Having, lexer.Semi, lexer.EOS}
		default:
			return set{lexer.Div, lexer.Having, lexer.Semi, lexer.EOS}
		}
	}
	return set{lexer.Semi, lexer.EOS}
}

func (p *parser) queryStmt() ast.Stmt {
	switch p.peek().Kind {
	case lexer.Use:
		return p.use()
	case lexer.Module:
		return p.queryModule()
	case lexer.Define:
		return p.define(false)
	case lexer.Create:
		return p.create()
	}
	return p.selectStmt()
}

// queryModule parses `mod NAME with STATEMENTS end` in a query.
func (p *parser) queryModule() *ast.QueryMod {
	start := p.next().Start
	m := &ast.QueryMod{}
	m.Name = p.ident(set{lexer.Ident})
	p.expect(lexer.With, set{lexer.With})
	m.Doc = p.modComments()
	p.enter()
	for _, n := range p.moduleBody(m.Name.Span, lexer.End, false) {
		m.Stmts = append(m.Stmts, n.(ast.Stmt))
	}
	p.leave()
	p.expect(lexer.End, set{lexer.End})
	m.Span = p.from(start)
	return m
}

// withExpr parses `name = expr`.
func (p *parser) withExpr() *ast.Param {
	name := p.ident(set{lexer.Ident})
	p.expect(lexer.Eq, set{lexer.Eq})
	v := p.exprImut()
	return &ast.Param{Name: name, Value: v, Span: span(name.Span.Start, v.Extent().End)}
}

// withExprs parses `name = expr, ...` (a trailing comma allowed) up to end
// (not consumed).
func (p *parser) withExprs(end ...lexer.Kind) []*ast.Param {
	var out []*ast.Param
	ends := set(end)
	for {
		prm := p.withExpr()
		out = append(out, prm)
		p.capElems(len(out))
		if !p.accept(lexer.Comma) {
			if !ends.has(p.peek().Kind) {
				p.unexpected(union(p.afterExpr(prm.Value), ends))
			}
			return out
		}
		if ends.has(p.peek().Kind) {
			return out
		}
	}
}

// define parses `define ...` (in a module only definitions of windows,
// operators and scripts are allowed, as at the top).
func (p *parser) define(_ bool) ast.Stmt {
	start := p.next().Start
	switch p.peek().Kind {
	case lexer.Tumbling, lexer.Sliding:
		w := &ast.DefineWindow{}
		if p.next().Kind == lexer.Sliding {
			w.Kind = ast.Sliding
		}
		p.expect(lexer.Window, set{lexer.Window})
		w.ID = p.ident(set{lexer.Ident})
		p.expect(lexer.With, set{lexer.With})
		w.Params = p.withExprs(lexer.Script, lexer.End)
		if p.accept(lexer.Script) {
			w.Script = p.exprImut()
		}
		p.expect(lexer.End, set{lexer.End})
		w.Span = p.from(start)
		return w
	case lexer.Script:
		p.next()
		d := &ast.DefineScript{}
		d.ID = p.ident(set{lexer.Ident})
		if p.accept(lexer.With) {
			d.Params = p.withExprs(lexer.Script)
		}
		p.expect(lexer.Script, set{lexer.With, lexer.Script})
		body := &ast.Script{Source: p.src}
		p.enter()
		body.Stmts = p.stmts(lexer.End, firstStmt)
		p.leave()
		p.expect(lexer.End, set{lexer.End})
		d.Script = body
		d.Span = p.from(start)
		return d
	case lexer.Ident:
		d := &ast.DefineOperator{}
		d.Kind[0] = p.ident(nil)
		p.expect(lexer.ColonColon, set{lexer.ColonColon})
		d.Kind[1] = p.ident(set{lexer.Ident})
		p.expect(lexer.Operator, set{lexer.Operator})
		d.ID = p.ident(set{lexer.Ident})
		if p.accept(lexer.With) {
			d.Params = p.withExprs(lexer.End)
			p.expect(lexer.End, set{lexer.End})
		}
		d.Span = p.from(start)
		return d
	}
	p.unexpected(set{lexer.Ident, lexer.Script, lexer.Sliding, lexer.Tumbling})
	return nil
}

// modularTarget parses `[mod::...]name`.
func (p *parser) modularTarget() ([]ast.Ident, ast.Ident) {
	ids := []ast.Ident{p.ident(set{lexer.Ident})}
	for p.accept(lexer.ColonColon) {
		ids = append(ids, p.ident(set{lexer.Ident}))
	}
	return ids[:len(ids)-1], ids[len(ids)-1]
}

// create parses `create stream|operator|script ...`.
func (p *parser) create() ast.Stmt {
	start := p.next().Start
	switch p.peek().Kind {
	case lexer.Stream:
		p.next()
		s := &ast.CreateStream{ID: p.ident(set{lexer.Ident})}
		s.Span = p.from(start)
		return s
	case lexer.Operator, lexer.Script:
		isScript := p.next().Kind == lexer.Script
		id := p.ident(set{lexer.Ident})
		var mod []ast.Ident
		target := id
		if p.accept(lexer.From) {
			mod, target = p.modularTarget()
		}
		var params []*ast.Param
		if p.accept(lexer.With) {
			params = p.withExprs(lexer.End)
			p.expect(lexer.End, set{lexer.End})
		}
		if isScript {
			return &ast.CreateScript{ID: id, Module: mod, Target: target, Params: params, Span: p.from(start)}
		}
		return &ast.CreateOperator{ID: id, Module: mod, Target: target, Params: params, Span: p.from(start)}
	}
	p.unexpected(set{lexer.Operator, lexer.Script, lexer.Stream})
	return nil
}

func (p *parser) streamPort() ast.StreamPort {
	id := p.ident(set{lexer.Ident})
	sp := ast.StreamPort{Stream: id}
	if p.accept(lexer.Div) {
		port := p.ident(set{lexer.Ident})
		sp.Port = &port
	}
	sp.Span = p.from(id.Span.Start)
	return sp
}

// selectStmt parses `select TARGET from S[W] [where E] [group by G] into S
// [having E]`.
func (p *parser) selectStmt() ast.Stmt {
	start := p.next().Start
	s := &ast.Select{}
	p.enter()
	defer p.leave()
	s.Target = p.complex()
	p.expect(lexer.From, p.afterExpr(s.Target))
	s.From = p.streamPort()
	if p.accept(lexer.LBracket) {
		for {
			w := &ast.WindowRef{}
			t := p.peek()
			w.Module, w.ID = p.modularTarget()
			w.Span = p.from(t.Start)
			s.Windows = append(s.Windows, w)
			p.capElems(len(s.Windows))
			if !p.accept(lexer.Comma) || p.at(lexer.RBracket) {
				break
			}
		}
		p.expect(lexer.RBracket, set{lexer.Comma, lexer.ColonColon, lexer.RBracket})
	}
	if p.accept(lexer.Where) {
		s.Where = p.complex()
	}
	if p.accept(lexer.Group) {
		p.expect(lexer.By, set{lexer.By})
		s.GroupBy = p.groupDef()
	}
	if !p.at(lexer.Into) {
		want := set{lexer.Into}
		switch {
		case s.GroupBy != nil:
		case s.Where != nil:
			want = union(p.afterExpr(s.Where), set{lexer.Group, lexer.Into})
		default:
			want = set{lexer.Div, lexer.LBracket, lexer.Where, lexer.Group, lexer.Into}
		}
		p.unexpected(want)
	}
	p.next()
	s.Into = p.streamPort()
	if p.accept(lexer.Having) {
		s.Having = p.complex()
	}
	s.Span = p.from(start)
	return s
}

// groupDef parses a `group by` clause.
func (p *parser) groupDef() *ast.GroupBy {
	t := p.peek()
	p.enter()
	defer p.leave()
	switch t.Kind {
	case lexer.Set:
		p.next()
		p.expect(lexer.LParen, set{lexer.LParen})
		g := &ast.GroupBy{Kind: ast.GroupSet}
		for {
			g.Items = append(g.Items, p.groupDef())
			p.capElems(len(g.Items))
			if !p.accept(lexer.Comma) || p.at(lexer.RParen) {
				break
			}
		}
		p.expect(lexer.RParen, set{lexer.Comma, lexer.RParen})
		g.Span = p.from(t.Start)
		return g
	case lexer.Each:
		p.next()
		p.expect(lexer.LParen, set{lexer.LParen})
		g := &ast.GroupBy{Kind: ast.GroupEach, Expr: p.exprImut()}
		p.expect(lexer.RParen, p.afterExpr(g.Expr))
		g.Span = p.from(t.Start)
		return g
	}
	p.start(union(firstUnary, set{lexer.Set, lexer.Each}))
	e := p.exprImut()
	return &ast.GroupBy{Kind: ast.GroupExpr, Expr: e, Span: e.Extent()}
}
