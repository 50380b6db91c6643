package stdlib

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// RegexError is an invalid pattern, described as Rust's regex crate did
// (Tremor printed these texts): the pattern with carets under the
// offending part, then the reason.
type RegexError struct {
	Pattern string
	Msg     string // e.g. "unclosed group"
	// Start and End are the offending part, as character offsets.
	Start, End int
}

func (e *RegexError) Error() string {
	var b strings.Builder
	lines := strings.Split(e.Pattern, "\n")
	width := 0
	if len(lines) > 1 {
		width = len(fmt.Sprint(len(lines)))
		b.WriteString("regex parse error:\n" + strings.Repeat("~", 79) + "\n")
	} else {
		b.WriteString("regex parse error:\n")
	}
	off := 0 // character offset of the current line's start
	multiLine := false
	for i, l := range lines {
		n := utf8.RuneCountInString(l)
		pad := 4
		if width > 0 {
			fmt.Fprintf(&b, "%*d: ", width, i+1)
			pad = width + 2
		} else {
			b.WriteString("    ")
		}
		b.WriteString(l + "\n")
		if e.Start >= off && e.Start <= off+n {
			if e.End > off+n+1 {
				multiLine = true
			} else {
				carets := e.End - e.Start
				if carets < 1 {
					carets = 1
				}
				b.WriteString(strings.Repeat(" ", pad+e.Start-off) + strings.Repeat("^", carets) + "\n")
			}
		}
		off += n + 1
	}
	if width > 0 {
		b.WriteString(strings.Repeat("~", 79) + "\n")
		if multiLine {
			sl, sc := lineCol(e.Pattern, e.Start)
			el, ec := lineCol(e.Pattern, e.End)
			fmt.Fprintf(&b, "on line %d (column %d) through line %d (column %d)\n", sl, sc, el, ec-1)
		}
	}
	b.WriteString("error: " + e.Msg)
	return b.String()
}

func lineCol(s string, char int) (int, int) {
	line, col := 1, 1
	for i, r := range []rune(s) {
		if i == char {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// rustRegexError finds, for a pattern Go rejected, the error Rust's parser
// reports first: a left-to-right scan for the structural mistakes
// (unclosed or unopened groups and classes, a repetition without an
// expression, bad escapes, look-around, malformed counted repetitions).
// Anything else keeps Go's reason, under the whole pattern.
func rustRegexError(pattern string, goErr error) error {
	if err := scanRustRegex(pattern); err != nil {
		return err
	}
	msg := goErr.Error()
	var se *syntax.Error
	if errors.As(goErr, &se) {
		msg = string(se.Code)
	}
	return &RegexError{Pattern: pattern, Msg: msg, Start: 0, End: utf8.RuneCountInString(pattern)}
}

// rustOnlyError reports the errors Rust raised for patterns Go accepts: a
// '{' that does not form a counted repetition.
func rustOnlyError(pattern string) error {
	if !strings.Contains(pattern, "{") {
		return nil
	}
	var re *RegexError
	if err := scanRustRegex(pattern); errors.As(err, &re) {
		switch re.Msg {
		case "unclosed counted repetition", "repetition quantifier expects a valid decimal", "repetition operator missing expression":
			return err
		}
	}
	return nil
}

func scanRustRegex(pattern string) error {
	rs := []rune(pattern)
	fail := func(msg string, start, end int) error {
		return &RegexError{Pattern: pattern, Msg: msg, Start: start, End: end}
	}
	var groups []int
	seqStart := true // at the start of a concatenation: nothing to repeat
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch c {
		case '\\':
			if i+1 >= len(rs) {
				return fail("incomplete escape sequence, reached end of pattern prematurely", i, i+1)
			}
			n := rs[i+1]
			switch {
			case n >= '1' && n <= '9':
				return fail("backreferences are not supported", i, i+2)
			case n == '<' || n == '>':
				return fail("unrecognized escape sequence", i, i+2)
			case n < utf8.RuneSelf && (n >= 'a' && n <= 'z' || n >= 'A' && n <= 'Z') && !strings.ContainsRune("afnrtvxuUpPdDsSwWbBAz0", n):
				return fail("unrecognized escape sequence", i, i+2)
			}
			i++
			seqStart = false
		case '(':
			if strings.HasPrefix(string(rs[i:]), "(?=") || strings.HasPrefix(string(rs[i:]), "(?!") {
				return fail("look-around, including look-ahead and look-behind, is not supported", i, i+3)
			}
			if strings.HasPrefix(string(rs[i:]), "(?<=") || strings.HasPrefix(string(rs[i:]), "(?<!") {
				return fail("look-around, including look-ahead and look-behind, is not supported", i, i+4)
			}
			if i+1 < len(rs) && rs[i+1] == '?' {
				// a group header: (?P<name>, (?<name>, (?flags: or (?flags)
				j := i + 2
				if j < len(rs) && (rs[j] == 'P' || rs[j] == '<') {
					for j < len(rs) && rs[j] != '>' {
						j++
					}
				} else {
					for j < len(rs) && rs[j] != ':' && rs[j] != ')' {
						j++
					}
					if j < len(rs) && rs[j] == ')' {
						i = j // flags only: no group opens
						continue
					}
				}
				groups = append(groups, i)
				i = j
				seqStart = true
				continue
			}
			groups = append(groups, i)
			seqStart = true
		case ')':
			if len(groups) == 0 {
				return fail("unopened group", i, i+1)
			}
			groups = groups[:len(groups)-1]
			seqStart = false
		case '|':
			seqStart = true
		case '*', '+', '?':
			if seqStart {
				return fail("repetition operator missing expression", i, i+1)
			}
			if i+1 < len(rs) && rs[i+1] == '?' {
				i++ // lazy
			}
		case '{':
			if seqStart {
				return fail("repetition operator missing expression", i, i+1)
			}
			end := i + 1
			for end < len(rs) && rs[end] != '}' {
				end++
			}
			if end >= len(rs) {
				return fail("unclosed counted repetition", i, len(rs))
			}
			body := string(rs[i+1 : end])
			lo, hi, comma := strings.Cut(body, ",")
			if lo == "" || strings.Trim(lo, "0123456789") != "" {
				return fail("repetition quantifier expects a valid decimal", i+1, i+2)
			}
			if comma && strings.Trim(hi, "0123456789") != "" {
				return fail("repetition quantifier expects a valid decimal", i+2+len([]rune(lo)), i+3+len([]rune(lo)))
			}
			i = end
		case '[':
			start := i
			i++
			if i < len(rs) && rs[i] == '^' {
				i++
			}
			if i < len(rs) && rs[i] == ']' {
				i++
			}
			depth := 1
			for ; i < len(rs) && depth > 0; i++ {
				switch rs[i] {
				case '\\':
					i++
				case '[':
					depth++
				case ']':
					depth--
				}
			}
			if depth > 0 {
				return fail("unclosed character class", start, start+1)
			}
			i--
			seqStart = false
		default:
			seqStart = false
		}
	}
	if len(groups) > 0 {
		g := groups[len(groups)-1]
		return fail("unclosed group", g, g+1)
	}
	return nil
}
