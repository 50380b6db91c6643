package lexer

import (
	"strconv"
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
)

// strState is the state of one string or heredoc being lexed: its parts
// so far (literal text, `#{`, the tokens of interpolations, `}`).
type strState struct {
	isHD       bool
	lit        Kind // StringLiteral or HereDocLiteral
	total      diag.Pos
	segStart   diag.Pos
	end        diag.Pos
	res        []Token
	content    strings.Builder
	hasEscapes bool
}

func (s *strState) pushLit(start, end diag.Pos) {
	t := Token{Kind: s.lit, Start: start, End: end, Text: s.content.String()}
	s.res = append(s.res, t)
	s.content.Reset()
}

// maxStringDepth caps strings nested in interpolations in strings.
const maxStringDepth = 32

func down(p diag.Pos, n int) diag.Pos { p.Line += n; return p }

// stringOrHereDoc handles a `"`: an empty string, a quoted string or a
// heredoc `"""` (which must be followed by a newline).
func (l *lexer) stringOrHereDoc(start diag.Pos) ([]Token, *Error) {
	end := shift(start, '"')
	res := []Token{{Kind: DQuote, Start: start, End: end}}
	p, c, ok := l.peek()
	if !ok {
		r := span(start, start)
		return nil, newErr(ErrUnterminatedString, expand(r, 2), r, start.Line, `"`)
	}
	if c != '"' {
		st := &strState{lit: StringLiteral, total: start, segStart: end, end: end, res: res}
		return l.quoted(st)
	}
	l.bump()
	p3, c3, ok := l.peek()
	if !ok || c3 != '"' {
		return append(res, Token{Kind: DQuote, Start: p, End: shift(p, '"')}), nil
	}
	l.bump()
	nl, nc, ok := l.bump()
	if !ok {
		r := span(start, p3)
		return nil, newErr(ErrUnterminatedHereDoc, expand(r, 2), r, start.Line, l.untilEOL(start))
	}
	if nc != '\n' {
		r := span(start, nl)
		e := newErr(ErrTailingHereDoc, expand(r, 2), r, start.Line, l.untilEOL(start))
		e.found = nc
		return nil, e
	}
	st := &strState{isHD: true, lit: HereDocLiteral, total: start, segStart: shift(nl, '\n'), end: p3,
		res: []Token{{Kind: HereDocStart, Start: start, End: shift(p3, '"')}}}
	return l.hereDoc(st)
}

// quoted lexes the rest of a "..." string.
func (l *lexer) quoted(st *strState) ([]Token, *Error) {
	for {
		p, c, ok := l.bump()
		if !ok {
			return nil, l.unterminatedExtractor(st.total)
		}
		switch c {
		case '"':
			if st.content.Len() > 0 {
				st.pushLit(st.segStart, p)
			}
			return append(st.res, Token{Kind: DQuote, Start: p, End: shift(p, '"')}), nil
		case '\n':
			text := l.untilEOL(st.total)
			r := span(st.total, p)
			return nil, newErr(ErrUnterminatedString, expand(r, 2), r, st.total.Line, text)
		default:
			if err := l.strChar(st, p, c); err != nil {
				return nil, err
			}
		}
	}
}

// hereDoc lexes the rest of a heredoc: its lines become one literal token
// each (a quote also ends a literal), up to the closing `"""`.
func (l *lexer) hereDoc(st *strState) ([]Token, *Error) {
	for {
		p, c, ok := l.bump()
		if !ok {
			r := span(st.total, st.end)
			return nil, newErr(ErrUnterminatedHereDoc, expand(r, 2), r, st.total.Line, l.src[st.total.Offset:])
		}
		switch c {
		case '"':
			st.pushLit(st.segStart, p)
			st.segStart = p
			st.content.WriteByte('"')
			st.end = p
			if p2, c2, ok := l.peek(); ok && c2 == '"' {
				l.bump()
				st.content.WriteByte('"')
				if p3, c3, ok := l.peek(); ok && c3 == '"' {
					l.bump()
					st.content.Reset()
					return append(st.res, Token{Kind: HereDocEnd, Start: st.segStart, End: shift(p3, '"')}), nil
				}
				st.end = p2
			}
			st.end = shift(st.end, '"')
		case '\n':
			st.end = p
			st.content.WriteByte('\n')
			st.pushLit(st.segStart, st.end)
			st.end = shift(st.end, '\n')
			st.segStart = st.end
		default:
			if err := l.strChar(st, p, c); err != nil {
				return nil, err
			}
		}
	}
}

// strChar handles one character of a string or heredoc body: an escape, an
// interpolation or plain text.
func (l *lexer) strChar(st *strState, p diag.Pos, c rune) *Error {
	switch c {
	case '\\':
		e, ec, err := l.escape(st.total, p)
		if err != nil {
			return err
		}
		if ec == '#' {
			if st.content.Len() > 0 {
				st.pushLit(st.segStart, p)
				st.hasEscapes = false
			}
			st.res = append(st.res, Token{Kind: EscapedHash, Start: p, End: e})
			e = shift(e, '#')
			st.segStart, st.end = e, e
			return nil
		}
		st.hasEscapes = true
		st.content.WriteRune(ec)
		st.end = e
	case '#':
		if pb, cb, ok := l.peek(); ok && cb == '{' {
			st.end = pb
			return l.interpolation(st, p)
		}
		st.content.WriteByte('#')
		st.end = p
	default:
		st.content.WriteRune(c)
		st.end = shift(p, c)
	}
	return nil
}

