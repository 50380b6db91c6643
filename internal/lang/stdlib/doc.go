// Package stdlib is the registry of tremor-script functions by module path
// (`system::hostname`, `string::len`, ...) and their implementations. A
// function never panics: bad arguments give an error the interpreter
// positions at the call.
//
// Lookups that fail suggest the closest registered name.
package stdlib
