package parser

import (
	"fmt"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/lexer"
)

// FIRST sets of the grammar's expression levels (what may start each).
var (
	firstSimple = set{lexer.LParen, lexer.Patch, lexer.Merge, lexer.Ident, lexer.Nil, lexer.Bool, lexer.Int,
		lexer.Float, lexer.Dollar, lexer.Event, lexer.State, lexer.Args, lexer.Window, lexer.Group,
		lexer.LBrace, lexer.LBracket, lexer.DQuote, lexer.HereDocStart, lexer.LBitShift, lexer.Recur}
	firstUnarySimple = union(firstSimple, set{lexer.Present, lexer.Absent, lexer.Not, lexer.BitNot})
	firstUnary       = union(firstUnarySimple, set{lexer.Add, lexer.Sub})
	firstComplex     = union(firstUnary, set{lexer.Match, lexer.For})
	firstExpr        = union(firstComplex, set{lexer.Let, lexer.Drop, lexer.Emit})
	firstStmt        = union(firstExpr, set{lexer.Const, lexer.Fun, lexer.Intrinsic, lexer.Module, lexer.DocComment})
	firstScript      = union(firstStmt, set{lexer.ModComment})
	firstPath        = set{lexer.Dollar, lexer.Ident, lexer.Args, lexer.Event, lexer.Group, lexer.State, lexer.Window}
	firstPattern     = union(firstComplex, set{lexer.LPatBrace, lexer.LPatBracket, lexer.LPatParen,
		lexer.DontCare, lexer.Tilde})

	afterOperand = set{lexer.NotEq, lexer.Mod, lexer.BitAnd, lexer.RParen, lexer.Mul, lexer.Add, lexer.Comma,
		lexer.Sub, lexer.Div, lexer.Colon, lexer.Semi, lexer.Lt, lexer.LBitShift, lexer.Lte, lexer.EOS,
		lexer.EqEq, lexer.EqArrow, lexer.Gt, lexer.Gte, lexer.RBitShiftSigned, lexer.RBitShiftUnsigned,
		lexer.RBracket, lexer.BitXor, lexer.And, lexer.Case, lexer.Default, lexer.End, lexer.Of, lexer.Or,
		lexer.When, lexer.Xor, lexer.RBrace}
	afterPath  = union(afterOperand, set{lexer.Dot, lexer.LBracket})
	afterIdent = union(afterPath, set{lexer.LParen, lexer.ColonColon})
	queryAfter = set{lexer.From, lexer.Where, lexer.Group, lexer.Into, lexer.Having}
)

// lastKind tracks what the last operand was, to say what may follow it.
type lastKind uint8

const (
	lastOperand lastKind = iota
	lastPath
	lastIdent
)

// after is what may follow the expression just parsed.
func (p *parser) after(k lastKind) set {
	s := afterOperand
	switch k {
	case lastPath:
		s = afterPath
	case lastIdent:
		s = afterIdent
	}
	if p.query {
		s = union(s, queryAfter)
	}
	return s
}

// start checks that the current token may begin what want lists.
func (p *parser) start(want set) {
	if !want.has(p.peek().Kind) {
		p.unexpected(want)
	}
}

// ---- statement-level expressions ----

// expr parses Tremor's `Expr`: match, for, let, drop, emit, or an
// immutable expression.
func (p *parser) expr() ast.Expr {
	p.start(firstExpr)
	switch p.peek().Kind {
	case lexer.Match:
		return p.match(false)
	case lexer.For:
		return p.forExpr(false)
	case lexer.Let:
		return p.let()
	case lexer.Drop:
		t := p.next()
		return &ast.Drop{Span: span(t.Start, t.End)}
	case lexer.Emit:
		return p.emit()
	}
	return p.exprImut()
}

func (p *parser) let() ast.Expr {
	p.next()
	p.start(firstPath)
	path := p.path()
	p.expect(lexer.Eq, union(afterPath, set{lexer.Eq}))
	v := p.expr()
	return &ast.Let{Path: path, Value: v, Span: span(path.Span.Start, v.Extent().End)}
}

func (p *parser) emit() ast.Expr {
	t := p.next()
	e := &ast.Emit{Span: span(t.Start, t.End)}
	if firstComplex.has(p.peek().Kind) {
		e.Value = p.complex()
	}
	if p.accept(lexer.EqArrow) {
		p.start(set{lexer.DQuote, lexer.HereDocStart})
		e.Port = p.stringLit()
	}
	e.Span = p.from(t.Start)
	return e
}

