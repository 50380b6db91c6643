package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestWindowAfterWALSurvivesKill: file onramp → qos::wal → a tumbling
// window of 100 events per group (group by each(...)) → file offramp.
// The engine is killed with SIGKILL while windows are open (events stored
// in the WAL, held by windows that have not closed); after a restart fed
// with further events, every event of the first run is reflected in some
// emitted aggregate (at least once through windows): the WAL is answered
// for a windowed event only once the aggregate holding it was delivered.
func TestWindowAfterWALSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.Mkdir(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in.json")
	out := filepath.Join(dir, "out.jsonl")
	const first, second = 3050, 3000 // 3 groups: 1,016 or 1,017 events each, windows of 100
	writeInput := func(from, n int) {
		var b strings.Builder
		for i := from; i < from+n; i++ {
			fmt.Fprintf(&b, "{\"id\":%d,\"g\":\"g%d\"}\n", i, i%3)
		}
		if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeInput(0, first)
	files := map[string]string{
		"ramps.yaml": "onramp:\n  - id: in\n    type: file\n    config:\n      source: " + in + "\n" +
			"offramp:\n  - id: out\n    type: file\n    config:\n      file: " + out + "\n",
		"binding.yaml": "binding:\n  - id: job\n    links:\n      \"/onramp/in/{instance}/out\": [\"/pipeline/main/{instance}/in\"]\n" +
			"      \"/pipeline/main/{instance}/out\": [\"/offramp/out/{instance}/in\"]\nmapping:\n  /binding/job/01:\n    instance: \"01\"\n",
		"main.trickle": "define qos::wal operator w with read_count = 50, max_elements = 100000 end;\ncreate operator w;\n" +
			"define tumbling window hundred with size = 100 end;\n" +
			"select event from in into w;\n" +
			"select {\"g\": group[0], \"ids\": aggr::win::collect_flattened(event.id), \"n\": aggr::stats::count()}\n" +
			"from w[hundred] group by each([event.g]) into out;\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(cfg, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := &deployment{dir: cfg, dataDir: filepath.Join(dir, "data")}
	e := startEngine(t, d, "--metrics-addr", "127.0.0.1:0")
	url := metricsURL(t, e)
	// Kill once every event of the first input is stored in the WAL and
	// the windows it can fill were emitted: the rest (16 or 17 per group)
	// is held by open windows.
	waitFor(t, 60*time.Second, "the first input stored and its full windows delivered", func() bool {
		m := scrape(t, url)
		return metric(m, "temblor_wal_stored_total") >= first && len(aggregates(t, out)) >= 30
	})
	// Let the WAL settle (its acks are persisted every 50 ms): the acked
	// count unchanged over three scrapes 100 ms apart.
	last, same := -1.0, 0
	waitFor(t, 30*time.Second, "the WAL's acks settled", func() bool {
		time.Sleep(100 * time.Millisecond)
		a := metric(scrape(t, url), "temblor_wal_acked_total")
		if a == last {
			same++
		} else {
			last, same = a, 0
		}
		return same >= 2
	})
	e.Kill()
	before := aggregates(t, out)
	if len(before) != 30 {
		t.Fatalf("%d aggregates before the kill, want the 30 full windows", len(before))
	}

	// Restart on the same data dir with new input: the WAL sends the held
	// events again, the new ones complete their windows.
	writeInput(first, second)
	e2 := startEngine(t, d)
	missing := func() []int {
		seen := map[int]bool{}
		for _, a := range aggregates(t, out) {
			for _, id := range a.IDs {
				seen[id] = true
			}
		}
		var miss []int
		for i := 0; i < first; i++ {
			if !seen[i] {
				miss = append(miss, i)
			}
		}
		return miss
	}
	waitFor(t, 60*time.Second, "every event of the first run in an aggregate", func() bool { return len(missing()) == 0 })
	if err := e2.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, a := range aggregates(t, out) {
		if a.N != len(a.IDs) || a.N > 100 {
			t.Errorf("aggregate of group %s counts %d events but holds %d ids", a.G, a.N, len(a.IDs))
		}
	}
	if m := missing(); len(m) > 0 {
		t.Fatalf("events of the first run in no aggregate: %v", m)
	}
}

type aggregate struct {
	G   string `json:"g"`
	IDs []int  `json:"ids"`
	N   int    `json:"n"`
}

// aggregates reads the complete lines of the output file.
func aggregates(t *testing.T, path string) []aggregate {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []aggregate
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var a aggregate
		if json.Unmarshal(sc.Bytes(), &a) != nil {
			continue // a line cut by the kill
		}
		sort.Ints(a.IDs)
		out = append(out, a)
	}
	return out
}
