package stdlib

import (
	"regexp"
	"strings"
	"sync"
)

// Tremor used Rust's regex crate. Go's regexp has the same RE2 syntax with
// these differences, which CompileRegex bridges where it can:
//
//   - \d \w \s (and \D \W \S) are Unicode-aware in Rust, ASCII in Go: they
//     are rewritten to Unicode classes (outside character classes always;
//     inside them \d \w \s are, the negated forms stay ASCII).
//   - the x (verbose) flag, at the start of the pattern, is applied here:
//     whitespace and #-comments outside classes are dropped.
//   - \b and \B stay ASCII word boundaries (Go has no Unicode ones).
//
// docs/conformance.md lists what remains different.

const (
	reDigit = `\p{Nd}`
	reWord  = `\p{L}\p{M}\p{Nd}\p{Pc}`
	reSpace = `\t\n\v\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}`
)

var (
	reCacheMu sync.Mutex
	reCache   = map[string]*regexp.Regexp{}
)

// reCacheMax bounds the cache of patterns compiled at run time (patterns
// that are not constants in the script).
const reCacheMax = 256

// CompileRegex compiles a pattern written for Rust's regex crate. An
// invalid pattern gives a *RegexError worded as Rust's.
func CompileRegex(pattern string) (*regexp.Regexp, error) {
	reCacheMu.Lock()
	re, ok := reCache[pattern]
	reCacheMu.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(translateRegex(pattern))
	if err != nil {
		return nil, rustRegexError(pattern, err)
	}
	if err := rustOnlyError(pattern); err != nil {
		return nil, err
	}
	reCacheMu.Lock()
	if len(reCache) >= reCacheMax {
		for k := range reCache {
			delete(reCache, k)
			break
		}
	}
	reCache[pattern] = re
	reCacheMu.Unlock()
	return re, nil
}

func translateRegex(p string) string {
	verbose := false
	if strings.HasPrefix(p, "(?") {
		// a leading flag group such as (?x) or (?ix)
		end := strings.IndexAny(p[2:], ":)")
		if end >= 0 && p[2+end] == ')' && strings.Trim(p[2:2+end], "imsxuU-") == "" {
			flags := p[2 : 2+end]
			if i := strings.IndexByte(flags, 'x'); i >= 0 && !strings.Contains(flags[:i], "-") {
				verbose = true
				flags = flags[:i] + flags[i+1:]
				if flags == "" || flags == "-" {
					p = p[3+end:]
				} else {
					p = "(?" + flags + ")" + p[3+end:]
				}
			}
		}
	}
	var b strings.Builder
	b.Grow(len(p) + 16)
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			n := p[i+1]
			i++
			switch n {
			case 'd':
				b.WriteString(class(reDigit, inClass, false))
			case 'w':
				b.WriteString(class(reWord, inClass, false))
			case 's':
				b.WriteString(class(reSpace, inClass, false))
			case 'D', 'W', 'S':
				if inClass {
					b.WriteByte('\\')
					b.WriteByte(n)
					continue
				}
				body := map[byte]string{'D': reDigit, 'W': reWord, 'S': reSpace}[n]
				b.WriteString(class(body, false, true))
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// a ']' right after '[' or '[^' is a literal
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
		case c == '[' && inClass && i+1 < len(p) && p[i+1] == ':':
			// a POSIX class [:alpha:] inside a class
			end := strings.Index(p[i:], ":]")
			if end < 0 {
				b.WriteByte(c)
				continue
			}
			b.WriteString(p[i : i+end+2])
			i += end + 1
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		case verbose && !inClass && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'):
		case verbose && !inClass && c == '#':
			for i < len(p) && p[i] != '\n' {
				i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func class(body string, inClass, negate bool) string {
	if inClass {
		return body
	}
	if negate {
		return "[^" + body + "]"
	}
	return "[" + body + "]"
}
