package parser

import (
	"strings"

	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/lexer"
)

// casePattern parses what follows `case`.
func (p *parser) casePattern() ast.Pattern {
	p.enter()
	defer p.leave()
	t := p.peek()
	switch t.Kind {
	case lexer.LPatBrace:
		return p.recordPattern()
	case lexer.LPatBracket:
		return p.arrayPattern()
	case lexer.LPatParen:
		return p.tuplePattern()
	case lexer.DontCare:
		p.next()
		return &ast.DontCare{Span: span(t.Start, t.End)}
	case lexer.Tilde:
		p.next()
		te := p.testExpr()
		return &ast.Extract{Test: te, Span: te.Span}
	case lexer.Ident:
		if p.peekAt(1).Kind == lexer.Eq {
			name := p.ident(nil)
			p.next()
			inner := p.casePattern()
			return &ast.AssignPattern{Name: name, Pattern: inner, Span: span(name.Span.Start, inner.Extent().End)}
		}
	}
	p.start(firstPattern)
	return &ast.ExprPattern{Expr: p.complex()}
}

// testExpr parses an extractor `kind|pattern|`.
func (p *parser) testExpr() *ast.TestExpr {
	id := p.ident(set{lexer.Ident})
	lit := p.expect(lexer.TestLiteral, set{lexer.TestLiteral})
	return &ast.TestExpr{Kind: id, Pattern: strings.Join(lit.Lines, ""), Span: span(id.Span.Start, lit.End)}
}

var fieldPatternStart = set{lexer.Present, lexer.Absent, lexer.Ident}

var cmpOps = map[lexer.Kind]ast.BinOp{
	lexer.EqEq: ast.Eq, lexer.NotEq: ast.NotEq, lexer.Gte: ast.Gte, lexer.Gt: ast.Gt,
	lexer.Lte: ast.Lte, lexer.Lt: ast.Lt,
}

// recordPattern parses `%{ tests }`.
func (p *parser) recordPattern() *ast.RecordPattern {
	open := p.next()
	rp := &ast.RecordPattern{}
	p.enter()
	defer p.leave()
	for !p.at(lexer.RBrace) {
		t := p.peek()
		if !fieldPatternStart.has(t.Kind) {
			p.unexpected(union(fieldPatternStart, set{lexer.RBrace}))
		}
		fp := &ast.FieldPattern{}
		switch t.Kind {
		case lexer.Present, lexer.Absent:
			p.next()
			fp.Test = ast.FieldPresent
			if t.Kind == lexer.Absent {
				fp.Test = ast.FieldAbsent
			}
			fp.Key = p.ident(set{lexer.Ident})
		default:
			fp.Key = p.ident(nil)
			nt := p.peek()
			switch {
			case nt.Kind == lexer.TildeEq:
				p.next()
				switch p.peek().Kind {
				case lexer.LPatBrace:
					fp.Test, fp.Record = ast.FieldRecord, p.recordPattern()
				case lexer.LPatBracket:
					fp.Test, fp.Array = ast.FieldArray, p.arrayPattern()
				default:
					p.start(set{lexer.Ident, lexer.LPatBrace, lexer.LPatBracket})
					fp.Test, fp.Assign, fp.Extract = ast.FieldTildeEq, fp.Key.Name, p.testExpr()
				}
			case nt.Kind == lexer.Eq:
				p.next()
				fp.Assign = fp.Key.Name
				fp.Key = p.ident(set{lexer.Ident})
				p.expect(lexer.TildeEq, set{lexer.TildeEq})
				fp.Test, fp.Extract = ast.FieldTildeEq, p.testExpr()
			default:
				op, ok := cmpOps[nt.Kind]
				if !ok {
					p.unexpected(set{lexer.TildeEq, lexer.Eq, lexer.EqEq, lexer.NotEq, lexer.Gte, lexer.Gt,
						lexer.Lte, lexer.Lt})
				}
				p.next()
				fp.Test, fp.Op, fp.Rhs = ast.FieldBin, op, p.complex()
			}
		}
		fp.Span = p.from(t.Start)
		rp.Fields = append(rp.Fields, fp)
		p.capElems(len(rp.Fields))
		if !p.accept(lexer.Comma) {
			want := set{lexer.Comma, lexer.RBrace}
			if fp.Rhs != nil {
				want = union(p.afterExpr(fp.Rhs), want)
			}
			p.expect(lexer.RBrace, want)
			rp.Span = p.from(open.Start)
			return rp
		}
	}
	p.next()
	rp.Span = p.from(open.Start)
	return rp
}

