// Package benchrun is the machinery behind `temblor bench`: it runs the
// standard scenarios (the deployments under bench/) through the real engine
// binary, one child process per run, interleaved round by round, and
// measures each from outside: events/s and CPU-seconds per million events
// after a warm-up, allocations per event from the engine's own /metrics,
// event → sink latency at a fixed rate beside the raw fdatasync latency of
// the same disk, and the peer systems of ../shared/peerbench (Benthos,
// rsyslog) in the same run.
//
// It must never reach into the engine's packages (pipeline, WAL, runtime):
// what it measures is what a user of the binary gets.
package benchrun
