// Package component is temblor's one component registry and the lifecycle
// every component follows.
//
// Every onramp, offramp, codec, preprocessor, postprocessor and operator
// (and, as they become specs, windows, aggregates and functions) registers
// one Spec from init(): its kind and name, a summary, its docs, its status
// and the schema of its typed config. The config loader, `--validate`,
// the trickle compiler and `temblor doc` all read the same specs, so no
// list of components is kept by hand anywhere else.
//
// Lifecycle, for every component:
//
//	New(config)      decode and validate; open no file or socket, start no goroutine
//	Open(ctx, Env)   open what it needs (Opener, optional)
//	Close()          release it (Closer, optional)
//
// The package must never know about any particular component; the kind's
// own package (connector SDK, codec, processor, pipeline) wraps the
// constructor it stores in Spec.Impl.
package component