// complex parses `ComplexExprImut`: a match or for without effects, or an
// immutable expression.
func (p *parser) complex() ast.Expr {
	p.start(firstComplex)
	switch p.peek().Kind {
	case lexer.Match:
		return p.match(true)
	case lexer.For:
		return p.forExpr(true)
	}
	return p.exprImut()
}

// exprImut parses an operator expression.
func (p *parser) exprImut() ast.Expr {
	p.start(firstUnary)
	p.enter()
	defer p.leave()
	return p.binary(0)
}

// binary operator levels, loosest first.
var levels = [][]struct {
	k  lexer.Kind
	op ast.BinOp
}{
	{{lexer.Or, ast.Or}},
	{{lexer.Xor, ast.Xor}},
	{{lexer.And, ast.And}},
	{{lexer.BitXor, ast.BitXor}},
	{{lexer.BitAnd, ast.BitAnd}},
	{{lexer.EqEq, ast.Eq}, {lexer.NotEq, ast.NotEq}},
	{{lexer.Gte, ast.Gte}, {lexer.Gt, ast.Gt}, {lexer.Lte, ast.Lte}, {lexer.Lt, ast.Lt}},
	{{lexer.RBitShiftSigned, ast.RBitShiftSigned}, {lexer.RBitShiftUnsigned, ast.RBitShiftUnsigned},
		{lexer.LBitShift, ast.LBitShift}},
	{{lexer.Add, ast.Add}, {lexer.Sub, ast.Sub}},
	{{lexer.Mul, ast.Mul}, {lexer.Div, ast.Div}, {lexer.Mod, ast.Mod}},
}

func (p *parser) binary(level int) ast.Expr {
	if level == len(levels) {
		return p.unary()
	}
	l := p.binary(level + 1)
	for {
		k := p.peek().Kind
		found := false
		var op ast.BinOp
		for _, c := range levels[level] {
			if c.k == k {
				found, op = true, c.op
			}
		}
		if !found {
			return l
		}
		p.next()
		p.start(firstUnary)
		p.enter()
		r := p.binary(level + 1)
		p.leave()
		l = &ast.Binary{Op: op, L: l, R: r, Span: span(l.Extent().Start, r.Extent().End)}
	}
}

// unary parses `+x`, `-x` and the tighter `not x`, `!x`.
func (p *parser) unary() ast.Expr {
	t := p.peek()
	var op ast.UnaryOp
	switch t.Kind {
	case lexer.Add:
		op = ast.Plus
	case lexer.Sub:
		op = ast.Minus
	default:
		return p.unarySimple()
	}
	start := p.next().Start
	p.start(firstUnary)
	p.enter()
	x := p.unary()
	p.leave()
	return &ast.Unary{Op: op, X: x, Span: span(start, x.Extent().End)}
}

func (p *parser) unarySimple() ast.Expr {
	t := p.peek()
	switch t.Kind {
	case lexer.Not, lexer.BitNot:
		op := ast.Not
		if t.Kind == lexer.BitNot {
			op = ast.BitNot
		}
		start := p.next().Start
		p.start(firstUnarySimple)
		p.enter()
		x := p.unarySimple()
		p.leave()
		return &ast.Unary{Op: op, X: x, Span: span(start, x.Extent().End)}
	case lexer.Present, lexer.Absent:
		start := p.next().Start
		p.start(firstPath)
		path := p.path()
		sp := span(start, path.Span.End)
		pr := &ast.Present{Path: path, Span: sp}
		if t.Kind == lexer.Absent {
			return &ast.Unary{Op: ast.Not, X: pr, Span: sp}
		}
		return pr
	}
	return p.simple()
}

