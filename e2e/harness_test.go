package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/temblor-dev/temblor/internal/cli"
)

var temblorBin string

func TestMain(m *testing.M) {
	// With TEMBLOR_E2E_AS_CLI=1 this binary is the temblor CLI itself.
	// Mostly this makes the test binary contain all of the engine's code,
	// so that `go test` re-runs these tests whenever that code changed
	// instead of reporting a cached pass (the engine under test is built
	// below with `go build`, which the test cache cannot see).
	if os.Getenv("TEMBLOR_E2E_AS_CLI") == "1" {
		os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	dir, err := os.MkdirTemp("", "temblor-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	temblorBin = filepath.Join(dir, "temblor")
	args := []string{"build", "-o", temblorBin}
	if raceBuild {
		// The suite runs with -race: so does the engine it starts, so
		// that a data race in a real process under kill -9 is reported
		// (the engine exits 66 and the test sees it).
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "../cmd/temblor")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building temblor:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// received is one message the listener got.
type received struct {
	ID       int64  `json:"id"`
	IngestNS int64  `json:"ingest_ns"`
	Hostname string `json:"hostname"`
	Onramp   string `json:"onramp"`
}

// key identifies a metronome event across restarts (ids restart at 0).
func (r received) key() string { return fmt.Sprintf("%d@%d", r.ID, r.IngestNS) }

// listener is a real websocket server on 127.0.0.1 standing in for the
// tutorial's `websocat -s 8080`. Kill drops it abruptly (listener and every
// connection); Start brings it back on the same port.
type listener struct {
	t    *testing.T
	addr string

	mu    sync.Mutex
	msgs  []received
	raw   int
	ln    net.Listener
	srv   *http.Server
	conns map[*websocket.Conn]net.Conn
	gate  chan struct{} // closed while reading; see Pause
	// pings[c] holds, for each ping received on connection c, how many
	// messages had arrived before it (see Unconfirmed).
	pings map[*websocket.Conn][]int
	start map[*websocket.Conn]int // len(msgs) when c connected
	// unconfirmed collects, at each Kill, the messages a sender could not
	// yet have seen confirmed.
	unconfirmed map[string]bool
}

func newListener(t *testing.T) *listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &listener{t: t, addr: ln.Addr().String(), conns: map[*websocket.Conn]net.Conn{}, gate: make(chan struct{}),
		pings: map[*websocket.Conn][]int{}, start: map[*websocket.Conn]int{}, unconfirmed: map[string]bool{}}
	close(l.gate)
	l.serve(ln)
	t.Cleanup(l.Kill)
	return l
}

func (l *listener) URL() string { return "ws://" + l.addr + "/" }

func (l *listener) serve(ln net.Listener) {
	l.mu.Lock()
	l.ln = ln
	l.srv = &http.Server{Handler: http.HandlerFunc(l.handle), ReadHeaderTimeout: 5 * time.Second}
	srv := l.srv
	l.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (l *listener) handle(w http.ResponseWriter, r *http.Request) {
	var c *websocket.Conn
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OnPingReceived: func(context.Context, []byte) bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		if _, alive := l.conns[c]; !alive {
			return false // killed: it confirms nothing any more
		}
		l.pings[c] = append(l.pings[c], len(l.msgs))
		return true
	}})
	if err != nil {
		return
	}
	c.SetReadLimit(1 << 20)
	l.mu.Lock()
	l.conns[c] = nil
	l.start[c] = len(l.msgs)
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.conns, c)
		l.mu.Unlock()
		c.CloseNow()
	}()
	for {
		l.mu.Lock()
		gate := l.gate
		l.mu.Unlock()
		<-gate
		_, data, err := c.Read(context.Background())
		if err != nil {
			return
		}
		var m received
		if err := json.Unmarshal(data, &m); err != nil {
			l.t.Errorf("listener got a message that is not an event: %q", data)
			continue
		}
		l.mu.Lock()
		if _, alive := l.conns[c]; !alive {
			// Read while Kill ran: the listener died before taking it
			// (and before confirming it).
			l.mu.Unlock()
			return
		}
		l.msgs = append(l.msgs, m)
		l.raw++
		l.mu.Unlock()
	}
}

// Kill stops the server abruptly, like kill -9 of websocat: what its
// connections had not read yet is gone. It also notes which messages a
// sender cannot have seen confirmed (see Unconfirmed).
func (l *listener) Kill() {
	l.mu.Lock()
	srv := l.srv
	l.srv = nil
	conns := make([]*websocket.Conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.noteUnconfirmedLocked()
	for _, c := range conns {
		delete(l.conns, c) // what they still read is dropped (see handle)
	}
	select {
	case <-l.gate:
	default:
		close(l.gate) // a paused handler must see its connection closed
	}
	l.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	for _, c := range conns {
		c.CloseNow()
	}
}

// noteUnconfirmedLocked adds to l.unconfirmed the messages of each open
// connection that arrived after its second-to-last ping: temblor's offramp
// sends a ping only after the pong of the one before, so everything before
// the second-to-last ping was confirmed to it; what came after may not have
// been, and may come again (a duplicate, not a loss).
func (l *listener) noteUnconfirmedLocked() {
	for c := range l.conns {
		from := l.start[c]
		if p := l.pings[c]; len(p) >= 2 {
			from = p[len(p)-2]
		}
		for _, m := range l.msgs[from:] {
			l.unconfirmed[m.key()] = true
		}
	}
}

// Unconfirmed is every message that arrived on a connection Kill cut while
// its confirmation may not have reached the sender.
func (l *listener) Unconfirmed() map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]bool, len(l.unconfirmed))
	for k := range l.unconfirmed {
		out[k] = true
	}
	return out
}

