package lexer

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/lang"
)

// Kind is a token kind.
type Kind int

// Token kinds.
const (
	EOF Kind = iota
	Illegal
	Ident
	Int
	Float
	String // Text holds the raw contents between the quotes (escapes undone by the parser)
	Punct  // Text holds the punctuation
	Keyword
)

func (k Kind) String() string {
	return [...]string{"end of input", "illegal input", "identifier", "integer", "float", "string", "punctuation", "keyword"}[k]
}

// Token is one lexical unit.
type Token struct {
	Kind Kind
	Text string
	Pos  lang.Pos
	End  lang.Pos
}

func (t Token) String() string {
	switch t.Kind {
	case EOF:
		return "end of input"
	case String:
		return fmt.Sprintf("string %q", t.Text)
	}
	return "`" + t.Text + "`"
}

// Is reports whether t is the punctuation or keyword s.
func (t Token) Is(s string) bool { return (t.Kind == Punct || t.Kind == Keyword) && t.Text == s }

var keywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`use define create operator script stream select from into where having group by
		with end patch of insert upsert update erase merge default event let emit drop match case when present absent
		not and or xor true false null for as window state args set each`) {
		keywords[k] = true
	}
}

// IsKeyword reports whether s is reserved.
func IsKeyword(s string) bool { return keywords[s] }

// puncts, longest first.
var puncts = []string{">>>", "::", "=>", "==", "!=", "<=", ">=", "<<", ">>", "(", ")", "[", "]", "{", "}", ",", ";", ":", ".",
	"=", "<", ">", "+", "-", "*", "/", "%", "$", "~", "|", "&", "^", "!", "_"}

// maxStringNest caps strings inside interpolations inside strings.
const maxStringNest = 64

// MaxTokens caps the work on one input.
const MaxTokens = 1 << 20

// Lex returns the tokens of src, ending with EOF (or an Illegal token).
func Lex(src []byte) []Token {
	l := &lx{src: src, line: 1, col: 1}
	var toks []Token
	for {
		t := l.next()
		toks = append(toks, t)
		if t.Kind == EOF || t.Kind == Illegal || len(toks) > MaxTokens {
			if len(toks) > MaxTokens {
				toks = append(toks, Token{Kind: Illegal, Text: "input too large", Pos: t.Pos, End: t.End})
			}
			return toks
		}
	}
}

type lx struct {
	src       []byte
	off       int
	line, col int
}

func (l *lx) pos() lang.Pos { return lang.Pos{Line: l.line, Col: l.col, Offset: l.off} }

func (l *lx) advance(n int) {
	for i := 0; i < n && l.off < len(l.src); i++ {
		if l.src[l.off] == '\n' {
			l.line++
			l.col = 1
		} else if l.src[l.off] < 0x80 || l.src[l.off] >= 0xC0 {
			l.col++
		}
		l.off++
	}
}

func (l *lx) peek(i int) byte {
	if l.off+i < len(l.src) {
		return l.src[l.off+i]
	}
	return 0
}

func (l *lx) skipSpace() {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.advance(1)
		case c == '#':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance(1)
			}
		default:
			return
		}
	}
}

func (l *lx) next() Token {
	l.skipSpace()
	start := l.pos()
	if l.off >= len(l.src) {
		return Token{Kind: EOF, Pos: start, End: start}
	}
	c := l.src[l.off]
	tok := func(k Kind, text string) Token { return Token{Kind: k, Text: text, Pos: start, End: l.pos()} }
	switch {
	case c == '"':
		return l.str(start)
	case c >= '0' && c <= '9':
		return l.number(start)
	case c == '_' || c == '`' || isLetter(c):
		if c == '`' { // quoted identifier
			end := bytes.IndexByte(l.src[l.off+1:], '`')
			if end < 0 {
				l.advance(1)
				return tok(Illegal, "unterminated `quoted identifier`")
			}
			text := string(l.src[l.off+1 : l.off+1+end])
			l.advance(end + 2)
			return tok(Ident, text)
		}
		s := l.off
		for l.off < len(l.src) && (isLetter(l.src[l.off]) || l.src[l.off] == '_' || (l.src[l.off] >= '0' && l.src[l.off] <= '9')) {
			l.advance(1)
		}
		text := string(l.src[s:l.off])
		if text == "_" {
			return tok(Punct, "_")
		}
		if keywords[text] {
			return tok(Keyword, text)
		}
		return tok(Ident, text)
	}
	for _, p := range puncts {
		if strings.HasPrefix(string(l.src[l.off:min(l.off+3, len(l.src))]), p) {
			l.advance(len(p))
			return tok(Punct, p)
		}
	}
	r, size := utf8.DecodeRune(l.src[l.off:])
	l.advance(size)
	return tok(Illegal, fmt.Sprintf("unexpected character %q", r))
}

