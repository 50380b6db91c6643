// Package parser turns tremor-script and trickle source into an ast. It is
// a recursive-descent parser over Tremor 0.11's grammar; where the input is
// wrong it reports what Tremor's LALR parser reported ("Found the token `x`
// but expected one of ...") with the same span and hint. Nesting depth and
// literal sizes are capped, so hostile input cannot exhaust the stack.
//
// It must never resolve names or evaluate anything (that is the compiler's).
package parser

import (
	"fmt"
	"sort"
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/lexer"
	"github.com/temblor-dev/temblor/internal/lang/source"
)

// Caps on what one source may contain.
const (
	// MaxDepth is the deepest nesting of expressions, patterns and blocks.
	MaxDepth = 200
	// MaxElems is the most elements of one record, array, binary or
	// argument list literal.
	MaxElems = 1 << 16
	// MaxStringBytes is the longest string literal.
	MaxStringBytes = 1 << 20
	// MaxSourceBytes is the largest source file.
	MaxSourceBytes = 16 << 20
)

type bailout struct{ d *diag.Diagnostic }

type parser struct {
	src   *source.Source
	toks  []lexer.Token
	i     int
	depth int
	query bool // parsing a trickle query (widens "expected" lists)
	last  lexer.Token
}

// tokens lexes a source the way Tremor did before parsing: the original
// text (whose lexical errors are reported against it), rendered back to
// text, lexed again. Spans of parse and compile errors refer to the
// rendered text, which the error display shows.
func tokens(src *source.Source) ([]lexer.Token, *diag.Diagnostic) {
	if len(src.Text) > MaxSourceBytes {
		d := src.NoContext(fmt.Sprintf("The source is %d bytes, more than the %d allowed", len(src.Text), MaxSourceBytes))
		return nil, d
	}
	toks, err := lexer.Tokenize(src.Text)
	if err != nil {
		return nil, src.Lex(err)
	}
	rendered := lexer.Render(toks)
	if rendered != src.Text {
		toks, err = lexer.Tokenize(rendered)
		if err != nil {
			return nil, src.Lex(err)
		}
	}
	return lexer.Significant(toks), nil
}

func newParser(src *source.Source, query bool) (*parser, *diag.Diagnostic) {
	toks, d := tokens(src)
	if d != nil {
		return nil, d
	}
	return &parser{src: src, toks: toks, query: query}, nil
}

func (p *parser) run(fn func()) (d *diag.Diagnostic) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			d = b.d
		}
	}()
	fn()
	return nil
}

// ParseScript parses a tremor-script.
func ParseScript(src *source.Source) (*ast.Script, *diag.Diagnostic) {
	p, d := newParser(src, false)
	if d != nil {
		return nil, d
	}
	var s *ast.Script
	if d := p.run(func() { s = p.script() }); d != nil {
		return nil, d
	}
	return s, nil
}

// ParseModule parses a module file found by `use`: the body of a module
// (constants, functions, modules, uses; in a query also definitions).
func ParseModule(src *source.Source, query bool) (doc []string, stmts []ast.Node, err *diag.Diagnostic) {
	p, d := newParser(src, query)
	if d != nil {
		return nil, nil, d
	}
	if d := p.run(func() {
		doc = p.modComments()
		stmts = p.moduleBody(ast.Span{}, lexer.EOS, true)
		p.expect(lexer.EOS, []lexer.Kind{lexer.EOS, lexer.Semi})
	}); d != nil {
		return nil, nil, d
	}
	return doc, stmts, nil
}

// ParseQuery parses a trickle query.
func ParseQuery(src *source.Source) (*ast.Query, *diag.Diagnostic) {
	p, d := newParser(src, true)
	if d != nil {
		return nil, d
	}
	var q *ast.Query
	if d := p.run(func() { q = p.queryFile() }); d != nil {
		return nil, d
	}
	return q, nil
}

// ---- token access ----

func (p *parser) peek() *lexer.Token { return &p.toks[p.i] }

func (p *parser) peekAt(n int) *lexer.Token {
	if p.i+n < len(p.toks) {
		return &p.toks[p.i+n]
	}
	return &p.toks[len(p.toks)-1]
}

func (p *parser) at(k lexer.Kind) bool { return p.toks[p.i].Kind == k }

func (p *parser) next() lexer.Token {
	t := p.toks[p.i]
	if t.Kind != lexer.EOS {
		p.i++
	}
	p.last = t
	return t
}

func (p *parser) accept(k lexer.Kind) bool {
	if p.at(k) {
		p.next()
		return true
	}
	return false
}

// expect consumes a token of kind k or fails listing want.
func (p *parser) expect(k lexer.Kind, want []lexer.Kind) lexer.Token {
	if !p.at(k) {
		p.unexpected(want)
	}
	return p.next()
}

func (p *parser) ident(want []lexer.Kind) ast.Ident {
	t := p.expect(lexer.Ident, want)
	return ast.Ident{Name: t.Text, Span: span(t.Start, t.End)}
}

func span(a, b diag.Pos) ast.Span { return ast.Span{Start: a, End: b} }

// from is the span from start to the end of the last consumed token.
func (p *parser) from(start diag.Pos) ast.Span { return span(start, p.last.End) }

