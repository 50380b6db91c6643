package lexer

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/diag"
)

// ErrKind tells lexer errors apart (some are reworded when they happen
// inside a string interpolation).
type ErrKind uint8

// Lexer error kinds.
const (
	ErrUnexpectedEOS ErrKind = iota
	ErrUnterminatedExtractor
	ErrUnterminatedString
	ErrUnterminatedHereDoc
	ErrTailingHereDoc
	ErrUnterminatedInterpolation
	ErrEmptyInterpolation
	ErrUnterminatedIdent
	ErrUnexpectedCharacter
	ErrUnexpectedEscape
	ErrInvalidUTF8
	ErrInvalidHex
	ErrInvalidInt
	ErrInvalidFloat
	ErrTooLong
	ErrTooDeep
)

const interpolationHint = `Did you mean to write a literal '#{'? Escape it as '\#{'.`

// Error is a lexical error, positioned the way Tremor positioned it: Outer
// is the range of lines shown, Inner the range underlined, and Token the
// unfinished token shown where the good tokens stop.
type Error struct {
	Kind         ErrKind
	Outer, Inner diag.Span
	// NoContext marks errors Tremor reported without a location.
	NoContext bool
	Msg, Hint string
	Token     *diag.Unfinished
	found     rune
}

func (e *Error) Error() string { return e.Msg }

func (e *Error) setMsg() {
	switch e.Kind {
	case ErrUnexpectedEOS:
		e.Msg = "An unexpected end of stream was found"
	case ErrUnterminatedExtractor:
		e.Msg = "It looks like you forgot to terminate an extractor with a closing '|'"
	case ErrUnterminatedString:
		e.Msg = `It looks like you forgot to terminate a string with a closing '"'`
	case ErrUnterminatedHereDoc:
		e.Msg = `It looks like you forgot to terminate a here doc with with a closing '"""'`
	case ErrTailingHereDoc:
		e.Msg = "It looks like you have characters tailing the here doc opening, it needs to be followed by a newline"
	case ErrUnterminatedInterpolation:
		e.Msg = "It looks like you forgot to terminate a string interpolation with a closing '}'"
		e.Hint = interpolationHint
	case ErrEmptyInterpolation:
		e.Msg = "You have an interpolation without content."
		e.Hint = interpolationHint
	case ErrUnterminatedIdent:
		e.Msg = "It looks like you forgot to terminate an ident with a closing '`'"
	case ErrUnexpectedCharacter:
		e.Msg = "An unexpected character '" + string(e.found) + "' was found"
	case ErrUnexpectedEscape:
		e.Msg = "An unexpected escape code '" + string(e.found) + "' was found"
	case ErrInvalidUTF8:
		e.Msg = "An invalid UTF8 escape sequence was found"
	case ErrInvalidHex:
		e.Msg = "An invalid hexadecimal"
	case ErrInvalidInt:
		e.Msg = "An invalid integer literal"
	case ErrInvalidFloat:
		e.Msg = "An invalid float literal"
	case ErrTooLong:
		e.Msg = "The source has too many tokens"
		e.Hint = "split it into modules; no script needs this many"
	case ErrTooDeep:
		e.Msg = "Strings are nested inside interpolations too deeply"
		e.Hint = "at most 32 levels of `#{ \"...\" }` are allowed"
	}
}

func newErr(kind ErrKind, outer, inner diag.Span, tokLine int, tokText string) *Error {
	e := &Error{Kind: kind, Outer: outer, Inner: inner, Token: &diag.Unfinished{Line: tokLine, Text: tokText}}
	e.setMsg()
	return e
}

func eosErr() *Error {
	e := &Error{Kind: ErrUnexpectedEOS, NoContext: true}
	e.setMsg()
	return e
}

// span is a range between two locations.
func span(a, b diag.Pos) diag.Span { return diag.Span{Start: a, End: b} }

// expand moves a range's start up and its end down by n lines.
func expand(s diag.Span, n int) diag.Span {
	s.Start.Line = max(s.Start.Line-n, 0)
	s.End.Line += n
	return s
}

