// Package parser builds ast trees from trickle queries and tremor-script.
// Errors are *lang.Error with the position of the offending token; the
// parser never panics on any input and caps nesting depth and input size.
//
// It must never evaluate anything: constant folding and semantics belong
// to interp. Constructs that are recognised but not implemented yet
// (windows, group by, for, extractors) fail with a positioned
// "not supported yet" error rather than a generic syntax error.
package parser
