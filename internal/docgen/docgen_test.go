package docgen_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/temblor-dev/temblor/internal/builtin"
	"github.com/temblor-dev/temblor/internal/docgen"
)

var update = flag.Bool("update", false, "rewrite docs/reference from the specs")

// TestCommittedDocsMatchSpecs fails when docs/reference differs from what
// the specs generate: a spec changed without `temblor doc`, or a page was
// edited by hand.
func TestCommittedDocsMatchSpecs(t *testing.T) {
	dir := filepath.Join("..", "..", "docs", "reference")
	if *update {
		if err := docgen.Write(dir); err != nil {
			t.Fatal(err)
		}
	}
	diffs, err := docgen.Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Errorf("%s (run `go run ./cmd/temblor doc` to regenerate)", d)
	}
}

func TestPagesDescribeEverySpec(t *testing.T) {
	pages := docgen.Generate()
	for _, want := range []string{"### codec `json`", "### preprocessor `lines`", "### postprocessor `lines`", "Splits input on \\|"} {
		found := false
		for _, p := range pages {
			found = found || bytes.Contains(p, []byte(want))
		}
		if !found {
			t.Errorf("no page has %q", want)
		}
	}
	for name, p := range pages {
		if !strings.HasPrefix(string(p), docgen.Header) {
			t.Errorf("%s lacks the generated header", name)
		}
	}
}

func TestCheckSeesEdits(t *testing.T) {
	dir := t.TempDir()
	if err := docgen.Write(dir); err != nil {
		t.Fatal(err)
	}
	if d, err := docgen.Check(dir); err != nil || len(d) != 0 {
		t.Fatalf("fresh pages differ: %v %v", d, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "codecs.md"), []byte("hand edit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "operators.md"), []byte(docgen.Header+"stale\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := docgen.Check(dir)
	if err != nil || len(d) != 2 || !strings.Contains(d[0], "codecs.md") || !strings.Contains(d[1], "operators.md") {
		t.Fatalf("edits not seen: %v %v", d, err)
	}
}
