package parser

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/lexer"
)

// Limits on what one input may cost.
const (
	MaxDepth = 256
	// MaxChain caps `a + b + c ...` runs: they parse in a loop but build a
	// left-deep tree the interpreter walks recursively.
	MaxChain     = 4096
	MaxInputSize = 16 << 20
)

type parser struct {
	file  string
	src   []byte
	toks  []lexer.Token
	i     int
	depth int
}

// bail carries a parse error up to the entry point.
type bail struct{ err *lang.Error }

func newParser(file string, src []byte) (*parser, error) {
	if len(src) > MaxInputSize {
		return nil, &lang.Error{File: file, Msg: fmt.Sprintf("input is %d bytes, more than the %d allowed", len(src), MaxInputSize)}
	}
	p := &parser{file: file, src: src, toks: lexer.Lex(src)}
	if last := p.toks[len(p.toks)-1]; last.Kind == lexer.Illegal {
		return nil, &lang.Error{File: file, Pos: last.Pos, End: last.End, Msg: last.Text, Src: src}
	}
	return p, nil
}

func (p *parser) run(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			b.err.Src = p.src
			err = b.err
		}
	}()
	fn()
	return nil
}

// ParseQuery parses a trickle query.
func ParseQuery(file string, src []byte) (*ast.Query, error) {
	p, err := newParser(file, src)
	if err != nil {
		return nil, err
	}
	q := &ast.Query{File: file, Src: src}
	err = p.run(func() {
		for p.peek().Kind != lexer.EOF {
			q.Stmts = append(q.Stmts, p.stmt())
		}
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// ParseScript parses a standalone tremor-script (expressions separated by
// `;`).
func ParseScript(file string, src []byte) (*ast.Script, error) {
	p, err := newParser(file, src)
	if err != nil {
		return nil, err
	}
	s := &ast.Script{File: file, Src: src}
	err = p.run(func() {
		s.Exprs = p.exprList(func(t lexer.Token) bool { return t.Kind == lexer.EOF })
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (p *parser) peek() lexer.Token { return p.toks[p.i] }
func (p *parser) peekN(n int) lexer.Token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() lexer.Token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) failAt(t lexer.Token, hint, format string, args ...any) {
	panic(bail{&lang.Error{File: p.file, Pos: t.Pos, End: t.End, Msg: fmt.Sprintf(format, args...), Hint: hint}})
}

func (p *parser) unexpected(want string) {
	t := p.peek()
	p.failAt(t, "", "unexpected %s, expected %s", t, want)
}

func (p *parser) accept(s string) bool {
	if p.peek().Is(s) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expect(s string) lexer.Token {
	if !p.peek().Is(s) {
		p.unexpected("`" + s + "`")
	}
	return p.next()
}

func (p *parser) ident(what string) lexer.Token {
	t := p.peek()
	if t.Kind != lexer.Ident {
		if t.Kind == lexer.Keyword {
			p.failAt(t, "quote it with backticks, e.g. `"+t.Text+"`", "`%s` is a reserved word and cannot be used as %s", t.Text, what)
		}
		p.unexpected(what)
	}
	return p.next()
}

func (p *parser) enter() {
	p.depth++
	if p.depth > MaxDepth {
		p.failAt(p.peek(), "simplify the expression", "nesting deeper than %d levels", MaxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// ---- trickle statements ----

func (p *parser) stmt() ast.Stmt {
	t := p.peek()
	var s ast.Stmt
	switch {
	case t.Is("use"):
		s = p.use()
	case t.Is("define"):
		s = p.define()
	case t.Is("create"):
		s = p.create()
	case t.Is("select"):
		s = p.selectStmt()
	default:
		p.failAt(t, "a query is made of `use`, `define`, `create` and `select` statements, each ending with `;`",
			"unexpected %s at the start of a statement", t)
	}
	if !p.peek().Is(";") {
		p.unexpected("`;` to end the statement")
	}
	p.next()
	return s
}

func (p *parser) modPath() []string {
	path := []string{p.anyName("a module name")}
	for p.accept("::") {
		path = append(path, p.anyName("a module name"))
	}
	return path
}

// anyName accepts identifiers and keywords (module and operator-kind paths
// may collide with keywords such as `window`).
func (p *parser) anyName(what string) string {
	t := p.peek()
	if t.Kind == lexer.Ident || t.Kind == lexer.Keyword {
		return p.next().Text
	}
	p.unexpected(what)
	return ""
}

func (p *parser) use() ast.Stmt {
	t := p.next()
	u := &ast.UseStmt{P: t.Pos, Path: p.modPath()}
	if p.accept("as") {
		u.Alias = p.ident("an alias").Text
	}
	return u
}

func (p *parser) params() []ast.Param { return p.paramsUntil("end", true) }

// paramsUntil parses `with name = expr, ... <stop>`; the stop keyword is
// consumed when consume is set (operators end with `end`, script
// definitions go on with `script`).
func (p *parser) paramsUntil(stop string, consume bool) []ast.Param {
	if !p.accept("with") {
		return nil
	}
	var ps []ast.Param
	seen := map[string]bool{}
	for !p.peek().Is(stop) {
		nt := p.peek()
		name := p.anyName("a parameter name")
		if seen[name] {
			p.failAt(nt, "remove one of them", "parameter `%s` is given twice", name)
		}
		seen[name] = true
		p.expect("=")
		ps = append(ps, ast.Param{Name: name, Value: p.expr(), P: nt.Pos})
		if !p.accept(",") {
			if !p.peek().Is(stop) {
				p.unexpected("`,` between parameters or `" + stop + "`")
			}
		}
	}
	if consume {
		p.expect(stop)
	}
	return ps
}

func (p *parser) define() ast.Stmt {
	t := p.next()
	if p.peek().Is("script") {
		p.next()
		d := &ast.ScriptDefn{P: t.Pos, ID: p.ident("a script name").Text, File: p.file, Src: p.src}
		d.Params = p.paramsUntil("script", false)
		p.expect("script")
		d.Body = p.exprList(func(t lexer.Token) bool { return t.Is("end") })
		p.expect("end")
		return d
	}
	if p.peek().Is("window") || p.peek().Is("tumbling") {
		p.failAt(p.peek(), "windows will come with the full language; remove the window for now", "window definitions are not supported yet")
	}
	kindTok := p.peek()
	kind := p.modPath()
	if len(kind) == 1 && kind[0] == "script" {
		p.failAt(kindTok, "", "expected a script name after `define script`")
	}
	if !p.peek().Is("operator") {
		if p.peek().Is("window") {
			p.failAt(p.peek(), "", "window definitions are not supported yet")
		}
		p.unexpected("`operator` (as in `define qos::wal operator my_wal with ... end;`)")
	}
	p.next()
	return &ast.OperatorDefn{P: t.Pos, Kind: kind, ID: p.ident("an operator name").Text, Params: p.params()}
}

func (p *parser) create() ast.Stmt {
	t := p.next()
	switch {
	case p.accept("operator"):
		c := &ast.OperatorCreate{P: t.Pos, ID: p.ident("an operator instance name").Text}
		if p.accept("from") {
			c.Target = p.ident("an operator definition").Text
		} else {
			c.Target = c.ID // Tremor 0.11: `create operator x;` instantiates definition x
		}
		c.Params = p.params()
		return c
	case p.accept("script"):
		c := &ast.ScriptCreate{P: t.Pos, ID: p.ident("a script instance name").Text}
		if p.accept("from") {
			c.Target = p.ident("a script definition").Text
		} else {
			c.Target = c.ID // Tremor 0.11: `create operator x;` instantiates definition x
		}
		c.Params = p.params()
		return c
	case p.accept("stream"):
		return &ast.StreamCreate{P: t.Pos, ID: p.ident("a stream name").Text}
	}
	p.unexpected("`operator`, `script` or `stream` after `create`")
	return nil
}

func (p *parser) streamRef() ast.StreamRef {
	t := p.peek()
	var name string
	switch {
	case t.Kind == lexer.Ident:
		name = p.next().Text
	case t.Is("in") || t.Is("out") || t.Is("err"):
		name = p.next().Text
	default:
		p.unexpected("a stream or operator name")
	}
	r := ast.StreamRef{Stream: name, P: t.Pos}
	if p.accept("/") {
		r.Port = p.anyName("a port name")
	}
	return r
}

func (p *parser) selectStmt() ast.Stmt {
	t := p.next()
	s := &ast.Select{P: t.Pos, Target: p.expr(), File: p.file, Src: p.src}
	if !p.peek().Is("from") {
		p.unexpected("`from` (select EXPR from STREAM into STREAM;)")
	}
	p.next()
	s.From = p.streamRef()
	if p.peek().Is("[") {
		p.failAt(p.peek(), "windows will come with the full language", "windowed selects are not supported yet")
	}
	if p.accept("where") {
		s.Where = p.expr()
	}
	if p.peek().Is("group") {
		p.failAt(p.peek(), "grouping will come with the full language", "`group by` is not supported yet")
	}
	if p.accept("having") {
		s.Having = p.expr()
	}
	if !p.peek().Is("into") {
		p.unexpected("`into` (select EXPR from STREAM into STREAM;)")
	}
	p.next()
	s.Into = p.streamRef()
	// Tremor 0.11 writes `having` after `into`; before it is accepted too.
	if h := p.peek(); h.Is("having") {
		if s.Having != nil {
			p.failAt(h, "", "a select has at most one `having`")
		}
		p.next()
		s.Having = p.expr()
	}
	return s
}

// ---- tremor-script ----

func (p *parser) exprList(end func(lexer.Token) bool) []ast.Expr {
	var xs []ast.Expr
	for !end(p.peek()) {
		if p.peek().Kind == lexer.EOF {
			p.unexpected("`end`")
		}
		xs = append(xs, p.stmtExpr())
		if !p.accept(";") {
			if !end(p.peek()) {
				p.unexpected("`;` between expressions")
			}
		}
	}
	return xs
}

func (p *parser) stmtExpr() ast.Expr {
	t := p.peek()
	switch {
	case t.Is("let"):
		p.next()
		pt := p.peek()
		x := p.primary()
		path, ok := x.(*ast.Path)
		if !ok {
			p.failAt(pt, "", "`let` needs a variable or path on the left, e.g. `let event.x = 1`")
		}
		p.expect("=")
		return &ast.Let{Path: path, Value: p.expr(), P: t.Pos}
	case t.Is("emit"):
		p.next()
		e := &ast.Emit{P: t.Pos}
		if !p.peek().Is(";") && !p.peek().Is("end") && !p.peek().Is("=>") && p.peek().Kind != lexer.EOF && !p.peek().Is("default") && !p.peek().Is("case") {
			e.Value = p.expr()
		}
		if p.accept("=>") {
			e.Port = p.expr()
		}
		return e
	case t.Is("drop"):
		p.next()
		return &ast.Drop{P: t.Pos}
	case t.Is("for"):
		p.failAt(t, "comprehensions will come with the full language", "`for` comprehensions are not supported yet")
	}
	return p.expr()
}

// Binary precedence, loosest first.
var binLevels = [][]string{
	{"or"}, {"xor"}, {"and"}, {"|"}, {"^"}, {"&"},
	{"==", "!="}, {"<", "<=", ">", ">="}, {"<<", ">>", ">>>"}, {"+", "-"}, {"*", "/", "%"},
}

func (p *parser) expr() ast.Expr {
	p.enter()
	defer p.leave()
	return p.binary(0)
}

func (p *parser) binary(level int) ast.Expr {
	if level == len(binLevels) {
		return p.unary()
	}
	l := p.binary(level + 1)
	for n := 0; ; n++ {
		t := p.peek()
		matched := ""
		for _, op := range binLevels[level] {
			if t.Is(op) {
				matched = op
			}
		}
		if matched == "" {
			return l
		}
		if n >= MaxChain {
			p.failAt(t, "split the expression with let", "more than %d `%s` operators in a row", MaxChain, matched)
		}
		p.next()
		p.enter()
		r := p.binary(level + 1)
		p.leave()
		l = &ast.Binary{Op: matched, L: l, R: r, P: t.Pos}
	}
}

func (p *parser) unary() ast.Expr {
	t := p.peek()
	if t.Is("not") || t.Is("-") || t.Is("+") || t.Is("!") {
		p.next()
		p.enter()
		defer p.leave()
		return &ast.Unary{Op: t.Text, X: p.unary(), P: t.Pos}
	}
	if t.Is("present") || t.Is("absent") {
		p.next()
		pt := p.peek()
		x := p.primary()
		path, ok := x.(*ast.Path)
		if !ok {
			p.failAt(pt, "", "`%s` needs a path, e.g. `%s event.field`", t.Text, t.Text)
		}
		return &ast.Present{Path: path, Negate: t.Text == "absent", P: t.Pos}
	}
	return p.primary()
}

func (p *parser) primary() ast.Expr {
	t := p.peek()
	var x ast.Expr
	switch {
	case t.Kind == lexer.Int:
		p.next()
		x = &ast.Literal{V: p.parseInt(t), P: t.Pos}
	case t.Kind == lexer.Float:
		p.next()
		f, err := strconv.ParseFloat(strings.ReplaceAll(t.Text, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) {
			p.failAt(t, "", "invalid number %s", t.Text)
		}
		x = &ast.Literal{V: f, P: t.Pos}
	case t.Kind == lexer.String:
		p.next()
		x = p.stringLit(t)
	case t.Is("true"), t.Is("false"):
		p.next()
		x = &ast.Literal{V: t.Text == "true", P: t.Pos}
	case t.Is("null"):
		p.next()
		x = &ast.Literal{V: nil, P: t.Pos}
	case t.Is("("):
		p.next()
		x = p.expr()
		p.expect(")")
	case t.Is("["):
		x = p.arrayLit()
	case t.Is("{"):
		x = p.recordLit()
	case t.Is("event"):
		p.next()
		x = &ast.Path{Root: ast.RootEvent, P: t.Pos}
	case t.Is("state"):
		p.next()
		x = &ast.Path{Root: ast.RootState, P: t.Pos}
	case t.Is("args"):
		p.next()
		x = &ast.Path{Root: ast.RootArgs, P: t.Pos}
	case t.Is("group"):
		p.next()
		x = &ast.Path{Root: ast.RootGroup, P: t.Pos}
	case t.Is("$"):
		p.next()
		x = &ast.Path{Root: ast.RootMeta, P: t.Pos}
		if n := p.peek(); n.Kind == lexer.Ident && n.Pos.Offset == t.End.Offset {
			p.next()
			x.(*ast.Path).Segs = append(x.(*ast.Path).Segs, ast.Seg{Field: n.Text, P: n.Pos})
		}
	case t.Is("patch"):
		x = p.patch()
	case t.Is("merge"):
		p.next()
		target := p.expr()
		p.expect("of")
		val := p.expr()
		p.expect("end")
		x = &ast.Merge{Target: target, Value: val, P: t.Pos}
	case t.Is("match"):
		x = p.match()
	case t.Kind == lexer.Ident:
		if t.Text == "recur" && p.peekN(1).Is("(") {
			p.failAt(t, "recursion will come with the full language", "`recur` is not supported yet")
		}
		if p.peekN(1).Is("::") || p.peekN(1).Is("(") {
			x = p.call()
		} else {
			p.next()
			x = &ast.Path{Root: ast.RootLocal, Local: t.Text, P: t.Pos}
		}
	case t.Kind == lexer.Keyword && p.peekN(1).Is("::"):
		x = p.call() // e.g. a module named like a keyword
	case t.Is("for"):
		p.failAt(t, "comprehensions will come with the full language", "`for` comprehensions are not supported yet")
	case t.Is("window"):
		p.failAt(t, "windows will come with the full language", "`window` is not supported yet")
	case t.Is("~"):
		p.failAt(t, "extractors will come with the full language", "extractors (`~ ...`) are not supported yet")
	default:
		p.unexpected("an expression")
	}
	return p.postfix(x)
}

func (p *parser) parseInt(t lexer.Token) event.Value {
	s := strings.ReplaceAll(t.Text, "_", "")
	if u, err := strconv.ParseUint(s, 0, 64); err == nil {
		if u <= math.MaxInt64 {
			return int64(u)
		}
		return u
	}
	p.failAt(t, "", "integer %s does not fit in 64 bits", t.Text)
	return nil
}

func (p *parser) postfix(x ast.Expr) ast.Expr {
	for {
		t := p.peek()
		switch {
		case t.Is("."):
			path := p.asPath(x, t)
			p.next()
			nt := p.peek()
			if nt.Kind != lexer.Ident && nt.Kind != lexer.Keyword && nt.Kind != lexer.Int {
				p.unexpected("a field name after `.`")
			}
			p.next()
			path.Segs = append(path.Segs, ast.Seg{Field: nt.Text, P: nt.Pos})
			x = path
		case t.Is("["):
			path := p.asPath(x, t)
			p.next()
			idx := p.expr()
			p.expect("]")
			path.Segs = append(path.Segs, ast.Seg{Index: idx, P: t.Pos})
			x = path
		default:
			return x
		}
	}
}

func (p *parser) asPath(x ast.Expr, at lexer.Token) *ast.Path {
	if path, ok := x.(*ast.Path); ok {
		return path
	}
	p.failAt(at, "", "only paths (event, $, state, args or a variable) can be indexed here")
	return nil
}

func (p *parser) call() ast.Expr {
	t := p.peek()
	parts := []string{p.anyName("a function name")}
	for p.accept("::") {
		parts = append(parts, p.anyName("a function name"))
	}
	if !p.peek().Is("(") {
		p.unexpected("`(` to call " + strings.Join(parts, "::"))
	}
	p.next()
	c := &ast.Call{Module: parts[:len(parts)-1], Fn: parts[len(parts)-1], P: t.Pos}
	for !p.peek().Is(")") {
		c.Args = append(c.Args, p.expr())
		if !p.accept(",") && !p.peek().Is(")") {
			p.unexpected("`,` or `)`")
		}
	}
	p.next()
	return c
}

func (p *parser) arrayLit() ast.Expr {
	t := p.next()
	a := &ast.ArrayLit{P: t.Pos}
	p.enter()
	defer p.leave()
	for !p.peek().Is("]") {
		a.Elems = append(a.Elems, p.expr())
		if !p.accept(",") && !p.peek().Is("]") {
			p.unexpected("`,` or `]`")
		}
	}
	p.next()
	return a
}

func (p *parser) recordLit() ast.Expr {
	t := p.next()
	r := &ast.RecordLit{P: t.Pos}
	p.enter()
	defer p.leave()
	for !p.peek().Is("}") {
		kt := p.peek()
		var key ast.Expr
		switch {
		case kt.Kind == lexer.String:
			p.next()
			key = p.stringLit(kt)
		case kt.Kind == lexer.Ident:
			p.next()
			key = &ast.Literal{V: kt.Text, P: kt.Pos}
		default:
			p.unexpected("a record key (a string)")
		}
		p.expect(":")
		r.Fields = append(r.Fields, ast.Field{Key: key, Value: p.expr()})
		if !p.accept(",") && !p.peek().Is("}") {
			p.unexpected("`,` or `}`")
		}
	}
	p.next()
	return r
}

// patchKey parses the key of a patch operation: a string, or (as the
// Tremor tutorial writes it) a bare name.
func (p *parser) patchKey() ast.Expr {
	t := p.peek()
	switch t.Kind {
	case lexer.String:
		p.next()
		return p.stringLit(t)
	case lexer.Ident, lexer.Keyword:
		p.next()
		return &ast.Literal{V: t.Text, P: t.Pos}
	}
	p.unexpected("a key (a string such as \"hostname\")")
	return nil
}

func (p *parser) patchArrow() {
	if !p.accept("=>") && !p.accept("=") {
		p.unexpected("`=>`")
	}
}

func (p *parser) patch() ast.Expr {
	t := p.next()
	pa := &ast.Patch{P: t.Pos, Target: p.expr()}
	p.expect("of")
	for !p.peek().Is("end") {
		ot := p.peek()
		op := ast.PatchOp{Op: ot.Text, P: ot.Pos}
		switch {
		case ot.Is("insert"), ot.Is("upsert"), ot.Is("update"):
			p.next()
			op.Key = p.patchKey()
			p.patchArrow()
			op.Value = p.expr()
		case ot.Is("erase"):
			p.next()
			op.Key = p.patchKey()
		case ot.Is("merge"), ot.Is("default"):
			p.next()
			if !p.peek().Is("=>") {
				op.Key = p.patchKey()
			}
			p.patchArrow()
			op.Value = p.expr()
		default:
			p.unexpected("a patch operation: insert, upsert, update, erase, merge or default")
		}
		pa.Ops = append(pa.Ops, op)
		if !p.accept(";") && !p.accept(",") && !p.peek().Is("end") {
			p.unexpected("`;` between patch operations or `end`")
		}
	}
	p.next()
	return pa
}

func (p *parser) match() ast.Expr {
	t := p.next()
	m := &ast.Match{P: t.Pos, Target: p.expr()}
	p.expect("of")
	isEnd := func(t lexer.Token) bool { return t.Is("case") || t.Is("default") || t.Is("end") }
	for p.peek().Is("case") {
		ct := p.next()
		c := ast.Case{P: ct.Pos}
		if p.peek().Kind == lexer.Ident && p.peekN(1).Is("=") {
			c.Bind = p.next().Text
			p.next()
		}
		c.Pattern = p.pattern()
		if p.accept("when") {
			c.Guard = p.expr()
		}
		p.expect("=>")
		c.Body = p.caseBody(isEnd)
		m.Cases = append(m.Cases, c)
	}
	if p.accept("default") {
		p.expect("=>")
		m.Default = p.caseBody(isEnd)
	}
	p.expect("end")
	return m
}

func (p *parser) caseBody(end func(lexer.Token) bool) []ast.Expr {
	body := []ast.Expr{p.stmtExpr()}
	for p.accept(";") && !end(p.peek()) {
		body = append(body, p.stmtExpr())
	}
	return body
}

func (p *parser) pattern() ast.Pattern {
	t := p.peek()
	switch {
	case t.Is("_"):
		p.next()
		return &ast.AnyPattern{P: t.Pos}
	case t.Is("%"):
		p.next()
		switch {
		case p.accept("{"):
			rp := &ast.RecordPattern{P: t.Pos}
			for !p.peek().Is("}") {
				ft := p.peek()
				test := ast.FieldTest{P: ft.Pos}
				if p.accept("present") || p.accept("absent") {
					test.Op = ft.Text
					test.Key = p.fieldName()
				} else {
					test.Key = p.fieldName()
					op := p.peek()
					ok := false
					for _, c := range []string{"==", "!=", "<", "<=", ">", ">="} {
						ok = ok || op.Is(c)
					}
					if !ok {
						if p.peek().Is("~") {
							p.failAt(p.peek(), "extractors will come with the full language; match with == for now", "extractors (`~ ...`) are not supported yet")
						}
						p.unexpected("a comparison (==, !=, <, <=, >, >=) in the record pattern")
					}
					p.next()
					test.Op = op.Text
					test.Value = p.expr()
				}
				rp.Tests = append(rp.Tests, test)
				if !p.accept(",") && !p.peek().Is("}") {
					p.unexpected("`,` or `}`")
				}
			}
			p.next()
			return rp
		case p.accept("["):
			ap := &ast.ArrayPattern{P: t.Pos}
			for !p.peek().Is("]") {
				ap.Elems = append(ap.Elems, p.expr())
				if !p.accept(",") && !p.peek().Is("]") {
					p.unexpected("`,` or `]`")
				}
			}
			p.next()
			return ap
		}
		p.unexpected("`{` or `[` after `%` in a pattern")
	case t.Is("~"):
		p.failAt(t, "extractors will come with the full language", "extractor patterns (~ ...) are not supported yet")
	}
	return &ast.ExprPattern{X: p.expr(), P: t.Pos}
}

func (p *parser) fieldName() string {
	t := p.peek()
	switch t.Kind {
	case lexer.Ident, lexer.Keyword:
		return p.next().Text
	case lexer.String:
		p.next()
		v, ok := p.stringLit(t).(*ast.Literal)
		if !ok {
			p.failAt(t, "", "a field name cannot be interpolated")
		}
		return v.V.(string)
	}
	p.unexpected("a field name")
	return ""
}

// stringLit undoes escapes and splits #{...} interpolations.
func (p *parser) stringLit(t lexer.Token) ast.Expr {
	raw := t.Text
	rawB := []byte(raw) // sliced per interpolation without copying
	var parts []ast.Expr
	var buf strings.Builder
	flush := func() {
		if buf.Len() > 0 {
			parts = append(parts, &ast.Literal{V: buf.String(), P: t.Pos})
			buf.Reset()
		}
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw):
			i++
			switch raw[i] {
			case 'n':
				buf.WriteByte('\n')
			case 't':
				buf.WriteByte('\t')
			case 'r':
				buf.WriteByte('\r')
			case '\\', '"', '#', '{', '}', '/':
				buf.WriteByte(raw[i])
			case 'b':
				buf.WriteByte('\b')
			case 'f':
				buf.WriteByte('\f')
			case 'u':
				if i+4 < len(raw) {
					if r, err := strconv.ParseUint(raw[i+1:i+5], 16, 32); err == nil {
						buf.WriteRune(rune(r))
						i += 4
						continue
					}
				}
				p.failAt(t, "", "invalid \\u escape in string")
			default:
				p.failAt(t, "", "invalid escape `\\%c` in string", raw[i])
			}
		case c == '#' && i+1 < len(raw) && raw[i+1] == '{':
			// Close it exactly where the lexer did: braces inside nested
			// strings and records do not count.
			j := -1
			if n := lexer.InterpolationEnd(rawB[i+2:]); n > 0 {
				j = i + 2 + n
			}
			if j < 0 {
				p.failAt(t, "", "unterminated #{...} in string")
			}
			flush()
			inner := raw[i+2 : j-1]
			sub := &parser{file: p.file, src: []byte(inner), toks: lexer.Lex([]byte(inner)), depth: p.depth}
			if last := sub.toks[len(sub.toks)-1]; last.Kind == lexer.Illegal {
				p.failAt(t, "", "in #{...}: %s", last.Text)
			}
			for k := range sub.toks { // report positions inside the outer token's line
				sub.toks[k].Pos = t.Pos
				sub.toks[k].End = t.End
			}
			sub.enter()
			e := sub.expr()
			if sub.peek().Kind != lexer.EOF {
				sub.unexpected("`}` to end the interpolation")
			}
			parts = append(parts, e)
			i = j - 1
		default:
			buf.WriteByte(c)
		}
	}
	flush()
	if len(parts) == 0 {
		return &ast.Literal{V: "", P: t.Pos}
	}
	if len(parts) == 1 {
		if l, ok := parts[0].(*ast.Literal); ok {
			return l
		}
	}
	return &ast.Interp{Parts: parts, P: t.Pos}
}
