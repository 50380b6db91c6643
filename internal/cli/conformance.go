package cli

import (
	"fmt"
	"strings"

	"github.com/temblor-dev/temblor/internal/lang/conformance"
)

// ConformanceCmd runs Tremor 0.11.12's own tremor-script suites from a
// Tremor source tree and prints the pass counts per suite.
type ConformanceCmd struct {
	TremorSrc string `help:"A tremor-runtime v0.11.12 source tree (with tests/scripts ...)." env:"TREMOR_SRC" required:"" placeholder:"DIR"`
	Verbose   bool   `short:"v" help:"Show what differs for every failing case."`
}

// Run implements the command.
func (c *ConformanceCmd) Run(g *Globals) error {
	rep, err := conformance.RunAll(c.TremorSrc, conformance.Suites...)
	if err != nil {
		return &exitError{code: 2, msg: "temblor conformance: " + err.Error()}
	}
	out := g.Stdout()
	pass, total, unexpected := 0, 0, 0
	for _, s := range conformance.Suites {
		p, n := rep.Counts(s)
		pass += p
		total += n
		fmt.Fprintf(out, "%-22s %3d/%d\n", s, p, n)
	}
	fmt.Fprintf(out, "%-22s %3d/%d (%.1f%%)\n", "total", pass, total, 100*float64(pass)/float64(max(total, 1)))
	for _, r := range rep.Results {
		if r.Pass {
			continue
		}
		key := r.Suite + "/" + r.Case
		why, known := conformance.Known[key]
		if !known {
			unexpected++
			why = "unexpected failure"
		}
		fmt.Fprintf(out, "FAIL %s: %s\n", key, why)
		if c.Verbose {
			fmt.Fprintln(out, "  "+strings.ReplaceAll(r.Detail, "\n", "\n  "))
		}
	}
	if unexpected > 0 || float64(pass) < conformance.Floor*float64(total) {
		return &exitError{code: 1, msg: fmt.Sprintf("temblor conformance: %d unexpected failures", unexpected)}
	}
	return nil
}
