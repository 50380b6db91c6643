package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// countRecords is how many JSON log records of e contain msg.
func countRecords(e *engine, msg string) int { return len(e.logRecords(msg)) }

// emitted is how many events the metronome handed to the pipeline in e's
// run, from the engine's "onramp stopped" log line (after a graceful stop):
// the run's ids are 0..emitted-1, so a lost last event shows.
func emitted(t *testing.T, e *engine) int64 {
	t.Helper()
	for _, rec := range e.logRecords("onramp stopped") {
		if rec["onramp"] == "/onramp/metronome/01" {
			return int64(rec["events"].(float64))
		}
	}
	t.Fatalf("no `onramp stopped` line for the metronome:\n%s", e.Log())
	return 0
}

// stopWithin stops e with SIGTERM and fails the test unless it exits, with
// status 0, within the shutdown timeout it was started with plus a margin
// for process start-up and exit.
func stopWithin(t *testing.T, e *engine, shutdown time.Duration) {
	t.Helper()
	start := time.Now()
	if err := e.Stop(shutdown + 5*time.Second); err != nil {
		t.Fatalf("graceful stop with --shutdown-timeout %v: %v\n%s", shutdown, err, e.Log())
	}
	t.Logf("graceful stop took %v (timeout %v)", time.Since(start).Round(time.Millisecond), shutdown)
}

// TestMaxBytesCapPausesResumesAndStops is defect 1 of issue 8: a WAL
// capped by max_bytes alone (the tutorial with interval 1 ms and
// max_bytes = 100000), listener down. At the cap it must pause the
// metronome, resume when the listener comes back, stop gracefully within
// the shutdown timeout while full, and do the same after a restart at the
// cap; nothing is lost.
func TestMaxBytesCapPausesResumesAndStops(t *testing.T) {
	const shutdown = 3 * time.Second
	l := newListener(t)
	l.Kill()
	d := writeTutorial(t, l.URL(), 1, "  read_count = 20,\n  max_bytes = 100000")
	start := time.Now().UnixNano()
	e := startEngine(t, d, "--shutdown-timeout", shutdown.String())
	waitFor(t, 30*time.Second, "the WAL to reach max_bytes and pause upstream", func() bool {
		return countRecords(e, "qos::wal full: pausing upstream") > 0 && countRecords(e, "circuit breaker open: pausing source") > 0
	})

	// The listener comes back: delivery resumes, and the metronome with it.
	l.Start()
	waitFor(t, 30*time.Second, "delivery after the listener came back", func() bool { return l.Count() >= 2000 })
	waitFor(t, 30*time.Second, "the WAL to resume upstream", func() bool { return countRecords(e, "qos::wal has room again") > 0 })

	// Full again, then a graceful stop while full.
	l.Kill()
	fulls := countRecords(e, "qos::wal full: pausing upstream")
	waitFor(t, 30*time.Second, "the WAL to fill up again", func() bool {
		return countRecords(e, "qos::wal full: pausing upstream") > fulls
	})
	stopWithin(t, e, shutdown)
	boundary := time.Now().UnixNano()
	emitted1 := emitted(t, e)

	// Restart at the cap: it pauses, resumes when the listener is back,
	// and stops in time again.
	e = startEngine(t, d, "--shutdown-timeout", shutdown.String())
	waitFor(t, 30*time.Second, "the restarted WAL to be full", func() bool {
		return countRecords(e, "qos::wal full: pausing upstream") > 0
	})
	n := l.Count()
	l.Start()
	waitFor(t, 30*time.Second, "delivery after the restart at the cap", func() bool {
		second := 0
		for _, m := range l.Messages() {
			if m.IngestNS >= boundary {
				second++
			}
		}
		return l.Count() >= n+1000 && second >= 500
	})
	stopWithin(t, e, shutdown)

	// What the last stop left in the WAL is delivered at the next start:
	// stored, not lost.
	msgs := append(l.Messages(), storedEvents(t, d)...)
	max1, dups1 := checkRun(t, msgs, start, boundary)
	max2, dups2 := checkRun(t, msgs, boundary, time.Now().UnixNano())
	checkOrder(t, msgs, boundary, time.Now().UnixNano())
	// The last events of a run are the ones a full WAL held in memory
	// when it stopped: they must have arrived too.
	if max1 != emitted1-1 {
		t.Errorf("run 1: the metronome emitted ids 0..%d but only 0..%d arrived", emitted1-1, max1)
	}
	if emitted2 := emitted(t, e); max2 != emitted2-1 {
		t.Errorf("run 2: the metronome emitted ids 0..%d but only 0..%d arrived", emitted2-1, max2)
	}
	t.Logf("run 1: ids 0..%d (%d duplicates); run 2: ids 0..%d (%d duplicates)", max1, dups1, max2, dups2)
	if s := fmt.Sprint(walSummary(t, e)["refused"]); s != "0" {
		t.Errorf("the block policy refused %s events", s)
	}
}

