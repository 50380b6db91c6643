package stdlib

import (
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/temblor-dev/temblor/internal/event"
)

func TestString(t *testing.T) {
	runFuncCases(t, []fcase{
		{path: "string::len", args: `["this is another test ♥"]`, want: `22`},
		{path: "string::len", args: `[""]`, want: `0`},
		{path: "string::bytes", args: `["♥"]`, want: `3`},
		{path: "string::is_empty", args: `[""]`, want: `true`},
		{path: "string::is_empty", args: `[" "]`, want: `false`},
		{path: "string::trim", args: `["\u00a0 snot\t\n\u3000"]`, want: `"snot"`},
		{path: "string::trim_start", args: `["  snot "]`, want: `"snot "`},
		{path: "string::trim_end", args: `["  snot "]`, want: `"  snot"`},
		{path: "string::lowercase", args: `["ΟΔΟΣ SNOT"]`, want: `"οδος snot"`},
		{path: "string::uppercase", args: `["straße"]`, want: `"STRASSE"`},
		{path: "string::capitalize", args: `["ßnot badger"]`, want: `"SSnot badger"`},
		{path: "string::capitalize", args: `[""]`, want: `""`},
		{path: "string::replace", args: `["this is a test with test", "test", "cake"]`, want: `"this is a cake with cake"`},
		{path: "string::replace", args: `["ab", "", "-"]`, want: `"-a-b-"`},
		{path: "string::contains", args: `["hello badger", "badger"]`, want: `true`},
		{path: "string::split", args: `["a,b,,c", ","]`, want: `["a","b","","c"]`},
		{path: "string::split", args: `["ab", ""]`, want: `["","a","b",""]`},
		{path: "string::split", args: `["", ","]`, want: `[""]`},
		{path: "string::substr", args: `["snot badger", 5, 11]`, want: `"badger"`},
		{path: "string::substr", args: `["♥snot", 1, 3]`, want: `"sn"`},
		{path: "string::substr", args: `["snot", 10, 2]`, want: `"sn"`},
		{path: "string::substr", args: `["snot", 3, 1]`, want: `"snot"`},
		{path: "string::substr", args: `["snot", 1, 100]`, want: `"not"`},
		{path: "string::substr", args: `["snot", -1, 2]`, err: "Bad type passed to function string::substr/3"},
		{path: "string::substr", args: `["snot", 1.0, 2]`, err: "Bad type passed to function string::substr/3"},
		{path: "string::into_binary", args: `["snot"]`, want: `"c25vdA=="`},
		{path: "string::from_utf8_lossy", vals: []event.Value{[]byte("badger\xF0\x90\x80")}, want: `"badger�"`},
		{path: "string::from_utf8_lossy", vals: []event.Value{[]byte("a\xFFb\xC3")}, want: `"a�b�"`},
		{path: "string::from_utf8_lossy", vals: []event.Value{[]byte("\xE0\x80\x80")}, want: `"���"`},
		{path: "string::from_utf8_lossy", args: `["x"]`, err: "Bad type passed to function string::from_utf8_lossy/1"},
		{path: "string::format", args: `["{} has {} badgers", "snot", 3]`, want: `"snot has 3 badgers"`},
		{path: "string::format", args: `["{} {}", [1, "a"], {"b": 1.5}]`, want: `"[1,\"a\"] {\"b\":1.5}"`},
		{path: "string::format", args: `["{{}} \\{ \\n"]`, want: `"{} { \\n"`},
		{path: "string::format", args: `["{} {}", 1]`, err: "Runtime error in function string::format/2: the arguments passed to the format function are less than the `{}` specifiers in the format string. The placeholder at 3 can not be filled"},
		{path: "string::format", args: `["{}", 1, 2]`, err: "Runtime error in function string::format/3: too many parameters passed. Ensure that you have the same number of {} in your format string"},
		{path: "string::format", args: `["♥{x"]`, err: "the format specifier at 1 is invalid. If you want to use `{` as a literal in the string, you need to escape it with `{{`"},
		{path: "string::format", args: `["}x"]`, err: "the format specifier at 0 is invalid. You have to terminate `}` with another `}` to escape it"},
		{path: "string::format", args: `["x\\"]`, err: "bad escape sequence at 1"},
		{path: "string::format", args: `[1]`, err: "Runtime error in function string::format/1: expected 1st parameter to format to be a format specifier"},
	})
}

// TestCaseMappingSameAsCaser: the ASCII fast path and the pooled Casers
// map exactly as a fresh Unicode Caser does, for ASCII, mixed and
// non-ASCII text.
func TestCaseMappingSameAsCaser(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "Z", "m", "@", "[", "`", "{", " ", "0", "\x7f", "ß", "Σ", "ς", "İ", "ı", "é", "É", "ﬁ", "\xff"}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			if rng.IntN(4) == 0 {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			} else {
				b.WriteByte(byte(0x20 + rng.IntN(0x5f)))
			}
		}
		s := b.String()
		if got, want := lower(s), cases.Lower(language.Und).String(s); got != want {
			t.Fatalf("lower(%q) = %q, want %q", s, got, want)
		}
		if got, want := upper(s), cases.Upper(language.Und).String(s); got != want {
			t.Fatalf("upper(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestCaseMappingKeepsUnchangedArgument: a string already in the asked
// case is returned as the argument itself (nothing allocated).
func TestCaseMappingKeepsUnchangedArgument(t *testing.T) {
	lc, _ := Lookup("string::lowercase")
	args := []event.Value{"already lower 123"}
	if n := testing.AllocsPerRun(100, func() { _, _ = lc.Fn(nil, args) }); n != 0 {
		t.Errorf("string::lowercase of a lower-case string allocates %v times", n)
	}
	if v, _ := lc.Fn(nil, []event.Value{"MiXeD"}); v != "mixed" {
		t.Errorf("string::lowercase(MiXeD) = %v", v)
	}
}
