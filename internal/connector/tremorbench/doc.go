// Package tremorbench holds the tests that load Tremor 0.11.12's own
// deployments — its bench/*.yaml benchmarks and the integration tests
// under tremor-cli/tests/integration — read from $TREMOR_SRC (never
// copied here), and run the benchmarks that temblor can run, printing the
// blackhole's report. The package has no code of its own outside tests.
package tremorbench
