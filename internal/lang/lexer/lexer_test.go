package lexer

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// render prints tokens as kind:text@line:col for compact table cases.
func render(toks []Token) string {
	var parts []string
	for _, t := range toks {
		parts = append(parts, fmt.Sprintf("%s:%s@%d:%d", t.Kind, t.Text, t.Pos.Line, t.Pos.Col))
	}
	return strings.Join(parts, " ")
}

func TestLex(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"select", "select event from in into out;",
			"keyword:select@1:1 keyword:event@1:8 keyword:from@1:14 identifier:in@1:19 keyword:into@1:22 identifier:out@1:27 punctuation:;@1:30 end of input:@1:31"},
		{"comment and lines", "# c\nlet x = 1 # tail\n",
			"keyword:let@2:1 identifier:x@2:5 punctuation:=@2:7 integer:1@2:9 end of input:@3:1"},
		{"numbers", "0x1F 1_000 2.5 1e3 3.0e-2 7.",
			"integer:0x1F@1:1 integer:1_000@1:6 float:2.5@1:12 float:1e3@1:16 float:3.0e-2@1:20 integer:7@1:27 punctuation:.@1:28 end of input:@1:29"},
		{"paths", "system::hostname() $meta event[\"a\"]",
			"identifier:system@1:1 punctuation:::@1:7 identifier:hostname@1:9 punctuation:(@1:17 punctuation:)@1:18 punctuation:$@1:20 identifier:meta@1:21 keyword:event@1:26 punctuation:[@1:31 string:a@1:32 punctuation:]@1:35 end of input:@1:36"},
		{"operators longest first", "a >>> b >> c >= d => e == f != g",
			"identifier:a@1:1 punctuation:>>>@1:3 identifier:b@1:7 punctuation:>>@1:9 identifier:c@1:12 punctuation:>=@1:14 identifier:d@1:17 punctuation:=>@1:19 identifier:e@1:22 punctuation:==@1:24 identifier:f@1:27 punctuation:!=@1:29 identifier:g@1:32 end of input:@1:33"},
		{"interpolation kept raw", `"a #{ "b" } c"`, `string:a #{ "b" } c@1:1 end of input:@1:15`},
		{"braces and quotes in interpolation", `"#{ {"k": "}"} } x" y`, `string:#{ {"k": "}"} } x@1:1 identifier:y@1:21 end of input:@1:22`},
		{"unclosed interpolation", `"#{ 1 "`, "illegal input:unterminated string@1:1"},
		{"non-ascii identifier", "é", "illegal input:unexpected character 'é'@1:1"},
		{"escapes kept raw", `"a\"b"`, `string:a\"b@1:1 end of input:@1:7`},
		{"heredoc", "\"\"\"\nline1\nline2\"\"\" x", "string:line1\nline2@1:1 identifier:x@3:10 end of input:@3:11"},
		{"quoted ident", "`select` _", "identifier:select@1:1 punctuation:_@1:10 end of input:@1:11"},
		{"utf8 columns", `"héllo" x`, "string:héllo@1:1 identifier:x@1:9 end of input:@1:10"},
		{"unterminated", `"abc`, "illegal input:unterminated string@1:1"},
		{"newline in string", "\"ab\ncd\"", "illegal input:unterminated string (a newline inside \"...\"; use \"\"\" for multi-line text)@1:1"},
		{"bad char", "a @ b", "identifier:a@1:1 illegal input:unexpected character '@'@1:3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := render(Lex([]byte(c.src))); got != c.want {
				t.Errorf("\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestKeywords(t *testing.T) {
	for _, k := range []string{"select", "patch", "insert", "match", "present", "xor"} {
		if !IsKeyword(k) {
			t.Errorf("%s is not a keyword", k)
		}
	}
	if IsKeyword("hostname") {
		t.Error("hostname is a keyword")
	}
}

// FuzzLex checks the lexer's invariants on any input: it ends with exactly
// one EOF or Illegal token, positions never go backwards and offsets stay
// inside the input.
func FuzzLex(f *testing.F) {
	for _, s := range []string{"select event from in into out;", `"#{ "#{1}" }"`, "0x_ 1e+ \"\"\"", "`x", "# only a comment"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		toks := Lex(src)
		if len(toks) == 0 {
			t.Fatal("no tokens")
		}
		last := toks[len(toks)-1]
		if last.Kind != EOF && last.Kind != Illegal {
			t.Fatalf("last token %v", last)
		}
		prev := -1
		for i, tk := range toks {
			if tk.Pos.Offset < prev || tk.End.Offset < tk.Pos.Offset || tk.End.Offset > len(src) {
				t.Fatalf("token %d %v: bad offsets %d..%d (prev %d, len %d)", i, tk, tk.Pos.Offset, tk.End.Offset, prev, len(src))
			}
			if tk.Pos.Line < 1 || tk.Pos.Col < 1 {
				t.Fatalf("token %d: position %v", i, tk.Pos)
			}
			if i < len(toks)-1 && (tk.Kind == EOF || tk.Kind == Illegal) {
				t.Fatalf("token %d %v before the end", i, tk)
			}
			prev = tk.Pos.Offset
		}
		_ = utf8.Valid(src)
	})
}