// writeFiles writes name → body into a new config directory and returns a
// deployment on it.
func writeFiles(t *testing.T, files map[string]string) *deployment {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.Mkdir(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(cfg, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &deployment{dir: cfg, dataDir: filepath.Join(dir, "data")}
}

// readJSONLines reads a file offramp's output, one JSON record per line.
func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("%s: line %q: %v", path, line, err)
		}
		out = append(out, m)
	}
	return out
}

// waitExit waits for an engine that stops by itself (close_on_done) and
// checks it exited 0.
func waitExit(t *testing.T, e *engine, timeout time.Duration) {
	t.Helper()
	select {
	case <-e.done:
	case <-time.After(timeout):
		t.Fatalf("the engine did not stop by itself after its input:\n%s", e.Log())
	}
	if code := e.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, e.Log())
	}
}

// TestOversizedEventIsRefusedAlone is defect 6 of issue 8: one event larger
// than max_bytes used to stop the pipeline until a restart, and the events
// behind it vanished at shutdown. Now that one event is refused (to the err
// port with the reason, or dropped, counted and logged once) and every other
// event is delivered; the engine stops by itself with close_on_done.
func TestOversizedEventIsRefusedAlone(t *testing.T) {
	for _, withErr := range []bool{true, false} {
		t.Run(fmt.Sprintf("err_port_linked=%v", withErr), func(t *testing.T) {
			tmp := t.TempDir()
			src, out, errOut := filepath.Join(tmp, "in.json"), filepath.Join(tmp, "out.json"), filepath.Join(tmp, "err.json")
			var in bytes.Buffer
			const n, big = 50, 20
			for i := 0; i < n; i++ {
				blob := "small"
				if i == big {
					blob = strings.Repeat("x", 200_000)
				}
				fmt.Fprintf(&in, "{\"id\":%d,\"blob\":%q}\n", i, blob)
			}
			if err := os.WriteFile(src, in.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			links := "      \"/onramp/in/{instance}/out\": [\"/pipeline/main/{instance}/in\"]\n" +
				"      \"/pipeline/main/{instance}/out\": [\"/offramp/out/{instance}/in\"]\n"
			if withErr {
				links += "      \"/pipeline/main/{instance}/err\": [\"/offramp/errors/{instance}/in\"]\n"
			}
			d := writeFiles(t, map[string]string{
				"ramps.yaml": "onramp:\n  - id: in\n    type: file\n    config:\n      source: " + src + "\n      close_on_done: true\n" +
					"offramp:\n  - id: out\n    type: file\n    config:\n      file: " + out + "\n" +
					"  - id: errors\n    type: file\n    config:\n      file: " + errOut + "\n",
				"binding.yaml": "binding:\n  - id: job\n    links:\n" + links + "mapping:\n  /binding/job/01:\n    instance: \"01\"\n",
				"main.trickle": "define qos::wal operator w with read_count = 20, max_bytes = 100000 end;\ncreate operator w;\n" +
					"select event from in into w;\nselect event from w into out;\n",
			})
			e := startEngine(t, d)
			waitExit(t, e, 60*time.Second)
			got := readJSONLines(t, out)
			if len(got) != n-1 {
				t.Fatalf("%d of the %d other events delivered:\n%s", len(got), n-1, e.Log())
			}
			for i, m := range got {
				want := i
				if i >= big {
					want++
				}
				if m["id"] != float64(want) {
					t.Fatalf("event %d has id %v, want %d (in order, only id %d missing)", i, m["id"], want, big)
				}
			}
			if s := fmt.Sprint(walSummary(t, e)["backlog"]); s != "0" {
				t.Errorf("the WAL ended with a backlog of %s", s)
			}
			if withErr {
				errs := readJSONLines(t, errOut)
				if len(errs) != 1 || !strings.Contains(fmt.Sprint(errs[0]["error"]), "exceeds max_bytes 100000") {
					t.Fatalf("err port got %d events (want the oversized one with the reason): %.300v", len(errs), errs)
				}
				if ev, _ := errs[0]["event"].(map[string]any); ev["id"] != float64(big) {
					t.Errorf("the err port event carries id %v, want %d", ev["id"], big)
				}
				return
			}
			if recs := e.logRecords("was dropped"); len(recs) != 1 || !strings.Contains(fmt.Sprint(recs[0]["err"]), "exceeds max_bytes") {
				t.Errorf("want one log line saying the oversized event was dropped and why, got %v", recs)
			}
		})
	}
}

// TestPoisonEventAfterWALIsAnswered is defect 7 of issue 8: a select after
// the WAL that fails on one event (id 3: division by zero) used to pin the
// WAL's cursor: never acked, every restart re-sent everything since. Now the
// event is dropped with a log line and counts as answered, so after a
// graceful stop and a restart nothing comes back.
func TestPoisonEventAfterWALIsAnswered(t *testing.T) {
	l := newListener(t)
	d := writeTutorial(t, l.URL(), 5, walDefault)
	trickle := filepath.Join(d.dir, "main.trickle")
	b, err := os.ReadFile(trickle)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte("select event from on_disk_wal into out;"),
		[]byte("select patch event of insert r = 100 / (event.id - 3) end from on_disk_wal into out;"), 1)
	if err := os.WriteFile(trickle, b, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UnixNano()
	e := startEngine(t, d)
	waitFor(t, 30*time.Second, "300 events at the listener", func() bool { return l.Count() >= 300 })
	stopWithin(t, e, 10*time.Second)
	boundary := time.Now().UnixNano()
	if recs := e.logRecords("was dropped"); len(recs) != 1 || !strings.Contains(fmt.Sprint(recs[0]["err"]), "division by zero") {
		t.Errorf("want one log line about the dropped event and its error, got %v", recs)
	}
	n := l.Count()
	e = startEngine(t, d)
	waitFor(t, 30*time.Second, "the second run's events", func() bool { return l.Count() >= n+50 })
	stopWithin(t, e, 10*time.Second)

	msgs := l.Messages()
	maxID, dups := allButPoison(t, msgs, start, boundary)
	if dups > 0 {
		t.Errorf("%d events of the first run were delivered again after a graceful stop and a restart", dups)
	}
	allButPoison(t, msgs, boundary, time.Now().UnixNano())
	t.Logf("first run: ids 0..%d, all but id 3 delivered, %d duplicates after the restart", maxID, dups)
}

// allButPoison checks the metronome run in [from, to): every id arrived but
// 3, which never did; it returns the highest id and the duplicates.
func allButPoison(t *testing.T, msgs []received, from, to int64) (maxID int64, dups int) {
	t.Helper()
	ids := map[int64]int{}
	for _, m := range msgs {
		if m.IngestNS >= from && m.IngestNS < to {
			ids[m.ID]++
		}
	}
	maxID = -1
	for id, k := range ids {
		maxID = max(maxID, id)
		dups += k - 1
	}
	for id := int64(0); id <= maxID; id++ {
		if _, ok := ids[id]; ok == (id == 3) {
			t.Errorf("id %d: delivered %v; every id but the poison one (3) must arrive", id, ok)
		}
	}
	return maxID, dups
}
