package stdlib

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

// Golden cases: testdata/stdlib/<case>/calls.txt holds one call per line,
// `path(json args)` (blank lines and # comments are kept as they are);
// expected.txt holds each call with `= result` (JSON) or `! error`.
// Regenerate with -update. The ingest time for context-reading functions
// is 1600860720749137000.

var callLine = regexp.MustCompile(`^([a-z_:0-9]+)\((.*)\)$`)

func runGoldenCalls(t *testing.T, calls []string) string {
	t.Helper()
	c := &Ctx{IngestNS: 1600860720749137000}
	var b strings.Builder
	for _, l := range calls {
		if l == "" || strings.HasPrefix(l, "#") {
			b.WriteString(l + "\n")
			continue
		}
		m := callLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("bad call line %q", l)
		}
		args, err := event.ParseJSON([]byte("[" + m[2] + "]"))
		if err != nil {
			t.Fatalf("bad arguments in %q: %v", l, err)
		}
		v, err := Call(c, m[1], args.([]event.Value)...)
		if err != nil {
			fmt.Fprintf(&b, "%s ! %s\n", l, strings.ReplaceAll(err.Error(), "\n", `\n`))
		} else {
			fmt.Fprintf(&b, "%s = %s\n", l, event.MarshalJSON(v))
		}
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	root := filepath.Join("..", "..", "..", "testdata", "stdlib")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		t.Run(d.Name(), func(t *testing.T) {
			dir := filepath.Join(root, d.Name())
			var calls []string
			if d.Name() == "bad_types" {
				calls = badTypeCalls()
			} else {
				b, err := os.ReadFile(filepath.Join(dir, "calls.txt"))
				if err != nil {
					t.Fatal(err)
				}
				calls = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			}
			got := runGoldenCalls(t, calls)
			exp := filepath.Join(dir, "expected.txt")
			if *update {
				if err := os.WriteFile(exp, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(exp)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(want) != got {
				t.Errorf("%s differs from the output (-update to accept):\n%s", exp, lineDiff(string(want), got))
			}
		})
	}
	if n == 0 {
		t.Fatal("no golden cases found")
	}
}

// badTypeCalls calls every function that takes arguments with nulls, and
// every function taking none once: the expected file then records each
// function's answer to a wrong type.
func badTypeCalls() []string {
	var out []string
	for _, f := range All() {
		args := make([]string, f.Min)
		for i := range args {
			args[i] = "null"
		}
		if f.Min == 0 && f.Pure {
			out = append(out, f.Path+"()")
			continue
		}
		if f.Min > 0 {
			out = append(out, f.Path+"("+strings.Join(args, ", ")+")")
		}
	}
	return out
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %s\n+ %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}