// shift moves a location past ch.
func shift(p diag.Pos, ch rune) diag.Pos {
	if ch == '\n' {
		p.Line++
		p.Col = 1
	} else {
		p.Col++
	}
	n := utf8.RuneLen(ch)
	if n < 0 {
		n = 1 // an invalid byte, read as U+FFFD
	}
	if ch == utf8.RuneError {
		n = 1
	}
	p.Offset += n
	return p
}

func shiftStr(p diag.Pos, s string) diag.Pos {
	for _, c := range s {
		p = shift(p, c)
	}
	return p
}

func isWS(ch rune) bool { return unicode.IsSpace(ch) && ch != '\n' }

func isIdentStart(ch rune) bool {
	return ch == '_' || ch == '-' || unicode.IsLetter(ch) || unicode.Is(unicode.Nl, ch)
}

func isIdentContinue(ch rune) bool {
	return isIdentStart(ch) || unicode.IsDigit(ch) || unicode.Is(unicode.Mn, ch) ||
		unicode.Is(unicode.Mc, ch) || unicode.Is(unicode.Pc, ch)
}

func isDec(ch rune) bool { return ch >= '0' && ch <= '9' }

func isHex(ch rune) bool { return isDec(ch) || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F' }

// MaxTokens caps the tokens of one source (a defence against inputs built
// to exhaust memory; real sources are far smaller).
const MaxTokens = 4 << 20

// lexer turns source text into tokens, including whitespace and comments.
type lexer struct {
	src    string
	loc    diag.Pos // location of the next character
	stored []Token
	n      int
	depth  int // strings being lexed inside interpolations
}

func newLexer(src string) *lexer {
	return &lexer{src: src, loc: diag.Pos{Line: 1, Col: 1}}
}

func (l *lexer) peek() (diag.Pos, rune, bool) {
	if l.loc.Offset >= len(l.src) {
		return l.loc, 0, false
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.loc.Offset:])
	return l.loc, r, true
}

func (l *lexer) bump() (diag.Pos, rune, bool) {
	p, r, ok := l.peek()
	if ok {
		l.loc = shift(l.loc, r)
	}
	return p, r, ok
}

func (l *lexer) slice(a, b diag.Pos) string {
	if a.Offset < 0 || b.Offset > len(l.src) || a.Offset > b.Offset {
		return ""
	}
	return l.src[a.Offset:b.Offset]
}

