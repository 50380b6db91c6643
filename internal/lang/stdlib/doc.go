// Package stdlib holds tremor-script's native functions (`string::len`,
// `datetime::format`, ...), each a Func: its spec (path, summary, doc with an
// example, arity, purity) and its implementation, with Tremor 0.11.12's
// behaviour and error texts.
//
// The compiler resolves a call once with Lookup, checks the arity, and calls
// Fn per event with a Ctx; it renders a returned error with Message. A
// function never panics and never changes its arguments.
//
// Functions written in tremor-script itself (the `std::` module wrappers)
// are the module system's business, not this package's.
package stdlib
