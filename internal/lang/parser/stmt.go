package parser

import (
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/lexer"
)

var (
	declStart   = set{lexer.Const, lexer.Fun, lexer.Intrinsic, lexer.DocComment}
	moduleStart = set{lexer.Const, lexer.Fun, lexer.Intrinsic, lexer.Module, lexer.DocComment}
)

func (p *parser) modComments() []string {
	var doc []string
	for p.at(lexer.ModComment) {
		doc = append(doc, p.next().Text)
	}
	return doc
}

func (p *parser) docComments() []string {
	var doc []string
	for p.at(lexer.DocComment) {
		doc = append(doc, p.next().Text)
	}
	return doc
}

// script parses a whole tremor-script.
func (p *parser) script() *ast.Script {
	s := &ast.Script{Source: p.src}
	s.Doc = p.modComments()
	first := firstStmt
	if len(s.Doc) == 0 {
		first = firstScript
	}
	s.Stmts = p.stmts(lexer.EOS, first)
	p.expect(lexer.EOS, set{lexer.EOS})
	return s
}

// stmts parses statements separated by `;` (a trailing `;` allowed) up to
// end, which it leaves to the caller. There is at least one.
func (p *parser) stmts(end lexer.Kind, first set) []ast.Expr {
	var out []ast.Expr
	want := first
	for {
		if !p.at(lexer.Use) {
			p.start(want)
		}
		st := p.stmt()
		out = append(out, st)
		p.capElems(len(out))
		want = firstStmt
		if _, ok := st.(*ast.Use); ok {
			// A use consumed its own `;`.
			if p.at(end) {
				return out
			}
			continue
		}
		if !p.accept(lexer.Semi) {
			if p.at(end) {
				return out
			}
			p.unexpected(p.afterStmt(st))
		}
		if p.at(end) {
			return out
		}
	}
}

// afterStmt is what may follow statement st.
func (p *parser) afterStmt(st ast.Expr) set {
	switch s := st.(type) {
	case *ast.Let:
		return p.afterExpr(s.Value)
	case *ast.Const:
		return p.afterExpr(s.Value)
	case *ast.Emit:
		if s.Port != nil {
			return p.after(lastOperand)
		}
		if s.Value != nil {
			return union(p.afterExpr(s.Value), set{lexer.EqArrow})
		}
	}
	return p.afterExpr(st)
}

// stmt parses one statement of a script or function body.
func (p *parser) stmt() ast.Expr {
	switch p.peek().Kind {
	case lexer.Use:
		return p.use()
	case lexer.DocComment, lexer.Const, lexer.Fun, lexer.Intrinsic:
		return p.decl()
	case lexer.Module:
		return p.module()
	}
	return p.expr()
}

// decl parses a documented const, fn or intrinsic.
func (p *parser) decl() ast.Expr {
	doc := p.docComments()
	switch p.peek().Kind {
	case lexer.Const:
		return p.constDecl(doc)
	case lexer.Fun:
		return p.fnDecl(doc)
	case lexer.Intrinsic:
		return p.intrinsic(doc)
	}
	p.unexpected(declStart)
	return nil
}

// constDecl parses `const NAME = VALUE` (a simple expression: literals,
// paths, calls; use parentheses for operators).
func (p *parser) constDecl(doc []string) *ast.Const {
	start := p.next().Start
	c := &ast.Const{Doc: doc}
	c.Name = p.ident(set{lexer.Ident})
	p.expect(lexer.Eq, set{lexer.Eq})
	p.start(firstSimple)
	c.Value = p.simple()
	c.Span = p.from(start)
	return c
}

// fnParams parses a parameter list after `(` up to and including `)`.
func (p *parser) fnParams() (params []ast.Ident, open bool) {
	if p.accept(lexer.RParen) {
		return nil, false
	}
	if p.at(lexer.Dot) {
		p.dots()
		p.expect(lexer.RParen, set{lexer.RParen})
		return nil, true
	}
	for {
		params = append(params, p.ident(set{lexer.Ident, lexer.Dot, lexer.RParen}))
		p.capElems(len(params))
		if !p.accept(lexer.Comma) {
			p.expect(lexer.RParen, set{lexer.Comma, lexer.RParen})
			return params, false
		}
		if p.at(lexer.Dot) {
			p.dots()
			p.expect(lexer.RParen, set{lexer.RParen})
			return params, true
		}
	}
}

// fnDecl parses `fn NAME(params) with BODY end` or `fn NAME(params) of
// case (...) => ... default => ... end`.
func (p *parser) fnDecl(doc []string) *ast.FnDecl {
	start := p.next().Start
	f := &ast.FnDecl{Doc: doc}
	f.Name = p.ident(set{lexer.Ident})
	p.expect(lexer.LParen, set{lexer.LParen})
	f.Params, f.Open = p.fnParams()
	p.enter()
	defer p.leave()
	switch {
	case p.accept(lexer.With):
		f.Body = p.stmts(lexer.End, firstStmt)
		p.expect(lexer.End, set{lexer.End})
	case !f.Open && p.accept(lexer.Of):
		f.Cases = p.fnCases()
	default:
		if f.Open {
			p.unexpected(set{lexer.With})
		}
		p.unexpected(set{lexer.With, lexer.Of})
	}
	f.Span = p.from(start)
	return f
}

