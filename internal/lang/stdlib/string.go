package stdlib

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/temblor-dev/temblor/internal/event"
)

// Case mapping is Unicode's full mapping (ß → SS, final sigma), as Rust's
// to_uppercase/to_lowercase do; Go's strings.ToUpper maps rune by rune.
// ASCII text (most log fields) is mapped byte by byte, which is the same
// mapping; other text goes through a Caser, which keeps state while it
// works: each is used by one call at a time, from a pool.
var (
	upperCasers = sync.Pool{New: func() any { c := cases.Upper(language.Und); return &c }}
	lowerCasers = sync.Pool{New: func() any { c := cases.Lower(language.Und); return &c }}
)

func upper(s string) string { return mapCase(s, 'a', 'z', &upperCasers) }
func lower(s string) string { return mapCase(s, 'A', 'Z', &lowerCasers) }

// mapCase maps the ASCII letters from..to of s to the other case, or all
// of s through a pooled Caser when s is not ASCII. It returns s itself
// (no copy) when nothing changes.
func mapCase(s string, from, to byte, casers *sync.Pool) string {
	first := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			cs := casers.Get().(*cases.Caser)
			out := cs.String(s)
			casers.Put(cs)
			return out
		}
		if first < 0 && c >= from && c <= to {
			first = i
		}
	}
	if first < 0 {
		return s
	}
	b := make([]byte, len(s))
	copy(b, s[:first])
	for i := first; i < len(s); i++ {
		c := s[i]
		if c >= from && c <= to {
			c ^= 0x20 // ASCII letters differ in case by this bit
		}
		b[i] = c
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// sameOr is the argument itself when a function left its string as it
// was (no new string boxed), else the new string.
func sameOr(arg event.Value, s, out string) event.Value {
	if len(out) == len(s) && unsafe.StringData(out) == unsafe.StringData(s) {
		return arg
	}
	return out
}

func init() {
	def("string::len", 1, true, "The number of characters (Unicode code points) in a string.", "`string::len(input)` counts code points, not bytes (see `string::bytes`).\n\n```tremor\nstring::len(\"héllo\") # 5\n```",
		str1(func(s string) (event.Value, error) { return int64(utf8.RuneCountInString(s)), nil }))
	def("string::bytes", 1, true, "The number of bytes in a string's UTF-8 encoding.", "```tremor\nstring::bytes(\"héllo\") # 6\n```",
		str1(func(s string) (event.Value, error) { return int64(len(s)), nil }))
	def("string::is_empty", 1, true, "Whether a string has no characters.", "```tremor\nstring::is_empty(\"\") # true\n```",
		str1(func(s string) (event.Value, error) { return s == "", nil }))
	def("string::trim", 1, true, "A string without leading and trailing whitespace.", "Whitespace is Unicode's `White_Space` property (spaces, tabs, line breaks, no-break spaces, ...).\n\n```tremor\nstring::trim(\"  snot \\n\") # \"snot\"\n```",
		str1(func(s string) (event.Value, error) { return strings.TrimSpace(s), nil }))
	def("string::trim_start", 1, true, "A string without leading whitespace.", "```tremor\nstring::trim_start(\"  snot \") # \"snot \"\n```",
		str1(func(s string) (event.Value, error) { return strings.TrimLeftFunc(s, unicode.IsSpace), nil }))
	def("string::trim_end", 1, true, "A string without trailing whitespace.", "```tremor\nstring::trim_end(\"  snot \") # \"  snot\"\n```",
		str1(func(s string) (event.Value, error) { return strings.TrimRightFunc(s, unicode.IsSpace), nil }))
	def("string::lowercase", 1, true, "A string in lower case.", "Uses Unicode's full case mapping, so a final capital sigma becomes `ς`.\n\n```tremor\nstring::lowercase(\"SNOT Badger\") # \"snot badger\"\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			s, ok := a[0].(string)
			if !ok {
				return nil, ErrBadType
			}
			return sameOr(a[0], s, lower(s)), nil
		})
	def("string::uppercase", 1, true, "A string in upper case.", "Uses Unicode's full case mapping, so `ß` becomes `SS`.\n\n```tremor\nstring::uppercase(\"straße\") # \"STRASSE\"\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			s, ok := a[0].(string)
			if !ok {
				return nil, ErrBadType
			}
			return sameOr(a[0], s, upper(s)), nil
		})
	def("string::capitalize", 1, true, "A string with its first character in upper case.", "Only the first character changes; the rest is kept as it is.\n\n```tremor\nstring::capitalize(\"snot badger\") # \"Snot badger\"\n```",
		str1(func(s string) (event.Value, error) {
			if s == "" {
				return "", nil
			}
			_, n := utf8.DecodeRuneInString(s)
			return upper(s[:n]) + s[n:], nil
		}))
	def("string::replace", 3, true, "A string with every occurrence of one substring replaced by another.", "`string::replace(input, from, to)`. An empty `from` matches before every character and at the end.\n\n```tremor\nstring::replace(\"this is a test\", \"test\", \"cake\") # \"this is a cake\"\n```",
		str3(func(s, from, to string) (event.Value, error) { return strings.ReplaceAll(s, from, to), nil }))
	def("string::contains", 2, true, "Whether a string contains a substring.", "```tremor\nstring::contains(\"hello badger\", \"badger\") # true\n```",
		str2(func(s, sub string) (event.Value, error) { return strings.Contains(s, sub), nil }))
	def("string::split", 2, true, "A string split at every occurrence of a separator, as an array.", "`string::split(input, separator)`. With an empty separator the result starts and ends with an empty string and holds each character between.\n\n```tremor\nstring::split(\"a,b,c\", \",\") # [\"a\", \"b\", \"c\"]\n```",
		str2(func(s, sep string) (event.Value, error) { return splitStr(s, sep), nil }))
	def("string::substr", 3, true, "The characters of a string from a start index up to (not including) an end index.", "`string::substr(input, start, end)` counts characters (code points), not bytes. A start past the end of the string counts as 0 and an end past it as the string's end; if start is after end the whole input is returned, as in Tremor. Indices must be non-negative integers.\n\n```tremor\nstring::substr(\"snot badger\", 5, 11) # \"badger\"\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			s, ok := a[0].(string)
			start, ok2 := asU64(a[1])
			end, ok3 := asU64(a[2])
			if !ok || !ok2 || !ok3 {
				return nil, ErrBadType
			}
			b := charOffset(s, start, 0)
			e := charOffset(s, end, len(s))
			if b > e {
				return s, nil
			}
			return s[b:e], nil
		})
	def("string::from_utf8_lossy", 1, true, "Binary data as a string, with invalid UTF-8 replaced by U+FFFD.", "Each maximal invalid byte sequence becomes one replacement character `�`.\n\n```tremor\nstring::from_utf8_lossy(<< 115, 110, 111, 116 >>) # \"snot\"\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			b, ok := a[0].([]byte)
			if !ok {
				return nil, ErrBadType
			}
			return lossyUTF8(b), nil
		})
	def("string::into_binary", 1, true, "A string's UTF-8 bytes as binary.", "```tremor\nstring::into_binary(\"snot\") # << 115, 110, 111, 116 >>\n```",
		str1(func(s string) (event.Value, error) { return []byte(s), nil }))
	register(&Func{Path: "string::format", Min: 1, Max: -1, Pure: true,
		Summary: "A string built from a format with `{}` placeholders and arguments.",
		Doc:     "`string::format(format, arg1, arg2, ...)` fills each `{}` with the next argument: strings as they are, any other value as JSON. `{{` and `}}` are literal braces; `\\{` and `\\}` too. There must be exactly as many arguments as placeholders.\n\n```tremor\nstring::format(\"{} has {} badgers\", \"snot\", 3) # \"snot has 3 badgers\"\n```",
		Fn: func(_ *Ctx, a []event.Value) (event.Value, error) {
			f, ok := a[0].(string)
			if !ok {
				return nil, &RuntimeError{Msg: "expected 1st parameter to format to be a format specifier e.g. to print a number use `string::format(\"{}\", 1)`"}
			}
			return Format(f, a[1:])
		}})
}