// Pause stops reading on every connection (new ones too) until Kill: the
// sender's data and pings pile up unanswered, as with a hung peer.
func (l *listener) Pause() {
	l.mu.Lock()
	l.gate = make(chan struct{})
	l.mu.Unlock()
}

// Start brings the server back on the same address.
func (l *listener) Start() {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", l.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		l.t.Fatalf("restarting listener on %s: %v", l.addr, err)
	}
	l.serve(ln)
}

func (l *listener) Messages() []received {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]received(nil), l.msgs...)
}

func (l *listener) Count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.msgs)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deployment writes the tutorial's files (interval shortened, offramp URL
// pointing at the listener, WAL options as given) into a fresh directory.
type deployment struct {
	dir     string
	dataDir string
}

func writeTutorial(t *testing.T, wsURL string, intervalMS int, walWith string) *deployment {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "etc", "tremor", "config")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"metronome.yaml": fmt.Sprintf("onramp:\n  - id: metronome\n    type: metronome\n    config:\n      interval: %d\n", intervalMS),
		"main.trickle": "use tremor::system;\n\ndefine qos::wal operator on_disk_wal\nwith\n" + walWith + "\nend;\n\n" +
			"create operator on_disk_wal;\n\nselect patch event of\n  insert hostname = system::hostname()\nend\nfrom in into on_disk_wal;\n\n" +
			"select event from on_disk_wal into out;\n",
		"ws.yaml": "offramp:\n  - id: ws\n    type: ws\n    config:\n      url: " + wsURL + "\n",
		"binding.yaml": "binding:\n  - id: default\n    links:\n      \"/onramp/metronome/{instance}/out\": [\"/pipeline/main/{instance}/in\"]\n" +
			"      \"/pipeline/main/{instance}/out\": [\"/offramp/ws/{instance}/in\"]\n\nmapping:\n  /binding/default/01:\n    instance: \"01\"\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(cfg, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &deployment{dir: cfg, dataDir: filepath.Join(dir, "data")}
}

// engine is a temblor child process.
type engine struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	mu     *sync.Mutex
	done   chan struct{}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func startEngine(t *testing.T, d *deployment, extra ...string) *engine {
	t.Helper()
	args := append([]string{"--log-format", "json", "server", "run", "--data-dir", d.dataDir, "-f", d.dir}, extra...)
	cmd := exec.Command(temblorBin, args...)
	e := &engine{t: t, cmd: cmd, stderr: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	cmd.Stderr = lockedWriter{e.mu, e.stderr}
	cmd.Stdout = lockedWriter{e.mu, e.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(e.done) }()
	t.Cleanup(func() {
		e.Kill()
		if strings.Contains(e.Log(), "WARNING: DATA RACE") {
			t.Errorf("the engine reported a data race:\n%s", e.Log())
		}
	})
	return e
}

// Kill sends SIGKILL and waits for the process to be gone.
func (e *engine) Kill() {
	select {
	case <-e.done:
		return
	default:
	}
	_ = e.cmd.Process.Signal(syscall.SIGKILL)
	<-e.done
}

// Stop sends SIGTERM and waits (bounded) for a graceful exit.
func (e *engine) Stop(timeout time.Duration) error {
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.done:
		if code := e.cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("exit status %d\n%s", code, e.Log())
		}
		return nil
	case <-time.After(timeout):
		e.Kill()
		return errors.New("no graceful exit in time")
	}
}

func (e *engine) Log() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stderr.String()
}

// logRecords returns the JSON log records whose msg contains substr.
func (e *engine) logRecords(substr string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(e.Log()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		if msg, _ := rec["msg"].(string); strings.Contains(msg, substr) {
			out = append(out, rec)
		}
	}
	return out
}

// checkRun checks the events of one metronome run (those with ingest_ns in
// [from, to)): ids must be exactly 0..max with none missing; it returns the
// highest id and the number of duplicates.
func checkRun(t *testing.T, msgs []received, from, to int64) (maxID int64, dups int) {
	t.Helper()
	seen := map[string]int{}
	ids := map[int64]bool{}
	maxID = -1
	for _, m := range msgs {
		if m.IngestNS < from || m.IngestNS >= to {
			continue
		}
		if m.Onramp != "metronome" || m.Hostname == "" {
			t.Errorf("event lacks the tutorial's shape (onramp, hostname): %+v", m)
		}
		seen[m.key()]++
		if seen[m.key()] > 1 {
			dups++
		}
		ids[m.ID] = true
		if m.ID > maxID {
			maxID = m.ID
		}
	}
	var missing []int64
	for id := int64(0); id <= maxID; id++ {
		if !ids[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("LOST %d events of the run: ids %v (of 0..%d)", len(missing), head(missing, 20), maxID)
	}
	return maxID, dups
}

// checkOrder checks that first occurrences arrive in increasing id order
// within a run (re-sends may repeat earlier ids; they never skip ahead).
func checkOrder(t *testing.T, msgs []received, from, to int64) {
	t.Helper()
	seen := map[string]bool{}
	last := int64(-1)
	for _, m := range msgs {
		if m.IngestNS < from || m.IngestNS >= to || seen[m.key()] {
			continue
		}
		seen[m.key()] = true
		if m.ID != last+1 {
			t.Errorf("out of order: first sight of id %d after id %d", m.ID, last)
			return
		}
		last = m.ID
	}
}

func head[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}
