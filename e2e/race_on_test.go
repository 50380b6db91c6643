//go:build race

package e2e

// raceBuild: this test binary runs with the race detector, so the engine
// under test is built with it too.
const raceBuild = true
