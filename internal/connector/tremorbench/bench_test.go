package tremorbench

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// tremorSrc is Tremor 0.11.12's source tree, from $TREMOR_SRC.
func tremorSrc(t *testing.T) string {
	dir := os.Getenv("TREMOR_SRC")
	if dir == "" {
		t.Skip("TREMOR_SRC is not set: set it to Tremor 0.11.12's source tree (e.g. TREMOR_SRC=/work/ref/tremor) to load its deployments")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// chdir runs the rest of the test in dir (Tremor's paths are relative to
// where it runs); the tests of this package do not run in parallel.
func chdir(t *testing.T, dir string) {
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chdir(wd) })
}

// row is one line of a table in docs/conformance.md.
type row struct {
	name, loads, runs, notes string
}

func writeTable(t *testing.T, env string, header string, rows []row) {
	var b strings.Builder
	b.WriteString(header)
	src, _ := filepath.Abs(os.Getenv("TREMOR_SRC"))
	for _, r := range rows {
		notes := strings.ReplaceAll(r.notes, src+"/", "")
		if len(notes) > 300 {
			notes = notes[:300] + "…"
		}
		notes = strings.ReplaceAll(notes, "|", "\\|")
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.name, r.loads, r.runs, notes)
	}
	t.Log("\n" + b.String())
	if f := os.Getenv(env); f != "" {
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

var (
	eventsRe = regexp.MustCompile(`Throughput: ([0-9.]+) events/s`)
	mbRe     = regexp.MustCompile(`Throughput: ([0-9.]+) MB/s`)
	countRe  = regexp.MustCompile(`Total count\s+=\s+(\d+)`)
)

// quantile reads the latency at the first row at or above q.
func quantile(report string, q float64) string {
	sc := bufio.NewScanner(strings.NewReader(report))
	for sc.Scan() {
		var v int64
		var p float64
		if n, _ := fmt.Sscanf(sc.Text(), "%d %f", &v, &p); n == 2 && p >= q {
			return (time.Duration(v) * time.Nanosecond).Round(time.Microsecond).String()
		}
	}
	return "?"
}

// local are the connector types that need no network peer.
var local = map[string]bool{"blaster": true, "blackhole": true, "file": true, "stdin": true, "stdout": true, "stderr": true,
	"metronome": true, "crononome": true, "exit": true, "debug": true, "kv": true, "cb": true}

// TestTremorIntegrationDeployments loads the deployments of Tremor
// 0.11.12's integration tests (tremor-cli/tests/integration/*/) unchanged
// and says, for those whose connectors are all local, whether they load
// and what blocks the rest. $INTEGRATION_TABLE names a file for the
// markdown table.
func TestTremorIntegrationDeployments(t *testing.T) {
	src := tremorSrc(t)
	dirs, _ := filepath.Glob(filepath.Join(src, "tremor-cli", "tests", "integration", "*"))
	sort.Strings(dirs)
	var rows []row
	localN, loaded := 0, 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		yamls, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		var in []string
		for _, y := range yamls {
			if b := filepath.Base(y); b != "assert.yaml" {
				in = append(in, y)
			}
		}
		if len(in) == 0 {
			continue
		}
		trickles, _ := filepath.Glob(filepath.Join(dir, "*.trickle"))
		in = append(in, trickles...)
		d, err := loadFiles(in)
		if err != nil {
			rows = append(rows, row{name: "`" + filepath.Base(dir) + "`", loads: "no", runs: "—", notes: firstLine(err.Error())})
			continue
		}
		var remote []string
		for _, a := range d.artefacts {
			if !local[a.typ] {
				remote = append(remote, string(a.kind)+" "+a.typ)
			}
		}
		sort.Strings(remote)
		chdir(t, dir) // their paths are relative to the test's folder
		res := d.load()
		r := row{name: "`" + filepath.Base(dir) + "`", runs: "—"}
		switch {
		case len(res.problems) == 0:
			r.loads = "yes"
		default:
			r.loads = "no"
			r.notes = strings.Join(res.problems, "; ")
		}
		if len(remote) > 0 {
			r.notes = strings.TrimPrefix(r.notes+"; not local: "+strings.Join(remote, ", "), "; ")
		} else {
			localN++
			if r.loads == "yes" {
				loaded++
			}
		}
		rows = append(rows, r)
	}
	writeTable(t, "INTEGRATION_TABLE", "| integration test | loads | runs | what blocks it |\n|---|---|---|---|\n", rows)
	t.Logf("%d deployments, %d with only local connectors, %d of those load", len(rows), localN, loaded)
}
