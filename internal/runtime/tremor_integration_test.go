package runtime

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/temblor-dev/temblor/internal/config"
)

// These run the sending side of Tremor 0.11.12's integration tests
// (tremor-cli/tests/integration/<case>) from $TREMOR_SRC, with the
// deployment files as Tremor has them but for the fixed ports (free ones
// here, so that tests running at once do not collide) and sleep_on_done
// (shortened). The receiving side ("before") needs Tremor's `exit`
// offramp; a receiver in the test stands in for it and the output is
// compared with Tremor's expected file.

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

// copyCase copies the case's files into a temp dir, applying the
// replacements to the YAML files, and runs there (relative paths).
func copyCase(t *testing.T, dir string, files []string, repl *strings.Replacer) (tmp string, yamls []string) {
	t.Helper()
	tmp = t.TempDir()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".yaml") || strings.HasSuffix(f, ".trickle") {
			b = []byte(repl.Replace(string(b)))
			yamls = append(yamls, filepath.Join(tmp, f))
		}
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(tmp)
	return tmp, yamls
}

// runUntilDone runs a deployment until it stops by itself (close_on_done).
func runUntilDone(t *testing.T, files []string) {
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
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := rt.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("the deployment did not stop by itself (close_on_done)")
	}
}

func expectedLines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// udp_postprocessors: a file through system::passthrough into the udp
// offramp with the yaml codec and base64 postprocessor, in Tremor's old
// host/port + dst_host/dst_port form; each datagram must be the line of
// expected.txt (what Tremor's receiving side wrote to gen.log).
func TestTremorUDPPostprocessors(t *testing.T) {
	dir := tremorCase(t, "udp_postprocessors")
	recv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	_ = recv.SetReadBuffer(8 << 20)
	src, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	srcPort := src.LocalAddr().(*net.UDPAddr).Port
	_ = src.Close() // free again for the offramp to bind
	repl := strings.NewReplacer("port: 4343", "port: "+strconv.Itoa(srcPort),
		"dst_port: 4242", "dst_port: "+strconv.Itoa(recv.LocalAddr().(*net.UDPAddr).Port), "sleep_on_done: 5000", "sleep_on_done: 300")
	_, files := copyCase(t, dir, []string{"config.yaml", "in.json"}, repl)
	var mu sync.Mutex
	var got []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, err := recv.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			got = append(got, string(buf[:n]))
			mu.Unlock()
		}
	}()
	runUntilDone(t, files)
	want := expectedLines(t, filepath.Join(dir, "expected.txt"))
	waitUntil(t, 10*time.Second, "every datagram", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= len(want) })
	_ = recv.Close()
	<-done
	for i := range want {
		if got[i] != want[i] {
			dec, _ := base64.StdEncoding.DecodeString(got[i])
			t.Fatalf("datagram %d differs from expected.txt:\n got %s\n(%s)\nwant %s", i, got[i], dec, want[i])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d datagrams, want %d", len(got), len(want))
	}
}

// ws: an xz file through a qos::wal into the ws offramp; the messages a
// websocket server receives must be the events of expected.json (compared
// as JSON: Tremor's own output has its hash map's key order, temblor keeps
// the input's).
func TestTremorWS(t *testing.T) {
	dir := tremorCase(t, "ws")
	var mu sync.Mutex
	var got []string
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			_, data, err := c.Read(r.Context())
			if err != nil {
				return
			}
			mu.Lock()
			got = append(got, string(data))
			mu.Unlock()
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	repl := strings.NewReplacer("ws://127.0.0.1:4242", "ws://"+ln.Addr().String(), "sleep_on_done: 10000", "sleep_on_done: 300")
	_, files := copyCase(t, dir, []string{"config.yaml", "main.trickle", "in.json.xz"}, repl)
	runUntilDone(t, files)
	want := expectedLines(t, filepath.Join(dir, "expected.json"))
	waitUntil(t, 10*time.Second, "every message", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= len(want) })
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for i := range want {
		var g, w any
		if err := json.Unmarshal([]byte(got[i]), &g); err != nil {
			t.Fatalf("message %d is not JSON: %v", i, err)
		}
		if err := json.Unmarshal([]byte(want[i]), &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("message %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}
