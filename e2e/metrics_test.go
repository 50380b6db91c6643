package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches url and parses it as the Prometheus text format into
// "name,label=value,..." → value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			key := name
			for _, l := range m.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			}
		}
	}
	return out
}

// TestMetricsEndpoint runs the tutorial with --metrics-addr and scrapes the
// WAL's and the offramp's metrics the docs promise, while events flow.
func TestMetricsEndpoint(t *testing.T) {
	l := newListener(t)
	d := writeTutorial(t, l.URL(), 10, "  read_count = 20,\n  max_elements = 1000")
	e := startEngine(t, d, "--metrics-addr", "127.0.0.1:0")
	var url string
	waitFor(t, 20*time.Second, "the metrics address in the log", func() bool {
		if recs := e.logRecords("serving metrics"); len(recs) > 0 {
			url, _ = recs[0]["url"].(string)
		}
		return url != ""
	})
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("metrics served at %q, not on 127.0.0.1", url)
	}
	waitFor(t, 20*time.Second, "20 events at the listener", func() bool { return l.Count() >= 20 })
	var got map[string]float64
	waitFor(t, 20*time.Second, "acked events in the metrics", func() bool {
		got = scrape(t, url)
		return got["temblor_wal_acked_total,operator=on_disk_wal,pipeline=/pipeline/main/01"] >= 10
	})
	for _, key := range []string{
		"temblor_wal_stored_total,operator=on_disk_wal,pipeline=/pipeline/main/01",
		"temblor_wal_emitted_total,operator=on_disk_wal,pipeline=/pipeline/main/01",
		"temblor_offramp_events_total,offramp=/offramp/ws/01,outcome=acked",
		"temblor_onramp_events_total,onramp=/onramp/metronome/01,port=out",
	} {
		if got[key] < 10 {
			t.Errorf("%s = %v, want at least 10", key, got[key])
		}
	}
	if _, ok := got["process_resident_memory_bytes"]; !ok {
		t.Error("no process metrics")
	}
	if err := e.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
}