// untilEOL is the text from start to the end of its line.
func (l *lexer) untilEOL(start diag.Pos) string {
	s := l.src[min(start.Offset, len(l.src)):]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// fullLines is the text from start to the end of the line end is on.
func (l *lexer) fullLines(start, end diag.Pos) string {
	s := l.src[min(start.Offset, len(l.src)):]
	n := max(end.Line-start.Line, 0) + 1
	parts := strings.SplitN(s, "\n", n+1)
	if len(parts) > n {
		parts = parts[:n]
	}
	return strings.Join(parts, "\n")
}

// takeWhile consumes characters while keep holds; it returns the location
// after them and their text.
func (l *lexer) takeWhile(start diag.Pos, keep func(rune) bool) (diag.Pos, string) {
	for {
		p, r, ok := l.peek()
		if !ok {
			return l.loc, l.slice(start, l.loc)
		}
		if !keep(r) {
			return p, l.slice(start, p)
		}
		l.bump()
	}
}

func (l *lexer) tok(kind Kind, start, end diag.Pos) Token {
	return Token{Kind: kind, Start: start, End: end}
}

// next returns the next token, false at the end of the input, or an error.
func (l *lexer) next() (Token, bool, *Error) {
	if len(l.stored) > 0 {
		t := l.stored[0]
		l.stored = l.stored[1:]
		return t, true, nil
	}
	start, ch, ok := l.bump()
	if !ok {
		return Token{}, false, nil
	}
	l.n++
	one := func(k Kind) (Token, bool, *Error) { return l.tok(k, start, shift(start, ch)), true, nil }
	switch ch {
	case ',':
		return one(Comma)
	case '$':
		return one(Dollar)
	case '.':
		return one(Dot)
	case '_':
		return one(DontCare)
	case ';':
		return one(Semi)
	case '+':
		return one(Add)
	case '*':
		return one(Mul)
	case '\\':
		return one(BSlash)
	case '(':
		return one(LParen)
	case ')':
		return one(RParen)
	case '{':
		return one(LBrace)
	case '}':
		return one(RBrace)
	case '[':
		return one(LBracket)
	case ']':
		return one(RBracket)
	case '/':
		return one(Div)
	case '^':
		return one(BitXor)
	case '&':
		return one(BitAnd)
	case ':':
		end, text := l.takeWhile(start, func(c rune) bool { return c == ':' })
		switch text {
		case "::":
			return l.tok(ColonColon, start, end), true, nil
		case ":":
			return l.tok(Colon, start, end), true, nil
		}
		t := l.tok(Bad, start, end)
		t.Text = text
		return t, true, nil
	case '-':
		if _, c, ok := l.peek(); ok && isDec(c) {
			return l.number(start)
		}
		return one(Sub)
	case '#':
		return l.comment(start), true, nil
	case '=':
		if p, c, ok := l.peek(); ok && (c == '>' || c == '=') {
			l.bump()
			k := EqArrow
			if c == '=' {
				k = EqEq
			}
			return l.tok(k, start, shift(p, c)), true, nil
		}
		return one(Eq)
	case '<':
		p, c, ok := l.peek()
		switch {
		case !ok:
			t := l.tok(Bad, start, start)
			t.Text = "<"
			return t, true, nil
		case c == '<' || c == '=':
			l.bump()
			k := LBitShift
			if c == '=' {
				k = Lte
			}
			return l.tok(k, start, shift(p, c)), true, nil
		}
		return l.tok(Lt, start, p), true, nil
	case '>':
		p, c, ok := l.peek()
		switch {
		case !ok:
			t := l.tok(Bad, start, start)
			t.Text = ">"
			return t, true, nil
		case c == '>':
			l.bump()
			if p2, c2, ok := l.peek(); ok && c2 == '>' {
				l.bump()
				return l.tok(RBitShiftUnsigned, start, shift(p2, c2)), true, nil
			}
			return l.tok(RBitShiftSigned, start, shift(p, c)), true, nil
		case c == '=':
			l.bump()
			return l.tok(Gte, start, shift(p, c)), true, nil
		}
		return l.tok(Gt, start, p), true, nil
	case '%':
		p, c, ok := l.peek()
		if !ok {
			return Token{}, true, eosErr()
		}
		k := Mod
		switch c {
		case '[':
			k = LPatBracket
		case '(':
			k = LPatParen
		case '{':
			k = LPatBrace
		}
		if k == Mod {
			return l.tok(Mod, start, p), true, nil
		}
		l.bump()
		return l.tok(k, start, shift(p, c)), true, nil
	case '~', '!':
		p, c, ok := l.peek()
		if !ok {
			return Token{}, true, eosErr()
		}
		if c == '=' {
			l.bump()
			k := TildeEq
			if ch == '!' {
				k = NotEq
			}
			return l.tok(k, start, shift(p, c)), true, nil
		}
		k := Tilde
		if ch == '!' {
			k = BitNot
		}
		return l.tok(k, start, p), true, nil
	case '`':
		return l.quotedIdent(start)
	case '\n':
		return l.tok(NewLine, start, start), true, nil
	case '"':
		toks, err := l.stringOrHereDoc(start)
		if err != nil {
			return Token{}, true, err
		}
		l.stored = append(l.stored, toks...)
		return l.next()
	case '|':
		return l.extractor(start)
	}
	switch {
	case isIdentStart(ch):
		end, text := l.takeWhile(start, isIdentContinue)
		k := KeywordKind(text)
		t := l.tok(k, start, end)
		switch k {
		case Ident:
			t.Text = text
		case Bool:
			t.Bool = text == "true"
		}
		return t, true, nil
	case isDec(ch):
		return l.number(start)
	case unicode.IsSpace(ch):
		end, text := l.takeWhile(start, isWS)
		t := l.tok(Whitespace, start, end)
		t.Text = text
		return t, true, nil
	}
	t := l.tok(Bad, start, start)
	t.Text = string(ch)
	return t, true, nil
}

// comment handles `#`: comments, doc comments and the config directive.
func (l *lexer) comment(start diag.Pos) Token {
	if strings.HasPrefix(l.src[start.Offset:], "#!config ") {
		for range len("#!config ") - 1 {
			l.bump()
		}
		return l.tok(ConfigDirective, start, l.loc)
	}
	end, text := l.takeWhile(start, func(c rune) bool { return c != '\n' })
	var t Token
	switch {
	case strings.HasPrefix(text, "###"):
		t = l.tok(ModComment, start, end)
		t.Text = text[3:]
	case strings.HasPrefix(text, "##"):
		t = l.tok(DocComment, start, end)
		t.Text = text[2:]
	default:
		t = l.tok(SingleLineComment, start, end)
		t.Text = strings.TrimLeft(text, "#")
	}
	return t
}

// quotedIdent handles `name`.
func (l *lexer) quotedIdent(start diag.Pos) (Token, bool, *Error) {
	var b strings.Builder
	end := start
	for {
		p, c, ok := l.bump()
		if !ok {
			r := span(start, end)
			return Token{}, true, newErr(ErrUnterminatedIdent, expand(r, 2), r, start.Line, "`"+b.String())
		}
		switch c {
		case '`':
			t := l.tok(Ident, start, shift(p, c))
			t.Text = l.slice(shift(start, '`'), p)
			t.Quoted = true
			return t, true, nil
		case '\n':
			r := span(start, p)
			return Token{}, true, newErr(ErrUnterminatedIdent, expand(r, 2), r, start.Line, "`"+b.String())
		}
		b.WriteRune(c)
		end = p
	}
}

// number handles integers, floats and hexadecimals, with an optional
// leading '-' and '_' separators.
func (l *lexer) number(start diag.Pos) (Token, bool, *Error) {
	end, raw := l.takeWhile(start, func(c rune) bool { return isDec(c) || c == '_' })
	digits := strings.ReplaceAll(raw, "_", "")
	p, c, ok := l.peek()
	switch {
	case ok && c == '.':
		return l.float(start, digits)
	case ok && c == 'x':
		return l.hex(start, digits)
	case ok && isIdentStart(c):
		e := newErr(ErrUnexpectedCharacter, expand(span(start, end), 2), span(p, p), start.Line, l.untilEOL(start))
		e.found = c
		e.setMsg()
		return Token{}, true, e
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		r := span(start, end)
		return Token{}, true, newErr(ErrInvalidInt, expand(r, 2), r, start.Line, l.untilEOL(start))
	}
	t := l.tok(Int, start, end)
	t.Int = v
	return t, true, nil
}

func (l *lexer) float(start diag.Pos, _ string) (Token, bool, *Error) {
	l.bump() // '.'
	digitOrSep := func(c rune) bool { return isDec(c) || c == '_' }
	end, raw := l.takeWhile(start, digitOrSep)
	text := strings.ReplaceAll(raw, "_", "")
	invalid := func(end diag.Pos) *Error {
		r := span(start, end)
		return newErr(ErrInvalidFloat, expand(r, 2), r, start.Line, l.untilEOL(start))
	}
	p, c, ok := l.peek()
	switch {
	case ok && c == 'e':
		l.bump()
		expLoc, _, ok := l.bump()
		if !ok {
			return Token{}, true, invalid(end)
		}
		sign := ""
		if sp, sc, ok := l.peek(); ok && (sc == '+' || sc == '-') {
			l.bump()
			sign = l.slice(expLoc, sp)
			expLoc = sp
		}
		end2, exp := l.takeWhile(expLoc, digitOrSep)
		text = text + "e" + sign + strings.ReplaceAll(exp, "_", "")
		f, err := parseFloat(text)
		if err != nil {
			return Token{}, true, invalid(end2)
		}
		t := l.tok(Float, start, end2)
		t.Float, t.Text = f, text
		return t, true, nil
	case ok && isIdentStart(c):
		e := newErr(ErrUnexpectedCharacter, expand(span(start, p), 2), span(p, p), start.Line, l.untilEOL(start))
		e.found = c
		e.setMsg()
		return Token{}, true, e
	}
	f, err := parseFloat(text)
	if err != nil {
		return Token{}, true, invalid(end)
	}
	t := l.tok(Float, start, end)
	t.Float, t.Text = f, text
	return t, true, nil
}

// parseFloat accepts what Rust's f64 parser accepts for our lexemes.
func parseFloat(s string) (float64, error) {
	if strings.ContainsAny(s, "xXpP") || strings.HasPrefix(strings.TrimLeft(s, "+-"), "_") {
		return 0, strconv.ErrSyntax
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, nil // Rust rounds to infinity or zero
		}
	}
	return f, err
}