// Format fills `{}` placeholders in f with args (strings as they are, other
// values as JSON), with Tremor's escapes and messages: character positions
// in messages count code points from 0.
func Format(f string, args []event.Value) (string, error) {
	var b strings.Builder
	b.Grow(len(f))
	rs := []rune(f)
	next := 0
	for pos := 0; pos < len(rs); pos++ {
		switch c := rs[pos]; c {
		case '\\':
			if pos+1 >= len(rs) {
				return "", rtErr("bad escape sequence at %d", pos)
			}
			pos++
			if n := rs[pos]; n != '{' && n != '}' {
				b.WriteByte('\\')
			}
			b.WriteRune(rs[pos])
		case '{':
			switch {
			case pos+1 < len(rs) && rs[pos+1] == '}':
				if next >= len(args) {
					return "", rtErr("the arguments passed to the format function are less than the `{}` specifiers in the format string. The placeholder at %d can not be filled", pos)
				}
				b.WriteString(ToString(args[next]))
				next++
				pos++
			case pos+1 < len(rs) && rs[pos+1] == '{':
				b.WriteByte('{')
				pos++
			default:
				return "", rtErr("the format specifier at %d is invalid. If you want to use `{` as a literal in the string, you need to escape it with `{{`", pos)
			}
		case '}':
			if pos+1 < len(rs) && rs[pos+1] == '}' {
				b.WriteByte('}')
				pos++
				continue
			}
			return "", rtErr("the format specifier at %d is invalid. You have to terminate `}` with another `}` to escape it", pos)
		default:
			b.WriteRune(c)
		}
	}
	if next != len(args) {
		return "", rtErr("too many parameters passed. Ensure that you have the same number of {} in your format string")
	}
	return b.String(), nil
}

