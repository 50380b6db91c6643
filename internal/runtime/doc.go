// Package runtime turns a loaded deployment (onramps, offramps, pipelines,
// bindings and mappings) into running components connected by their port
// URLs, and shuts them down in the order that loses nothing: stop sources,
// drain pipelines, let sinks finish or fail what is in flight, then close.
//
// It must never know about any particular connector, codec or operator: it
// looks them up in their registries.
package runtime
