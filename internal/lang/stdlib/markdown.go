package stdlib

import (
	"fmt"
	"strings"
)

// Markdown renders the function reference (docs/functions.md) from the
// specs: one section per module, one entry per function with its
// signature, arity, purity, summary and doc.
func Markdown() string {
	var b strings.Builder
	all := All()
	b.WriteString("# Function reference\n\n")
	b.WriteString("<!-- Generated from the function specs in internal/lang/stdlib by `go test ./internal/lang/stdlib -run TestFunctionsMarkdown -update`; do not edit. -->\n\n")
	fmt.Fprintf(&b, "tremor-script's native functions, as in Tremor 0.11.12: %d functions in %d modules. ", len(all), len(Modules()))
	b.WriteString("Call them by their full path (`string::len(s)`), or through a `use`d module (`use std::string; string::len(s)`). ")
	b.WriteString("A function given an argument of the wrong type fails with `Bad type passed to function <path>/<arity>`; one that fails on well-typed arguments with `Runtime error in function <path>/<arity>: <reason>`. ")
	b.WriteString("*Pure* functions give the same result for the same arguments, so calls with constant arguments are computed once, when the script is compiled.\n\n")
	b.WriteString("Datetimes are integers: nanoseconds since the Unix epoch, UTC.\n\n")
	b.WriteString("## Modules\n\n")
	for _, m := range Modules() {
		fmt.Fprintf(&b, "- [`%s`](#%s)\n", m, anchor(m))
	}
	cur := ""
	for _, f := range all {
		if m := f.Module(); m != cur {
			cur = m
			fmt.Fprintf(&b, "\n## %s\n", m)
		}
		fmt.Fprintf(&b, "\n### `%s`\n\n", f.signature())
		pure := "pure"
		if !f.Pure {
			pure = "not pure (reads the event's context, the clock or the host)"
		}
		fmt.Fprintf(&b, "%s\n\n*Arity:* %s · *%s*\n\n%s\n", f.Summary, f.arityText(), pure, strings.TrimSpace(f.Doc))
	}
	return b.String()
}

func anchor(s string) string { return strings.ReplaceAll(s, "::", "") }

// signature is the call with its arity, e.g. "string::len/1" or
// "random::integer/0..2".
func (f *Func) signature() string {
	switch {
	case f.Max < 0:
		return fmt.Sprintf("%s/%d..", f.Path, f.Min)
	case f.Min != f.Max:
		return fmt.Sprintf("%s/%d..%d", f.Path, f.Min, f.Max)
	}
	return fmt.Sprintf("%s/%d", f.Path, f.Min)
}

func (f *Func) arityText() string {
	switch {
	case f.Max < 0:
		return fmt.Sprintf("%d or more arguments", f.Min)
	case f.Min != f.Max:
		return fmt.Sprintf("%d to %d arguments", f.Min, f.Max)
	case f.Min == 1:
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", f.Min)
}