// ToString renders a value for string contexts: strings as they are,
// everything else as JSON.
func ToString(v event.Value) string {
	if s, ok := v.(string); ok {
		return s
	}
	return string(event.MarshalJSON(v))
}

// splitStr splits like Rust's str::split: an empty separator yields "",
// each character, "".
func splitStr(s, sep string) []event.Value {
	if sep == "" {
		out := make([]event.Value, 0, utf8.RuneCountInString(s)+2)
		out = append(out, "")
		for i, r := range s {
			out = append(out, s[i:i+utf8.RuneLen(r)])
		}
		return append(out, "")
	}
	parts := strings.Split(s, sep)
	out := make([]event.Value, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

// charOffset is the byte offset of the n-th code point of s, or dflt when s
// has fewer than n+1 code points.
func charOffset(s string, n uint64, dflt int) int {
	var i uint64
	for off := range s {
		if i == n {
			return off
		}
		i++
	}
	return dflt
}

// lossyUTF8 decodes b, replacing each maximal ill-formed subsequence with
// U+FFFD (Unicode's recommended practice, which Rust's from_utf8_lossy
// follows; Go's []rune conversion replaces byte by byte instead).
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError || n > 1 {
			sb.Write(b[:n])
			b = b[n:]
			continue
		}
		sb.WriteRune(utf8.RuneError)
		b = b[maximalSubpart(b):]
	}
	return sb.String()
}

// maximalSubpart is the length (≥ 1) of the longest prefix of b that starts
// a well-formed UTF-8 sequence but does not complete one.
func maximalSubpart(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for i := 0; i < need && n < len(b); i++ {
		x := b[n]
		if i == 0 {
			if x < lo || x > hi {
				break
			}
		} else if x < 0x80 || x > 0xBF {
			break
		}
		n++
	}
	return n
}
