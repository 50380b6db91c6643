//go:build long

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Figures of TestListenerKill9DuringDrainLong (issue 8's acceptance).
const (
	drainBacklog = 300_000 // events stored while the listener is down
	drainKills   = 20      // SIGKILLs of the listener during the drain
)

// tempProcess is a temblor child process whose stdout the test reads line
// by line (the listener prints each event it receives on its own line).
type tempProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
	logs *bytes.Buffer
	mu   *sync.Mutex
}

// listenerOutput collects the events every run of the listener printed.
type listenerOutput struct {
	mu      sync.Mutex
	msgs    []received
	partial int // lines a SIGKILL cut short (never an acked event)
}

func (o *listenerOutput) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m received
		err := json.Unmarshal(sc.Bytes(), &m)
		o.mu.Lock()
		if err != nil {
			o.partial++
		} else {
			o.msgs = append(o.msgs, m)
		}
		o.mu.Unlock()
	}
}

func (o *listenerOutput) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.msgs)
}

// startListener runs the README's listener deployment (examples/tutorial/
// listener, its port changed) with its stdout going to out.
func startListener(t *testing.T, dir, dataDir string, out *listenerOutput) *tempProcess {
	t.Helper()
	cmd := exec.Command(temblorBin, "--log-format", "json", "server", "run", "--data-dir", dataDir, "-f", dir)
	p := &tempProcess{cmd: cmd, done: make(chan struct{}), logs: &bytes.Buffer{}, mu: &sync.Mutex{}}
	cmd.Stderr = lockedWriter{p.mu, p.logs}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		out.read(stdout)
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *tempProcess) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// copyEdited copies the files of src (not recursive) into dst, applying edit
// to each file's text.
func copyEdited(t *testing.T, src, dst string, edit func(name, text string) string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), []byte(edit(e.Name(), string(b))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// lastBacklog is the backlog the sender's WAL last reported (its progress
// line every 10 s while it holds 1,000 or more).
func lastBacklog(e *engine) int {
	recs := e.logRecords("qos::wal backlog")
	for i := len(recs) - 1; i >= 0; i-- {
		if msg, _ := recs[i]["msg"].(string); msg == "qos::wal backlog" {
			if n, ok := recs[i]["backlog"].(float64); ok {
				return int(n)
			}
		}
	}
	return 0
}

// TestListenerKill9DuringDrainLong is issue 8's acceptance for defect 8:
// the README's two-process setup — the listener deployment
// (examples/tutorial/listener) and the tutorial (examples/tutorial/etc/
// tremor/config), each a temblor process — with the listener down until
// the tutorial's WAL holds 300,000 events, then killed with SIGKILL 20
// times while that backlog drains. Every event the metronome emitted must
// be printed by some run of the listener; duplicates are counted and
// reported.
func TestListenerKill9DuringDrainLong(t *testing.T) {
	port := freePort(t)
	tmp := t.TempDir()
	lisDir, cfgDir := filepath.Join(tmp, "listener"), filepath.Join(tmp, "config")
	copyEdited(t, "../examples/tutorial/listener", lisDir, func(_, s string) string {
		return strings.ReplaceAll(s, "port: 8080", fmt.Sprintf("port: %d", port))
	})
	copyEdited(t, "../examples/tutorial/etc/tremor/config", cfgDir, func(name, s string) string {
		switch name {
		case "metronome.yaml":
			return strings.Replace(s, "interval: 1000 ", "interval: 1 ", 1)
		case "ws.yaml":
			return strings.ReplaceAll(s, "ws://localhost:8080/", fmt.Sprintf("ws://127.0.0.1:%d/", port))
		case "main.trickle":
			// Room for the whole backlog (the tutorial caps it at 1,000).
			s = strings.Replace(s, "max_elements = 1000,", "max_elements = 2000000,", 1)
			return strings.Replace(s, "max_bytes = 10485760", "max_bytes = 2147483648", 1)
		}
		return s
	})
	for _, want := range []string{"interval: 1 ", "max_elements = 2000000", fmt.Sprintf(":%d/", port)} {
		found := false
		for _, f := range []string{"metronome.yaml", "main.trickle", "ws.yaml"} {
			b, _ := os.ReadFile(filepath.Join(cfgDir, f))
			found = found || strings.Contains(string(b), want)
		}
		if !found {
			t.Fatalf("the tutorial's files changed: could not set %q", want)
		}
	}
	sender := &deployment{dir: cfgDir, dataDir: filepath.Join(tmp, "data")}
	out := &listenerOutput{}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))

	// Fill: the listener is down, the metronome ticks every millisecond.
	t0 := time.Now()
	start := t0.UnixNano()
	s := startEngine(t, sender)
	waitFor(t, 20*time.Minute, fmt.Sprintf("a backlog of %d events", drainBacklog), func() bool { return lastBacklog(s) >= drainBacklog })
	fill := time.Since(t0)
	t.Logf("fill: the WAL reported a backlog of %d after %v", lastBacklog(s), fill.Round(time.Second))

	// Drain, killing the listener 20 times.
	t1 := time.Now()
	ldata := filepath.Join(tmp, "ldata")
	l := startListener(t, lisDir, ldata, out)
	step := drainBacklog / (drainKills + 5)
	for k := 0; k < drainKills; k++ {
		n := out.count()
		waitFor(t, 5*time.Minute, fmt.Sprintf("kill %d: %d more events at the listener", k+1, step), func() bool { return out.count() >= n+step })
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		l.kill()
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		l = startListener(t, lisDir, ldata, out)
	}
	// The rest drains while the metronome goes on: drained once the
	// listener prints events less than 2 s old.
	waitFor(t, 10*time.Minute, "the backlog to drain", func() bool {
		out.mu.Lock()
		defer out.mu.Unlock()
		return len(out.msgs) > 0 && time.Since(time.Unix(0, out.msgs[len(out.msgs)-1].IngestNS)) < 2*time.Second
	})
	drain := time.Since(t1)
	drained := out.count()
	stopWithin(t, s, 10*time.Second)
	end := time.Now().UnixNano()
	emittedN := emitted(t, s)
	// What the WAL still held when it stopped (the last second or so) is
	// delivered by the next start: restart it until all of the first run
	// arrived.
	s = startEngine(t, sender)
	// Not fatal when it times out: the check below then says what is lost.
	complete := func() bool {
		got := map[int64]bool{}
		out.mu.Lock()
		for _, m := range out.msgs {
			if m.IngestNS >= start && m.IngestNS < end {
				got[m.ID] = true
			}
		}
		out.mu.Unlock()
		return int64(len(got)) >= emittedN
	}
	for deadline := time.Now().Add(2 * time.Minute); !complete() && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	stopWithin(t, s, 10*time.Second)
	// Everything the sender saw confirmed was printed before the pong;
	// stop the listener and read the rest of its output.
	_ = l.cmd.Process.Signal(syscall.SIGTERM)
	<-l.done

	out.mu.Lock()
	msgs := append([]received(nil), out.msgs...)
	partial := out.partial
	out.mu.Unlock()
	maxID, dups := checkRun(t, msgs, start, end)
	if maxID != emittedN-1 {
		t.Errorf("the metronome emitted ids 0..%d; ids 0..%d arrived", emittedN-1, maxID)
	}
	t.Logf("%d kill -9 of the listener during the drain of a %d-event backlog: all %d events emitted were delivered; "+
		"%d messages printed, %d duplicates, %d partial lines cut by a kill; fill %v, drain %v (%.0f events/s printed)",
		drainKills, drainBacklog, emittedN, len(msgs), dups, partial, fill.Round(time.Second), drain.Round(time.Second),
		float64(drained)/drain.Seconds())
}
