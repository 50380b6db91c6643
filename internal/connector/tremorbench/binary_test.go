package tremorbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// buildEngine builds the temblor binary once for the test.
func buildEngine(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "temblor")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/temblor-dev/temblor/cmd/temblor")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// engineRun runs the binary with args in dir and returns its standard
// output, standard error and exit code (-1: killed at the timeout).
func engineRun(t *testing.T, bin, dir string, timeout time.Duration, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		code = -1
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return out.String(), errb.String(), code
}

var (
	stopRe   = regexp.MustCompile(`(?m)^(\s*)stop_after_secs:.*$`)
	warmupRe = regexp.MustCompile(`(?m)^(\s*)warmup_secs:.*$`)
	errLine  = regexp.MustCompile(`(?m)^(temblor: .*|Error: .*)$`)
)

// firstError is the line of the engine's standard error that says why it
// failed.
func firstError(stderr string) string {
	if m := errLine.FindString(stderr); m != "" {
		return m
	}
	return firstLine(strings.TrimSpace(stderr))
}

// TestTremorBenchmarksThroughBinary loads every bench/*.yaml of Tremor
// 0.11.12 (with bench/link.yaml and its trickle files) unchanged through
// `temblor server run --validate`, then runs each one with a blackhole
// through the binary with only stop_after_secs (to $BENCH_SECS, default
// 2) and warmup_secs (to 1) rewritten in a copy, from a folder where
// Tremor's relative paths (./demo/data, ./bench) resolve, and checks it
// prints the blackhole report and exits 0. $BENCH_TABLE names a file for
// the markdown table of docs/conformance.md.
func TestTremorBenchmarksThroughBinary(t *testing.T) {
	src := tremorSrc(t)
	bin := buildEngine(t)
	secs := 2
	if s, err := strconv.Atoi(os.Getenv("BENCH_SECS")); err == nil && s > 0 {
		secs = s
	}
	work := t.TempDir()
	for _, l := range []string{"demo", "bench"} {
		if err := os.Symlink(filepath.Join(src, l), filepath.Join(work, l)); err != nil {
			t.Fatal(err)
		}
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
		r := row{name: "`" + name + "`", runs: "—"}
		link := filepath.Join(src, "bench", "link.yaml")
		pdir := filepath.Join(src, "bench", name) + "/"
		_, stderr, code := engineRun(t, bin, src, 60*time.Second, "server", "run", "--validate", "-f", f, "-f", link, "-f", pdir)
		if code != 0 {
			r.loads, r.notes = "no", firstError(stderr)
			rows = append(rows, r)
			continue
		}
		r.loads = "yes"
		loaded++
		yml, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(yml), "type: blackhole") {
			r.notes = "no blackhole: not a self-contained benchmark"
			if strings.Contains(string(yml), "type: rest") {
				r.notes = "no blackhole: it sends to an InfluxDB at localhost:8086 (not run here)"
			}
			rows = append(rows, r)
			continue
		}
		// a copy with only the measuring time shortened
		dir := filepath.Join(work, name)
		if err := os.MkdirAll(filepath.Join(dir, "p"), 0o755); err != nil {
			t.Fatal(err)
		}
		short := stopRe.ReplaceAllString(string(yml), "${1}stop_after_secs: "+strconv.Itoa(secs))
		short = warmupRe.ReplaceAllString(short, "${1}warmup_secs: 1")
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(short), 0o644); err != nil {
			t.Fatal(err)
		}
		trickles, _ := filepath.Glob(filepath.Join(pdir, "*.trickle"))
		for _, tr := range trickles {
			b, err := os.ReadFile(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "p", filepath.Base(tr)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		report, stderr, code := engineRun(t, bin, work, time.Duration(secs+40)*time.Second, "server", "run",
			"--data-dir", filepath.Join(dir, "data"), "-f", filepath.Join(dir, name+".yaml"), "-f", link, "-f", filepath.Join(dir, "p")+"/")
		ev := eventsRe.FindStringSubmatch(report)
		switch {
		case code == -1:
			r.runs, r.notes = "no", fmt.Sprintf("did not stop within %d s", secs+40)
		case code != 0:
			r.runs, r.notes = "no", fmt.Sprintf("exit %d: %s", code, firstError(stderr))
		case ev == nil:
			r.runs, r.notes = "no", "exit 0 without a blackhole report"
		case ev[1] == "0.0":
			r.runs, r.notes = "no", "the report counts no event"
		default:
			ran++
			mb, n := "?", "?"
			if m := mbRe.FindStringSubmatch(report); m != nil {
				mb = m[1]
			}
			if m := countRe.FindStringSubmatch(report); m != nil {
				n = m[1]
			}
			r.runs = "yes"
			r.notes = fmt.Sprintf("%s events/s, %s MB/s, %s events measured, latency p50 %s, p99 %s",
				ev[1], mb, n, quantile(report, 0.5), quantile(report, 0.99))
		}
		t.Logf("%s: loads %s, runs %s: %s", name, r.loads, r.runs, r.notes)
		rows = append(rows, r)
	}
	writeTable(t, "BENCH_TABLE", "| benchmark | loads | runs | figures, or what blocks it |\n|---|---|---|---|\n", rows)
	t.Logf("%d benchmarks, %d load, %d run", len(rows), loaded, ran)
	if loaded < len(rows) {
		t.Errorf("%d of %d benchmarks do not load unchanged", len(rows)-loaded, len(rows))
	}
	if ran == 0 {
		t.Error("no benchmark runs")
	}
}

