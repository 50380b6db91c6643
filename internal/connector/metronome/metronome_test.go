package metronome

import (
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

// TestPausesWithoutGaps: while a circuit breaker is open the metronome
// skips ticks; when it closes, ids go on from where they stopped, and each
// record has its fields in Tremor's order.
func TestPausesWithoutGaps(t *testing.T) {
	o := conformance.StartOnramp(t, "metronome", "interval: 2\n", nil, nil)
	o.Runner.Contraflow(event.Insight{Action: event.ActTrigger, From: "/offramp/x/01"})
	conformance.WaitFor(t, "the metronome to be held", func() bool { return o.Runner.Held() > 0 })
	before := len(o.Events())
	time.Sleep(50 * time.Millisecond) // ~25 ticks pass while it is held
	o.Runner.Contraflow(event.Insight{Action: event.ActRestore, From: "/offramp/x/01"})
	conformance.WaitFor(t, "10 more events", func() bool { return len(o.Events()) >= before+10 })
	var lastNS int64
	for i, ev := range o.Events() {
		r := ev.Data.(*event.Record)
		id, _ := r.Get("id")
		ns, _ := r.Get("ingest_ns")
		if id != int64(i) || ns.(int64) < lastNS || r.Keys()[0] != "onramp" {
			t.Fatalf("event %d: %v", i, r)
		}
		lastNS = ns.(int64)
	}
}
