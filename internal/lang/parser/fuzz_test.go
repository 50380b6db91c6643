package parser

import (
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/lang/source"
)

var seeds = []string{
	"let a = 1; a + 2",
	"match event of case %{ present a, b ~= glob|x*| } => 1 case %[ 1, _ ] => 2 case %(1, ...) => 3 default => drop end",
	"fn f(a, ...) with recur(a) end; mod m with const c = 1; end; use std::string;",
	"patch event of insert \"a\" => 1, merge => {}, move \"x\" => \"y\" end",
	"for event of case (k, v) when v > 1 => emit v => \"p\" end",
	"<< 1:8, \"a\"/binary >>",
	"select event from in[w] where event.a > 1 group by set(each(event.b), 1) into out having true;",
	"define qos::wal operator w with read_count = 20 end; create operator w; define script s with a = 1 script let x = args.a; x end; create script s;",
	"#!config id = \"x\"\nselect 1 from in into out",
	strings.Repeat("(", 250) + "1" + strings.Repeat(")", 250),
	"let $ = 1", "", "match", "fn f() of case (1) => 1 end",
}

// FuzzParseScript: parsing never panics and every error is positioned.
func FuzzParseScript(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s := source.New("f.tremor", src)
		if _, d := ParseScript(s); d != nil {
			if d.Msg == "" {
				t.Fatal("error without a message")
			}
			_ = d.RenderTremor()
			_ = d.Render()
		}
	})
}

// FuzzParseQuery: parsing a query never panics.
func FuzzParseQuery(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s := source.New("f.trickle", src)
		if _, d := ParseQuery(s); d != nil {
			_ = d.Render()
		}
	})
}