// TestTremorIntegrationThroughBinary loads the deployments of Tremor
// 0.11.12's integration tests (tremor-cli/tests/integration/*/, every
// YAML but assert.yaml, with their trickle files) unchanged through
// `temblor server run --validate`, from the test's folder as Tremor ran
// them. $INTEGRATION_BINARY_TABLE names a file for the markdown table.
func TestTremorIntegrationThroughBinary(t *testing.T) {
	src := tremorSrc(t)
	bin := buildEngine(t)
	dirs, _ := filepath.Glob(filepath.Join(src, "tremor-cli", "tests", "integration", "*"))
	sort.Strings(dirs)
	var rows []row
	localN, loaded := 0, 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		yamls, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		var args []string
		isLocal := true
		var remote []string
		for _, y := range yamls {
			if filepath.Base(y) == "assert.yaml" {
				continue
			}
			args = append(args, "-f", y)
			b, _ := os.ReadFile(y)
			for _, m := range typeRe.FindAllStringSubmatch(string(b), -1) {
				if !local[m[1]] {
					isLocal = false
					remote = append(remote, m[1])
				}
			}
		}
		if len(args) == 0 {
			continue
		}
		trickles, _ := filepath.Glob(filepath.Join(dir, "*.trickle"))
		for _, tr := range trickles {
			args = append(args, "-f", tr)
		}
		r := row{name: "`" + filepath.Base(dir) + "`", runs: "—"}
		_, stderr, code := engineRun(t, bin, dir, 60*time.Second, append([]string{"server", "run", "--validate"}, args...)...)
		if code == 0 {
			r.loads = "yes"
		} else {
			r.loads, r.notes = "no", lastLine(stderr)
		}
		name := filepath.Base(dir)
		if want, ok := expectedFailure(t, dir); ok && code != 0 {
			// Tremor's test expects a non-zero status too (when it loads,
			// the status comes from the run: query-exit-nonzero)
			switch {
			case strings.Contains(stderr, want):
				r.loads, r.notes = "no, as in Tremor", "refused with Tremor's message: "+want
			default:
				r.loads, r.notes = "no, as in Tremor", "refused (Tremor's message differs: "+want+"): "+r.notes
			}
			rows = append(rows, r)
			continue
		}
		if isLocal {
			localN++
			switch {
			case code == 0:
				loaded++
			case knownGaps[name] != "":
				r.notes = knownGaps[name] + ": " + r.notes
			default:
				t.Errorf("%s (local connectors only) does not load: %s", name, r.notes)
			}
		} else {
			sort.Strings(remote)
			r.notes = strings.TrimPrefix(r.notes+"; not local: "+strings.Join(remote, ", "), "; ")
		}
		rows = append(rows, r)
	}
	writeTable(t, "INTEGRATION_BINARY_TABLE", "| integration test | loads | runs | notes |\n|---|---|---|---|\n", rows)
	t.Logf("%d deployments, %d with only local connectors, %d of those load through the binary", len(rows), localN, loaded)
}

var typeRe = regexp.MustCompile(`(?m)^\s*type:\s*"?([a-z0-9_-]+)"?\s*$`)

// knownGaps are integration deployments with local connectors that do not
// load yet, and why.
var knownGaps = map[string]string{}

// expectedFailure is the text Tremor's test expects on standard error
// when its assert.yaml expects a non-zero status.
func expectedFailure(t *testing.T, dir string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "assert.yaml"))
	if err != nil {
		return "", false
	}
	m := statusRe.FindStringSubmatch(string(b))
	if m == nil || m[1] == "0" {
		return "", false
	}
	if c := containsRe.FindStringSubmatch(string(b)); c != nil {
		return strings.TrimSpace(c[1]), true
	}
	return "", true
}

var (
	statusRe   = regexp.MustCompile(`(?m)^status:\s*(\d+)`)
	containsRe = regexp.MustCompile(`(?s)contains:\s*\n\s*-\s*(?:\|\s*\n\s*)?([^\n]+)`)
)

// lastLine is the last non-empty line of s (the engine's error after its
// warnings).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "|") && !strings.HasPrefix(l, "^") {
			return l
		}
	}
	return ""
}
