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
