package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestListenAddr(t *testing.T) {
	for in, want := range map[string]string{"9898": "127.0.0.1:9898", ":9898": "127.0.0.1:9898", "0.0.0.0:1": "0.0.0.0:1", "[::1]:2": "[::1]:2"} {
		if got, err := ListenAddr(in); err != nil || got != want {
			t.Errorf("ListenAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "host", "h:port", "1:99999"} {
		if _, err := ListenAddr(in); err == nil {
			t.Errorf("ListenAddr(%q) accepted", in)
		}
	}
}

// Scrape serves a registry and parses what /metrics returns as the
// Prometheus text format.
func Scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("not Prometheus text: %v", err)
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

func TestServeMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "temblor_test_total", Help: "x"}, []string{"pipeline"})
	reg.MustRegister(c)
	c.WithLabelValues("/pipeline/main/01").Add(3)
	s, err := Serve(":0", reg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if !strings.HasPrefix(s.Addr().String(), "127.0.0.1:") {
		t.Errorf("listens on %s, not on 127.0.0.1", s.Addr())
	}
	got := Scrape(t, "http://"+s.Addr().String()+"/metrics")
	if got["temblor_test_total,pipeline=/pipeline/main/01"] != 3 {
		t.Errorf("scraped %v", got)
	}
	if _, err := Serve(s.Addr().String(), reg, quiet); err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
		t.Errorf("a taken port: %v", err)
	}
}
