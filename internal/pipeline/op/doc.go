// Package op holds the pipeline operators, one file per kind, each
// registering itself with pipeline.RegisterOperator from init().
//
// Operators run on their pipeline's goroutine and must never block it for
// long: slow work (fsync) happens elsewhere and reports back through
// pipeline.Context.Wake.
package op
