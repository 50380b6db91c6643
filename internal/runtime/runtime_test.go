package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	_ "github.com/temblor-dev/temblor/internal/builtin"
	"github.com/temblor-dev/temblor/internal/config"
	"github.com/temblor-dev/temblor/internal/wal"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type wsPeer struct {
	mu    sync.Mutex
	msgs  []map[string]any
	srv   *http.Server
	addr  string
	conns []*websocket.Conn
	gate  chan struct{} // closed while the peer reads (see pause)
}

func startPeer(t *testing.T, addr string) *wsPeer {
	t.Helper()
	p := &wsPeer{gate: make(chan struct{})}
	close(p.gate)
	p.listen(t, addr)
	return p
}

// pause stops reading (and so answering pings) until kill: what the
// offramp writes stays unconfirmed.
func (p *wsPeer) pause() {
	p.mu.Lock()
	p.gate = make(chan struct{})
	p.mu.Unlock()
}

func (p *wsPeer) listen(t *testing.T, addr string) {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.srv = &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		defer c.CloseNow()
		for {
			p.mu.Lock()
			gate := p.gate
			p.mu.Unlock()
			<-gate
			_, data, err := c.Read(r.Context())
			if err != nil {
				return
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Errorf("peer got %q: %v", data, err)
				continue
			}
			p.mu.Lock()
			p.msgs = append(p.msgs, m)
			p.mu.Unlock()
		}
	})}
	go func() { _ = p.srv.Serve(ln) }()
}

func (p *wsPeer) kill() {
	_ = p.srv.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.CloseNow()
	}
	p.conns = nil
	select {
	case <-p.gate:
	default:
		close(p.gate)
	}
	p.mu.Unlock()
}

func (p *wsPeer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.msgs)
}

func (p *wsPeer) messages() []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]map[string]any(nil), p.msgs...)
}

// tutorial writes the tutorial's files (interval shortened) aimed at url.
func tutorial(t *testing.T, url string, withWAL bool) []string {
	t.Helper()
	dir := t.TempDir()
	trickle := "use tremor::system;\n"
	into := "out"
	if withWAL {
		trickle += "define qos::wal operator on_disk_wal\nwith\n  read_count = 20,\n  max_elements = 1000, # cap\n  max_bytes = 10485760\nend;\n\ncreate operator on_disk_wal;\n"
		into = "on_disk_wal"
	}
	trickle += "select patch event of\n  insert hostname = system::hostname()\nend\nfrom in into " + into + ";\n"
	if withWAL {
		trickle += "select event from on_disk_wal into out;\n"
	}
	files := map[string]string{
		"metronome.yaml": "onramp:\n  - id: metronome\n    type: metronome\n    config:\n      interval: 10\n",
		"main.trickle":   trickle,
		"ws.yaml":        "offramp:\n  - id: ws\n    type: ws\n    config:\n      url: " + url + "\n",
		"binding.yaml": "binding:\n  - id: default\n    links:\n      \"/onramp/metronome/{instance}/out\": [\"/pipeline/main/{instance}/in\"]\n" +
			"      \"/pipeline/main/{instance}/out\": [\"/offramp/ws/{instance}/in\"]\nmapping:\n  /binding/default/01:\n    instance: \"01\"\n",
	}
	return writeFiles(t, dir, files)
}

