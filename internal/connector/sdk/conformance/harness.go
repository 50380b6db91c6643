package conformance

import (
	"context"
	"sort"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

// SinkHarness drives one offramp against its peer for a connector's own
// tests (what the suite cannot ask of every connector): send events, read
// the answers.
type SinkHarness struct{ s *sinkRun }

// StartSink opens offramp c against peer (extra is appended to the peer's
// config section) and runs it until the test ends.
func StartSink(t *testing.T, c Sink, peer SinkPeer, extra string) *SinkHarness {
	t.Helper()
	return &SinkHarness{startSink(t, c, peer, extra)}
}

// Send sends a batch of n transactional events with the suite's payloads
// ({"seq":N}); it returns their sequence numbers' range.
func (h *SinkHarness) Send(n int) error { return h.s.send(n) }

// SendValues sends one transactional event per value (encoded by the
// suite's string codec: a string value is sent as it is), each with its
// metadata (nil for none).
func (h *SinkHarness) SendValues(vals []event.Value, metas []event.Value) error {
	b := &event.Batch{}
	for i, v := range vals {
		ev := event.Event{ID: event.NewEventID(1, 0, h.s.seq), Data: v, Transactional: true}
		if i < len(metas) {
			ev.Meta = metas[i]
		}
		b.Events = append(b.Events, ev)
		h.s.seq++
	}
	return h.s.r.Send(context.Background(), b, h.s.up)
}

// Sent is how many events were sent.
func (h *SinkHarness) Sent() uint64 { return h.s.seq }

// Answered is how many events were acked or failed.
func (h *SinkHarness) Answered() int { return h.s.up.answered() }

// Counts are the events acked and failed and the breaker's trips and
// restores so far.
func (h *SinkHarness) Counts() (acked, failed, triggers, restores int) { return h.s.up.counts() }

// Acked lists the sequences acked so far, in order.
func (h *SinkHarness) Acked() []uint64 {
	h.s.up.mu.Lock()
	defer h.s.up.mu.Unlock()
	out := make([]uint64, 0, len(h.s.up.acks))
	for s := range h.s.up.acks {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ExactlyOnce checks that every event sent was answered exactly once.
func (h *SinkHarness) ExactlyOnce(t *testing.T) { t.Helper(); h.s.up.exactlyOnce(t, h.s.seq) }

// CloseInput drains the offramp.
func (h *SinkHarness) CloseInput() { h.s.r.CloseInput() }
