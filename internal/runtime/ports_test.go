package runtime

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/config"
)

// TestNamedPortsReachTheirOfframps: `into out/big` reaches the offramp
// linked to the pipeline's port `big`, and only that one; a named port
// that no binding links is a warning when the deployment loads.
func TestNamedPortsReachTheirOfframps(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.json")
	small, big := filepath.Join(dir, "small.json"), filepath.Join(dir, "big.json")
	if err := os.WriteFile(in, []byte("{\"v\":1}\n{\"v\":5}\n{\"v\":2}\n{\"v\":7}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "all.yaml")
	if err := os.WriteFile(cfg, []byte(`
onramp:
  - id: in
    type: file
    config: {source: `+in+`, close_on_done: true}
offramp:
  - id: small
    type: file
    config: {file: `+small+`}
  - id: big
    type: file
    config: {file: `+big+`}
binding:
  - id: b
    links:
      "/onramp/in/{instance}/out": ["/pipeline/p/{instance}/in"]
      "/pipeline/p/{instance}/out": ["/offramp/small/{instance}/in"]
      "/pipeline/p/{instance}/big": ["/offramp/big/{instance}/in"]
mapping:
  /binding/b/01: {instance: "01"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	trickle := filepath.Join(dir, "p.trickle")
	if err := os.WriteFile(trickle, []byte("select event from in where event.v > 3 into out/big;\n"+
		"select event from in where event.v <= 3 into out;\n"+
		"select event from in into out/nowhere;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dep, err := config.Load([]string{cfg, trickle})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	rt, err := Build(dep, Options{DataDir: filepath.Join(dir, "data"), ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "port=nowhere") || !strings.Contains(logs.String(), "linked to nothing") {
		t.Errorf("no load-time warning for the unlinked port `nowhere`:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "port=big") {
		t.Errorf("the linked port `big` was reported:\n%s", logs.String())
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
	for file, want := range map[string]string{small: "{\"v\":1}\n{\"v\":2}\n", big: "{\"v\":5}\n{\"v\":7}\n"} {
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s:\n got %q\nwant %q", filepath.Base(file), got, want)
		}
	}
}

// TestLinkFromUnknownPipelinePort: Tremor 0.11 accepted a link from a
// pipeline port the query never writes to (its benchmarks link
// `/pipeline/main/01/error`); the deployment loads with a warning that
// names the ports that exist, and the other links carry events as usual.
func TestLinkFromUnknownPipelinePort(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.json")
	out, errs := filepath.Join(dir, "out.json"), filepath.Join(dir, "errs.json")
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
  - id: errs
    type: file
    config: {file: `+errs+`}
binding:
  - id: b
    links:
      "/onramp/in/{instance}/out": ["/pipeline/p/{instance}/in"]
      "/pipeline/p/{instance}/out": ["/offramp/out/{instance}/in"]
      "/pipeline/p/{instance}/error": ["/offramp/errs/{instance}/in"]
mapping:
  /binding/b/01: {instance: "01"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	trickle := filepath.Join(dir, "p.trickle")
	if err := os.WriteFile(trickle, []byte("select event from in into out;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dep, err := config.Load([]string{cfg, trickle})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	rt, err := Build(dep, Options{DataDir: filepath.Join(dir, "data"), ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))})
	if err != nil {
		t.Fatalf("a link from an unknown pipeline port refused the deployment: %v", err)
	}
	for _, want := range []string{"nothing will flow", "/pipeline/p/01/error", `ports="err, metrics, out"`, "did you mean `err`?"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("load-time warning lacks %q:\n%s", want, logs.String())
		}
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
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"v\":1}\n{\"v\":2}\n"; string(got) != want {
		t.Errorf("out: got %q, want %q", got, want)
	}
}

// TestBlackholeStopsTheEngine: a blackhole with stop_after_secs stops the
// engine after measuring (Tremor's benchmarks end so), through the SDK's
// blackhole, not the runtime's old one that only discarded.
func TestBlackholeStopsTheEngine(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "all.yaml")
	if err := os.WriteFile(cfg, []byte(`
onramp:
  - id: tick
    type: metronome
    config: {interval: 10}
offramp:
  - id: bh
    type: blackhole
    config: {warmup_secs: 0, stop_after_secs: 1, significant_figures: 2}
binding:
  - id: b
    links:
      "/onramp/tick/{instance}/out": ["/pipeline/p/{instance}/in"]
      "/pipeline/p/{instance}/out": ["/offramp/bh/{instance}/in"]
mapping:
  /binding/b/01: {instance: "01"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	trickle := filepath.Join(dir, "p.trickle")
	if err := os.WriteFile(trickle, []byte("select event from in into out;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dep, err := config.Load([]string{cfg, trickle})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	rt, err := Build(dep, Options{DataDir: filepath.Join(dir, "data"), ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))})
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
	case <-time.After(60 * time.Second):
		t.Fatalf("stop_after_secs: 1 did not stop the engine in 60 s\n%s", logs.String())
	}
}
