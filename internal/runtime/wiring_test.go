package runtime

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/config"
)

// TestBindingsMappingsFanOutAndSharing wires one metronome into two
// bindings: `fan` (mapped with {instance}) sends pipeline main/01 through a
// WAL to two offramps at once; `shared` (mapped twice with {region}) runs
// pipeline tag as instances eu and us, which both feed the one offramp c/01,
// and whose errors go to the err port. The metronome is one instance shared
// by URL: every pipeline sees the same events.
func TestBindingsMappingsFanOutAndSharing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"ramps.yaml": `
onramp:
  - id: metronome
    type: metronome
    config:
      interval: 5
offramp:
  - id: a
    type: file
    config: {file: ` + filepath.Join(out, "a.jsonl") + `}
  - id: b
    type: file
    config: {file: ` + filepath.Join(out, "b.jsonl") + `}
  - id: c
    type: file
    config: {file: ` + filepath.Join(out, "c.jsonl") + `}
  - id: errors
    type: file
    config: {file: ` + filepath.Join(out, "errors.jsonl") + `}
`,
		"bindings.yaml": `
binding:
  - id: fan
    links:
      "/onramp/metronome/{instance}/out": ["/pipeline/main/{instance}/in"]
      "/pipeline/main/{instance}/out": ["/offramp/a/{instance}/in", "/offramp/b/{instance}/in"]
  - id: shared
    links:
      "/onramp/metronome/01/out": ["/pipeline/tag/{region}/in"]
      "/pipeline/tag/{region}/out": ["/offramp/c/01/in"]
      "/pipeline/tag/{region}/err": ["/offramp/errors/01/in"]
mapping:
  /binding/fan/01:
    instance: "01"
  /binding/shared/eu:
    region: "eu"
  /binding/shared/us:
    region: "us"
`,
		"main.trickle": `
define qos::wal operator w with read_count = 20, max_elements = 1000 end;
create operator w;
select event from in into w;
select event from w into out;
`,
		// Every tenth event fails in the script (an unknown field), so it
		// goes to the err port.
		"tag.trickle": `
define script tagger
script
  match event.id % 10 of
    case 0 => event.no_such_field
    default => event
  end
end;
create script tagger;
select event from in into tagger;
select event from tagger into out;
select event from tagger/err into err;
`,
	}
	paths := writeFiles(t, dir, files)
	dep, err := config.Load(paths)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	rt, err := Build(dep, Options{DataDir: dataDir, ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rt.Pipelines(), []string{"/pipeline/main/01", "/pipeline/tag/eu", "/pipeline/tag/us"}; !equalStrings(got, want) {
		t.Errorf("pipeline instances %v, want %v", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- rt.Run(ctx) }()
	waitUntil(t, 10*time.Second, "40 events at offramp a", func() bool { return len(readLines(t, filepath.Join(out, "a.jsonl"))) >= 40 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	a, b, c := readLines(t, filepath.Join(out, "a.jsonl")), readLines(t, filepath.Join(out, "b.jsonl")), readLines(t, filepath.Join(out, "c.jsonl"))
	errs := readLines(t, filepath.Join(out, "errors.jsonl"))
	// Fan-out: a and b got the same events, in order.
	if len(a) != len(b) {
		t.Fatalf("fan-out: a got %d events, b %d", len(a), len(b))
	}
	ns := map[float64]float64{} // metronome id → ingest_ns, from a
	for i := range a {
		if a[i]["id"] != float64(i) || b[i]["id"] != float64(i) || a[i]["ingest_ns"] != b[i]["ingest_ns"] {
			t.Fatalf("fan-out: event %d differs or is out of order: %v vs %v", i, a[i], b[i])
		}
		ns[a[i]["id"].(float64)] = a[i]["ingest_ns"].(float64)
	}
	// Sharing: both tag instances fed c/01, each with every id but the
	// failed tenths, from the same metronome (same ingest_ns as a).
	perID := map[float64]int{}
	for _, e := range c {
		id := e["id"].(float64)
		if int(id)%10 == 0 {
			t.Fatalf("event %v should have failed in the script", e)
		}
		if want, ok := ns[id]; ok && e["ingest_ns"] != want {
			t.Fatalf("event %v does not come from the one shared metronome (ingest_ns %v in a)", e, want)
		}
		perID[id]++
	}
	for id := range ns {
		if int(id)%10 != 0 && id < float64(len(a)-10) && perID[id] != 2 {
			t.Errorf("id %v reached the shared offramp %d times, want 2 (eu and us)", id, perID[id])
		}
	}
	// The err port: the failed tenths, from both instances.
	if len(errs) < 4 {
		t.Errorf("err port: %d error events, want the failed tenths of both instances", len(errs))
	}
	for _, e := range errs {
		if _, ok := e["error"]; !ok {
			t.Errorf("error event without `error`: %v", e)
		}
	}
	t.Logf("a/b: %d events each; c: %d (two instances); err: %d", len(a), len(c), len(errs))
	// The WAL of main/01 lives in its own directory.
	if _, err := os.Stat(filepath.Join(dataDir, "wal", "main", "01", "w", "LOCK")); err != nil {
		t.Errorf("the WAL of /pipeline/main/01 is not in its own directory: %v", err)
	}
}

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue // a line being written while we read
		}
		out = append(out, m)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLineSourceWithLinesPreprocessor: Tremor configs put the `lines`
// preprocessor on line-oriented onramps (stdin read raw chunks there). With
// it, every line must still be one event, not glued to the next; and the
// file onramp's close_on_done ends Run by itself.
func TestLineSourceWithLinesPreprocessor(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	if err := os.WriteFile(in, []byte("{\"id\":0}\n{\"id\":1}\r\n{\"id\":2}"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "all.yaml")
	if err := os.WriteFile(cfg, []byte(`
onramp:
  - id: in
    type: file
    preprocessors: [lines]
    config: {source: `+in+`, close_on_done: true}
offramp:
  - id: out
    type: file
    config: {file: `+out+`}
binding:
  - id: b
    links:
      "/onramp/in/{instance}/out": ["/pipeline/p/{instance}/in"]
      "/pipeline/p/{instance}/out": ["/offramp/out/{instance}/in"]
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
	got := readLines(t, out)
	if len(got) != 3 {
		t.Fatalf("got %d events, want 3: %v", len(got), got)
	}
	for i, e := range got {
		if e["id"] != float64(i) {
			t.Fatalf("event %d is %v", i, e)
		}
	}
}

// TestOfframpPortNameIsIgnoredAsInTremor: Tremor delivered to an offramp
// whatever the port of the link said; a deployment that names it
// differently still delivers (with a warning).
func TestOfframpPortNameIsIgnoredAsInTremor(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	if err := os.WriteFile(in, []byte("{\"id\":0}\n{\"id\":1}\n{\"id\":2}\n"), 0o644); err != nil {
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
binding:
  - id: b
    links:
      "/onramp/in/{instance}/out": ["/pipeline/p/{instance}/in"]
      "/pipeline/p/{instance}/out": ["/offramp/out/{instance}/input"]
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
	if got := readLines(t, out); len(got) != 3 {
		t.Fatalf("got %d events through the port `input`, want 3: %v", len(got), got)
	}
}
