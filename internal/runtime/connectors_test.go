package runtime

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/temblor-dev/temblor/internal/builtin"
	"github.com/temblor-dev/temblor/internal/config"
)

func freeTCPPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Linked rest on both ends, as Tremor's rest-linked-correlation
// integration test deploys it: a file feeds a request pipeline into a
// linked rest offramp whose requests reach a linked rest onramp; the
// server pipeline's reply comes back as the HTTP response, which the
// offramp hands to the response pipeline with the request's
// $correlation.
func TestLinkedRestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	port := freeTCPPort(t)
	out := filepath.Join(dir, "out.log")
	files := map[string]string{
		"in.json": `{"foo":"bar", "correlation": ["1", "2", "3"]}
{"foo":"baz", "correlation": "snot"}
{"foo":"booze", "correlation": ["badger"]}
{"foo": "snooze"}
`,
		"00_ramps.yaml": fmt.Sprintf(`
onramp:
  - id: file-in
    type: file
    codec: json
    config:
      source: %s
  - id: rest-in
    type: rest
    linked: true
    codec: json
    config:
      host: 127.0.0.1
      port: %d
offramp:
  - id: rest-linked
    type: rest
    linked: true
    codec: json
    config:
      endpoint: http://127.0.0.1:%d/sample.json
      method: get
      concurrency: 10
      headers:
        "Content-Type": "application/json"
  - id: file-out
    type: file
    codec: json
    config:
      file: %s
`, filepath.Join(dir, "in.json"), port, port, out),
		"01_binding.yaml": `
binding:
  - id: main
    links:
      "/onramp/file-in/{instance}/out": ["/pipeline/request/{instance}/in"]
      "/pipeline/request/{instance}/out": ["/offramp/rest-linked/{instance}/in"]
      "/offramp/rest-linked/{instance}/out": ["/pipeline/response/{instance}/in"]
      "/pipeline/response/{instance}/out": ["/offramp/file-out/{instance}/in"]
  - id: server
    links:
      "/onramp/rest-in/{instance}/out": ["/pipeline/server/{instance}/in"]
      "/pipeline/server/{instance}/out": ["/onramp/rest-in/{instance}/in"]
mapping:
  /binding/main/01:
    instance: "01"
  /binding/server/01:
    instance: "01"
`,
		"request.trickle": `
define script processing
script
  match event of
    case %{ present correlation } =>
      let $correlation = event.correlation,
      let $request.headers["x-correlation"] = event.correlation,
      let event = patch event of erase "correlation" end
    default =>
      let $request.headers["x-correlation"] = "nope"
  end;
  event
end;
create script processing;
select event from in into processing;
select event from processing into out;
`,
		"response.trickle": `
select {
  "event": event,
  "correlation": match $ of case %{ present correlation } => $correlation default => null end
} from in into out;
`,
		"server.trickle": `
define script server
script
  let $response = {
    "status": 200,
    "headers": {
      "server": "Tremor/lol",
      "content-type": "application/json"
    }
  };
  event
end;
create script server;
select event from in into server;
select event from server into out;
`,
	}
	paths := writeFiles(t, dir, files)
	var ps []string
	for _, p := range paths {
		if !strings.HasSuffix(p, ".json") {
			ps = append(ps, p)
		}
	}
	dep, err := config.Load(ps)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	rt, err := Build(dep, Options{DataDir: filepath.Join(dir, "data"), ShutdownTimeout: 5 * time.Second, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- rt.Run(ctx) }()
	waitUntil(t, 20*time.Second, "4 responses in out.log", func() bool { return len(rawLines(t, out)) >= 4 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := rawLines(t, out)
	sort.Strings(got)
	want := []string{
		`{"event":{"foo":"bar"},"correlation":["1","2","3"]}`,
		`{"event":{"foo":"baz"},"correlation":"snot"}`,
		`{"event":{"foo":"booze"},"correlation":["badger"]}`,
		`{"event":{"foo":"snooze"},"correlation":null}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("out.log:\n%s\nwant (in any order):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func rawLines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// `select ... into out/exit` sends to the pipeline's output port `exit`,
// which a binding links as /pipeline/ID/INSTANCE/exit (Tremor 0.11).
func TestNamedOutputPorts(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"ramps.yaml": `
onramp:
  - id: in
    type: file
    config: {source: ` + filepath.Join(dir, "in.json") + `}
offramp:
  - id: main
    type: file
    config: {file: ` + filepath.Join(dir, "main.log") + `}
  - id: quit
    type: file
    config: {file: ` + filepath.Join(dir, "quit.log") + `}
binding:
  - id: b
    links:
      "/onramp/in/{instance}/out": ["/pipeline/p/{instance}/in"]
      "/pipeline/p/{instance}/out": ["/offramp/main/{instance}/in"]
      "/pipeline/p/{instance}/exit": ["/offramp/quit/{instance}/in"]
mapping:
  /binding/b/01:
    instance: "01"
`,
		"p.trickle": `
select event from in where event != "quit" into out;
select {"exit": 0} from in where event == "quit" into out/exit;
`,
		"in.json": "\"a\"\n\"quit\"\n\"b\"\n",
	}
	paths := writeFiles(t, dir, files)
	var ps []string
	for _, p := range paths {
		if !strings.HasSuffix(p, ".json") {
			ps = append(ps, p)
		}
	}
	dep, err := config.Load(ps)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Build(dep, Options{DataDir: filepath.Join(dir, "data"), ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- rt.Run(ctx) }()
	waitUntil(t, 10*time.Second, "both offramps written", func() bool {
		return len(rawLines(t, filepath.Join(dir, "main.log"))) == 2 && len(rawLines(t, filepath.Join(dir, "quit.log"))) == 1
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rawLines(t, filepath.Join(dir, "main.log")), ","); got != `"a","b"` {
		t.Errorf("main.log: %s", got)
	}
	if got := rawLines(t, filepath.Join(dir, "quit.log")); got[0] != `{"exit":0}` {
		t.Errorf("quit.log: %v", got)
	}
}

// A linked kv offramp (Tremor's kv-linked integration test, reduced): its
// results leave by `out` and its errors by `err` to the pipelines linked
// there; a generic::batch event's commands each run and answer with their
// own $correlation.
func TestLinkedKV(t *testing.T) {
	dir := t.TempDir()
	out, errOut := filepath.Join(dir, "out.log"), filepath.Join(dir, "err.log")
	files := map[string]string{
		"in.json": `{"put": {"key": "snot", "value": "badger"}}
{"put": {"key": "heinz", "value": "ketchup"}, "batch": true}
{"get": {"key": "heinz"}, "batch": true}
{"garbage": true}
`,
		"00_ramps.yaml": fmt.Sprintf(`
onramp:
  - id: input
    type: file
    codec: json
    config:
      source: %s
offramp:
  - id: kv
    type: kv
    codec: json
    linked: true
    config:
      dir: %s
  - id: output
    type: file
    codec: json
    config:
      file: %s
  - id: errors
    type: file
    codec: json
    config:
      file: %s
binding:
  - id: kv
    links:
      "/onramp/input/{instance}/out": ["/pipeline/in/{instance}/in"]
      "/pipeline/in/{instance}/out": ["/offramp/kv/{instance}/in"]
      "/offramp/kv/{instance}/out": ["/pipeline/out/{instance}/in"]
      "/pipeline/out/{instance}/out": ["/offramp/output/{instance}/in"]
      "/offramp/kv/{instance}/err": ["/pipeline/err/{instance}/in"]
      "/pipeline/err/{instance}/out": ["/offramp/errors/{instance}/in"]
mapping:
  /binding/kv/01:
    instance: "01"
`, filepath.Join(dir, "in.json"), filepath.Join(dir, "kvdata"), out, errOut),
		"in.trickle": `
define script process
script
  use std::json;
  let $correlation = json::encode(event);
  event
end;
create script process;
define generic::batch operator batch with count = 2 end;
create operator batch;
select event from in into process;
select event from process where present event.batch into batch;
select event from process where absent event.batch into out;
select event from batch into out;
`,
		"out.trickle": `select {"event": event, "correlation": $correlation} from in into out;`,
		"err.trickle": `select {"event": event, "correlation": $correlation} from in into out;`,
	}
	paths := writeFiles(t, dir, files)
	var ps []string
	for _, p := range paths {
		if !strings.HasSuffix(p, ".json") {
			ps = append(ps, p)
		}
	}
	dep, err := config.Load(ps)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Build(dep, Options{DataDir: filepath.Join(dir, "data"), ShutdownTimeout: 5 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- rt.Run(ctx) }()
	waitUntil(t, 20*time.Second, "3 results and 1 error", func() bool {
		return len(rawLines(t, out)) >= 3 && len(rawLines(t, errOut)) >= 1
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// In any order: the pipeline's two paths into `out` (batched or not)
	// are not ordered against each other within one input batch.
	got := rawLines(t, out)
	sort.Strings(got)
	want := []string{
		`{"event":{"ok":{"key":"aGVpbno=","value":"ketchup"}},"correlation":"{\"get\":{\"key\":\"heinz\"},\"batch\":true}"}`,
		`{"event":{"ok":{"key":"aGVpbno=","value":null}},"correlation":"{\"put\":{\"key\":\"heinz\",\"value\":\"ketchup\"},\"batch\":true}"}`,
		`{"event":{"ok":{"key":"c25vdA==","value":null}},"correlation":"{\"put\":{\"key\":\"snot\",\"value\":\"badger\"}}"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("out.log:\n%s\nwant (in any order):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if e := rawLines(t, errOut); len(e) != 1 || !strings.Contains(e[0], `"correlation":"{\"garbage\":true}"`) {
		t.Fatalf("err.log: %q", e)
	}
}
