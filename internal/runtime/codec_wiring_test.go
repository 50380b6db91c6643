package runtime

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/config"
	"github.com/temblor-dev/temblor/internal/event"
)

// TestCodecsAndProcessorsEndToEnd: influx lines through the lines
// preprocessor, the influx codec (a comment is skipped, a bad line costs
// only itself, a line without a timestamp gets the ingest time), out as
// msgpack through the base64 postprocessor; reading the file back gives
// every good line, exact integers and all.
func TestCodecsAndProcessorsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.influx"), filepath.Join(dir, "out.b64")
	lines := "weather,location=us-midwest temperature=82 1465839830100400200\n" +
		"# a comment\n" +
		"this is not line protocol\n" +
		"cpu,host=a usage=1i,big=9223372036854775807i\n" +
		"mem free=3u 1600860720749137000\n"
	if err := os.WriteFile(in, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "all.yaml")
	if err := os.WriteFile(cfg, []byte(`
onramp:
  - id: in
    type: file
    codec: influx
    preprocessors: [lines]
    config: {source: `+in+`, close_on_done: true}
offramp:
  - id: out
    type: file
    codec: msgpack
    postprocessors: [base64]
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
	var logs bytes.Buffer
	rt, err := Build(dep, Options{DataDir: filepath.Join(dir, "data"), ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UnixNano()
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
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := codec.Registry.Lookup("msgpack")
	mp := spec.New()
	var got []*event.Record
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		b, err := base64.StdEncoding.DecodeString(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		v, err := mp.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v.(*event.Record))
	}
	if len(got) != 3 {
		t.Fatalf("%d events, want 3: %v", len(got), got)
	}
	field := func(r *event.Record, path ...string) event.Value {
		var v event.Value = r
		for _, p := range path {
			v, _ = v.(*event.Record).Get(p)
		}
		return v
	}
	if m := field(got[0], "measurement"); m != "weather" {
		t.Errorf("first event: %v", got[0])
	}
	if ts, ok := field(got[1], "timestamp").(int64); !ok || ts < start || ts > time.Now().UnixNano() {
		t.Errorf("a line without a timestamp should carry the ingest time, got %v", field(got[1], "timestamp"))
	}
	if b := field(got[1], "fields", "big"); b != int64(9223372036854775807) {
		t.Errorf("big integer came back as %v (%T)", b, b)
	}
	if ts := field(got[2], "timestamp"); ts != int64(1600860720749137000) {
		t.Errorf("timestamp %v", ts)
	}
	if n := strings.Count(logs.String(), "input could not be decoded"); n != 1 {
		t.Errorf("want exactly one decode error logged (the bad line; the comment is skipped silently), got %d:\n%s", n, logs.String())
	}
}

// syncWriter lets the engine's goroutines log into one buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