// escape reads the character after a backslash at start.
func (l *lexer) escape(strStart, start diag.Pos) (diag.Pos, rune, *Error) {
	e, c, ok := l.bump()
	if !ok {
		return e, 0, eosErr()
	}
	switch c {
	case '\'', '"', '\\', '#', '/':
		return e, c, nil
	case 'b':
		return e, '\b', nil
	case 'f':
		return e, '\f', nil
	case 'n':
		return e, '\n', nil
	case 'r':
		return e, '\r', nil
	case 't':
		return e, '\t', nil
	case 'u':
		escStart := e
		if escStart.Col != 0 {
			escStart.Col--
			escStart.Offset--
		}
		end := e
		var digits strings.Builder
		for range 4 {
			p, d, ok := l.bump()
			if !ok {
				end = shift(end, ' ')
				r := span(escStart, end)
				return e, 0, newErr(ErrInvalidUTF8, expand(r, 2), r, escStart.Line, l.fullLines(strStart, end))
			}
			digits.WriteRune(d)
			if !isHex(d) {
				p = shift(p, ' ')
				r := span(escStart, p)
				return e, 0, newErr(ErrInvalidUTF8, expand(span(start, p), 2), r, escStart.Line, l.fullLines(strStart, p))
			}
			end = p
		}
		v, _ := strconv.ParseUint(digits.String(), 16, 32)
		if v >= 0xD800 && v <= 0xDFFF {
			text := l.fullLines(strStart, end)
			end = shift(end, ' ')
			r := span(escStart, end)
			return e, 0, newErr(ErrInvalidUTF8, expand(r, 2), r, escStart.Line, text)
		}
		return end, rune(v), nil
	}
	text := l.fullLines(strStart, e)
	end := shift(e, ' ')
	r := span(start, end)
	err := newErr(ErrUnexpectedEscape, expand(r, 2), r, start.Line, text)
	err.found = c
	err.setMsg()
	return e, 0, err
}

// interpolation lexes `#{ ... }` inside a string: the tokens up to the
// matching `}` join the string's parts.
func (l *lexer) interpolation(st *strState, hash diag.Pos) *Error {
	st.end = shift(st.end, '{')
	l.bump()
	if st.content.Len() > 0 {
		st.pushLit(st.segStart, hash)
		st.hasEscapes = false
	}
	st.segStart = hash
	st.res = append(st.res, Token{Kind: Interpol, Start: st.segStart, End: st.end})
	if l.depth >= maxStringDepth {
		r := span(hash, st.end)
		e := &Error{Kind: ErrTooDeep, Outer: r, Inner: r}
		e.setMsg()
		return e
	}
	l.depth++
	defer func() { l.depth-- }()
	depth := 0
	first := true
	for {
		t, ok, err := l.next()
		if err != nil {
			return l.intercept(st, err)
		}
		if !ok {
			cur := l.loc
			return newErr(ErrUnterminatedInterpolation, span(st.total, down(st.end, 2)),
				span(st.segStart, st.end), st.total.Line, l.fullLines(st.total, cur))
		}
		switch t.Kind {
		case RBrace:
			if depth == 0 {
				start := st.segStart
				st.segStart = t.End
				st.res = append(st.res, t)
				if first {
					end := st.segStart
					return newErr(ErrEmptyInterpolation, span(st.total, end), span(start, end), start.Line,
						l.fullLines(st.total, end))
				}
				return nil
			}
			depth--
		case LBrace, Interpol:
			depth++
		}
		st.res = append(st.res, t)
		first = false
	}
}

// intercept rewords an error inside an interpolation so that it covers
// the whole enclosing string, as Tremor did.
func (l *lexer) intercept(st *strState, err *Error) *Error {
	var endLoc diag.Pos
	switch {
	case !err.NoContext:
		endLoc = err.Inner.End
	case len(st.res) > 0:
		endLoc = st.res[len(st.res)-1].End
	default:
		endLoc = st.end
	}
	text := l.fullLines(st.total, endLoc)
	tok := &diag.Unfinished{Line: st.total.Line, Text: text}
	grow := func(o diag.Span) diag.Span { return expand(o, max(o.Start.Line-st.total.Line, 0)) }
	re := func(kind ErrKind, outer, inner diag.Span) *Error {
		e := &Error{Kind: kind, Outer: outer, Inner: inner, Token: tok, found: err.found}
		e.setMsg()
		return e
	}
	switch err.Kind {
	case ErrUnterminatedExtractor, ErrUnterminatedIdent, ErrUnterminatedInterpolation,
		ErrUnexpectedEscape, ErrInvalidUTF8:
		if err.NoContext {
			return err
		}
		return re(err.Kind, grow(err.Outer), err.Inner)
	case ErrUnterminatedHereDoc, ErrTailingHereDoc:
		if st.isHD {
			end := shiftStr(st.total, text)
			return re(ErrUnterminatedInterpolation, span(st.total, down(end, 2)), span(st.total, end))
		}
		return re(ErrUnterminatedHereDoc, grow(err.Outer), err.Inner)
	case ErrUnterminatedString:
		if st.isHD {
			return re(ErrUnterminatedString, grow(err.Outer), err.Inner)
		}
		end := shift(shift(st.segStart, '#'), '{')
		return re(ErrUnterminatedInterpolation, grow(err.Outer), span(st.segStart, end))
	}
	return err
}
