package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
)

// TestBatchFileThroughWALCloseOnDone runs a one-off job as Tremor users did
// with the file onramp's close_on_done: an xz-compressed file of 5,000 JSON
// lines through a patch and a qos::wal into a file offramp. The engine stops
// by itself once the file is read, after delivering every event (Tremor
// exited at once, dropping what was in flight), exits 0, and leaves an empty
// WAL behind.
func TestBatchFileThroughWALCloseOnDone(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.Mkdir(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "in.json.xz")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	zw, err := xz.NewWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	const n = 5000
	for i := 0; i < n; i++ {
		fmt.Fprintf(zw, "{\"id\":%d,\"ingest_ns\":%d}\n", i, int64(1600860720749137000)+int64(i))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.jsonl")
	files := map[string]string{
		"ramps.yaml": "onramp:\n  - id: in\n    type: file\n    config:\n      source: " + src + "\n      close_on_done: true\n" +
			"offramp:\n  - id: out\n    type: file\n    config:\n      file: " + out + "\n",
		"binding.yaml": "binding:\n  - id: job\n    links:\n      \"/onramp/in/{instance}/out\": [\"/pipeline/main/{instance}/in\"]\n" +
			"      \"/pipeline/main/{instance}/out\": [\"/offramp/out/{instance}/in\"]\nmapping:\n  /binding/job/01:\n    instance: \"01\"\n",
		"main.trickle": "define qos::wal operator w with read_count = 100, max_elements = 100000 end;\ncreate operator w;\n" +
			"select patch event of insert done = true end from in into w;\nselect event from w into out;\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(cfg, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := &deployment{dir: cfg, dataDir: filepath.Join(dir, "data")}
	e := startEngine(t, d)
	select {
	case <-e.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the engine did not stop by itself after its input:\n%s", e.Log())
	}
	if code := e.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, e.Log())
	}

	of, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer of.Close()
	sc := bufio.NewScanner(of)
	i := 0
	for ; sc.Scan(); i++ {
		var ev struct {
			ID       int64 `json:"id"`
			IngestNS int64 `json:"ingest_ns"`
			Done     bool  `json:"done"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, sc.Bytes())
		}
		if ev.ID != int64(i) || ev.IngestNS != 1600860720749137000+int64(i) || !ev.Done {
			t.Fatalf("line %d is %s, want id %d in order, exact ingest_ns, patched", i+1, sc.Bytes(), i)
		}
	}
	if i != n {
		t.Fatalf("%d of %d events delivered before the engine stopped:\n%s", i, n, e.Log())
	}
	sum := walSummary(t, e)
	if sum["backlog"] != float64(0) || sum["acked"] != float64(n) {
		t.Errorf("the WAL did not end empty with every event acked: %v", sum)
	}
}
