package blackhole

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

// stopper records the engine stops a sink asks for.
type stopper struct {
	mu    sync.Mutex
	codes []int
}

func (s *stopper) Trigger(string)                                     {}
func (s *stopper) Restore()                                           {}
func (s *stopper) Reply(context.Context, string, []event.Event) error { return nil }
func (s *stopper) Stop(code int, _ string) {
	s.mu.Lock()
	s.codes = append(s.codes, code)
	s.mu.Unlock()
}
func (s *stopper) stopped() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.codes...)
}

func newTest(t *testing.T, c config) (*blackhole, *bytes.Buffer, *stopper) {
	t.Helper()
	var out bytes.Buffer
	st := &stopper{}
	b := &blackhole{cfg: c, out: &out}
	b.SetControl(st)
	if err := b.Open(context.Background(), component.Env{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, &out, st
}

func batch(n int, payload string, age time.Duration) *sdk.Batch {
	b := &sdk.Batch{}
	ingest := uint64(time.Now().Add(-age).UnixNano())
	for range n {
		b.Messages = append(b.Messages, sdk.Message{Payloads: [][]byte{[]byte(payload)}, IngestNS: ingest})
	}
	return b
}

// TestReport: the report has Tremor's percentile table, the summary lines
// and both throughput figures, counting what was written after the
// warm-up; and it stops the engine with status 0.
func TestReport(t *testing.T) {
	b, out, st := newTest(t, config{SignificantFigures: 2})
	for range 10 {
		if err := b.Write(context.Background(), batch(100, "0123456789", 3*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	b.finish()
	got := out.String()
	lines := strings.Split(got, "\n")
	if lines[0] != "     Value Percentile TotalCount 1/(1-Percentile)" || lines[1] != "" {
		t.Fatalf("header:\n%s", got)
	}
	row := regexp.MustCompile(`^ +\d+ [01]\.\d{5} +\d+ +(\d+\.\d\d|inf)$`)
	n := 0
	for _, l := range lines[2:] {
		if strings.HasPrefix(l, "#[") {
			break
		}
		if !row.MatchString(l) {
			t.Fatalf("row %q is not Tremor's layout:\n%s", l, got)
		}
		n++
	}
	if n < 3 || !strings.Contains(got, " 1.00000       1000            inf\n") {
		t.Errorf("table (%d rows) does not end at percentile 1 with all 1000 events:\n%s", n, got)
	}
	for _, want := range []string{
		"#[Max        = ", "Total count    =         1000]",
		"\n\nThroughput: ", " MB/s\n", " events/s\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	// Latencies are ~3ms: the median is between 3ms and a few seconds.
	var p50 int64
	for _, l := range lines[2:] {
		var v, c int64
		var q float64
		if k, _ := fmt.Sscanf(l, "%d %f %d", &v, &q, &c); k == 3 && q >= 0.5 {
			p50 = v
			break
		}
	}
	if p50 < int64(3*time.Millisecond)*98/100 || p50 > int64(10*time.Second) {
		t.Errorf("median latency %d ns for events 3ms old", p50)
	}
	if codes := st.stopped(); len(codes) != 1 || codes[0] != 0 {
		t.Errorf("engine stops asked: %v, want one with status 0", codes)
	}
	b.finish()
	b.Close()
	if strings.Count(out.String(), "Throughput: ") != 2 {
		t.Errorf("the report was printed more than once:\n%s", out.String())
	}
}

// TestWarmupIsNotMeasured: events during the warm-up are acked and not
// counted.
func TestWarmupIsNotMeasured(t *testing.T) {
	b, out, _ := newTest(t, config{WarmupSecs: 3600, SignificantFigures: 3})
	if err := b.Write(context.Background(), batch(50, "x", 0)); err != nil {
		t.Fatal(err)
	}
	b.report()
	if !strings.Contains(out.String(), "Total count    =            0]") {
		t.Errorf("warm-up events were counted:\n%s", out.String())
	}
}

// TestStopAfterSecsStopsTheEngine: the timer fires without any traffic.
func TestStopAfterSecsStopsTheEngine(t *testing.T) {
	_, out, st := newTest(t, config{StopAfterSecs: 1, SignificantFigures: 2})
	for end := time.Now().Add(20 * time.Second); len(st.stopped()) == 0; {
		if time.Now().After(end) {
			t.Fatal("stop_after_secs: 1 did not stop the engine within 20 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "Throughput: 0.0 events/s") {
		t.Errorf("report:\n%s", out.String())
	}
}

// TestBucketsMatchTheLibrary: our count of buckets agrees with the one
// the library prints.
func TestBucketsMatchTheLibrary(t *testing.T) {
	for sf := 1; sf <= 5; sf++ {
		h := hdrhistogram.New(lowest, highest, sf)
		var buf bytes.Buffer
		if _, err := h.PercentilesPrint(&buf, 1, 1); err != nil {
			t.Fatal(err)
		}
		var nb, ns int
		line := buf.String()[strings.LastIndex(buf.String(), "#[Buckets"):]
		if _, err := fmt.Sscanf(line, "#[Buckets = %d, SubBuckets     = %d]", &nb, &ns); err != nil {
			t.Fatal(err, line)
		}
		if got := buckets(h); got != nb {
			t.Errorf("significant_figures %d: %d buckets, the library says %d", sf, got, nb)
		}
	}
}
