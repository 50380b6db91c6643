package lexer

import (
	"testing"
	"unicode/utf8"
)

// FuzzTokenize: lexing never panics, and the re-rendered text of good
// input lexes again (the parser lexes that rendering, as Tremor did).
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"let a = 1; a + 2", `"x #{ "y #{1}" } \u00e9 \#"`, "\"\"\"\n  heredoc #{event}\n\"\"\"",
		"match e of case %{ a ~= re|x\\|y| } => 1 end", "0x1F -12 1_000 1.5e-3 `quoted`", "# c\n## d\n### m",
		"<< 1:8/little-integer >> >>> != <= %[ %( %{", "\"#{", "1.0e", "0x", "a:::b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		toks, err := Tokenize(src)
		if err != nil {
			if err.Msg == "" {
				t.Fatalf("error without a message: %+v", err)
			}
			_ = Display(src)
			return
		}
		if toks[len(toks)-1].Kind != EOS {
			t.Fatal("no end-of-stream token")
		}
		if !utf8.ValidString(src) {
			return
		}
		r := Render(toks)
		if _, err := Tokenize(r); err != nil {
			t.Fatalf("the rendering %q of %q does not lex: %v", r, src, err.Msg)
		}
	})
}
