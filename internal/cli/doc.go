package cli

import (
	"fmt"
	"strings"

	// Every component, so that the pages document all of them.
	_ "github.com/temblor-dev/temblor/internal/builtin"
	"github.com/temblor-dev/temblor/internal/docgen"
)

// DocCmd writes the reference pages from the component specs.
type DocCmd struct {
	Dir   string `help:"Directory of the reference pages." default:"docs/reference" placeholder:"DIR"`
	Check bool   `help:"Write nothing; exit 1 if the pages in --dir differ from what the specs generate."`
}

// Run implements the command.
func (c *DocCmd) Run(g *Globals) error {
	if c.Check {
		diffs, err := docgen.Check(c.Dir)
		if err != nil {
			return err
		}
		if len(diffs) > 0 {
			return &exitError{code: 1, msg: "temblor: the reference pages are out of date:\n  " + strings.Join(diffs, "\n  ") +
				"\n  hint: run `temblor doc` to regenerate them"}
		}
		fmt.Fprintf(g.Stdout(), "ok: %s matches the specs\n", c.Dir)
		return nil
	}
	if err := docgen.Write(c.Dir); err != nil {
		return err
	}
	fmt.Fprintf(g.Stdout(), "wrote the reference pages to %s\n", c.Dir)
	return nil
}
