package lexer

import (
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
)

// Tokenize lexes src completely: every token including whitespace and
// comments, ending with an EOS token (whose place is that of the token
// before it, as in Tremor). On a lexical error it returns the tokens before
// the error and the error.
func Tokenize(src string) ([]Token, *Error) {
	l := newLexer(src)
	toks := make([]Token, 0, len(src)/3+1)
	var last Token
	for {
		t, ok, err := l.next()
		if err != nil {
			return toks, err
		}
		if !ok {
			eos := Token{Kind: EOS, Start: last.Start, End: last.End}
			return append(toks, eos), nil
		}
		if len(toks) >= MaxTokens {
			r := span(t.Start, t.End)
			e := &Error{Kind: ErrTooLong, Outer: r, Inner: r}
			e.setMsg()
			return toks, e
		}
		toks = append(toks, t)
		last = t
	}
}

// Render is the text of the tokens as Tremor re-rendered them before
// parsing (comments gain a space, `0x10` becomes `16`, escapes are
// normalised). Positions of parse and compile errors refer to this text.
func Render(toks []Token) string {
	var b strings.Builder
	for i := range toks {
		b.WriteString(toks[i].String())
	}
	return b.String()
}

// Display is the source as the error highlighter shows it: its tokens up
// to the first lexical error, each as a segment.
func Display(src string) []diag.Segment {
	toks, _ := Tokenize(src)
	segs := make([]diag.Segment, 0, len(toks))
	for i := range toks {
		if toks[i].Kind == EOS {
			continue
		}
		segs = append(segs, toks[i].segment())
	}
	return segs
}

// Significant drops the tokens the parser ignores (whitespace, newlines,
// plain comments).
func Significant(toks []Token) []Token {
	out := make([]Token, 0, len(toks)/2+1)
	for i := range toks {
		if !toks[i].IsIgnorable() {
			out = append(out, toks[i])
		}
	}
	return out
}