var elemStart = union(firstComplex, set{lexer.Tilde, lexer.DontCare, lexer.LPatBrace})

// elemPattern parses one element test of an array or tuple pattern.
func (p *parser) elemPattern() *ast.ElemPattern {
	t := p.peek()
	switch t.Kind {
	case lexer.Tilde:
		p.next()
		te := p.testExpr()
		return &ast.ElemPattern{Kind: ast.ElemTilde, Extract: te, Span: p.from(t.Start)}
	case lexer.DontCare:
		p.next()
		return &ast.ElemPattern{Kind: ast.ElemIgnore, Span: span(t.Start, t.End)}
	case lexer.LPatBrace:
		rp := p.recordPattern()
		return &ast.ElemPattern{Kind: ast.ElemRecord, Record: rp, Span: rp.Span}
	}
	p.start(elemStart)
	e := p.complex()
	return &ast.ElemPattern{Kind: ast.ElemExpr, Expr: e, Span: e.Extent()}
}

func (p *parser) afterElem(e *ast.ElemPattern) set {
	if e.Kind == ast.ElemExpr {
		return p.afterExpr(e.Expr)
	}
	return set{lexer.Comma}
}

// arrayPattern parses `%[ tests ]`.
func (p *parser) arrayPattern() *ast.ArrayPattern {
	open := p.next()
	ap := &ast.ArrayPattern{}
	p.enter()
	defer p.leave()
	if p.accept(lexer.RBracket) {
		ap.Span = p.from(open.Start)
		return ap
	}
	for {
		e := p.elemPattern()
		ap.Elems = append(ap.Elems, e)
		p.capElems(len(ap.Elems))
		if !p.accept(lexer.Comma) {
			p.expect(lexer.RBracket, union(p.afterElem(e), set{lexer.Comma, lexer.RBracket}))
			ap.Span = p.from(open.Start)
			return ap
		}
	}
}

// tuplePattern parses `%( tests [, ...] )`.
func (p *parser) tuplePattern() *ast.TuplePattern {
	open := p.next()
	tp := &ast.TuplePattern{}
	p.enter()
	defer p.leave()
	if p.accept(lexer.RParen) {
		tp.Span = p.from(open.Start)
		return tp
	}
	if p.at(lexer.Dot) {
		p.dots()
		tp.Open = true
		p.expect(lexer.RParen, set{lexer.RParen})
		tp.Span = p.from(open.Start)
		return tp
	}
	tp.Elems = p.elemList(lexer.RParen, true, &tp.Open)
	tp.Span = p.from(open.Start)
	return tp
}

// elemList parses element tests up to and including end; with dotsOK a
// final `, ...` sets *open.
func (p *parser) elemList(end lexer.Kind, dotsOK bool, open *bool) []*ast.ElemPattern {
	var out []*ast.ElemPattern
	for {
		e := p.elemPattern()
		out = append(out, e)
		p.capElems(len(out))
		if !p.accept(lexer.Comma) {
			p.expect(end, union(p.afterElem(e), set{lexer.Comma, end}))
			return out
		}
		if dotsOK && p.at(lexer.Dot) {
			p.dots()
			*open = true
			p.expect(end, set{end})
			return out
		}
	}
}

// dots parses `...` (three dot tokens).
func (p *parser) dots() {
	for range 3 {
		p.expect(lexer.Dot, set{lexer.Dot})
	}
}