// writeFiles writes each name → body into dir and returns the paths.
func writeFiles(t *testing.T, dir string, files map[string]string) []string {
	t.Helper()
	var paths []string
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func build(t *testing.T, files []string, reg *prometheus.Registry) *Runtime {
	t.Helper()
	dep, err := config.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Build(dep, Options{DataDir: t.TempDir(), Registry: reg, ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func checkIDs(t *testing.T, msgs []map[string]any) int {
	t.Helper()
	host, _ := os.Hostname()
	next := 0.0
	seen := map[float64]bool{}
	for _, m := range msgs {
		id := m["id"].(float64)
		if seen[id] {
			continue // a re-send after a failure: allowed, never a gap
		}
		seen[id] = true
		if id != next {
			t.Fatalf("id %v arrived where %v was expected", id, next)
		}
		next++
		if m["hostname"] != host || m["onramp"] != "metronome" {
			t.Fatalf("event %v lacks hostname %q", m, host)
		}
	}
	return int(next)
}

// TestTutorialFlow runs the tutorial's deployment in-process against a real
// websocket server and sees every id in order with hostname added.
func TestTutorialFlow(t *testing.T) {
	for _, withWAL := range []bool{false, true} {
		t.Run(fmt.Sprintf("wal=%v", withWAL), func(t *testing.T) {
			peer := startPeer(t, "127.0.0.1:0")
			defer peer.kill()
			rt := build(t, tutorial(t, "ws://"+peer.addr+"/", withWAL), nil)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- rt.Run(ctx) }()
			waitUntil(t, 30*time.Second, "20 events", func() bool { return peer.count() >= 20 })
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			checkIDs(t, peer.messages())
		})
	}
}

// TestSinkOutage kills the websocket server mid-stream while it holds
// unconfirmed events (it stopped reading first, as a hung peer does): the
// offramp fails those events (counted), trips its breaker (the gauge shows
// it), and restores once the server is back; with the WAL nothing is lost.
func TestSinkOutage(t *testing.T) {
	peer := startPeer(t, "127.0.0.1:0")
	reg := prometheus.NewRegistry()
	rt := build(t, tutorial(t, "ws://"+peer.addr+"/", true), reg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- rt.Run(ctx) }()
	waitUntil(t, 30*time.Second, "10 events", func() bool { return peer.count() >= 10 })
	// Let the offramp write events the peer never reads (10 ms interval:
	// a few dozen), awaiting a pong that will not come.
	peer.pause()
	time.Sleep(300 * time.Millisecond)
	peer.kill()
	open := func() float64 { return metric(t, reg, "temblor_offramp_circuit_open", "offramp", "/offramp/ws/01") }
	waitUntil(t, 30*time.Second, "the breaker to open", func() bool { return open() == 1 })
	time.Sleep(300 * time.Millisecond)
	before := peer.count()
	peer2 := startPeer(t, peer.addr)
	defer peer2.kill()
	waitUntil(t, 30*time.Second, "the breaker to close", func() bool { return open() == 0 })
	waitUntil(t, 30*time.Second, "delivery to resume", func() bool { return peer2.count() >= 30 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	all := append(peer.messages(), peer2.messages()...)
	n := checkIDs(t, all)
	failed := metric(t, reg, "temblor_offramp_events_total", "offramp", "/offramp/ws/01", "outcome", "failed")
	if failed == 0 {
		t.Fatal("the offramp failed nothing, although the peer died holding unconfirmed events")
	}
	t.Logf("%d events before the outage, %v failed at the kill and re-sent, %d in all, none lost", before, failed, n)
}

// metric reads the value of the series of family name with the given
// label pairs from what reg gathers (0 when it has none yet).
func metric(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue series
				}
			}
			if m.Gauge != nil {
				return m.Gauge.GetValue()
			}
			return m.Counter.GetValue()
		}
	}
	return 0
}

// TestOrphanWALIsReported: a WAL under --data-dir that no qos::wal of the
// deployment uses (its operator was renamed, say) but that still holds
// events is named in a warning; the WAL in use is not.
func TestOrphanWALIsReported(t *testing.T) {
	dataDir := t.TempDir()
	orphan := filepath.Join(dataDir, "wal", "main", "01", "old_wal")
	l, err := wal.Open(orphan, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, c, err := l.Append([]byte("a"), []byte("b"), []byte("c"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	peer := startPeer(t, "127.0.0.1:0")
	defer peer.kill()
	dep, err := config.Load(tutorial(t, "ws://"+peer.addr+"/", true))
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	rt, err := Build(dep, Options{DataDir: dataDir, ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- rt.Run(ctx) }()
	waitUntil(t, 30*time.Second, "the orphan warning", func() bool { return strings.Contains(logs.String(), "holds undelivered events") })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "dir="+orphan+" events=3") {
		t.Errorf("the warning does not name the orphan and its 3 events:\n%s", out)
	}
	if strings.Count(out, "holds undelivered events") != 1 {
		t.Errorf("want exactly one orphan warning (the WAL in use is not one):\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
