package lang

import (
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// FuzzEval compiles what it is given and runs it on a few events: no
// panic, and no hang (a step budget bounds loops and calls; inputs are
// kept small so that values built by doubling stay small).
func FuzzEval(f *testing.F) {
	for _, s := range []string{
		"let a = event.a + 1; a",
		"match event of case %{ a == 1 } => patch event of insert \"b\" => 2 end default => drop end",
		"fn f(n) with match n of case 0 => 0 default => recur(n - 1) end end; f(10)",
		"for event of case (k, v) => [k, v] end",
		"let state = match state of case null => 1 default => state + 1 end; emit state => \"p\"",
		"use std::string; string::format(\"{} {}\", event, [1])",
		"merge event of {\"x\": null} end",
		"\"#{event} #{ [1, {\"a\": 2}] }\"",
		"<<1:4, 2:4, event.a:16/little-integer>>",
		"match event of case r = %{ s ~= dissect|%{a} %{b}| } => r default => null end",
		"event[1:2][0]",
		"let x = {}; let x.a.b.c = 1; x",
	} {
		f.Add(s)
	}
	events := []string{`{"a": 1, "s": "x y"}`, `[1, 2, 3]`, `"text"`, `null`, `{"a": "b"}`}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 256 {
			return
		}
		s, err := Compile("f.tremor", src, Options{})
		if err != nil {
			return
		}
		var state event.Value
		for _, e := range events {
			data, _ := event.ParseJSON([]byte(e))
			meta := event.Value(event.NewRecord(0))
			budget := int64(10000)
			_, err := s.run(Env{Data: &data, Meta: &meta, State: &state, Ctx: &stdlib.Ctx{}}, &budget)
			if err != nil {
				_ = renderAll(err)
			}
		}
	})
}
