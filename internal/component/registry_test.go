package component

import (
	"errors"
	"strings"
	"testing"
)

// The tests register under the kinds reserved for later (window,
// aggregate) with names no real component uses.
func TestRegisterLookupGet(t *testing.T) {
	Register(&Spec{Kind: Window, Name: "test::tumbling", Summary: "A test window."})
	Register(&Spec{Kind: Window, Name: "test::sliding", Summary: "Not here.", Status: NotSupported, Alternative: "`test::tumbling`"})
	if s, ok := Lookup(Window, "test::tumbling"); !ok || s.Summary != "A test window." {
		t.Fatal("lookup")
	}
	if _, ok := Lookup(Aggregate, "test::tumbling"); ok {
		t.Fatal("kinds are namespaces")
	}
	_, err := Get(Window, "test::tumblng")
	var ue *UnknownError
	if !errors.As(err, &ue) || ue.Suggest != "test::tumbling" || strings.Join(ue.Known, ",") != "test::tumbling" {
		t.Fatalf("unknown: %v", err)
	}
	if got := ue.Error(); got != "unknown window `test::tumblng` (did you mean `test::tumbling`?); known: test::tumbling" {
		t.Errorf("message: %s", got)
	}
	_, err = Get(Window, "test::sliding")
	var ns *NotSupportedError
	if !errors.As(err, &ns) || ns.Hint() != "use `test::tumbling` instead" {
		t.Fatalf("not supported: %v", err)
	}
	if names := Names(Window); len(names) != 1 {
		t.Errorf("Names lists only what runs: %v", names)
	}
	if specs := Specs(Window); len(specs) != 2 || specs[0].Name != "test::sliding" {
		t.Errorf("Specs lists all, sorted: %v", specs)
	}
}

func TestRegisterRejectsMistakes(t *testing.T) {
	for _, s := range []*Spec{
		{Kind: "gizmo", Name: "x", Summary: "x"},
		{Kind: Aggregate, Summary: "x"},
		{Kind: Aggregate, Name: "test::nosummary"},
		{Kind: Aggregate, Name: "test::twolines", Summary: "a\nb"},
		{Kind: Aggregate, Name: "test::noalt", Summary: "x", Status: NotSupported},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("accepted %+v", s)
				}
			}()
			Register(s)
		}()
	}
	Register(&Spec{Kind: Aggregate, Name: "test::once", Summary: "x"})
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "registered twice") {
			t.Errorf("duplicate: %v", r)
		}
	}()
	Register(&Spec{Kind: Aggregate, Name: "test::once", Summary: "x"})
}

func TestSplitDoc(t *testing.T) {
	for in, want := range map[string][2]string{
		"One line.":                 {"One line.", ""},
		"First. Second one.":        {"First.", "Second one."},
		"Line one\nmore text.":      {"Line one", "more text."},
		"Splits on \\n (a.b). More": {"Splits on \\n (a.b).", "More"},
	} {
		s, r := SplitDoc(in)
		if s != want[0] || r != want[1] {
			t.Errorf("SplitDoc(%q) = %q, %q", in, s, r)
		}
	}
}
