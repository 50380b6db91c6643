package extractor

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/dlclark/regexp2/v2"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// grok|...| matches a string against a grok pattern: a regex in which
// %{NAME} stands for a named pattern from the default set
// (grok_patterns.go), %{NAME:field} captures it as field, and
// %{NAME:field=regex} defines NAME inline. Only aliased patterns and the
// regex's own (?<name>...) groups are captured; a group that did not take
// part gives "". Two captures with the same alias keep the last one under
// the alias and the first under the internal name "nameN", as in Tremor.
//
// Tremor used the grok crate over Oniguruma; we run the expanded pattern
// on a backtracking engine (regexp2) after translating Oniguruma syntax
// where the two differ (^/$ are line anchors, \h, (?m) is dot-all, POSIX
// brackets, {,n}). A match that backtracks for longer than
// GrokMatchTimeout is treated as a miss instead of stalling the pipeline.

// GrokPatternsFile is read, when it exists, for extra pattern definitions
// ("NAME regex" per line, # comments), as Tremor did.
var GrokPatternsFile = "/etc/tremor/grok.patterns"

// GrokMatchTimeout bounds one grok match.
var GrokMatchTimeout = time.Second

type grokX struct {
	re    *regexp2.Regexp
	names []grokName
}

type grokName struct {
	out   string // the key in the result
	group string // the regex group name
}

func init() {
	register("grok", func(p string) (Extractor, error) {
		defs := map[string]string{}
		for _, d := range defaultGrokPatterns {
			defs[d.name] = d.def
		}
		if extra, err := readGrokFile(GrokPatternsFile); err == nil {
			withFile := make(map[string]string, len(defs)+len(extra))
			for k, v := range defs {
				withFile[k] = v
			}
			for k, v := range extra {
				withFile[k] = v
			}
			if x, err := compileGrok(p, withFile); err == nil {
				return x, nil
			}
		}
		return compileGrok(p, defs)
	})
}

func readGrokFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 0; sc.Scan(); n++ {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		name, def, ok := strings.Cut(l, " ")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("Error in pattern on line %d: %q", n, l)
		}
		out[name] = def
	}
	return out, sc.Err()
}

// grokRef finds %{NAME}, %{NAME:alias} and %{NAME:alias=definition}.
// [A-z] is deliberate: it is what grok accepted (it includes _ and [\]^`).
var grokRef = regexp.MustCompile(`%\{(([A-z0-9]+)(?::([A-z0-9_:;/\s.]+))?)(?:=([^{}]+))?\}`)

const grokMaxExpansions = 1024

func compileGrok(pattern string, defs map[string]string) (*grokX, error) {
	text := pattern
	alias := map[string]string{} // alias → internal group name
	index := 0
	for iter := 0; ; iter++ {
		m := grokRef.FindStringSubmatchIndex(text)
		if m == nil {
			break
		}
		if iter == grokMaxExpansions {
			return nil, fmt.Errorf("Recursion while compiling reached the limit of %d", grokMaxExpansions)
		}
		name := text[m[2]:m[3]]
		pat := text[m[4]:m[5]]
		hasAlias := m[6] >= 0
		var al string
		if hasAlias {
			al = text[m[6]:m[7]]
		}
		if m[8] >= 0 {
			def := text[m[8]:m[9]]
			defs[pat] = def
			name += "=" + def
		}
		ref := "%{" + name + "}"
		for n := strings.Count(text, ref); n > 0; n-- {
			def, ok := defs[pat]
			if !ok {
				return nil, fmt.Errorf("The given pattern definition name %q could not be found in the definition map", pat)
			}
			var repl string
			if !hasAlias {
				repl = "(?:" + def + ")"
			} else {
				group := fmt.Sprintf("name%d", index)
				alias[al] = group
				repl = "(?<" + group + ">" + def + ")"
			}
			text = strings.Replace(text, ref, repl, 1)
			index++
		}
	}
	if text == "" {
		return nil, fmt.Errorf("The given pattern %q ended up compiling into an empty regex", pattern)
	}
	re, err := regexp2.Compile(translateOnig(text), regexp2.Multiline)
	if err != nil {
		return nil, fmt.Errorf("The given regex %q failed compilation in the underlying engine: %v", text, err)
	}
	re.MatchTimeout = GrokMatchTimeout
	byGroup := map[string]string{}
	for a, g := range alias {
		byGroup[g] = a
	}
	var names []grokName
	seen := map[string]bool{}
	for _, g := range re.GetGroupNames() {
		if isNumber(g) || seen[g] {
			continue
		}
		seen[g] = true
		out := g
		if a, ok := byGroup[g]; ok {
			out = a
		}
		names = append(names, grokName{out: out, group: g})
	}
	return &grokX{re: re, names: names}, nil
}

