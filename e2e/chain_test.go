package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// freePort returns a port on 127.0.0.1 that was free a moment ago (the
// engine under test binds it again after each restart).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// writeRelay writes a temblor deployment that receives events on a
// websocket onramp at port and passes them unchanged to a websocket
// offramp at url: the middle of a chain of temblors.
func writeRelay(t *testing.T, port int, url string) *deployment {
	t.Helper()
	return writeFiles(t, map[string]string{
		"relay.yaml": fmt.Sprintf("onramp:\n  - id: in\n    type: ws\n    codec: json\n    config:\n      host: 127.0.0.1\n      port: %d\n", port) +
			"offramp:\n  - id: out\n    type: ws\n    config:\n      url: " + url + "\n" +
			"binding:\n  - id: relay\n    links:\n      \"/onramp/in/{instance}/out\": [\"/pipeline/echo/{instance}/in\"]\n" +
			"      \"/pipeline/echo/{instance}/out\": [\"/offramp/out/{instance}/in\"]\n" +
			"mapping:\n  /binding/relay/01:\n    instance: \"01\"\n",
		"echo.trickle": "select event from in into out;\n",
	})
}

// waitListening waits until something accepts connections on port.
func waitListening(t *testing.T, port int) {
	t.Helper()
	waitFor(t, 20*time.Second, fmt.Sprintf("port %d to accept connections", port), func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// TestTemblorChainOverWebsocketLosesNothing is defect 8 of issue 8: the
// tutorial's temblor sends to a second temblor (websocket onramp → websocket
// offramp) that forwards to the listener. The relay has no WAL: it may only
// confirm (pong) what its own offramp delivered. The listener hangs and
// dies, then the relay is killed with SIGKILL mid-stream; every event of
// the sender's run must reach the listener. Before the fix the relay
// answered pings as soon as it had read the messages, so everything it held
// when the listener died was acked to the sender and lost.
func TestTemblorChainOverWebsocketLosesNothing(t *testing.T) {
	l := newListener(t)
	port := freePort(t)
	relay := writeRelay(t, port, l.URL())
	r := startEngine(t, relay)
	waitListening(t, port)
	sender := writeTutorial(t, fmt.Sprintf("ws://127.0.0.1:%d/", port), 5, walDefault)
	start := time.Now().UnixNano()
	s := startEngine(t, sender)
	waitFor(t, 30*time.Second, "100 events through the chain", func() bool { return l.Count() >= 100 })

	// The listener stops reading (pings unanswered, data piling up in the
	// relay and in socket buffers), then dies with it all unread.
	l.Pause()
	time.Sleep(time.Second)
	l.Kill()
	time.Sleep(300 * time.Millisecond)
	l.Start()
	n := l.Count()
	waitFor(t, 30*time.Second, "delivery after the listener came back", func() bool { return l.Count() >= n+200 })

	// The relay dies mid-stream and comes back on the same port.
	r.Kill()
	r = startEngine(t, relay)
	n = l.Count()
	waitFor(t, 30*time.Second, "delivery after the relay's restart", func() bool { return l.Count() >= n+200 })

	stopWithin(t, s, 10*time.Second)
	// What the sender still holds is delivered at its next start: stored,
	// not lost.
	msgs := append(l.Messages(), storedEvents(t, sender)...)
	maxID, dups := checkRun(t, msgs, start, time.Now().UnixNano())
	if want := emitted(t, s) - 1; maxID != want {
		t.Errorf("the metronome emitted ids 0..%d, but only 0..%d arrived or are stored", want, maxID)
	}
	stopWithin(t, r, 10*time.Second)
	t.Logf("ids 0..%d all arrived through the chain (%d duplicates)", maxID, dups)
}

// TestLongLineAndLargeMessageAreSkipped is defect 9 of issue 8 through the
// binary: a 17 MiB line in a file used to kill the engine (bufio.Scanner:
// token too long); now it goes to the err port with its line number and
// the limit and the lines after it are read. A websocket message over
// max_message_bytes is skipped with one log line for the connection, which
// stays open.
func TestLongLineAndLargeMessageAreSkipped(t *testing.T) {
	tmp := t.TempDir()
	src, out, errOut := filepath.Join(tmp, "in.json"), filepath.Join(tmp, "out.json"), filepath.Join(tmp, "err.json")
	var in bytes.Buffer
	in.WriteString("{\"id\":1}\n{\"blob\":\"")
	in.Write(bytes.Repeat([]byte("x"), 17<<20))
	in.WriteString("\"}\n{\"id\":3}\n")
	if err := os.WriteFile(src, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	d := writeFiles(t, map[string]string{
		"ramps.yaml": "onramp:\n  - id: in\n    type: file\n    config:\n      source: " + src + "\n      close_on_done: true\n" +
			"offramp:\n  - id: out\n    type: file\n    config:\n      file: " + out + "\n" +
			"  - id: errors\n    type: file\n    config:\n      file: " + errOut + "\n",
		"binding.yaml": "binding:\n  - id: job\n    links:\n" +
			"      \"/onramp/in/{instance}/out\": [\"/pipeline/main/{instance}/in\"]\n" +
			"      \"/onramp/in/{instance}/err\": [\"/pipeline/errs/{instance}/in\"]\n" +
			"      \"/pipeline/main/{instance}/out\": [\"/offramp/out/{instance}/in\"]\n" +
			"      \"/pipeline/errs/{instance}/out\": [\"/offramp/errors/{instance}/in\"]\n" +
			"mapping:\n  /binding/job/01:\n    instance: \"01\"\n",
		"main.trickle": "select event from in into out;\n",
		"errs.trickle": "select event from in into out;\n",
	})
	e := startEngine(t, d)
	waitExit(t, e, 60*time.Second)
	got := readJSONLines(t, out)
	if len(got) != 2 || got[0]["id"] != float64(1) || got[1]["id"] != float64(3) {
		t.Fatalf("delivered %v, want lines 1 and 3\n%s", got, e.Log())
	}
	errs := readJSONLines(t, errOut)
	if len(errs) != 1 || errs[0]["line"] != float64(2) || errs[0]["max_line_bytes"] != float64(16<<20) ||
		!strings.Contains(fmt.Sprint(errs[0]["error"]), "line 2 of "+src) {
		t.Fatalf("err port got %v; want line 2 with its size and the limit", errs)
	}
	if recs := e.logRecords("line over max_line_bytes skipped"); len(recs) != 1 || recs[0]["line"] != float64(2) {
		t.Errorf("want one log line naming line 2, got %v", recs)
	}

	// A websocket message over the limit.
	port := freePort(t)
	wsOut := filepath.Join(tmp, "ws.json")
	dw := writeFiles(t, map[string]string{
		"ramps.yaml": fmt.Sprintf("onramp:\n  - id: in\n    type: ws\n    codec: json\n    config:\n      host: 127.0.0.1\n      port: %d\n      max_message_bytes: 1000\n", port) +
			"offramp:\n  - id: out\n    type: file\n    config:\n      file: " + wsOut + "\n",
		"binding.yaml": "binding:\n  - id: b\n    links:\n      \"/onramp/in/{instance}/out\": [\"/pipeline/main/{instance}/in\"]\n" +
			"      \"/pipeline/main/{instance}/out\": [\"/offramp/out/{instance}/in\"]\nmapping:\n  /binding/b/01:\n    instance: \"01\"\n",
		"main.trickle": "select event from in into out;\n",
	})
	ew := startEngine(t, dw)
	waitListening(t, port)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d/", port), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.CloseRead(ctx)
	for _, m := range []string{`{"id":1}`, `{"blob":"` + strings.Repeat("y", 5000) + `"}`, `{"blob":"` + strings.Repeat("z", 3000) + `"}`, `{"id":4}`} {
		if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatalf("the connection was closed by an oversized message: %v", err)
		}
	}
	// The pong comes once the messages before it were delivered.
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("the connection did not survive the oversized messages: %v\n%s", err, ew.Log())
	}
	got = readJSONLines(t, wsOut)
	if len(got) != 2 || got[0]["id"] != float64(1) || got[1]["id"] != float64(4) {
		t.Fatalf("delivered %v, want ids 1 and 4", got)
	}
	c.Close(websocket.StatusNormalClosure, "")
	stopWithin(t, ew, 10*time.Second)
	recs := ew.logRecords("skipped a message over max_message_bytes")
	if len(recs) != 1 || recs[0]["bytes"] != float64(5011) || recs[0]["max_message_bytes"] != float64(1000) {
		t.Errorf("want one line for the connection's first oversized message with its size and the limit, got %v", recs)
	}
	if recs := ew.logRecords("skipped messages over max_message_bytes on a connection"); len(recs) != 1 || recs[0]["messages"] != float64(2) {
		t.Errorf("want one summary of the connection's 2 oversized messages, got %v", recs)
	}
}
