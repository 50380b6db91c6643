package runtime

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/config"
)

// TestBuiltinArtefacts: without defining them, a deployment links to
// /pipeline/system::passthrough, /pipeline/system::metrics and
// /offramp/system::stderr; a pipeline with metrics_interval_s sends its
// metrics events into system::metrics.
func TestBuiltinArtefacts(t *testing.T) {
	dir := t.TempDir()
	in, out, metrics := filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json"), filepath.Join(dir, "metrics.json")
	if err := os.WriteFile(in, []byte("{\"v\":1}\n{\"v\":2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "all.yaml")
	if err := os.WriteFile(cfg, []byte(`
onramp:
  - id: in
    type: file
    config: {source: `+in+`, close_on_done: true}
offramp:
  - id: out
    type: file
    config: {file: `+out+`}
  - id: metrics
    type: file
    config: {file: `+metrics+`}
binding:
  - id: b
    links:
      "/onramp/in/{instance}/out": ["/pipeline/p/{instance}/in"]
      "/pipeline/p/{instance}/out": ["/pipeline/system::passthrough/system/in"]
      "/pipeline/system::passthrough/system/out": ["/offramp/out/{instance}/in"]
      "/pipeline/p/{instance}/err": ["/offramp/system::stderr/system/in"]
      "/pipeline/system::metrics/system/out": ["/offramp/metrics/{instance}/in"]
mapping:
  /binding/b/01: {instance: "01"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	trickle := filepath.Join(dir, "p.trickle")
	if err := os.WriteFile(trickle, []byte("#!config id = \"main\"\n#!config metrics_interval_s = 1\nselect event from in into out;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dep, err := config.Load([]string{cfg, trickle})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Build(dep, Options{DataDir: filepath.Join(dir, "data"), ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- rt.Run(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("close_on_done did not end Run")
	}
	got, err := os.ReadFile(out)
	if err != nil || string(got) != "{\"v\":1}\n{\"v\":2}\n" {
		t.Errorf("through system::passthrough: %q, %v", got, err)
	}
	// The metrics pipeline is fed by p (its content is tested in
	// internal/pipeline: TestMetricsEvents).
	if _, ok := rt.pipes["/pipeline/system::metrics/system"]; !ok {
		t.Errorf("no system::metrics instance: %v", rt.pipeOrder)
	}
}
