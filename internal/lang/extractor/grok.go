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
// where the two differ (^/$ are line anchors, \h, (?m) is dot-all, nested
// classes and && intersections (rewritten as one-character groups), POSIX
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
			if cl, end, ok := parseOnigClass(p, i); ok && !cl.simple() {
				b.WriteString(cl.expr())
				i = end
				continue
			}
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

// posixBracket is a POSIX bracket expression inside a class ([:alpha:]);
// any other `[:` opens a nested class.
var posixBracket = regexp.MustCompile(`^\[:\^?[a-z]+:\]`)

// onigClass is a bracket expression as Oniguruma (Ruby syntax) reads it:
// classes nest (`[a[0-9]]` is a, or a digit) and `&&` intersects
// (`[a-z&&[^aeiou]]`). regexp2 (like .NET) reads a `[` inside a class as
// a literal, so such classes are rewritten into an equivalent expression
// that matches one character.
type onigClass struct {
	neg bool
	ops []*classOperand // intersected (&&); usually one
}

// classOperand is the union of plain items (segments of class text) and
// nested classes.
type classOperand struct {
	segs   []string
	nested []*onigClass
}

// parseOnigClass parses the class opening at p[i] ('['); end is the index
// of its closing ']', ok false when it is not closed.
func parseOnigClass(p string, i int) (c *onigClass, end int, ok bool) {
	c = &onigClass{}
	j := i + 1
	if j < len(p) && p[j] == '^' {
		c.neg = true
		j++
	}
	op := &classOperand{}
	c.ops = append(c.ops, op)
	var seg strings.Builder
	flush := func() {
		if seg.Len() > 0 {
			op.segs = append(op.segs, seg.String())
			seg.Reset()
		}
	}
	if j < len(p) && p[j] == ']' {
		seg.WriteString(`\]`)
		j++
	}
	for j < len(p) {
		switch {
		case p[j] == '\\' && j+1 < len(p):
			seg.WriteString(p[j : j+2])
			j += 2
		case posixBracket.MatchString(p[j:]):
			e := strings.Index(p[j:], ":]")
			seg.WriteString(p[j : j+e+2])
			j += e + 2
		case p[j] == '[':
			n, e, ok := parseOnigClass(p, j)
			if !ok {
				return nil, 0, false
			}
			flush()
			op.nested = append(op.nested, n)
			j = e + 1
		case strings.HasPrefix(p[j:], "&&"):
			flush()
			op = &classOperand{}
			c.ops = append(c.ops, op)
			j += 2
		case p[j] == ']':
			flush()
			return c, j, true
		default:
			seg.WriteByte(p[j])
			j++
		}
	}
	return nil, 0, false
}

// simple reports whether the class is one plain bracket expression.
func (c *onigClass) simple() bool { return len(c.ops) == 1 && len(c.ops[0].nested) == 0 }

// items is the translated body of a simple operand's segments joined: a
// '-' at the edge of a segment is a literal (it stood next to a nested
// class), so it is escaped lest the join make it a range.
func classItems(segs []string) string {
	var b strings.Builder
	for _, s := range segs {
		if strings.HasPrefix(s, "-") {
			s = `\` + s
		}
		if strings.HasSuffix(s, "-") && !strings.HasSuffix(s, `\-`) {
			s = s[:len(s)-1] + `\-`
		}
		b.WriteString(s)
	}
	body := b.String()
	if strings.HasPrefix(body, "^") {
		body = `\` + body
	}
	t := translateOnig("[" + body + "]")
	return t[1 : len(t)-1]
}

// expr is a regexp2 expression matching one character of the class.
func (c *onigClass) expr() string {
	var ops []string
	for _, op := range c.ops {
		segs := append([]string(nil), op.segs...)
		var alts []string
		for _, n := range op.nested {
			if !n.neg && n.simple() {
				segs = append(segs, n.ops[0].segs...) // a union: flatten
				continue
			}
			alts = append(alts, n.expr())
		}
		if len(segs) > 0 {
			alts = append([]string{"[" + classItems(segs) + "]"}, alts...)
		}
		switch len(alts) {
		case 0:
			ops = append(ops, "(?!)") // an empty set matches nothing
		case 1:
			ops = append(ops, alts[0])
		default:
			ops = append(ops, "(?:"+strings.Join(alts, "|")+")")
		}
	}
	if len(ops) == 1 && !c.neg {
		return ops[0]
	}
	if len(ops) == 1 && strings.HasPrefix(ops[0], "[") && !strings.HasPrefix(ops[0], "[^") && strings.Count(ops[0], "[") == 1 {
		return "[^" + ops[0][1:]
	}
	var one strings.Builder
	for _, o := range ops[:len(ops)-1] {
		one.WriteString("(?=" + o + ")")
	}
	one.WriteString(ops[len(ops)-1])
	if !c.neg {
		return "(?:" + one.String() + ")"
	}
	return `(?:(?!` + one.String() + `)[\s\S])`
}