// fnCases parses the cases of `fn ... of`: `case (patterns) [when g] =>
// body` clauses and a final `default => body`.
func (p *parser) fnCases() []*ast.Case {
	var cases []*ast.Case
	for p.at(lexer.Case) {
		ct := p.next()
		lp := p.expect(lexer.LParen, set{lexer.LParen})
		var open bool
		elems := p.elemList(lexer.RParen, false, &open)
		c := &ast.Case{}
		if p.accept(lexer.When) {
			c.Guard = p.complex()
		}
		c.Pattern = &ast.TuplePattern{Elems: elems, Span: p.from(lp.Start)}
		c.Body = p.effectors(false, c.Guard, nil)
		c.Span = p.from(ct.Start)
		cases = append(cases, c)
		p.capElems(len(cases))
	}
	dt := p.expect(lexer.Default, set{lexer.Case, lexer.Default})
	c := &ast.Case{}
	c.Body = p.effectors(false, nil, nil)
	c.Span = p.from(dt.Start)
	cases = append(cases, c)
	p.expect(lexer.End, union(p.afterBody(c.Body), set{lexer.Comma, lexer.End}))
	return cases
}

// intrinsic parses `intrinsic fn NAME(params) as mod::fn`.
func (p *parser) intrinsic(doc []string) *ast.FnDecl {
	start := p.next().Start
	p.expect(lexer.Fun, set{lexer.Fun})
	f := &ast.FnDecl{Doc: doc}
	f.Name = p.ident(set{lexer.Ident})
	p.expect(lexer.LParen, set{lexer.LParen})
	f.Params, f.Open = p.fnParams()
	p.expect(lexer.As, set{lexer.As})
	for {
		f.Intrinsic = append(f.Intrinsic, p.ident(set{lexer.Ident}).Name)
		if !p.accept(lexer.ColonColon) {
			break
		}
	}
	f.Span = p.from(start)
	return f
}

// module parses `mod NAME with BODY end` in a script.
func (p *parser) module() *ast.ModDecl {
	start := p.next().Start
	m := &ast.ModDecl{}
	m.Name = p.ident(set{lexer.Ident})
	p.expect(lexer.With, set{lexer.With})
	m.Doc = p.modComments()
	p.enter()
	for _, n := range p.moduleBody(m.Name.Span, lexer.End, false) {
		m.Stmts = append(m.Stmts, n.(ast.Expr))
	}
	p.leave()
	p.expect(lexer.End, set{lexer.End})
	m.Span = p.from(start)
	return m
}

// moduleBody parses the statements of a module up to end (not consumed):
// constants, functions, modules and uses (in a query also definitions).
// A module file may be empty (emptyOK).
func (p *parser) moduleBody(_ ast.Span, end lexer.Kind, emptyOK bool) []ast.Node {
	var out []ast.Node
	start := moduleStart
	if p.query {
		start = union(start, set{lexer.Define})
	}
	if emptyOK && p.at(end) {
		return nil
	}
	for {
		var n ast.Node
		switch p.peek().Kind {
		case lexer.Use:
			n = p.use()
		case lexer.Module:
			if p.query {
				n = p.queryModule()
			} else {
				n = p.module()
			}
		case lexer.Define:
			if !p.query {
				p.unexpected(start)
			}
			n = p.define(true)
		default:
			if !start.has(p.peek().Kind) {
				p.unexpected(start)
			}
			n = p.decl()
		}
		out = append(out, n)
		p.capElems(len(out))
		if _, ok := n.(*ast.Use); ok {
			if p.at(end) {
				return out
			}
			continue
		}
		if !p.accept(lexer.Semi) {
			if p.at(end) {
				return out
			}
			want := set{lexer.Semi, end}
			if e, ok := n.(ast.Expr); ok {
				if c, ok := e.(*ast.Const); ok {
					want = union(p.afterExpr(c.Value), want)
				}
			}
			p.unexpected(want)
		}
		if p.at(end) {
			return out
		}
	}
}

// use parses `use a::b [as c];`.
func (p *parser) use() *ast.Use {
	t := p.next()
	u := &ast.Use{Span: span(t.Start, t.End)}
	u.Path = append(u.Path, p.ident(set{lexer.Ident}))
	for {
		switch p.peek().Kind {
		case lexer.ColonColon:
			p.next()
			u.Path = append(u.Path, p.ident(set{lexer.Ident}))
			continue
		case lexer.As:
			p.next()
			a := p.ident(set{lexer.Ident})
			u.Alias = &a
			p.expect(lexer.Semi, set{lexer.Semi})
		case lexer.Semi:
			p.next()
		default:
			p.unexpectedNames([]string{"`as`", "`::`", "`;`"})
		}
		break
	}
	// Tremor reported a module it could not find just after the `;`.
	u.After = span(p.last.End, p.last.End)
	return u
}