// isLetter is ASCII only: Tremor identifiers are [A-Za-z_][A-Za-z0-9_]*;
// anything else needs `backticks`.
func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func (l *lx) number(start lang.Pos) Token {
	s := l.off
	isFloat := false
	if l.peek(0) == '0' && (l.peek(1) == 'x' || l.peek(1) == 'X') {
		l.advance(2)
		for isHex(l.peek(0)) || l.peek(0) == '_' {
			l.advance(1)
		}
		return Token{Kind: Int, Text: string(l.src[s:l.off]), Pos: start, End: l.pos()}
	}
	digits := func() {
		for (l.peek(0) >= '0' && l.peek(0) <= '9') || l.peek(0) == '_' {
			l.advance(1)
		}
	}
	digits()
	if l.peek(0) == '.' && l.peek(1) >= '0' && l.peek(1) <= '9' {
		isFloat = true
		l.advance(1)
		digits()
	}
	if l.peek(0) == 'e' || l.peek(0) == 'E' {
		n := 1
		if l.peek(1) == '+' || l.peek(1) == '-' {
			n = 2
		}
		if c := l.peek(n); c >= '0' && c <= '9' {
			isFloat = true
			l.advance(n)
			digits()
		}
	}
	k := Int
	if isFloat {
		k = Float
	}
	return Token{Kind: k, Text: string(l.src[s:l.off]), Pos: start, End: l.pos()}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// str lexes "..." or """...""" and keeps the raw text; interpolation
// #{...} may contain quotes, so braces are tracked.
func (l *lx) str(start lang.Pos) Token {
	if l.peek(1) == '"' && l.peek(2) == '"' {
		l.advance(3)
		s := l.off
		for l.off < len(l.src) {
			if l.peek(0) == '"' && l.peek(1) == '"' && l.peek(2) == '"' {
				text := string(l.src[s:l.off])
				l.advance(3)
				return Token{Kind: String, Text: strings.TrimPrefix(text, "\n"), Pos: start, End: l.pos()}
			}
			l.advance(1)
		}
		return Token{Kind: Illegal, Text: "unterminated heredoc string (\"\"\")", Pos: start, End: l.pos()}
	}
	l.advance(1)
	s := l.off
	if msg := l.skipQuoted(0); msg != "" {
		return Token{Kind: Illegal, Text: msg, Pos: start, End: l.pos()}
	}
	text := string(l.src[s : l.off-1])
	return Token{Kind: String, Text: text, Pos: start, End: l.pos()}
}

// skipQuoted moves past the rest of a "..." string (the opening quote
// already consumed), including `#{ ... }` interpolations, which may hold
// braces and strings of their own. It returns a message when the string
// does not end. nest bounds the recursion of strings inside
// interpolations.
func (l *lx) skipQuoted(nest int) string {
	if nest > maxStringNest {
		return fmt.Sprintf("strings nested in #{...} deeper than %d levels", maxStringNest)
	}
	for l.off < len(l.src) {
		c := l.peek(0)
		switch {
		case c == '\\':
			l.advance(2)
			continue
		case c == '"':
			l.advance(1)
			return ""
		case c == '\n':
			return "unterminated string (a newline inside \"...\"; use \"\"\" for multi-line text)"
		case c == '#' && l.peek(1) == '{':
			l.advance(2)
			if msg := l.skipInterpolation(nest); msg != "" {
				return msg
			}
			continue
		}
		l.advance(1)
	}
	return "unterminated string"
}

// skipInterpolation moves past the expression of a `#{`, up to and
// including its closing brace.
func (l *lx) skipInterpolation(nest int) string {
	braces := 0
	for l.off < len(l.src) {
		c := l.peek(0)
		switch {
		case c == '"':
			l.advance(1)
			if msg := l.skipQuoted(nest + 1); msg != "" {
				return msg
			}
			continue
		case c == '{':
			braces++
		case c == '}':
			if braces == 0 {
				l.advance(1)
				return ""
			}
			braces--
		case c == '#':
			// a comment inside an interpolation runs to the end of the line
			for l.off < len(l.src) && l.peek(0) != '\n' {
				l.advance(1)
			}
			continue
		}
		l.advance(1)
	}
	return "unterminated string (an unclosed #{ interpolation)"
}

// InterpolationEnd returns the offset in src just past the `}` that closes
// an interpolation whose `#{` came right before src, or -1. The parser uses
// it to split a string token the same way the lexer delimited it, in one
// pass.
func InterpolationEnd(src []byte) int {
	l := &lx{src: src, line: 1, col: 1}
	if l.skipInterpolation(0) != "" {
		return -1
	}
	return l.off
}
