package benchrun

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseMetrics(t *testing.T) {
	text := `# HELP go_memstats_mallocs_total Total number of heap objects allocated.
# TYPE go_memstats_mallocs_total counter
go_memstats_mallocs_total 1.234567e+06
go_memstats_alloc_bytes_total 9.8e+07
temblor_offramp_events_total{offramp="/offramp/blackhole/01",outcome="acked"} 1000
temblor_offramp_events_total{offramp="/offramp/blackhole/02",outcome="acked"} 500
temblor_offramp_events_total{offramp="/offramp/blackhole/02",outcome="failed"} 2
temblor_offramp_events_total{offramp="/offramp/blackhole/02",outcome="encode_error"} 1
process_cpu_seconds_total 3.5
`
	s, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	got := []float64{s.acked, s.failed, s.mallocs, s.allocB}
	if diff := cmp.Diff([]float64{1500, 3, 1234567, 9.8e7}, got); diff != "" || !s.hasAlloc {
		t.Errorf("parseMetrics (-want +got):\n%s", diff)
	}
}

func TestParseProcStat(t *testing.T) {
	// A command name with a space and a parenthesis, as /proc shows it.
	stat := "4242 (tem (blor) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 130 0 0 20 0 12 0 100 0 0"
	got, err := parseProcStat(stat)
	if err != nil || got != 3.8 {
		t.Errorf("parseProcStat = %v, %v; want 3.8", got, err)
	}
	if _, err := parseProcStat("garbage"); err == nil {
		t.Error("garbage parsed")
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if diff := cmp.Diff([4]float64{500, 990, 999, 1000}, percentiles(d)); diff != "" {
		t.Error(diff)
	}
}

func TestMediansAndRatios(t *testing.T) {
	r := &Report{Rows: []*Row{
		{Name: "patch", Baseline: "patch", Runs: []map[string]float64{
			{mEventsPerS: 100, mCPUPerM: 10}, {mEventsPerS: 200, mCPUPerM: 5}, {mEventsPerS: 150, mCPUPerM: 8}}},
		{Name: "wal-always", Baseline: "patch", Runs: []map[string]float64{
			{mEventsPerS: 50, mCPUPerM: 20}, nil, {mEventsPerS: 120, mCPUPerM: 16}}},
	}}
	r.finish()
	// Ratios pair each run with the baseline's run of the same round.
	want := map[string]float64{mEventsPerS: 85, mCPUPerM: 18, mRatioEvents: 0.65, mRatioCPU: 2}
	if diff := cmp.Diff(want, r.Rows[1].Median); diff != "" {
		t.Errorf("medians (-want +got):\n%s", diff)
	}
	if got := r.Rows[0].Median[mEventsPerS]; got != 150 {
		t.Errorf("baseline median %v, want 150", got)
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999.6: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestRewriteLatency(t *testing.T) {
	data := []byte("config:\n  port: 9139\n---\n  url: ws://127.0.0.1:9140/\n")
	got, err := rewriteLatency(data, "ws://127.0.0.1:5555/")
	if err != nil {
		t.Fatal(err)
	}
	if want := "config:\n  port: 0\n---\n  url: ws://127.0.0.1:5555/\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := rewriteLatency([]byte("port: 1\n"), "x"); err == nil {
		t.Error("a deployment without the addresses should be refused")
	}
}

func TestCheckNames(t *testing.T) {
	o := DefaultOptions()
	o.Engine = "temblor"
	o.Scenarios = []string{"pach"}
	if err := o.check(); err == nil || !strings.Contains(err.Error(), `did you mean "patch"`) {
		t.Errorf("got %v", err)
	}
	o.Scenarios, o.Peers = nil, []string{"none"}
	if err := o.check(); err != nil {
		t.Errorf("peers none: %v", err)
	}
}
