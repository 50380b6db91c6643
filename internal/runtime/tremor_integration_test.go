package runtime

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/config"
)

// These run Tremor 0.11.12's integration tests that use the network
// connectors (tremor-cli/tests/integration/<case>, from $TREMOR_SRC): the
// deployment files as Tremor has them but for the fixed ports (free ones
// here, so that tests running at once do not collide) and sleep_on_done
// (shortened), both sides ("before", the receiver, and the main
// deployment) in this process, each its own runtime in the case's
// directory; then Tremor's assert.yaml is checked.

func tremorCase(t *testing.T, name string) string {
	t.Helper()
	src := os.Getenv("TREMOR_SRC")
	if src == "" {
		t.Skip("TREMOR_SRC is not set: set it to a Tremor 0.11.12 checkout (e.g. /work/ref/tremor) to run its integration deployments")
	}
	dir := filepath.Join(src, "tremor-cli", "tests", "integration", name)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("TREMOR_SRC has no integration test %s: %v", name, err)
	}
	return dir
}

// copyCase copies the case's directory into a temp dir, applying the
// replacements to the YAML files, and works there (Tremor runs both sides
// in the case's directory: relative paths).
func copyCase(t *testing.T, dir string, repl *strings.Replacer) string {
	t.Helper()
	tmp := t.TempDir()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(tmp, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".yaml") {
			b = []byte(repl.Replace(string(b)))
		}
		return os.WriteFile(filepath.Join(tmp, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(tmp)
	// The deployments print to stdout (system::stdout): keep it out of the
	// test's output.
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = devnull
	t.Cleanup(func() { os.Stdout = stdout; devnull.Close() })
	return tmp
}

// deployment builds the artefact files given (relative to the case).
func deployment(t *testing.T, files ...string) *Runtime {
	t.Helper()
	dep, err := config.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Build(dep, Options{DataDir: filepath.Join(t.TempDir(), "data"), ShutdownTimeout: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// background runs a deployment (the receiving side) until the test is
// done with it: stop it with the returned function.
func background(t *testing.T, rt *Runtime) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func freeUDPPort(t *testing.T) int {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// runUntilDone runs a deployment until it stops by itself (close_on_done,
// an exit offramp) and returns what Run returned.
func runUntilDone(t *testing.T, rt *Runtime) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := rt.Run(ctx)
	if ctx.Err() != nil {
		t.Fatal("the deployment did not stop by itself")
	}
	return err
}

func expectedLines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// udp_postprocessors: a file through system::passthrough into the udp
// offramp (yaml codec, base64 postprocessor, Tremor's old host/port +
// dst_host/dst_port form) to a udp onramp whose pipeline writes gen.log:
// it must equal expected.txt.
func TestTremorUDPPostprocessors(t *testing.T) {
	dir := tremorCase(t, "udp_postprocessors")
	recv, send := freeUDPPort(t), freeUDPPort(t)
	copyCase(t, dir, strings.NewReplacer("port: 4242", "port: "+strconv.Itoa(recv), "port: 4343", "port: "+strconv.Itoa(send),
		"sleep_on_done: 5000", "sleep_on_done: 300"))
	stopBefore := background(t, deployment(t, "before/main.trickle", "before/config.yaml"))
	if err := runUntilDone(t, deployment(t, "config.yaml")); err != nil {
		t.Fatal(err)
	}
	want := expectedLines(t, filepath.Join(dir, "expected.txt"))
	waitUntil(t, 20*time.Second, "gen.log complete", func() bool { return len(rawLines(t, "gen.log")) >= len(want) })
	if err := stopBefore(); err != nil {
		t.Fatal(err)
	}
	got := rawLines(t, "gen.log")
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			dec, _ := base64.StdEncoding.DecodeString(got[i])
			t.Fatalf("gen.log line %d differs from expected.txt:\n got %s\n(%s)\nwant %s", i, got[i], dec, want[i])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("gen.log has %d lines, expected.txt %d", len(got), len(want))
	}
}

// ws: an xz file through a qos::wal into the ws offramp, to a ws onramp
// whose pipeline writes gen.log: it must hold expected.json's events
// (compared as JSON values: Tremor's file has its hash map's key order,
// temblor keeps the input's).
func TestTremorWS(t *testing.T) {
	dir := tremorCase(t, "ws")
	port := freeTCPPort(t)
	copyCase(t, dir, strings.NewReplacer("port: 4242", "port: "+strconv.Itoa(port), "ws://127.0.0.1:4242", "ws://127.0.0.1:"+strconv.Itoa(port),
		"sleep_on_done: 10000", "sleep_on_done: 300"))
	stopBefore := background(t, deployment(t, "before/ws.trickle", "before/config.yaml", "before/server.yaml"))
	if err := runUntilDone(t, deployment(t, "config.yaml", "main.trickle")); err != nil {
		t.Fatal(err)
	}
	want := expectedLines(t, filepath.Join(dir, "expected.json"))
	waitUntil(t, 20*time.Second, "gen.log complete", func() bool { return len(rawLines(t, "gen.log")) >= len(want) })
	if err := stopBefore(); err != nil {
		t.Fatal(err)
	}
	got := rawLines(t, "gen.log")
	if len(got) != len(want) {
		t.Fatalf("gen.log has %d lines, expected.json %d", len(got), len(want))
	}
	for i := range want {
		var g, w any
		if err := json.Unmarshal([]byte(got[i]), &g); err != nil {
			t.Fatalf("gen.log line %d is not JSON: %v", i, err)
		}
		if err := json.Unmarshal([]byte(want[i]), &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("gen.log line %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// rest-linked-correlation: a linked rest offramp calls a linked rest
// onramp in the same deployment; the correlated responses reach out.log
// and the exit offramp stops the engine with status 0.
func TestTremorRestLinkedCorrelation(t *testing.T) {
	dir := tremorCase(t, "rest-linked-correlation")
	port := strconv.Itoa(freeTCPPort(t))
	copyCase(t, dir, strings.NewReplacer("port: 12345", "port: "+port, "127.0.0.1:12345", "127.0.0.1:"+port))
	err := runUntilDone(t, deployment(t, "00_ramps.yaml", "01_binding.yaml", "02_binding.yaml", "03_binding.yaml",
		"request.trickle", "response.trickle", "server.trickle", "error.trickle"))
	if err != nil {
		t.Fatalf("exit status: %v (assert.yaml wants 0)", err)
	}
	got := strings.Join(rawLines(t, "out.log"), "\n")
	// assert.yaml: out.log contains these (the last without its closing brace).
	for _, want := range []string{
		`{"event":{"foo":"bar"},"correlation":["1","2","3"]}`,
		`{"event":{"foo":"baz"},"correlation":"snot"}`,
		`{"event":{"foo":"snooze"},"correlation":null}`,
		`{"event":{"foo":"booze"},"correlation":["badger"]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("out.log lacks %s; it holds:\n%s", want, got)
		}
	}
}