func (p *parser) enter() {
	p.depth++
	if p.depth > MaxDepth {
		t := p.peek()
		inner := span(t.Start, t.End)
		p.fail(p.src.Diag(expandLines(inner, 2), inner,
			fmt.Sprintf("The expression is nested too deeply (more than %d levels)", MaxDepth),
			"split it up with `let` or functions"))
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) fail(d *diag.Diagnostic) { panic(bailout{d}) }

func expandLines(s ast.Span, n int) ast.Span {
	s.Start.Line = max(s.Start.Line-n, 0)
	s.End.Line += n
	return s
}

// errAt fails with a compile-style error at s (lines around shown).
func (p *parser) errAt(s ast.Span, msg, hint string) {
	p.fail(p.src.Diag(expandLines(s, 2), s, msg, hint))
}

// ---- "expected one of" ----

// set is a set of token kinds the parser could continue with.
type set []lexer.Kind

func union(sets ...set) set {
	var out set
	seen := map[lexer.Kind]bool{}
	for _, s := range sets {
		for _, k := range s {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

func (s set) has(k lexer.Kind) bool {
	for _, x := range s {
		if x == k {
			return true
		}
	}
	return false
}

// terminalNames renders an expected set as Tremor listed it: sorted by the
// terminal's text, each in backticks (`.` appears twice: the grammar had
// two terminals spelled `.`).
func terminalNames(s set) []string {
	type term struct{ key, shown string }
	var ts []term
	for _, k := range s {
		name := k.Terminal()
		shown := "`" + name + "`"
		if k == lexer.DQuote {
			shown = "`\\``"
		}
		ts = append(ts, term{name, shown})
		if k == lexer.Dot {
			ts = append(ts, term{name, shown})
		}
	}
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].key < ts[j].key })
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.shown
	}
	return out
}

// unexpected fails at the current token: "Found the token `x` but
// expected ...", with Tremor's hint.
func (p *parser) unexpected(want set) {
	p.unexpectedNames(terminalNames(want))
}

// unexpectedNames is unexpected with the list as given (Tremor's module
// preprocessor listed `as`, `::`, `;` in that order).
func (p *parser) unexpectedNames(names []string) {
	t := p.peek()
	inner := span(t.Start, t.End)
	outer := ast.Span{Start: t.Start, End: t.End}
	outer.Start.Line = max(outer.Start.Line-2, 0)
	outer.End.Line += 2
	found := t.String()
	var msg string
	if len(names) == 1 {
		msg = fmt.Sprintf("Found the token `%s` but expected %s", found, names[0])
	} else {
		msg = fmt.Sprintf("Found the token `%s` but expected one of %s", found, strings.Join(names, ", "))
	}
	p.fail(p.src.Diag(outer, inner, msg, unexpectedHint(found, names, inner, outer)))
}

func unexpectedHint(found string, names []string, inner, outer ast.Span) string {
	has := func(n string) bool {
		for _, x := range names {
			if x == n {
				return true
			}
		}
		return false
	}
	switch {
	case found == "" && inner.Start.Offset == outer.End.Offset:
		return "It looks like a `;` is missing at the end of the script"
	case found == "default" || found == "case":
		return "You might have a trailing `,` in the prior statement"
	case lexer.IsKeyword(found) && has("`<ident>`"):
		return fmt.Sprintf("It looks like you tried to use the '%s' as a ident, consider quoting it as `%s` to make it an identifier.", found, found)
	case found == "-" && has("`(`"):
		return "Try wrapping this expression in parentheses `(` ... `)`"
	}
	if o, ok := bestHint(found, names, 3); ok {
		return fmt.Sprintf("Did you mean to use %s?", o)
	}
	return ""
}

// bestHint is the option closest to given (Damerau-Levenshtein distance at
// most maxDist; ties go to the smallest option).
func bestHint(given string, options []string, maxDist int) (string, bool) {
	best, bestD := "", -1
	for _, o := range options {
		d := Distance(given, o)
		if d > maxDist {
			continue
		}
		if bestD < 0 || d < bestD || d == bestD && o < best {
			best, bestD = o, d
		}
	}
	return best, bestD >= 0
}

// Distance is the (unrestricted) Damerau-Levenshtein distance between a
// and b, counted in characters.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	la, lb := len(ra), len(rb)
	maxd := la + lb
	da := map[rune]int{}
	d := make([][]int, la+2)
	for i := range d {
		d[i] = make([]int, lb+2)
	}
	d[0][0] = maxd
	for i := 0; i <= la; i++ {
		d[i+1][0] = maxd
		d[i+1][1] = i
	}
	for j := 0; j <= lb; j++ {
		d[0][j+1] = maxd
		d[1][j+1] = j
	}
	for i := 1; i <= la; i++ {
		db := 0
		for j := 1; j <= lb; j++ {
			i1 := da[rb[j-1]]
			j1 := db
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
				db = j
			}
			d[i+1][j+1] = min(
				d[i][j]+cost,
				d[i+1][j]+1,
				d[i][j+1]+1,
				d[i1][j1]+(i-i1-1)+1+(j-j1-1),
			)
		}
		da[ra[i-1]] = i
	}
	return d[la+1][lb+1]
}
