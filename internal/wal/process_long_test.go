//go:build long

package wal

import "testing"

// TestKill9ChildLong is the long version: go test -tags long -run Long ./internal/wal
func TestKill9ChildLong(t *testing.T) {
	crashCycles(t, 100)
}
