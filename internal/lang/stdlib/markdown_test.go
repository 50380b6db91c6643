package stdlib

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/functions.md from the specs")

// The committed function reference must be what the specs generate.
func TestFunctionsMarkdown(t *testing.T) {
	path := filepath.Join("..", "..", "..", "docs", "functions.md")
	got := Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with: go test ./internal/lang/stdlib -run TestFunctionsMarkdown -update)", err)
	}
	if string(want) != got {
		t.Errorf("docs/functions.md is out of date with the function specs; regenerate it with: go test ./internal/lang/stdlib -run TestFunctionsMarkdown -update")
	}
}
