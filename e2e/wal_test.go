package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const walDefault = "  read_count = 20,\n  max_elements = 100000,\n  max_bytes = 104857600"

// storedKeys runs `temblor wal export --events` on a stopped engine's WAL:
// the events stored and not yet acknowledged.
func storedKeys(t *testing.T, d *deployment) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	for _, r := range storedEvents(t, d) {
		keys[r.key()] = true
	}
	return keys
}

// storedEvents is what storedKeys reads, as events.
func storedEvents(t *testing.T, d *deployment) []received {
	t.Helper()
	walDir := d.dataDir + "/wal/main/01/on_disk_wal"
	out, err := exec.Command(temblorBin, "wal", "export", "--events", walDir).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("temblor wal export %s: %v\n%s", walDir, err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var evs []received
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var rec struct {
			Seq  uint64   `json:"seq"`
			Data received `json:"data"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("wal export line %q: %v", line, err)
		}
		evs = append(evs, rec.Data)
	}
	return evs
}

// engineCrash kills the engine mid-stream and restarts it; it returns the
// boundary time between the runs.
func engineCrash(t *testing.T, l *listener, d *deployment, e *engine, rng *rand.Rand) (*engine, int64, map[string]bool) {
	t.Helper()
	time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
	e.Kill()
	boundary := time.Now().UnixNano()
	unacked := storedKeys(t, d)
	e2 := startEngine(t, d)
	// Everything the first run stored but did not see acked must arrive.
	waitFor(t, 30*time.Second, "the unacked backlog to be re-sent", func() bool {
		got := map[string]bool{}
		for _, m := range l.Messages() {
			got[m.key()] = true
		}
		for k := range unacked {
			if !got[k] {
				return false
			}
		}
		return true
	})
	return e2, boundary, unacked
}

// TestEngineKill9LosesNothing: the tutorial's flow, kill -9 of temblor
// mid-stream, restart: every event of the first run arrives, duplicates are
// only events that were stored and unacknowledged at the kill.
func TestEngineKill9LosesNothing(t *testing.T) {
	l := newListener(t)
	d := writeTutorial(t, l.URL(), 5, walDefault)
	start := time.Now().UnixNano()
	e := startEngine(t, d)
	waitFor(t, 20*time.Second, "100 events at the listener", func() bool { return l.Count() >= 100 })
	e, boundary, unacked := engineCrash(t, l, d, e, rand.New(rand.NewPCG(1, 2)))
	n := l.Count()
	waitFor(t, 20*time.Second, "the second run's events", func() bool { return l.Count() >= n+50 })
	if err := e.Stop(15 * time.Second); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	msgs := l.Messages()
	maxID, dups := checkRun(t, msgs, start, boundary)
	checkRun(t, msgs, boundary, time.Now().UnixNano())
	checkOrder(t, msgs, boundary, time.Now().UnixNano())
	if dups > len(unacked) {
		t.Errorf("%d duplicates, more than the %d events unacknowledged at the kill", dups, len(unacked))
	}
	seen := map[string]int{}
	for _, m := range msgs {
		if seen[m.key()]++; seen[m.key()] == 2 && !unacked[m.key()] {
			t.Errorf("duplicate of %s, which was not in the unacknowledged window", m.key())
		}
	}
	t.Logf("first run: ids 0..%d, %d unacked at kill -9 and re-sent, %d duplicates", maxID, len(unacked), dups)
}

// TestListenerOutageLosesNothing: the tutorial's second scenario, in which
// Tremor lost event 5: the listener dies, stays down while the backlog grows
// past several hundred events, and comes back: every event arrives in order.
func TestListenerOutageLosesNothing(t *testing.T) {
	l := newListener(t)
	d := writeTutorial(t, l.URL(), 5, walDefault)
	start := time.Now().UnixNano()
	e := startEngine(t, d)
	waitFor(t, 20*time.Second, "50 events at the listener", func() bool { return l.Count() >= 50 })
	l.Kill()
	before := l.Count()
	time.Sleep(3 * time.Second) // ~600 events at 5 ms
	l.Start()
	waitFor(t, 30*time.Second, "the backlog to drain", func() bool { return l.Count() >= before+500 })
	if err := e.Stop(15 * time.Second); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	msgs := l.Messages()
	maxID, dups := checkRun(t, msgs, start, time.Now().UnixNano())
	checkOrder(t, msgs, start, time.Now().UnixNano())
	if maxID < int64(before)+500 {
		t.Errorf("only ids up to %d arrived; expected the backlog of several hundred after %d", maxID, before)
	}
	t.Logf("ids 0..%d all arrived; %d duplicates; outage began after %d events", maxID, dups, before)
}

// crashCycles alternates engine kill -9 and listener outages.
func crashCycles(t *testing.T, cycles int) {
	l := newListener(t)
	d := writeTutorial(t, l.URL(), 5, walDefault)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	bounds := []int64{time.Now().UnixNano()}
	allUnacked := map[string]bool{}
	e := startEngine(t, d)
	waitFor(t, 20*time.Second, "first events", func() bool { return l.Count() >= 20 })
	for i := 0; i < cycles; i++ {
		var b int64
		var unacked map[string]bool
		e, b, unacked = engineCrash(t, l, d, e, rng)
		bounds = append(bounds, b)
		for k := range unacked {
			allUnacked[k] = true
		}
		n := l.Count()
		waitFor(t, 20*time.Second, "events after restart", func() bool { return l.Count() >= n+20 })
		l.Kill()
		time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
		l.Start()
		n = l.Count()
		waitFor(t, 30*time.Second, "events after the listener came back", func() bool { return l.Count() >= n+50 })
	}
	if err := e.Stop(15 * time.Second); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	bounds = append(bounds, time.Now().UnixNano())
	msgs := l.Messages()
	total, dups := 0, 0
	for i := 0; i+1 < len(bounds); i++ {
		maxID, d := checkRun(t, msgs, bounds[i], bounds[i+1])
		checkOrder(t, msgs, bounds[i], bounds[i+1])
		total += int(maxID + 1)
		dups += d
	}
	// A duplicate is legitimate only if it was stored and unacknowledged
	// at an engine kill, or arrived on a listener connection that was cut
	// before its confirmation could reach the engine.
	allowed := l.Unconfirmed()
	window := len(allowed)
	for k := range allUnacked {
		allowed[k] = true
	}
	seen := map[string]int{}
	bad := 0
	for _, m := range msgs {
		if seen[m.key()]++; seen[m.key()] == 2 && !allowed[m.key()] {
			if bad++; bad <= 10 {
				t.Errorf("duplicate of %s, which was neither unacknowledged at an engine kill nor unconfirmed at a listener kill", m.key())
			}
		}
	}
	t.Logf("%d cycles: %d distinct events over %d runs, %d messages received, zero lost; %d duplicates, all within the %d unacked at engine kills and the %d unconfirmed at listener kills",
		cycles, total, len(bounds)-1, len(msgs), dups, len(allUnacked), window)
}

func TestCrashCycles(t *testing.T) {
	crashCycles(t, 3)
}

// overflow runs the tutorial with a tiny max_elements and the listener down.
func overflow(t *testing.T, policy string) (msgs []received, e *engine, start int64) {
	l := newListener(t)
	l.Kill()
	d := writeTutorial(t, l.URL(), 5, fmt.Sprintf("  read_count = 20,\n  max_elements = 50,\n  overflow = %q", policy))
	start = time.Now().UnixNano()
	e = startEngine(t, d, "--metrics-addr", "127.0.0.1:0")
	url := metricsURL(t, e)
	if policy == "block" {
		waitFor(t, 30*time.Second, "the full WAL pausing the metronome", func() bool {
			return len(e.logRecords("circuit breaker open: pausing source")) > 0
		})
		// Unpaused, the metronome would tick ~400 times in this time
		// (TestOverflowBlockPausesUpstream checks it did not).
		time.Sleep(2 * time.Second)
	} else {
		// Wait on the drops themselves, not on time: a loaded machine
		// ticks the metronome more slowly.
		waitFor(t, 60*time.Second, "150 events dropped by the overflow policy", func() bool {
			return metric(scrape(t, url), "temblor_wal_dropped_total") >= 150
		})
	}
	l.Start()
	waitFor(t, 30*time.Second, "delivery after the listener came back", func() bool { return l.Count() >= 100 })
	if err := e.Stop(15 * time.Second); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	return l.Messages(), e, start
}

func walSummary(t *testing.T, e *engine) map[string]any {
	t.Helper()
	recs := e.logRecords("qos::wal closed")
	if len(recs) != 1 {
		t.Fatalf("want one `qos::wal closed` summary in the log, got %d:\n%s", len(recs), e.Log())
	}
	return recs[0]
}

func TestOverflowBlockPausesUpstream(t *testing.T) {
	msgs, e, start := overflow(t, "block")
	if len(e.logRecords("qos::wal full: pausing upstream")) == 0 || len(e.logRecords("circuit breaker open: pausing source")) == 0 {
		t.Errorf("the WAL did not trip the breaker and pause the metronome:\n%s", e.Log())
	}
	maxID, _ := checkRun(t, msgs, start, time.Now().UnixNano())
	checkOrder(t, msgs, start, time.Now().UnixNano())
	sum := walSummary(t, e)
	if sum["refused"] != float64(0) || sum["dropped"] != float64(0) {
		t.Errorf("block policy refused or dropped events: %v", sum)
	}
	if maxID > 350 {
		t.Errorf("metronome did not pause: ids up to %d", maxID)
	}
}

func testDrop(t *testing.T, policy string) {
	msgs, e, start := overflow(t, policy)
	sum := walSummary(t, e)
	dropped := int64(sum["dropped"].(float64))
	if dropped < 100 {
		t.Fatalf("expected hundreds of drops with the listener down, got %d (%v)", dropped, sum)
	}
	ids := map[int64]bool{}
	maxID := int64(-1)
	for _, m := range msgs {
		if m.IngestNS >= start {
			ids[m.ID] = true
			maxID = max(maxID, m.ID)
		}
	}
	var missing []int64
	for id := int64(0); id <= maxID; id++ {
		if !ids[id] {
			missing = append(missing, id)
		}
	}
	// drop_oldest may discard an event already sent and awaiting its ack:
	// that one can still arrive, so it is counted apart. Every other drop
	// is an id that never arrives, and nothing else is missing.
	inFlight := int64(sum["dropped_in_flight"].(float64))
	if policy == "drop_newest" && inFlight != 0 {
		t.Errorf("drop_newest dropped %d events in flight; it only drops incoming ones", inFlight)
	}
	if n := int64(len(missing)); n < dropped-inFlight || n > dropped {
		t.Errorf("%s: %d ids missing but %d drops counted, %d of them in flight (missing: %v...)", policy, n, dropped, inFlight, head(missing, 10))
	}
	if policy == "drop_newest" && len(missing) > 0 && missing[0] < 50 {
		t.Errorf("drop_newest dropped id %d, one of the first 50 stored", missing[0])
	}
	if policy == "drop_oldest" && len(missing) > 0 && missing[0] > 10 {
		t.Errorf("drop_oldest kept the oldest events (first missing id %d)", missing[0])
	}
	t.Logf("%s: %d dropped and counted (%d in flight), %d missing; %d delivered", policy, dropped, inFlight, len(missing), len(ids))
}

func TestOverflowDropOldest(t *testing.T) { testDrop(t, "drop_oldest") }
func TestOverflowDropNewest(t *testing.T) { testDrop(t, "drop_newest") }

// TestTutorialFilesRunUnchanged runs examples/tutorial as shipped (a
// listener deployment on :8080 in the same process) for a few seconds.
func TestTutorialFilesRunUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("uses port 8080")
	}
	if ln, err := net.Listen("tcp", "127.0.0.1:8080"); err != nil {
		t.Skipf("port 8080 is taken here (%v); the tutorial's files name it", err)
	} else {
		ln.Close()
	}
	dir := t.TempDir()
	cmd := exec.Command(temblorBin, "server", "run", "--data-dir", dir,
		"-f", "../examples/tutorial/etc/tremor/config/", "-f", "../examples/tutorial/listener/")
	var out, errb bytes.Buffer
	var mu sync.Mutex
	cmd.Stdout, cmd.Stderr = lockedWriter{&mu, &out}, lockedWriter{&mu, &errb}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The metronome ticks every second: wait for three events on stdout.
	waitFor(t, 60*time.Second, "three events on stdout", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Count(out.String(), "\n") >= 3
	})
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("temblor: %v\n%s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("expected events on stdout, got %q\nstderr:\n%s", out.String(), errb.String())
	}
	for i, line := range lines {
		var m received
		if err := json.Unmarshal([]byte(line), &m); err != nil || m.Onramp != "metronome" || m.Hostname == "" || m.ID != int64(i) {
			t.Errorf("line %d = %q, want the tutorial's event with id %d", i, line, i)
		}
	}
}

// TestSignals: SIGTERM stops gracefully with status 0; a second signal
// during the shutdown exits at once with 130.
func TestSignals(t *testing.T) {
	l := newListener(t)
	d := writeTutorial(t, l.URL(), 5, walDefault)
	e := startEngine(t, d)
	waitFor(t, 20*time.Second, "events", func() bool { return l.Count() >= 10 })
	start := time.Now()
	if err := e.Stop(15 * time.Second); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	t.Logf("graceful stop took %v", time.Since(start).Round(time.Millisecond))

	// A listener that hangs keeps the offramp's confirmation waiting, so
	// the shutdown takes long enough for the second signal to land.
	l.Kill()
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	var accepted atomic.Int64
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			defer c.Close() // accept and never answer
		}
	}()
	d2 := writeTutorial(t, "ws://"+hang.Addr().String()+"/", 5, walDefault)
	e2 := startEngine(t, d2, "--shutdown-timeout", "30s")
	// The engine is up once its offramp dials the hung peer.
	waitFor(t, 30*time.Second, "the offramp dialling the hung peer", func() bool { return accepted.Load() > 0 })
	_ = e2.cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, 10*time.Second, "the first signal to start the shutdown", func() bool {
		return len(e2.logRecords("signal received")) > 0
	})
	_ = e2.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e2.done:
		if code := e2.cmd.ProcessState.ExitCode(); code != 130 {
			t.Fatalf("second signal: exit status %d, want 130\n%s", code, e2.Log())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("a second signal did not exit at once\n%s", e2.Log())
	}
}