func isNumber(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

var errGrokTimeout = errors.New("grok match timed out")

func (x *grokX) match(s string) (*regexp2.Match, error) {
	m, err := x.re.FindStringMatch(s)
	if err != nil {
		return nil, errGrokTimeout
	}
	return m, nil
}

func (x *grokX) Extract(_ *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
	s, ok := v.(string)
	if !ok {
		return nil, false, nil
	}
	m, err := x.match(s)
	if err != nil || m == nil {
		return nil, false, nil
	}
	out := event.NewRecord(len(x.names))
	for _, n := range x.names {
		val := ""
		if g := m.GroupByName(n.group); g != nil && len(g.Captures) > 0 {
			val = g.String()
		}
		out.Set(n.out, val)
	}
	return out, true, nil
}

func (x *grokX) Test(_ *stdlib.Ctx, v event.Value) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	m, err := x.match(s)
	return err == nil && m != nil
}

// posixClasses are the POSIX bracket expressions Oniguruma accepts inside
// a character class, spelled for regexp2 (ASCII meanings).
var posixClasses = map[string]string{
	"alnum": `a-zA-Z0-9`, "alpha": `a-zA-Z`, "ascii": `\x00-\x7F`, "blank": ` \t`,
	"cntrl": `\x00-\x1F\x7F`, "digit": `0-9`, "graph": `!-~`, "lower": `a-z`,
	"print": ` -~`, "punct": `!-/:-@\[-` + "`" + `{-~`, "space": ` \t\n\r\f\v`,
	"upper": `A-Z`, "word": `\w`, "xdigit": `0-9A-Fa-f`,
}

// translateOnig rewrites the Oniguruma (Ruby syntax) constructs regexp2
// reads differently.
func translateOnig(p string) string {
	var b strings.Builder
	b.Grow(len(p) + 16)
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			n := p[i+1]
			i++
			switch {
			case n == 'h':
				b.WriteString(classOr(inClass, `0-9a-fA-F`, false))
			case n == 'H':
				if inClass {
					b.WriteString(`\H`) // no equivalent inside a class
				} else {
					b.WriteString(`[^0-9a-fA-F]`)
				}
			case n == 'x' && i+1 < len(p) && p[i+1] == '{':
				end := strings.IndexByte(p[i+1:], '}')
				if end < 0 {
					b.WriteString(`\x`)
					continue
				}
				hex := p[i+2 : i+1+end]
				if len(hex) <= 4 {
					b.WriteString(`\u` + strings.Repeat("0", 4-len(hex)) + hex)
				} else {
					b.WriteString(`\x{` + hex + `}`)
				}
				i += end + 1
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
		case c == '[' && inClass && strings.HasPrefix(p[i:], "[:"):
			end := strings.Index(p[i:], ":]")
			if end < 0 {
				b.WriteByte(c)
				continue
			}
			name := p[i+2 : i+end]
			neg := strings.HasPrefix(name, "^")
			if cls, ok := posixClasses[strings.TrimPrefix(name, "^")]; ok && !neg {
				b.WriteString(cls)
				i += end + 1
				continue
			}
			b.WriteString(p[i : i+end+2])
			i += end + 1
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			if strings.HasPrefix(p[i+1:], "^") {
				b.WriteByte('^')
				i++
			}
			if strings.HasPrefix(p[i+1:], "]") {
				b.WriteString(`\]`)
				i++
			}
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		case c == '{' && !inClass && strings.HasPrefix(p[i:], "{,"):
			// {,n} means {0,n} in Oniguruma
			end := strings.IndexByte(p[i:], '}')
			if end > 2 && isNumber(p[i+2:i+end]) {
				b.WriteString("{0," + p[i+2:i+end] + "}")
				i += end
				continue
			}
			b.WriteByte(c)
		case c == '(' && !inClass && strings.HasPrefix(p[i:], "(?") && i+2 < len(p) && strings.ContainsRune("imx-", rune(p[i+2])):
			// inline options: Ruby's m is dot-all, which regexp2 calls s
			end := i + 2
			for end < len(p) && strings.ContainsRune("imx-", rune(p[end])) {
				end++
			}
			if end < len(p) && (p[end] == ')' || p[end] == ':') {
				b.WriteString("(?" + strings.ReplaceAll(p[i+2:end], "m", "s"))
				i = end - 1
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func classOr(inClass bool, body string, neg bool) string {
	if inClass {
		return body
	}
	if neg {
		return "[^" + body + "]"
	}
	return "[" + body + "]"
}
