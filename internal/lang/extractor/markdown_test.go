package extractor

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/extractors.md")

func TestExtractorsMarkdown(t *testing.T) {
	for _, k := range Kinds() {
		if kindDocs[k] == "" {
			t.Errorf("%s has no documentation", k)
		}
	}
	path := filepath.Join("..", "..", "..", "docs", "extractors.md")
	got := Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != got {
		t.Errorf("docs/extractors.md is out of date; regenerate it with: go test ./internal/lang/extractor -run TestExtractorsMarkdown -update")
	}
}
