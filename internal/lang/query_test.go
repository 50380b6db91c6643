package lang

import (
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/ast"
)

func TestQueryScriptsAndExpressions(t *testing.T) {
	src := `use std::string;
mod helpers with
  fn shout(s) with string::uppercase(s) + "!" end;
end;
define script tag
with label = "x"
script
  use std::array;
  fn count(a) with array::len(a) end;
  let event.label = args.label;
  let event.n = count(event.items);
  event
end;
create script tag with label = "y" end;
select {"loud": helpers::shout(event.msg), "len": string::len(event.msg)} from in where event.keep into out;
`
	q, err := ParseQuery("q.trickle", []byte(src), Options{})
	if err != nil {
		t.Fatal(renderAll(err))
	}
	var sel *ast.Select
	var def *ast.DefineScript
	for _, s := range q.AST.Stmts {
		switch s := s.(type) {
		case *ast.Select:
			sel = s
		case *ast.DefineScript:
			def = s
		}
	}
	target, err := q.Expr(sel.Target, sel.Span)
	if err != nil {
		t.Fatal(renderAll(err))
	}
	ev := event.Value(event.RecordOf("msg", "hi", "keep", true))
	v, err := target.Eval(Env{Data: &ev})
	if err != nil {
		t.Fatal(renderAll(err))
	}
	if got := JSON(v); got != `{"loud":"HI!","len":2}` {
		t.Fatalf("select target = %s", got)
	}
	script, err := q.Script(def)
	if err != nil {
		t.Fatal(renderAll(err))
	}
	data := event.Value(event.RecordOf("items", []event.Value{int64(1), int64(2)}))
	r, err := script.Run(Env{Data: &data, Args: event.RecordOf("label", "y")})
	if err != nil {
		t.Fatal(renderAll(err))
	}
	if !r.Event || JSON(data) != `{"items":[1,2],"label":"y","n":2}` {
		t.Fatalf("script: %+v %s", r, JSON(data))
	}
}

func TestQueryErrors(t *testing.T) {
	cases := map[string]string{
		"select nosuch::f(event) from in into out;":               "Call to undefined function nosuch::f",
		"select system::hostnam() from in into out;":              "Call to undefined function system::hostnam",
		"select x from in into out;":                              "Local variables are not allowed here",
		"use no::such;\nselect event from in into out;":           "Module `no/such` not found",
		"define script s script let x = ; end;":                   "Found the token `;`",
		"select match event of case 1 => 1 end from in into out;": "",
	}
	for src, want := range cases {
		q, err := ParseQuery("q.trickle", []byte(src), Options{})
		if err == nil {
			for _, s := range q.AST.Stmts {
				if sel, ok := s.(*ast.Select); ok {
					_, err = q.Expr(sel.Target, sel.Span)
				}
			}
		}
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", src, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}

// A comprehension's and a pattern's names are allowed in a select (they
// are not local variables of the query), and evaluate in slots of the
// expression's own frame, reset between events.
func TestQueryExprBindings(t *testing.T) {
	cases := []struct{ src, in, want string }{
		{`select {"test": for [1,2] of case (i,d) => {"i":i,"d":d} end} from in into out;`, `null`,
			`{"test":[{"i":0,"d":1},{"i":1,"d":2}]}`},
		{`select match event of case r = %{present a} => r.a case _ => "none" end from in into out;`, `{"a":7}`, `7`},
		{`select for event of case (k, v) => k end from in into out;`, `{"x":1}`, `["x"]`},
	}
	for _, c := range cases {
		q, err := ParseQuery("q.trickle", []byte(c.src), Options{})
		if err != nil {
			t.Fatal(renderAll(err))
		}
		for _, s := range q.AST.Stmts {
			sel, ok := s.(*ast.Select)
			if !ok {
				continue
			}
			x, err := q.Expr(sel.Target, sel.Span)
			if err != nil {
				t.Fatalf("%s: %s", c.src, renderAll(err))
			}
			for i := 0; i < 3; i++ {
				ev, err := event.ParseJSON([]byte(c.in))
				if err != nil {
					t.Fatal(err)
				}
				v, err := x.Eval(Env{Data: &ev})
				if err != nil {
					t.Fatalf("%s: %s", c.src, renderAll(err))
				}
				if got := JSON(v); got != c.want {
					t.Fatalf("%s: got %s, want %s", c.src, got, c.want)
				}
			}
		}
	}
}

// A `define script` that uses a module and defines a function is created
// several times (several `create script`, or the pipeline instantiated
// several times as Tremor's bench/real-workflow-throughput-json-1-4-1
// does): each compile gives the same program, not "function already
// defined" from loading the module into the script's scope again.
func TestQueryScriptCompiledTwice(t *testing.T) {
	src := `define script tag
script
  use std::array;
  fn count(a) with array::len(a) end;
  let event.n = count(event.items);
  event
end;
create script a from tag;
create script b from tag;
select event from in into a;
select event from a into b;
select event from b into out;
`
	q, err := ParseQuery("q.trickle", []byte(src), Options{})
	if err != nil {
		t.Fatal(renderAll(err))
	}
	defs := q.Defs()
	if len(defs) != 1 {
		t.Fatalf("%d defs, want 1", len(defs))
	}
	for i := range 3 {
		script, err := defs[0].Script()
		if err != nil {
			t.Fatalf("compile %d: %s", i+1, renderAll(err))
		}
		data := event.Value(event.RecordOf("items", []event.Value{int64(1), int64(2), int64(3)}))
		if _, err := script.Run(Env{Data: &data}); err != nil {
			t.Fatalf("run %d: %s", i+1, renderAll(err))
		}
		if got := JSON(data); got != `{"items":[1,2,3],"n":3}` {
			t.Fatalf("run %d: event = %s", i+1, got)
		}
	}
}
