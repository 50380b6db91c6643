//go:build long

package e2e

import "testing"

// TestCrashCyclesLong is the 20-cycle version of TestCrashCycles
// (go test -tags long ./e2e).
func TestCrashCyclesLong(t *testing.T) {
	crashCycles(t, 20)
}
