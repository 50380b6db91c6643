// Package e2e holds end-to-end tests that run the temblor binary as a child
// process against real websocket peers on 127.0.0.1, kill processes with
// SIGKILL, and check that no event is lost. The package has no non-test
// code besides this comment.
package e2e
