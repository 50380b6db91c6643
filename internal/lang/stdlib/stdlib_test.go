package stdlib

import (
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

// fcase is one call: args as a JSON array (or Go values in vals), the
// result as JSON, or err, a substring of the rendered error.
type fcase struct {
	path string
	args string
	want string
	err  string
	vals []event.Value
}

func runFuncCases(t *testing.T, cases []fcase) {
	t.Helper()
	for _, c := range cases {
		args := c.vals
		if c.args != "" {
			v, err := event.ParseJSON([]byte(c.args))
			if err != nil {
				t.Fatalf("%s: bad test args %s: %v", c.path, c.args, err)
			}
			args = v.([]event.Value)
		}
		got, err := Call(nil, c.path, args...)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s%s: got %v (%s), want error %q", c.path, c.args, err, event.MarshalJSON(got), c.err)
			}
		case err != nil:
			t.Errorf("%s%s: %v", c.path, c.args, err)
		case c.want == "": // any value will do
		default:
			if s := string(event.MarshalJSON(got)); s != c.want {
				t.Errorf("%s%s = %s, want %s", c.path, c.args, s, c.want)
			}
		}
	}
}

func TestSpecs(t *testing.T) {
	for _, f := range All() {
		if f.Summary == "" || !strings.HasSuffix(f.Summary, ".") {
			t.Errorf("%s: summary %q must be one sentence ending in a period", f.Path, f.Summary)
		}
		if !strings.Contains(f.Doc, "```tremor") {
			t.Errorf("%s: doc has no ```tremor example", f.Path)
		}
		if !strings.Contains(f.Doc, f.Path) {
			t.Errorf("%s: the example does not call the function", f.Path)
		}
	}
}

func TestCallErrors(t *testing.T) {
	runFuncCases(t, []fcase{
		{path: "system::hostnam", args: `[]`, err: "Call to undefined function system::hostnam (did you mean `system::hostname`?)"},
		{path: "string::len", args: `["a","b"]`, err: "Bad arity for function string::len/1..=1 but was called with 2 arguments"},
		{path: "string::len", args: `[1]`, err: "Bad type passed to function string::len/1"},
	})
}
