// Package interp evaluates tremor-script expressions and trickle selects
// against events. Every failure is a *lang.Error positioned at the
// expression that failed; evaluation never panics on any value.
//
// The entry points the pipeline uses are EvalSelect, RunScript and
// EvalConst. It never mutates the AST and keeps integers exact (int64 /
// uint64, never through float64).
package interp
