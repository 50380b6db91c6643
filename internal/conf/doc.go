// Package conf is configuration as data: values with their positions
// (Node, built alike from a YAML `config:` node and from a trickle `with`
// record), the schema of a component's typed config struct read from its
// field tags (Schema), and the one strict decoder from the first into the
// second, which reports every problem as a positioned diag.Diagnostic.
//
// A config struct describes itself with tags:
//
//	type config struct {
//		URL  string `conf:"url,required" doc:"Where to connect." example:"ws://localhost:8080/"`
//		Sync string `conf:"sync" default:"always" enum:"always,interval,none" doc:"When to fsync."`
//		Max  uint64 `conf:"max" default:"256" min:"1" max:"65536" doc:"How many at most."`
//	}
//
// Defaults live only in the tags: the decoder applies them and the
// reference docs print them. The package must never know about any
// particular component.
package conf
