// Package config loads Tremor 0.11 deployment artefacts — onramp, offramp,
// binding and mapping lists in YAML, in any mix per file — and records the
// trickle pipeline files beside them. Decoding is strict: unknown fields,
// wrong types, duplicate ids, unknown component names, bad port URLs and
// links to artefacts that were not loaded are errors that name
// file:line:col and say what to do.
//
// It must never start anything: it describes a deployment, the runtime runs
// it.
package config
