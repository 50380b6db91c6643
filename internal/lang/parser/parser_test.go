package parser

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/ast"
)

const tutorial = `use tremor::system;

define qos::wal operator on_disk_wal
with
  read_count = 20,
  max_elements = 1000, # Capacity limit of 1000 stored events
  max_bytes = 10485760 # Capacity limit of 1MB of events
end;

create operator on_disk_wal;

select patch event of
  insert hostname = system::hostname()
end
from in into on_disk_wal;

select event from on_disk_wal into out;
`

func TestTutorialQuery(t *testing.T) {
	q, err := ParseQuery("persistent.trickle", []byte(tutorial))
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Stmts) != 5 {
		t.Fatalf("%d statements", len(q.Stmts))
	}
	use := q.Stmts[0].(*ast.UseStmt)
	def := q.Stmts[1].(*ast.OperatorDefn)
	cr := q.Stmts[2].(*ast.OperatorCreate)
	s1 := q.Stmts[3].(*ast.Select)
	s2 := q.Stmts[4].(*ast.Select)
	if strings.Join(use.Path, "::") != "tremor::system" || def.KindString() != "qos::wal" || def.ID != "on_disk_wal" || len(def.Params) != 3 {
		t.Fatalf("%+v %+v", use, def)
	}
	if def.Params[2].Name != "max_bytes" || def.Params[2].Value.(*ast.Literal).V != int64(10485760) || def.Params[2].P.Line != 7 {
		t.Fatalf("param %+v", def.Params[2])
	}
	if cr.ID != "on_disk_wal" || cr.Target != "on_disk_wal" {
		t.Fatalf("%+v", cr)
	}
	p := s1.Target.(*ast.Patch)
	if p.Ops[0].Op != "insert" || p.Ops[0].Key.(*ast.Literal).V != "hostname" || p.Ops[0].Value.(*ast.Call).Name() != "system::hostname" {
		t.Fatalf("%+v", p.Ops[0])
	}
	if s1.From.Stream != "in" || s1.Into.Stream != "on_disk_wal" || s2.From.Stream != "on_disk_wal" || s2.Into.Stream != "out" {
		t.Fatalf("%+v %+v", s1, s2)
	}
}

func TestParseForms(t *testing.T) {
	ok := []string{
		`select event from in where event.x > 1 having present event.y into out;`,
		`create stream s; select event from in into s; select event from s into out/err;`,
		`define script s with mult = 2 script let event.v = event.v * args.mult; emit event => "out" end; create script s; select event from in into s; select event from s into out;`,
		`define passthrough operator p; create operator q from p with x = 1 end; select event from in into q; select event from q/out into out;`,
		`select {"a": [1, 2.5, "s#{event.x}", true, null], "b": $meta, "c": event["k"][0]} from in into out;`,
		`select match event of case %{ present a, b == 1 } => "x" case %[1] => "y" case v = %{} when v == {} => "z" default => "d" end from in into out;`,
		`select merge event of {"a": null} end from in into out;`,
		`select patch event of upsert "a" => 1; update "b" => 2; erase "c"; merge "d" => {}; merge => {"e": 1}; default "f" => 3 end from in into out;`,
		`select 1 + 2 * 3 - -4 / 2 % 3 == 5 and not false or 1 < 2 xor 0x1F >= 3 from in into out;`,
	}
	for _, src := range ok {
		if _, err := ParseQuery("q.trickle", []byte(src)); err != nil {
			t.Errorf("%s\n%v", src, err)
		}
	}
}

func TestErrorsHaveCarets(t *testing.T) {
	cases := []struct{ src, want string }{
		{"select event fron in into out;", "q.trickle:1:14: error: unexpected `fron`, expected `from` (select EXPR from STREAM into STREAM;)\n 1 | select event fron in into out;\n   |              ^^^^\n"},
		{"select event from in into out", "q.trickle:1:30: error: unexpected end of input, expected `;` to end the statement"},
		{"define qos::wal operator w with read_count = 1 max_elements = 2 end;", "unexpected `max_elements`, expected `,` between parameters or `end`"},
		{"select \"abc from in into out;", "unterminated string"},
		{"select event from in group by x into out;", "`group by` is not supported yet"},
		{"select event from in [w] into out;", "windowed selects are not supported yet"},
		{"create operator select;", "`select` is a reserved word"},
		{"select 99999999999999999999999 from in into out;", "does not fit in 64 bits"},
		{"select event from in into out; junk", "unexpected `junk` at the start of a statement"},
		{"select " + strings.Repeat("1 + ", 5000) + "1 from in into out;", "more than 4096 `+` operators in a row"},
		{"select " + strings.Repeat("[", 1000) + " from in into out;", "nesting deeper than 256 levels"},
		{"select " + strings.Repeat("patch event of insert \"a\" => ", 1000) + " from in into out;", "nesting deeper than 256 levels"},
		{"select " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300) + " from in into out;", "nesting deeper than"},
	}
	for _, c := range cases {
		_, err := ParseQuery("q.trickle", []byte(c.src))
		var le *lang.Error
		if !errors.As(err, &le) {
			t.Fatalf("%q: %v", c.src, err)
		}
		if got := le.Pretty([]byte(c.src)); !strings.Contains(got, c.want) {
			t.Errorf("%q:\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	f.Add([]byte(tutorial))
	f.Add([]byte(`define script s script match event of case %{a == 1} => emit "x" default => drop end end;`))
	f.Add([]byte(`select "#{ "#{1}" }" from in into out;`))
	f.Fuzz(func(t *testing.T, src []byte) {
		q, err := ParseQuery("f.trickle", src)
		if err != nil {
			var le *lang.Error
			if !errors.As(err, &le) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			_ = le.Pretty(src)
			return
		}
		_ = q
	})
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

func TestParseScript(t *testing.T) {
	s, err := ParseScript("s.tremor", []byte("# a standalone script\nlet x = event.a;\nlet $seen = true;\nmatch x of\n  case 1 => emit event => \"one\"\n  default => drop\nend\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Exprs) != 3 {
		t.Fatalf("%d expressions", len(s.Exprs))
	}
	if _, ok := s.Exprs[0].(*ast.Let); !ok {
		t.Errorf("first is %T", s.Exprs[0])
	}
	if _, ok := s.Exprs[2].(*ast.Match); !ok || s.Exprs[2].Position().Line != 4 {
		t.Errorf("third is %T at %v", s.Exprs[2], s.Exprs[2].Position())
	}
	_, err = ParseScript("s.tremor", []byte("let x = ;"))
	if err == nil || !strings.Contains(err.Error(), "s.tremor:1:9: unexpected `;`, expected an expression") {
		t.Errorf("got %v", err)
	}
}