func (l *lexer) hex(start diag.Pos, intPart string) (Token, bool, *Error) {
	l.bump() // 'x'
	digitsStart, _, ok := l.bump()
	if !ok {
		return Token{}, true, eosErr()
	}
	end, raw := l.takeWhile(digitsStart, func(c rune) bool { return isHex(c) || c == '_' })
	hex := strings.ReplaceAll(raw, "_", "")
	invalid := func() *Error {
		r := span(start, end)
		return newErr(ErrInvalidHex, expand(r, 2), r, start.Line, l.untilEOL(start))
	}
	if intPart != "0" && intPart != "-0" {
		return Token{}, true, invalid()
	}
	if _, c, ok := l.peek(); ok && isIdentStart(c) {
		r := span(start, end)
		e := newErr(ErrUnexpectedCharacter, expand(r, 2), r, start.Line, l.untilEOL(start))
		e.found = c
		e.setMsg()
		return Token{}, true, e
	}
	if hex == "" {
		return Token{}, true, invalid()
	}
	v, err := strconv.ParseInt(hex, 16, 64)
	if err != nil {
		return Token{}, true, invalid()
	}
	if intPart == "-0" {
		v = -v
	}
	t := l.tok(Int, start, end)
	t.Int = v
	return t, true, nil
}

