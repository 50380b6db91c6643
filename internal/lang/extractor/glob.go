package extractor

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// glob|...| tests a string against a shell-style pattern (Rust's glob
// crate, default options): `?` is any one character, `*` any run of
// characters including `/`, `**` a run of whole path components, `[a-z]`
// and `[!a-z]` character classes. There are no backslash escapes: write
// `[*]` for a literal star. A match gives true.
//
// As in Tremor, a pattern that is only a literal followed by `*` (or `*`
// followed by a literal) is a plain prefix (suffix) test in which even `[`
// is literal.

var (
	globPrefix = regexp.MustCompile(`^[^*?]+\*$`)
	globSuffix = regexp.MustCompile(`^\*[^*?]+$`)
)

type prefixX string
type suffixX string

type globX struct{ toks []globTok }

type globKind uint8

const (
	gChar   globKind = iota
	gAny             // ?
	gSeq             // *
	gRecSeq          // **
	gIn              // [...]
	gNotIn           // [!...]
)

type globTok struct {
	kind  globKind
	c     rune
	class []rune // pairs: lo, hi
}

func init() {
	register("glob", func(p string) (Extractor, error) {
		switch {
		case globPrefix.MatchString(p):
			return prefixX(p[:len(p)-1]), nil
		case globSuffix.MatchString(p):
			return suffixX(p[1:]), nil
		}
		toks, err := compileGlob(p)
		if err != nil {
			return nil, err
		}
		return globX{toks}, nil
	})
}

func globErr(pos int, msg string) error {
	return fmt.Errorf("Pattern syntax error near position %d: %s", pos, msg)
}

func compileGlob(p string) ([]globTok, error) {
	cs := []rune(p)
	var toks []globTok
	for i := 0; i < len(cs); {
		switch cs[i] {
		case '?':
			toks = append(toks, globTok{kind: gAny})
			i++
		case '*':
			start := i
			for i < len(cs) && cs[i] == '*' {
				i++
			}
			switch n := i - start; {
			case n > 2:
				return nil, globErr(start+2, "wildcards are either regular `*` or recursive `**`")
			case n == 2:
				if !(i == 2 || cs[i-3] == '/') {
					return nil, globErr(start-1, "recursive wildcards must form a single path component")
				}
				switch {
				case i < len(cs) && cs[i] == '/':
					i++
				case i == len(cs):
				default:
					return nil, globErr(i, "recursive wildcards must form a single path component")
				}
				if !(len(toks) > 1 && toks[len(toks)-1].kind == gRecSeq) {
					toks = append(toks, globTok{kind: gRecSeq})
				}
			default:
				toks = append(toks, globTok{kind: gSeq})
			}
		case '[':
			if i+4 <= len(cs) && cs[i+1] == '!' {
				if j := indexRune(cs[i+3:], ']'); j >= 0 {
					toks = append(toks, globTok{kind: gNotIn, class: globClass(cs[i+2 : i+3+j])})
					i += j + 4
					continue
				}
			} else if i+3 <= len(cs) && cs[i+1] != '!' {
				if j := indexRune(cs[i+2:], ']'); j >= 0 {
					toks = append(toks, globTok{kind: gIn, class: globClass(cs[i+1 : i+2+j])})
					i += j + 3
					continue
				}
			}
			return nil, globErr(i, "invalid range pattern")
		default:
			toks = append(toks, globTok{kind: gChar, c: cs[i]})
			i++
		}
	}
	return toks, nil
}

func indexRune(rs []rune, r rune) int {
	for i, x := range rs {
		if x == r {
			return i
		}
	}
	return -1
}

// globClass turns the inside of [...] into lo, hi pairs ("a-z" is a range).
func globClass(cs []rune) []rune {
	var out []rune
	for i := 0; i < len(cs); {
		if i+3 <= len(cs) && cs[i+1] == '-' {
			out = append(out, cs[i], cs[i+2])
			i += 3
			continue
		}
		out = append(out, cs[i], cs[i])
		i++
	}
	return out
}

func inClass(class []rune, c rune) bool {
	for i := 0; i < len(class); i += 2 {
		if c >= class[i] && c <= class[i+1] {
			return true
		}
	}
	return false
}

type globResult uint8

const (
	gMatch globResult = iota
	gSubMiss
	gAllMiss // the input ran out: no later start can match either
)

func (g globX) match(s []rune, ti int, afterSep bool) globResult {
	for ; ti < len(g.toks); ti++ {
		t := g.toks[ti]
		if t.kind == gSeq || t.kind == gRecSeq {
			if r := g.match(s, ti+1, afterSep); r != gSubMiss {
				return r
			}
			for len(s) > 0 {
				c := s[0]
				s = s[1:]
				afterSep = c == '/'
				if t.kind == gRecSeq && !afterSep {
					continue
				}
				if r := g.match(s, ti+1, afterSep); r != gSubMiss {
					return r
				}
			}
			// The input is used up: the remaining tokens see it empty (so
			// a trailing ** matches anything, as in the glob crate).
			continue
		}
		if len(s) == 0 {
			return gAllMiss
		}
		c := s[0]
		s = s[1:]
		ok := false
		switch t.kind {
		case gAny:
			ok = true
		case gIn:
			ok = inClass(t.class, c)
		case gNotIn:
			ok = !inClass(t.class, c)
		case gChar:
			ok = c == t.c
		}
		if !ok {
			return gSubMiss
		}
		afterSep = c == '/'
	}
	if len(s) == 0 {
		return gMatch
	}
	return gSubMiss
}

func (g globX) test(s string) bool { return g.match([]rune(s), 0, true) == gMatch }

func (x prefixX) Extract(c *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
	return matched(x.Test(c, v))
}
func (x prefixX) Test(_ *stdlib.Ctx, v event.Value) bool {
	s, ok := v.(string)
	return ok && strings.HasPrefix(s, string(x))
}
func (x suffixX) Extract(c *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
	return matched(x.Test(c, v))
}
func (x suffixX) Test(_ *stdlib.Ctx, v event.Value) bool {
	s, ok := v.(string)
	return ok && strings.HasSuffix(s, string(x))
}
func (g globX) Extract(c *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
	return matched(g.Test(c, v))
}
func (g globX) Test(_ *stdlib.Ctx, v event.Value) bool {
	s, ok := v.(string)
	return ok && g.test(s)
}

// matched is a test-only extractor's result: true when it matched.
func matched(ok bool) (event.Value, bool, error) {
	if ok {
		return true, true, nil
	}
	return nil, false, nil
}
