package stdlib

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// tremorFunctions derives the native function paths Tremor 0.11.12
// registered, from its sources under $TREMOR_SRC (never committed here).
func tremorFunctions(t *testing.T) []string {
	t.Helper()
	src := os.Getenv("TREMOR_SRC")
	if src == "" {
		t.Skip("TREMOR_SRC is not set: skipping the comparison with Tremor's function list (set it to a tremor-runtime v0.11.12 checkout)")
	}
	files, _ := filepath.Glob(filepath.Join(src, "tremor-script/src/std_lib/*.rs"))
	files = append(files,
		filepath.Join(src, "tremor-script/src/registry.rs"),
		filepath.Join(src, "src/functions.rs"),
		filepath.Join(src, "src/connectors/otel.rs"))
	direct := regexp.MustCompile(`tremor_(?:const_)?fn!\s*\(\s*([a-z_0-9]+(?:::[a-z_0-9]+)*)\s*\|\s*([a-z_0-9]+)`)
	wrapper := regexp.MustCompile(`TremorFnWrapper::new\(\s*"([a-z_]+)"\.to_string\(\),\s*"([a-z_0-9]+)"`)
	mapFn := regexp.MustCompile(`\.insert\((?:map_function|math_fn|time_fn|time_fn_32)!\(\s*([a-z_0-9]+)`)
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("reading Tremor's sources: %v", err)
		}
		text := string(b)
		if i := strings.Index(text, "#[cfg(test)]"); i >= 0 {
			text = text[:i]
		}
		base := strings.TrimSuffix(filepath.Base(f), ".rs")
		if base == "stats" || base == "win" {
			continue // aggregates: issue 11
		}
		for _, m := range direct.FindAllStringSubmatch(text, -1) {
			seen[m[1]+"::"+m[2]] = true
		}
		for _, m := range wrapper.FindAllStringSubmatch(text, -1) {
			seen[m[1]+"::"+m[2]] = true
		}
		for _, m := range mapFn.FindAllStringSubmatch(text, -1) {
			seen[base+"::"+m[1]] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestEveryTremorFunctionExists(t *testing.T) {
	want := tremorFunctions(t)
	if len(want) < 100 {
		t.Fatalf("found only %d functions in Tremor's sources; is TREMOR_SRC right?", len(want))
	}
	var missing []string
	for _, p := range want {
		if _, ok := Lookup(p); !ok {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of Tremor's %d functions are missing: %s", len(missing), len(want), strings.Join(missing, ", "))
	}
	ours := map[string]bool{}
	for _, p := range want {
		ours[p] = true
	}
	var extra []string
	for _, f := range All() {
		if !ours[f.Path] {
			extra = append(extra, f.Path)
		}
	}
	t.Logf("Tremor 0.11.12: %d native functions; temblor: %d (%d not in Tremor: %v)", len(want), len(All()), len(extra), extra)
	if len(extra) > 0 {
		t.Errorf("functions Tremor 0.11.12 did not have: %v", extra)
	}
}
