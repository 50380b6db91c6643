package docgen

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes the generated pages into dir (created if missing) and
// removes generated pages that no longer have specs.
func Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	pages := Generate()
	for _, name := range Files() {
		path := filepath.Join(dir, name)
		p, ok := pages[name]
		if !ok {
			if generated(path) {
				if err := os.Remove(path); err != nil {
					return err
				}
			}
			continue
		}
		if err := os.WriteFile(path, p, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Check compares dir with what the specs generate and describes each
// page that differs, is missing, or is generated but has no specs.
func Check(dir string) ([]string, error) {
	pages := Generate()
	var diffs []string
	for _, name := range Files() {
		path := filepath.Join(dir, name)
		have, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		want, ok := pages[name]
		switch {
		case !ok && err == nil && generated(path):
			diffs = append(diffs, path+": generated page without specs any more")
		case !ok:
		case err != nil:
			diffs = append(diffs, path+": missing")
		case !bytes.Equal(have, want):
			diffs = append(diffs, fmt.Sprintf("%s: differs from the specs (first difference at line %d)", path, firstDiff(have, want)))
		}
	}
	return diffs, nil
}

func generated(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && bytes.HasPrefix(b, []byte(Header))
}

func firstDiff(a, b []byte) int {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}
