package conformance

import (
	"os"
	"testing"
)

func TestTremorSuites(t *testing.T) {
	root := os.Getenv("TREMOR_SRC")
	if root == "" {
		t.Skip("TREMOR_SRC is not set: Tremor 0.11.12's script suites are not run (set it to a tremor-runtime v0.11.12 tree)")
	}
	rep, err := RunAll(root, Suites...)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if !r.Pass {
			t.Logf("FAIL %s/%s: %s", r.Suite, r.Case, r.Detail)
		}
	}
	for _, s := range Suites {
		p, n := rep.Counts(s)
		t.Logf("%s: %d/%d", s, p, n)
	}
}
