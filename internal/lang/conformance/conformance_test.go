package conformance

import (
	"os"
	"testing"
)

// TestTremorSuites runs Tremor 0.11.12's script suites (set TREMOR_SRC to
// a tremor-runtime v0.11.12 tree): every case must pass except the known,
// documented differences, and at least Floor of all cases must pass.
func TestTremorSuites(t *testing.T) {
	root := os.Getenv("TREMOR_SRC")
	if root == "" {
		t.Skip("TREMOR_SRC is not set: Tremor 0.11.12's script suites are not run (set it to a tremor-runtime v0.11.12 tree)")
	}
	rep, err := RunAll(root, Suites...)
	if err != nil {
		t.Fatal(err)
	}
	pass, total := 0, 0
	for _, r := range rep.Results {
		total++
		key := r.Suite + "/" + r.Case
		_, known := Known[key]
		switch {
		case r.Pass:
			pass++
			if known {
				t.Errorf("%s passes but is listed as a known difference: remove it from Known and docs/conformance.md", key)
			}
		case !known:
			t.Errorf("FAIL %s:\n%s", key, r.Detail)
		}
	}
	for _, s := range Suites {
		p, n := rep.Counts(s)
		t.Logf("%s: %d/%d", s, p, n)
	}
	if float64(pass) < Floor*float64(total) {
		t.Errorf("%d/%d cases pass, below the floor of %.0f%%", pass, total, Floor*100)
	}
	// The floor holds for each language on its own too.
	for _, group := range [][]string{ScriptSuites, QuerySuites} {
		p, n := 0, 0
		for _, s := range group {
			gp, gn := rep.Counts(s)
			p += gp
			n += gn
		}
		if float64(p) < Floor*float64(n) {
			t.Errorf("%v: %d/%d cases pass, below the floor of %.0f%%", group, p, n, Floor*100)
		}
	}
}

func TestCasesListed(t *testing.T) {
	root := os.Getenv("TREMOR_SRC")
	if root == "" {
		t.Skip("TREMOR_SRC is not set")
	}
	want := map[string]int{Scripts: 113, Errors: 67, RuntimeErrors: 35, Warnings: 6, Queries: 45, QueryErrors: 28, QueryWarnings: 1}
	for s, n := range want {
		cases, err := Cases(root, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(cases) != n {
			t.Errorf("%s: %d cases listed in the harness, Tremor 0.11.12 has %d", s, len(cases), n)
		}
	}
}