// simple parses `SimpleExprImut`: a parenthesised expression or a primary.
func (p *parser) simple() ast.Expr {
	t := p.peek()
	switch t.Kind {
	case lexer.LParen:
		p.next()
		p.enter()
		e := p.complex()
		p.leave()
		p.expect(lexer.RParen, p.afterExpr(e))
		return e
	case lexer.Patch:
		return p.patch()
	case lexer.Merge:
		return p.merge()
	case lexer.Nil:
		p.next()
		return &ast.Literal{Value: nil, Span: span(t.Start, t.End)}
	case lexer.Bool:
		p.next()
		return &ast.Literal{Value: t.Bool, Span: span(t.Start, t.End)}
	case lexer.Int:
		p.next()
		return &ast.Literal{Value: t.Int, Span: span(t.Start, t.End)}
	case lexer.Float:
		p.next()
		return &ast.Literal{Value: t.Float, Span: span(t.Start, t.End)}
	case lexer.DQuote, lexer.HereDocStart:
		return p.stringLit()
	case lexer.LBrace:
		return p.record()
	case lexer.LBracket:
		return p.list()
	case lexer.LBitShift:
		return p.bytes()
	case lexer.Recur:
		p.next()
		r := &ast.Recur{}
		p.expect(lexer.LParen, set{lexer.LParen})
		r.Args = p.args()
		r.Span = p.from(t.Start)
		return r
	case lexer.Ident:
		return p.identExpr()
	case lexer.Dollar, lexer.Event, lexer.State, lexer.Args, lexer.Window, lexer.Group:
		return p.path()
	}
	p.unexpected(firstSimple)
	return nil
}

// afterExpr is what may follow e.
func (p *parser) afterExpr(e ast.Expr) set {
	if pa, ok := e.(*ast.Path); ok {
		if pa.Root == ast.RootLocal && len(pa.Segments) == 1 {
			return p.after(lastIdent)
		}
		return p.after(lastPath)
	}
	return p.after(lastOperand)
}

// args parses call arguments after `(` up to and including `)`; a
// trailing comma is allowed.
func (p *parser) args() []ast.Expr {
	var out []ast.Expr
	for !p.at(lexer.RParen) {
		p.start(union(firstComplex, set{lexer.RParen}))
		e := p.complex()
		out = append(out, e)
		p.capElems(len(out))
		if !p.accept(lexer.Comma) {
			break
		}
	}
	if len(out) > 0 {
		p.expect(lexer.RParen, union(p.afterExpr(out[len(out)-1]), set{}))
	} else {
		p.expect(lexer.RParen, union(firstComplex, set{lexer.RParen}))
	}
	return out
}

func (p *parser) capElems(n int) {
	if n > MaxElems {
		t := p.last
		p.errAt(span(t.Start, t.End), fmt.Sprintf("A literal has more than %d elements", MaxElems),
			"build large values from data, not literals")
	}
}

// identExpr parses what starts with a name: a call `f(...)`, `m::f(...)`,
// a constant `m::c`, or a local path `x.y`.
func (p *parser) identExpr() ast.Expr {
	first := p.ident(set{lexer.Ident})
	mods := []ast.Ident{first}
	for p.at(lexer.ColonColon) {
		p.next()
		mods = append(mods, p.ident(set{lexer.Ident}))
	}
	if p.at(lexer.LParen) {
		p.next()
		inv := &ast.Invoke{Fn: mods[len(mods)-1].Name}
		for _, m := range mods[:len(mods)-1] {
			inv.Module = append(inv.Module, m.Name)
		}
		inv.Args = p.args()
		inv.Span = p.from(first.Span.Start)
		return inv
	}
	name := mods[len(mods)-1]
	path := &ast.Path{Root: ast.RootLocal}
	if len(mods) > 1 {
		path.Root = ast.RootConst
		path.Module = mods[:len(mods)-1]
	}
	path.Segments = append(path.Segments, fieldSeg(name))
	p.segments(path)
	path.Span = p.from(first.Span.Start)
	return path
}

func fieldSeg(id ast.Ident) *ast.Segment {
	return &ast.Segment{Expr: &ast.Literal{Value: id.Name, Span: id.Span}, Field: true, Span: id.Span}
}

