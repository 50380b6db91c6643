package interp

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/parser"
)

func sel(t *testing.T, expr string) *ast.Select {
	t.Helper()
	q, err := parser.ParseQuery("t.trickle", []byte("select "+expr+" from in into out;"))
	if err != nil {
		t.Fatal(err)
	}
	return q.Stmts[0].(*ast.Select)
}

func ev(js string) *event.Event {
	v, err := event.ParseJSON([]byte(js))
	if err != nil {
		panic(err)
	}
	return &event.Event{Data: v, Meta: event.RecordOf("topic", "logs")}
}

func TestTutorialPatch(t *testing.T) {
	host, _ := os.Hostname()
	e := ev(`{"onramp":"metronome","id":0,"ingest_ns":1600860720749137000}`)
	out, keep, err := EvalSelect(sel(t, "patch event of insert hostname = system::hostname() end"), e)
	if err != nil || !keep {
		t.Fatal(err)
	}
	want := `{"onramp":"metronome","id":0,"ingest_ns":1600860720749137000,"hostname":"` + host + `"}`
	if got := string(event.MarshalJSON(out)); got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	if got := string(event.MarshalJSON(e.Data)); strings.Contains(got, "hostname") {
		t.Fatalf("patch changed its input: %s", got)
	}
}

func TestExpressions(t *testing.T) {
	cases := []struct{ expr, in, want string }{
		{"event.a + 1", `{"a": 9223372036854775806}`, `9223372036854775807`},
		{"event.a * 2", `{"a": 3}`, `6`},
		{"event.a / 2", `{"a": 3}`, `1.5`},
		{"event.a % 4", `{"a": 10}`, `2`},
		{"event.s + \"!\"", `{"s": "hi"}`, `"hi!"`},
		{"[1] + [2]", `{}`, `[1,2]`},
		{"event.a > 2 and event.a < 10", `{"a": 3}`, `true`},
		{"not (event.a == 3)", `{"a": 3}`, `false`},
		{"present event.b", `{"a": 3}`, `false`},
		{"absent event.b", `{"a": 3}`, `true`},
		{"$topic", `{}`, `"logs"`},
		{"event[\"a\"][1]", `{"a": [5, 6]}`, `6`},
		{"\"id=#{event.id} #{event.r}\"", `{"id": 7, "r": {"x": 1}}`, `"id=7 {\"x\":1}"`},
		{"{\"b\": event.a, \"a\": 1}", `{"a": 2}`, `{"b":2,"a":1}`},
		{"merge event of {\"a\": null, \"c\": {\"d\": 1}} end", `{"a": 1, "b": 2}`, `{"b":2,"c":{"d":1}}`},
		{"patch event of upsert \"a\" => 2; erase \"b\"; default \"c\" => 3 end", `{"a": 1, "b": 2}`, `{"a":2,"c":3}`},
		{"match event of case %{ a == 1 } => \"one\" case %{ present b } => \"b\" default => \"other\" end", `{"b": 1}`, `"b"`},
		{"match event.x of case 1 => \"one\" case _ => \"any\" end", `{"x": 2}`, `"any"`},
		{"string::format(\"{} and {}\", event.a, \"x\")", `{"a": 1}`, `"1 and x"`},
		{"string::len(\"héllo\")", `{}`, `5`},
		{"18446744073709551615", `{}`, `18446744073709551615`},
		{"18446744073709551615 - 1", `{}`, `18446744073709551614`},
		{"\"<#{ \"}\" + string::format(\"{}\", {\"k\": 1}) }>\"", `{}`, `"<}{\"k\":1}>"`},
		{"\"#{ \"in#{event.a}ner\" }!\"", `{"a": 1}`, `"in1ner!"`},
		{"event.u - 18446744073709551615", `{"u": 18446744073709551615}`, `0`},
		{"event.u % 10", `{"u": 18446744073709551615}`, `5`},
		{"event.u - 9223372036854775807", `{"u": 18446744073709551615}`, `9223372036854775808`},
		{"-9223372036854775807 - 1", `{}`, `-9223372036854775808`},
		{"(-9223372036854775807 - 1) * 1", `{}`, `-9223372036854775808`},
		{"7 / 2", `{}`, `3.5`},
		{"-7 % 3", `{}`, `-1`},
		{"0xFF & 0x0F | 0x100 ^ 1", `{}`, `271`},
		{"-1 >>> 60", `{}`, `15`},
		{"math::max(event.a, 2.5)", `{"a": 3}`, `3.0`}, // Tremor: a float argument makes a float result
		{"type::as_string(event)", `{}`, `"record"`},
	}
	for _, c := range cases {
		out, _, err := EvalSelect(sel(t, c.expr), ev(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got := string(event.MarshalJSON(out)); got != c.want {
			t.Errorf("%s on %s = %s, want %s", c.expr, c.in, got, c.want)
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	cases := []struct{ expr, in, want string }{
		{"event.a + 1", `{"a": 9223372036854775807}`, "t.trickle:1:16: integer overflow"},
		{"event.missing", `{}`, "`event.missing` does not exist"},
		{"patch event of insert \"a\" => 1 end", `{"a": 0}`, "key \"a\" already exists (use upsert"},
		{"patch event of update \"z\" => 1 end", `{}`, "key \"z\" does not exist"},
		{"system::hostnam()", `{}`, "unknown function system::hostnam, did you mean system::hostname?"},
		{"string::len(1)", `{}`, "Bad type passed to function string::len/1"},
		{"1 / 0", `{}`, "division by zero"},
		{"18446744073709551615 + 1", `{}`, "integer overflow in 18446744073709551615 + 1"},
		{"(-9223372036854775807 - 1) * -1", `{}`, "integer overflow"},
		{"event.u * 2", `{"u": 18446744073709551615}`, "integer overflow"},
		{"\"a\" < 1", `{}`, "cannot compare string with integer"},
		{"match event of case %{ a == 2 } => 1 end", `{"a": 1}`, "no case matched"},
		{"patch 1 of erase \"x\" end", `{}`, "patch needs a record"},
	}
	for _, c := range cases {
		_, _, err := EvalSelect(sel(t, c.expr), ev(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.expr, err, c.want)
		}
	}
}

func TestWhereHavingAndScripts(t *testing.T) {
	q, err := parser.ParseQuery("t.trickle", []byte(`select event from in where event.a > 1 having event.a < 5 into out;
define script s with k = "x" script
  let event.added = args.k;
  let $seen = true;
  match event.a of
    case 3 => emit event => "three"
    case 4 => drop
    default => event
  end
end;`))
	if err != nil {
		t.Fatal(err)
	}
	s := q.Stmts[0].(*ast.Select)
	for in, keep := range map[string]bool{`{"a": 1}`: false, `{"a": 3}`: true, `{"a": 7}`: false} {
		if _, k, err := EvalSelect(s, ev(in)); err != nil || k != keep {
			t.Errorf("%s: keep=%v err=%v", in, k, err)
		}
	}
	def := q.Stmts[1].(*ast.ScriptDefn)
	args, _ := EvalConst(def.Params[0].Value)
	argRec := event.RecordOf("k", args)
	var state event.Value
	for in, want := range map[string]string{`{"a": 3}`: "three", `{"a": 4}`: "drop", `{"a": 5}`: "out"} {
		e := ev(in)
		port, drop, err := RunScript(def, argRec, e, &state)
		if err != nil {
			t.Fatal(err)
		}
		if drop {
			port = "drop"
		}
		if port != want {
			t.Errorf("%s: port %s, want %s", in, port, want)
		}
		if !drop {
			if v, _ := e.Data.(*event.Record).Get("added"); v != "x" {
				t.Errorf("let event.added lost: %v", e.Data)
			}
		}
	}
	if _, err := EvalConst(def.Body[0].(*ast.Let).Value); err == nil {
		t.Error("args in a constant context accepted")
	}
}

func TestRuntimeErrorPretty(t *testing.T) {
	src := "select patch event of\n  insert id = 1\nend\nfrom in into out;\n"
	q, err := parser.ParseQuery("p.trickle", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = EvalSelect(q.Stmts[0].(*ast.Select), ev(`{"id": 0}`))
	var le *lang.Error
	if !errors.As(err, &le) {
		t.Fatalf("%T %v", err, err)
	}
	want := "p.trickle:2:3: error: patch insert: key \"id\" already exists (use upsert to replace it)\n 2 |   insert id = 1\n   |   ^\n"
	if got := le.Pretty(nil); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
