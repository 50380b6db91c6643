// Package bench holds the deployments that `temblor bench` runs: one
// directory per scenario with a deploy.yaml and its .trickle pipelines,
// real artefacts a user can also run with `temblor server run -f
// bench/<scenario>/` from a directory holding events.jsonl. The package only
// embeds them; the machinery that runs and measures them is
// internal/benchrun.
package bench

import "embed"

// Scenarios are the scenario directories (deploy.yaml and .trickle files).
//
//go:embed */deploy.yaml */*.trickle
var Scenarios embed.FS