// path parses a path starting with `$`, event, state, args, window, group
// or a name.
func (p *parser) path() *ast.Path {
	t := p.peek()
	pa := &ast.Path{}
	switch t.Kind {
	case lexer.Dollar:
		pa.Root = ast.RootMeta
		p.next()
		// `$name...`; a bare `$` takes no segments.
		if !p.at(lexer.Ident) {
			pa.Span = p.from(t.Start)
			return pa
		}
		pa.Segments = append(pa.Segments, fieldSeg(p.ident(nil)))
	case lexer.Event:
		pa.Root = ast.RootEvent
		p.next()
	case lexer.State:
		pa.Root = ast.RootState
		p.next()
	case lexer.Args:
		pa.Root = ast.RootArgs
		p.next()
	case lexer.Window:
		pa.Root = ast.RootWindow
		p.next()
	case lexer.Group:
		pa.Root = ast.RootGroup
		p.next()
	case lexer.Ident:
		first := p.ident(nil)
		mods := []ast.Ident{first}
		for p.at(lexer.ColonColon) {
			p.next()
			mods = append(mods, p.ident(set{lexer.Ident}))
		}
		pa.Root = ast.RootLocal
		if len(mods) > 1 {
			pa.Root = ast.RootConst
			pa.Module = mods[:len(mods)-1]
		}
		pa.Segments = append(pa.Segments, fieldSeg(mods[len(mods)-1]))
	default:
		p.unexpected(firstPath)
	}
	p.segments(pa)
	pa.Span = p.from(t.Start)
	return pa
}

// segments parses `.name` and `[selector]` steps.
func (p *parser) segments(pa *ast.Path) {
	for {
		switch p.peek().Kind {
		case lexer.Dot:
			p.next()
			pa.Segments = append(pa.Segments, fieldSeg(p.ident(set{lexer.Ident})))
		case lexer.LBracket:
			p.next()
			p.enter()
			lo := p.complex()
			seg := &ast.Segment{Expr: lo, Span: lo.Extent()}
			if p.accept(lexer.Colon) {
				hi := p.complex()
				seg.End = hi
				seg.LowerSpan = lo.Extent()
				seg.UpperSpan = hi.Extent()
				seg.Span = span(lo.Extent().Start, hi.Extent().End)
			}
			p.leave()
			last := lo
			if seg.End != nil {
				last = seg.End
			}
			p.expect(lexer.RBracket, p.afterExpr(last))
			pa.Segments = append(pa.Segments, seg)
		default:
			return
		}
	}
}

// stringLit parses a quoted string or heredoc with its interpolations.
func (p *parser) stringLit() *ast.StringLit {
	open := p.next()
	closing := lexer.DQuote
	if open.Kind == lexer.HereDocStart {
		closing = lexer.HereDocEnd
	}
	s := &ast.StringLit{}
	size := 0
	for {
		t := p.peek()
		switch t.Kind {
		case lexer.StringLiteral, lexer.HereDocLiteral:
			p.next()
			s.Parts = append(s.Parts, ast.StrPart{Lit: t.Text})
			size += len(t.Text)
		case lexer.EscapedHash:
			p.next()
			s.Parts = append(s.Parts, ast.StrPart{Lit: "#"})
			size++
		case lexer.Interpol:
			p.next()
			p.enter()
			e := p.exprImut()
			p.leave()
			p.expect(lexer.RBrace, p.afterExpr(e))
			s.Parts = append(s.Parts, ast.StrPart{Expr: e})
		default:
			if t.Kind != closing {
				want := set{lexer.StringLiteral, lexer.HereDocLiteral, lexer.EscapedHash, lexer.Interpol, closing}
				p.unexpected(want)
			}
			p.next()
			if size > MaxStringBytes {
				p.errAt(p.from(open.Start), fmt.Sprintf("A string literal is longer than %d bytes", MaxStringBytes),
					"read large texts from data, not literals")
			}
			s.Span = p.from(open.Start)
			return s
		}
	}
}

// record parses `{ "k": v, ... }`.
func (p *parser) record() ast.Expr {
	open := p.next()
	r := &ast.Record{}
	p.enter()
	for !p.at(lexer.RBrace) {
		p.start(set{lexer.DQuote, lexer.HereDocStart, lexer.RBrace})
		name := p.stringLit()
		p.expect(lexer.Colon, set{lexer.Colon})
		v := p.complex()
		r.Fields = append(r.Fields, &ast.Field{Name: name, Value: v, Span: span(name.Span.Start, v.Extent().End)})
		p.capElems(len(r.Fields))
		if !p.accept(lexer.Comma) {
			p.expect(lexer.RBrace, union(p.afterExpr(v), set{}))
			p.leave()
			r.Span = p.from(open.Start)
			return r
		}
	}
	p.next()
	p.leave()
	r.Span = p.from(open.Start)
	return r
}

