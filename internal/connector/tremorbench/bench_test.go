package tremorbench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/component"
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

// runnable are the connector types a benchmark may use to be run here.
var runnable = map[string]bool{"onramp blaster": true, "offramp blackhole": true}

// shorten makes a blackhole measure for secs seconds after a one-second
// warm-up.
func shorten(a *artefact, secs int) {
	if a.config == nil {
		return
	}
	for i := range a.config.Entries {
		e := &a.config.Entries[i]
		switch e.Key {
		case "stop_after_secs":
			e.Value.Value, e.Value.Text = int64(secs), strconv.Itoa(secs)
		case "warmup_secs":
			e.Value.Value, e.Value.Text = int64(1), "1"
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

// TestTremorBenchmarks loads every bench/*.yaml of Tremor 0.11.12 (with
// bench/link.yaml and its trickle files) unchanged, and runs those that
// use only connectors and pipeline features temblor has, with
// stop_after_secs shortened to $BENCH_SECS (default 2), printing each
// blackhole report. $BENCH_TABLE names a file to write the markdown
// table to.
func TestTremorBenchmarks(t *testing.T) {
	src := tremorSrc(t)
	chdir(t, src)
	secs := 2
	if s, err := strconv.Atoi(os.Getenv("BENCH_SECS")); err == nil && s > 0 {
		secs = s
	}
	files, _ := filepath.Glob(filepath.Join(src, "bench", "*.yaml"))
	sort.Strings(files)
	var rows []row
	loaded, ran := 0, 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if name == "link" {
			continue
		}
		in := []string{f, filepath.Join(src, "bench", "link.yaml")}
		trickles, _ := filepath.Glob(filepath.Join(src, "bench", name, "*.trickle"))
		in = append(in, trickles...)
		d, err := loadFiles(in)
		if err != nil {
			t.Fatal(err)
		}
		res := d.load()
		r := row{name: "`" + name + "`", runs: "—"}
		if len(res.problems) == 0 {
			r.loads = "yes"
			loaded++
		} else {
			r.loads = "no"
			r.notes = strings.Join(res.problems, "; ")
		}
		canRun := len(res.problems) == 0
		for _, ty := range res.types {
			if !runnable[ty] {
				canRun = false
				if r.notes == "" {
					r.notes = ty + " needs a network peer (not run here)"
				}
			}
		}
		if canRun {
			for _, a := range d.artefacts {
				if a.kind == component.Offramp && a.typ == "blackhole" {
					shorten(a, secs)
				}
			}
			report, code, err := runCaptured(t, d)
			switch {
			case err != nil:
				r.runs = "no"
				r.notes = firstLine(err.Error())
			case code != 0 || !strings.Contains(report, "events/s"):
				r.runs = "no"
				r.notes = fmt.Sprintf("exit %d, report %q", code, report)
			default:
				ran++
				ev, mb, n := "?", "?", "?"
				if m := eventsRe.FindStringSubmatch(report); m != nil {
					ev = m[1]
				}
				if m := mbRe.FindStringSubmatch(report); m != nil {
					mb = m[1]
				}
				if m := countRe.FindStringSubmatch(report); m != nil {
					n = m[1]
				}
				r.runs = "yes"
				r.notes = fmt.Sprintf("%s events/s, %s MB/s, %s events measured, latency p50 %s, p99 %s",
					ev, mb, n, quantile(report, 0.5), quantile(report, 0.99))
				t.Logf("%s: blackhole report\n%s", name, report)
			}
		}
		rows = append(rows, r)
	}
	writeTable(t, "BENCH_TABLE", "| benchmark | loads | runs | figures, or what blocks it |\n|---|---|---|---|\n", rows)
	t.Logf("%d benchmarks, %d load, %d run", len(rows), loaded, ran)
	if loaded == 0 {
		t.Error("no benchmark loads")
	}
}

// runCaptured runs d from Tremor's tree (its paths are relative to it)
// with standard output captured: the blackhole's report.
func runCaptured(t *testing.T, d *deployment) (string, int, error) {
	t.Helper()
	out, err := os.CreateTemp("", "report")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(out.Name())
	old := os.Stdout
	os.Stdout = out
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	env := component.Env{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: prometheus.NewRegistry(), DataDir: t.TempDir()}
	code, runErr := d.run(ctx, env)
	os.Stdout = old
	out.Close()
	b, _ := os.ReadFile(out.Name())
	return string(b), code, runErr
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
