package runtime

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/temblor-dev/temblor/internal/codec"
)

// 20,000 undecodable messages make one warning in full and one summary with
// the count, not 20,000 lines; the metric counts every one.
func TestUndecodableInputIsLoggedRateLimited(t *testing.T) {
	// However slow the machine, the 20,000 fall within one interval.
	defer func(d time.Duration) { decodeLogEvery = d }(decodeLogEvery)
	decodeLogEvery = time.Hour
	var logs syncBuffer
	spec, err := codec.Registry.Get("json")
	if err != nil {
		t.Fatal(err)
	}
	m := newMetrics(prometheus.NewRegistry())
	r := newSourceRunner("/onramp/t/01", txnSource{}, spec.New(), nil, slog.New(slog.NewTextHandler(&logs, nil)), m)
	ctx := context.Background()
	for i := 0; i < 20000; i++ {
		if _, err := r.EmitBytes(ctx, 1, []byte("{not json"), nil); err != nil {
			t.Fatal(err)
		}
	}
	r.stop()
	full := strings.Count(logs.String(), `msg="input could not be decoded"`)
	summaries := strings.Count(logs.String(), `msg="more input could not be decoded"`)
	if full != 1 || summaries != 1 || !strings.Contains(logs.String(), "inputs=19999") || !strings.Contains(logs.String(), "total=20000") {
		t.Fatalf("%d full lines and %d summaries, want 1 and 1 accounting for all 20000:\n%.2000s", full, summaries, logs.String())
	}
	if n := testutil.ToFloat64(m.decodeErrors.WithLabelValues("/onramp/t/01")); n != 20000 {
		t.Fatalf("decode errors counted: %v, want 20000", n)
	}
}