// list parses `[a, b]`.
func (p *parser) list() ast.Expr {
	open := p.next()
	l := &ast.List{}
	p.enter()
	for !p.at(lexer.RBracket) {
		p.start(union(firstComplex, set{lexer.RBracket}))
		e := p.complex()
		l.Elems = append(l.Elems, e)
		p.capElems(len(l.Elems))
		if !p.accept(lexer.Comma) {
			p.expect(lexer.RBracket, p.afterExpr(e))
			p.leave()
			l.Span = p.from(open.Start)
			return l
		}
	}
	p.next()
	p.leave()
	l.Span = p.from(open.Start)
	return l
}

// bytes parses `<< part, ... >>`.
func (p *parser) bytes() ast.Expr {
	open := p.next()
	b := &ast.Bytes{}
	if p.accept(lexer.RBitShiftSigned) {
		b.Span = p.from(open.Start)
		return b
	}
	p.enter()
	defer p.leave()
	for {
		p.start(firstSimple)
		data := p.simple()
		part := &ast.BytesPart{Data: data}
		if p.accept(lexer.Colon) {
			t := p.expect(lexer.Int, set{lexer.Int})
			part.Bits, part.HasBits = t.Int, true
		}
		if p.accept(lexer.Div) {
			part.Type = p.ident(set{lexer.Ident})
		}
		part.Span = p.from(data.Extent().Start)
		b.Parts = append(b.Parts, part)
		p.capElems(len(b.Parts))
		if !p.accept(lexer.Comma) {
			break
		}
	}
	p.expect(lexer.RBitShiftSigned, set{lexer.Comma, lexer.Colon, lexer.Div, lexer.RBitShiftSigned})
	b.Span = p.from(open.Start)
	return b
}

// patchArrow accepts `=>` between a patch operation's key and value, and
// `=` too: Tremor 0.11's grammar wanted `=>`, but its own WAL tutorial
// wrote `insert hostname = system::hostname()`, which temblor runs as
// written.
func (p *parser) patchArrow(key ast.Expr) {
	if p.accept(lexer.Eq) {
		return
	}
	p.expect(lexer.EqArrow, p.afterExpr(key))
}

// patch parses `patch TARGET of OPS end`.
func (p *parser) patch() ast.Expr {
	open := p.next()
	p.enter()
	defer p.leave()
	target := p.complex()
	pa := &ast.Patch{Target: target, Span: span(open.Start, target.Extent().End)}
	p.expect(lexer.Of, p.afterExpr(target))
	opStart := set{lexer.Insert, lexer.Upsert, lexer.Update, lexer.Erase, lexer.Move, lexer.Copy, lexer.Merge}
	for {
		t := p.peek()
		if !opStart.has(t.Kind) {
			p.unexpected(opStart)
		}
		p.next()
		op := &ast.PatchOp{}
		switch t.Kind {
		case lexer.Insert, lexer.Upsert, lexer.Update:
			op.Kind = map[lexer.Kind]ast.PatchKind{lexer.Insert: ast.PatchInsert, lexer.Upsert: ast.PatchUpsert,
				lexer.Update: ast.PatchUpdate}[t.Kind]
			op.Key = p.complex()
			p.patchArrow(op.Key)
			op.Value = p.complex()
		case lexer.Erase:
			op.Kind = ast.PatchErase
			op.Key = p.complex()
		case lexer.Move, lexer.Copy:
			op.Kind = ast.PatchMove
			if t.Kind == lexer.Copy {
				op.Kind = ast.PatchCopy
			}
			op.Key = p.complex()
			p.patchArrow(op.Key)
			op.To = p.complex()
		case lexer.Merge:
			if p.accept(lexer.EqArrow) {
				op.Kind = ast.PatchMergeAll
				op.Value = p.complex()
			} else {
				op.Kind = ast.PatchMerge
				op.Key = p.complex()
				p.patchArrow(op.Key)
				op.Value = p.complex()
			}
		}
		op.Span = p.from(t.Start)
		pa.Ops = append(pa.Ops, op)
		p.capElems(len(pa.Ops))
		last := op.Value
		if last == nil {
			last = op.To
		}
		if last == nil {
			last = op.Key
		}
		if !p.accept(lexer.Comma) {
			p.expect(lexer.End, p.afterExpr(last))
			return pa
		}
	}
}

// merge parses `merge TARGET of VALUE end`.
func (p *parser) merge() ast.Expr {
	open := p.next()
	p.enter()
	defer p.leave()
	target := p.complex()
	p.expect(lexer.Of, p.afterExpr(target))
	v := p.complex()
	p.expect(lexer.End, p.afterExpr(v))
	return &ast.Merge{Target: target, Value: v, Span: p.from(open.Start)}
}

