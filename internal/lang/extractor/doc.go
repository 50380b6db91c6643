// Package extractor implements tremor-script's extractors, the
// `kind|pattern|` literals used with `~` in match patterns (glob, re, rerg,
// base64, kv, json, dissect, grok, cidr, influx, datetime), with Tremor
// 0.11.12's behaviour.
//
// A pattern is compiled once, when the script is compiled (New); an
// invalid pattern is an error then, never at run time. Extract never panics
// and never changes the value it is given.
package extractor