// extractor handles |pattern|.
func (l *lexer) extractor(start diag.Pos) (Token, bool, *Error) {
	var cur strings.Builder
	var lines []string
	for {
		p, c, ok := l.bump()
		if !ok {
			return Token{}, true, l.unterminatedExtractor(start)
		}
		switch c {
		case '\\':
			ep, ec, ok := l.bump()
			if !ok {
				return Token{}, true, eosErr()
			}
			switch ec {
			case '\\', '|':
				cur.WriteRune(ec)
			case '\n':
				lines = append(lines, cur.String())
				cur.Reset()
			default:
				r := span(ep, ep)
				e := newErr(ErrUnexpectedEscape, expand(r, 2), r, start.Line, "|"+cur.String()+`\`+string(ec))
				e.found = ec
				e.setMsg()
				return Token{}, true, e
			}
		case '|':
			lines = append(lines, cur.String())
			indent := indentation(lines)
			for i, s := range lines {
				if s != "" {
					lines[i] = s[min(indent, len(s)):]
				}
			}
			t := l.tok(TestLiteral, start, shift(p, c))
			t.Indent, t.Lines = indent, lines
			return t, true, nil
		case '\n':
			r := span(start, p)
			return Token{}, true, newErr(ErrUnterminatedExtractor, expand(r, 2), r, start.Line, l.untilEOL(start))
		default:
			cur.WriteRune(c)
		}
	}
}

func (l *lexer) unterminatedExtractor(start diag.Pos) *Error {
	text := l.untilEOL(start)
	r := span(start, shiftStr(start, text))
	return newErr(ErrUnterminatedExtractor, expand(r, 2), r, start.Line, text)
}

// indentation is the smallest indentation of the non-empty lines.
func indentation(lines []string) int {
	ind := -1
	for _, s := range lines {
		if s == "" {
			continue
		}
		n := len(s) - len(strings.TrimLeftFunc(s, unicode.IsSpace))
		if ind < 0 || n < ind {
			ind = n
		}
	}
	return max(ind, 0)
}
