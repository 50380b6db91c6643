package extractor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// Golden cases: testdata/extractor/<case>/extractor.txt is `kind|pattern|`
// (first line), input.txt one input string per line; expected.txt shows
// for each input the extracted value as JSON (keys sorted, since Tremor's
// key order was not defined), or "no match", and what the predicate form
// says. Regenerate with -update.
func TestGolden(t *testing.T) {
	root := filepath.Join("..", "..", "..", "testdata", "extractor")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		t.Run(d.Name(), func(t *testing.T) {
			dir := filepath.Join(root, d.Name())
			spec, err := os.ReadFile(filepath.Join(dir, "extractor.txt"))
			if err != nil {
				t.Fatal(err)
			}
			line := strings.TrimRight(strings.SplitN(string(spec), "\n", 2)[0], " ")
			kind, pattern, ok := strings.Cut(line, "|")
			if !ok || !strings.HasSuffix(pattern, "|") {
				t.Fatalf("extractor.txt must hold kind|pattern|, got %q", line)
			}
			x, err := New(kind, strings.TrimSuffix(pattern, "|"))
			if err != nil {
				t.Fatal(err)
			}
			in, err := os.ReadFile(filepath.Join(dir, "input.txt"))
			if err != nil {
				t.Fatal(err)
			}
			c := &stdlib.Ctx{IngestNS: 1600860720749137000}
			var b strings.Builder
			for _, l := range strings.Split(strings.TrimRight(string(in), "\n"), "\n") {
				out, ok, err := x.Extract(c, l)
				fmt.Fprintf(&b, "%s\n", l)
				switch {
				case err != nil:
					fmt.Fprintf(&b, "  error: %v\n", err)
				case ok:
					fmt.Fprintf(&b, "  => %s\n", sortedJSON(out))
				default:
					b.WriteString("  no match\n")
				}
				fmt.Fprintf(&b, "  predicate: %v\n", Test(x, c, l))
			}
			got := b.String()
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
				t.Errorf("%s differs (-update to accept); got:\n%s", exp, got)
			}
		})
	}
}

// sortedJSON is the value as JSON with record keys sorted, at every level.
func sortedJSON(v event.Value) string {
	s, _ := stdlib.Call(nil, "chash::sorted_serialize", v)
	return s.(string)
}
