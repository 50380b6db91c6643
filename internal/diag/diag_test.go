package diag

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRenderTremorLayout(t *testing.T) {
	src := []byte("const one = 1;\nconst one = \"two\";\n")
	d := &Diagnostic{
		Span:  Span{Start: Pos{Line: 2, Col: 1}, End: Pos{Line: 2, Col: 18}},
		Outer: Span{Start: Pos{Line: 1, Col: 1}, End: Pos{Line: 2, Col: 18}},
		Msg:   "Can't declare the constant `one` twice",
		Src:   src,
	}
	want := "Error: \n" +
		"    1 | const one = 1;\n" +
		"    2 | const one = \"two\";\n" +
		"      | ^^^^^^^^^^^^^^^^^ Can't declare the constant `one` twice\n"
	if got := d.RenderTremor(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRenderHintAsNote(t *testing.T) {
	d := &Diagnostic{
		File: "x.tremor",
		Span: Span{Start: Pos{Line: 1, Col: 18}, End: Pos{Line: 1, Col: 20}},
		Msg:  "unterminated interpolation",
		Hint: "escape it as '\\#{'",
		Src:  []byte("let si = \"before #{\n"),
	}
	got := d.Render()
	want := "Error: x.tremor:1:18\n" +
		"    1 | let si = \"before #{\n" +
		"      |                  ^^ unterminated interpolation\n" +
		"      |                     NOTE: escape it as '\\#{'\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestErrorAndListAs(t *testing.T) {
	d1 := Errorf("b.yaml", At(3, 4), "unknown field %q", "colour").WithHint("did you mean %q?", "color")
	d2 := Warnf("a.yaml", At(1, 1), "deprecated")
	if got := d1.Error(); got != "b.yaml:3:4: unknown field \"colour\"\n  hint: did you mean \"color\"?" {
		t.Fatalf("Error() = %q", got)
	}
	l := List{d1, d2}
	l.Sort()
	if l[0] != d2 {
		t.Fatal("Sort did not order by file")
	}
	if l.Err() == nil || (List{d2}).Err() != nil {
		t.Fatal("Err must be nil exactly when there are no errors")
	}
	wrapped := fmt.Errorf("loading: %w", l)
	if got := As(wrapped); len(got) != 2 {
		t.Fatalf("As(List) = %d diagnostics", len(got))
	}
	var one *Diagnostic
	if !errors.As(fmt.Errorf("x: %w", d1), &one) || one != d1 {
		t.Fatal("errors.As does not find a wrapped diagnostic")
	}
	if got := As(fmt.Errorf("x: %w", d1)); len(got) != 1 || got[0] != d1 {
		t.Fatal("As(single) failed")
	}
	if !strings.HasPrefix(d2.Error(), "warning: ") {
		t.Fatalf("a warning must say so: %q", d2.Error())
	}
}

func TestRenderWithoutSourceFallsBack(t *testing.T) {
	d := Errorf("f", At(1, 1), "boom")
	if got := d.Render(); got != "f:1:1: boom\n" {
		t.Fatalf("got %q", got)
	}
}

func TestClosest(t *testing.T) {
	known := []string{"max_bytes", "max_elements", "read_count", "sync"}
	for _, c := range []struct{ in, want string }{
		{"max_byte", "max_bytes"},
		{"READ_COUNT", "read_count"},
		{"overflow_policy", ""},
		{"snyc", "sync"},
		{"read", "read_count"},
		{"max_elements_total", "max_elements"},
		{"", ""},
	} {
		if got := Closest(c.in, known); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Closest("x", nil); got != "" {
		t.Errorf("no candidates: %q", got)
	}
}

// Tremor's highlighter layout: segments (re-rendered tokens), an unfinished
// token shown where the tokens stop, multi-line spans underlined on their
// last line, the "Error in FILE" heading for included files, a warning.
func TestRenderTremorSegments(t *testing.T) {
	segs := []Segment{
		{Line: 1, EndLine: 1, Text: "let"}, {Line: 1, EndLine: 1, Text: " "}, {Line: 1, EndLine: 1, Text: "x"},
		{Line: 1, EndLine: 1, Text: " "}, {Line: 1, EndLine: 1, Text: "="}, {Line: 1, EndLine: 1, Text: " "},
	}
	d := &Diagnostic{
		Span:    Span{Start: Pos{Line: 1, Col: 9}, End: Pos{Line: 1, Col: 14}},
		Outer:   Span{Start: Pos{Line: 0, Col: 9}, End: Pos{Line: 3, Col: 14}},
		Msg:     "It looks like you forgot to terminate a string with a closing '\"'",
		Display: segs,
		Token:   &Unfinished{Line: 1, Text: `"abc;`},
		Src:     []byte("let x = \"abc;\n"),
	}
	want := "Error: \n    1 | let x = \"abc;\n      |         ^^^^^ It looks like you forgot to terminate a string with a closing '\"'\n"
	if got := d.RenderTremor(); got != want {
		t.Fatalf("unfinished token:\n%q\nwant\n%q", got, want)
	}

	lines := []Segment{
		{Line: 1, EndLine: 1, Text: "match true of\n"}, {Line: 2, EndLine: 2, Text: "  case 1 => 1\n"},
		{Line: 3, EndLine: 3, Text: "end\n"},
	}
	w := &Diagnostic{Severity: Warning, Span: Span{Start: Pos{Line: 1, Col: 1}, End: Pos{Line: 3, Col: 4}},
		Outer: Span{Start: Pos{Line: 1, Col: 1}, End: Pos{Line: 3, Col: 4}}, Msg: "no default", Display: lines}
	want = "Warning: \n    1 | match true of\n    2 |   case 1 => 1\n    3 | end\n      | ^^^ no default\n"
	if got := w.RenderTremor(); got != want {
		t.Fatalf("multi-line warning:\n%q\nwant\n%q", got, want)
	}

	inc := &Diagnostic{File: "lib/m.tremor", Included: true, Span: Span{Start: Pos{Line: 2, Col: 3}, End: Pos{Line: 2, Col: 6}},
		Msg: "bad", Display: []Segment{{Line: 1, EndLine: 1, Text: "x\n"}, {Line: 2, EndLine: 2, Text: "  abc\n"}}}
	want = "Error in lib/m.tremor:2:3 \n    2 |   abc\n      |   ^^^ bad\n"
	if got := inc.RenderTremor(); got != want {
		t.Fatalf("included:\n%q\nwant\n%q", got, want)
	}
	if got := inc.Render(); !strings.HasPrefix(got, "Error: lib/m.tremor:2:3\n") {
		t.Fatalf("user render heading: %q", got)
	}

	none := &Diagnostic{Msg: "function f already defined.", Display: lines}
	if got := none.RenderTremor(); got != "Error: \n      | ^ function f already defined.\n" {
		t.Fatalf("no context: %q", got)
	}

	// A heredoc opening advances the line without a gutter of its own.
	hd := &Diagnostic{Span: Span{Start: Pos{Line: 3, Col: 1}, End: Pos{Line: 3, Col: 2}}, Msg: "m",
		Display: []Segment{{Line: 1, EndLine: 1, Text: "\"\"\"\n", Advance: 1}, {Line: 2, EndLine: 2, Text: "a\n"},
			{Line: 3, EndLine: 3, Text: "\"\"\""}},
		Outer: Span{Start: Pos{Line: 1}, End: Pos{Line: 3}}}
	if got := hd.RenderTremor(); got != "Error: \n    1 | \"\"\"\na\n    3 | \"\"\"\n      | ^ m\n" {
		t.Fatalf("heredoc: %q", got)
	}
}
