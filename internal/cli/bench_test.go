package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/benchrun"
)

// asEngine makes this test binary act as the temblor binary when the
// bench test starts it as its engine.
const asEngine = "TEMBLOR_CLI_TEST_AS_ENGINE"

func TestMain(m *testing.M) {
	if os.Getenv(asEngine) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestBenchTiny runs a tiny bench through the real command and engine
// (this test binary re-executed as `temblor server run`), so that the
// command, the deployments under bench/ and the measuring cannot rot.
// It checks that every figure was measured, never how fast.
func TestBenchTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several engines")
	}
	t.Setenv(asEngine, "1")
	t.Setenv("TREMOR_SRC", "")
	var out, errb bytes.Buffer
	code := Main([]string{"bench", "--engine", os.Args[0], "--work-dir", t.TempDir(), "--json",
		"--events", "2000", "--runs", "1",
		"--scenarios", "passthrough,patch,wal-always,wal-always-x2,tremor-rwt-json,latency,fsync",
		"--peers", "rsyslog-da", "--rsyslogd", "/nonexistent/rsyslogd",
		"--latency-rate", "1000", "--latency-for", "500ms", "--fsyncs", "20"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "[1/6] round 1/1") {
		t.Errorf("no progress on stderr:\n%s", errb.String())
	}
	var rep benchrun.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out.String())
	}
	rows := map[string]*benchrun.Row{}
	for _, r := range rep.Rows {
		rows[r.Name] = r
	}
	for _, name := range []string{"passthrough", "patch", "wal-always", "wal-always-x2"} {
		r := rows[name]
		if r == nil || r.Median == nil {
			t.Errorf("%s: no figures: %+v", name, r)
			continue
		}
		for _, k := range []string{"events_per_s", "mb_per_s", "allocs_per_event", "events_per_s_ratio"} {
			if v, ok := r.Median[k]; !ok || v <= 0 {
				t.Errorf("%s: %s = %v, %v", name, k, v, ok)
			}
		}
		// CPU time is counted in 10 ms ticks: a tiny run may show none.
		if v, ok := r.Median["cpu_s_per_million"]; !ok || v < 0 {
			t.Errorf("%s: cpu_s_per_million = %v, %v", name, v, ok)
		}
	}
	if r := rows["latency"]; r == nil || r.Median["p99_ms"] <= 0 || r.Median["measured_events"] < 400 {
		t.Errorf("latency: %+v", r)
	}
	if r := rows["fsync"]; r == nil || r.Median["p50_ms"] <= 0 {
		t.Errorf("fsync: %+v", r)
	}
	if r := rows["rsyslog-da"]; r == nil || !strings.Contains(r.Skipped, "no rsyslogd at /nonexistent/rsyslogd") {
		t.Errorf("rsyslog-da should be skipped for want of rsyslogd: %+v", r)
	}
	if r := rows["tremor-rwt-json"]; r == nil || !strings.Contains(r.Skipped, "TREMOR_SRC") {
		t.Errorf("tremor-rwt-json should be skipped without TREMOR_SRC: %+v", r)
	}

	// The saved report prints as tables.
	saved := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(saved, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if code := Main([]string{"bench", "--table-from", saved}, &table, &errb); code != 0 {
		t.Fatalf("--table-from: exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"| wal-always", "(patch)", "| latency | ", "| fsync | ", "skipped rsyslog-da: no rsyslogd"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--scenarios", "wal-alwyas"}, `unknown scenario "wal-alwyas" (did you mean "wal-always"?)`},
		{[]string{"--peers", "benthos"}, `unknown peer "benthos"`},
		{[]string{"--events", "5"}, "--events 5: give at least 100"},
		{[]string{"--runs", "0"}, "--runs 0: give at least 1"},
	} {
		var out, errb bytes.Buffer
		code := Main(append([]string{"bench", "--work-dir", t.TempDir()}, tc.args...), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
