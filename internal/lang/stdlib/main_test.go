package stdlib

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMain fails the run when a function was never called by any test
// (only when the whole package's tests ran, not with -run).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && !strings.Contains(strings.Join(os.Args, " "), "-test.run") && !strings.Contains(strings.Join(os.Args, " "), "-test.fuzz") {
		var missing []string
		for _, f := range All() {
			if _, ok := called.Load(f.Path); !ok {
				missing = append(missing, f.Path)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: %d functions are not called by any test: %s\n", len(missing), strings.Join(missing, ", "))
			code = 1
		}
	}
	os.Exit(code)
}