// match parses `match TARGET of CASES end`.
func (p *parser) match(imut bool) ast.Expr {
	open := p.next()
	p.enter()
	defer p.leave()
	m := &ast.Match{Imut: imut}
	m.Target = p.complex()
	p.expect(lexer.Of, p.afterExpr(m.Target))
	for {
		t := p.peek()
		switch t.Kind {
		case lexer.Case:
			p.next()
			c := &ast.Case{}
			c.Pattern = p.casePattern()
			if p.accept(lexer.When) {
				c.Guard = p.complex()
			}
			c.Body = p.effectors(imut, c.Guard, c.Pattern)
			c.Span = p.from(t.Start)
			m.Cases = append(m.Cases, c)
		case lexer.Default:
			p.next()
			c := &ast.Case{}
			c.Body = p.effectors(imut, nil, nil)
			c.Span = p.from(t.Start)
			m.Cases = append(m.Cases, c)
		case lexer.End:
			if len(m.Cases) == 0 {
				p.unexpected(set{lexer.Case, lexer.Default})
			}
			p.next()
			m.Span = p.from(open.Start)
			return m
		default:
			if len(m.Cases) == 0 {
				p.unexpected(set{lexer.Case, lexer.Default})
			}
			p.unexpected(union(p.afterBody(m.Cases[len(m.Cases)-1].Body), set{lexer.Case, lexer.Default, lexer.End}))
		}
		p.capElems(len(m.Cases))
	}
}

// afterBody is what may follow a case body.
func (p *parser) afterBody(body []ast.Expr) set {
	if len(body) == 0 {
		return p.after(lastOperand)
	}
	return p.afterExpr(body[len(body)-1])
}

// effectors parses `=> expr, expr, ...` (statements unless imut).
func (p *parser) effectors(imut bool, guard ast.Expr, pat ast.Pattern) []ast.Expr {
	if !p.at(lexer.EqArrow) {
		want := set{lexer.EqArrow, lexer.When}
		switch {
		case guard != nil:
			want = union(p.afterExpr(guard), set{lexer.EqArrow})
		case pat != nil:
			if ep, ok := pat.(*ast.ExprPattern); ok {
				want = union(p.afterExpr(ep.Expr), set{lexer.EqArrow, lexer.When})
			}
		}
		p.unexpected(want)
	}
	p.next()
	var body []ast.Expr
	for {
		var e ast.Expr
		if imut {
			e = p.complex()
		} else {
			e = p.expr()
		}
		body = append(body, e)
		p.capElems(len(body))
		if !p.accept(lexer.Comma) {
			return body
		}
	}
}

// forExpr parses `for TARGET of case (k, v) [when G] => BODY ... end`.
func (p *parser) forExpr(imut bool) ast.Expr {
	open := p.next()
	p.enter()
	defer p.leave()
	f := &ast.For{Imut: imut}
	f.Target = p.complex()
	p.expect(lexer.Of, p.afterExpr(f.Target))
	for {
		if len(f.Cases) > 0 && p.accept(lexer.End) {
			f.Span = p.from(open.Start)
			return f
		}
		if !p.at(lexer.Case) {
			if len(f.Cases) == 0 {
				p.unexpected(set{lexer.Case})
			}
			p.unexpected(union(p.afterBody(f.Cases[len(f.Cases)-1].Body), set{lexer.Case, lexer.End}))
		}
		p.next()
		lp := p.expect(lexer.LParen, set{lexer.LParen})
		c := &ast.ForCase{}
		c.Key = p.ident(set{lexer.Ident})
		p.expect(lexer.Comma, set{lexer.Comma})
		c.Value = p.ident(set{lexer.Ident})
		p.expect(lexer.RParen, set{lexer.RParen})
		c.Span = p.from(lp.Start)
		if p.accept(lexer.When) {
			c.Guard = p.complex()
		}
		c.Body = p.effectors(imut, c.Guard, nil)
		f.Cases = append(f.Cases, c)
		p.capElems(len(f.Cases))
	}
}

// litString is the value of a string literal without interpolations.
func litString(s *ast.StringLit) (string, bool) {
	out := ""
	for _, part := range s.Parts {
		if part.Expr != nil {
			return "", false
		}
		out += part.Lit
	}
	return out, true
}

var _ = diag.Pos{}
