package op_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
)

// responsive fails the test unless the pipeline takes a barrier within a
// few seconds: a pipeline goroutine stuck in a loop never does.
func responsive(t *testing.T, h *harness, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.p.Sync(ctx); err != nil {
		t.Fatalf("the pipeline is not responsive %s: %v", what, err)
	}
}

// A WAL capped by max_bytes alone: at the cap it trips the breaker once,
// holds what was already on its way, stays responsive (no busy loop over
// the held event), and once the sink acks it stores the held events and
// restores the breaker; every event arrives, in order.
func TestWALMaxBytesOnlyPausesAndResumes(t *testing.T) {
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	hold := true
	var held []event.IDs
	s := &sink{decide: func(ev *event.Event, _ int) event.Action {
		<-mu
		defer func() { mu <- struct{}{} }()
		if hold {
			held = append(held, ev.ID)
			return event.ActNone
		}
		return event.ActAck
	}}
	h := startQuery(t, `
define qos::wal operator w with read_count = 20, max_bytes = 2000 end;
create operator w;
select event from in into w;
select event from w into out;
`, t.TempDir(), s)
	blob := strings.Repeat("x", 50)
	n := 0
	for ; h.up.count(event.ActTrigger) == 0; n++ {
		if n > 200 {
			t.Fatal("2000 bytes of 60-byte events never tripped the breaker")
		}
		h.send(t, event.RecordOf("id", int64(n), "blob", blob), false)
		responsive(t, h, "while filling")
	}
	// Events already on their way when the breaker tripped are held.
	for i := 0; i < 3; i++ {
		h.send(t, event.RecordOf("id", int64(n), "blob", blob), false)
		n++
	}
	responsive(t, h, "at the cap with events held")
	if got := h.up.count(event.ActTrigger); got != 1 {
		t.Fatalf("breaker tripped %d times, want 1", got)
	}
	// The sink comes back: it fails what it held (as a reconnecting sink
	// does) and acks everything from now on.
	<-mu
	hold = false
	ins := held
	mu <- struct{}{}
	s.reply(event.ActFail, ins...)
	waitFor(t, "the breaker restored", func() bool { return h.up.count(event.ActRestore) == 1 })
	waitFor(t, "every event delivered", func() bool { return distinctIDs(s) == n })
	stopped := make(chan struct{})
	go func() { h.stop(t); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		t.Fatal("the pipeline did not stop")
	}
	var first []int64
	seen := map[int64]bool{}
	for _, id := range ids(s.events()) {
		if !seen[id] {
			seen[id] = true
			first = append(first, id)
		}
	}
	if !slices.IsSorted(first) {
		t.Errorf("delivered out of order: %v", first)
	}
}

// One event larger than max_bytes is refused on its own: it goes to the err
// port with the reason (or is dropped, counted and acked when no err port
// is linked), and every event behind it is stored and delivered.
func TestWALRefusesOneEventLargerThanMaxBytes(t *testing.T) {
	for _, withErr := range []bool{true, false} {
		t.Run(fmt.Sprintf("err_port_linked=%v", withErr), func(t *testing.T) {
			s, errs := &sink{}, &sink{}
			var more []portSink
			if withErr {
				more = append(more, portSink{"err", errs})
			}
			h := startQuery(t, `
define qos::wal operator w with read_count = 20, max_bytes = 1000 end;
create operator w;
select event from in into w;
select event from w into out;
`, t.TempDir(), s, more...)
			for i := 0; i < 6; i++ {
				blob := "small"
				if i == 2 {
					blob = strings.Repeat("x", 5000)
				}
				h.send(t, event.RecordOf("id", int64(i), "blob", blob), true)
			}
			waitFor(t, "the other events delivered", func() bool { return len(s.events()) == 5 })
			waitFor(t, "every event answered upstream", func() bool { return h.up.count(event.ActAck) == 6 })
			if got := ids(s.events()); !slices.Equal(got, []int64{0, 1, 3, 4, 5}) {
				t.Errorf("delivered %v, want 0 1 3 4 5", got)
			}
			if n := h.up.count(event.ActFail) + h.up.count(event.ActTrigger); n != 0 {
				t.Errorf("%d fails or breaker trips upstream; one oversized event must not stop the others", n)
			}
			h.stop(t)
			if !withErr {
				return
			}
			got := errs.events()
			if len(got) != 1 {
				t.Fatalf("err port got %d events, want the oversized one", len(got))
			}
			r := got[0].Data.(*event.Record)
			msg, _ := r.Get("error")
			inner, _ := r.Get("event")
			id, _ := inner.(*event.Record).Get("id")
			if !strings.Contains(msg.(string), "exceeds max_bytes 1000") || id != int64(2) {
				t.Errorf("err port event = %v; want the reason (exceeds max_bytes 1000) and event 2", string(event.MarshalJSON(r)))
			}
		})
	}
}

// A poison event after the WAL (a select that fails on it) is permanent:
// it is dead-lettered (or goes to the err port) and counts as answered, so
// the WAL acks it, keeps nothing back and re-sends nothing after a restart.
// A transient failure (the sink failing) is still re-sent.
func TestWALPoisonEventAfterTheWALIsAnswered(t *testing.T) {
	for _, withErr := range []bool{true, false} {
		t.Run(fmt.Sprintf("err_port_linked=%v", withErr), func(t *testing.T) {
			dir := t.TempDir()
			// The sink fails id 6 once: that one must come again.
			s := &sink{decide: func(ev *event.Event, attempt int) event.Action {
				if id, _ := ev.Data.(*event.Record).Get("id"); id == int64(6) && attempt == 1 {
					return event.ActFail
				}
				return event.ActAck
			}}
			errs := &sink{}
			var more []portSink
			if withErr {
				more = append(more, portSink{"err", errs})
			}
			q := `
define qos::wal operator w with read_count = 20, max_elements = 5 end;
create operator w;
select event from in into w;
select {"id": event.id, "r": 100 / (event.id - 3)} from w into out;
`
			h := startQuery(t, q, dir, s, more...)
			for i := 0; i < 30; i++ {
				h.send(t, event.RecordOf("id", int64(i)), false)
			}
			waitFor(t, "29 events delivered", func() bool { return distinctIDs(s) == 29 })
			waitFor(t, "the WAL to hold nothing", func() bool { return h.p.Backlog() == 0 })
			h.stop(t)
			s.mu.Lock()
			for _, ev := range s.got {
				if id, _ := ev.Data.(*event.Record).Get("id"); id == int64(6) && s.tries[ev.ID.First()] != 2 {
					t.Errorf("the event the sink failed was sent %d times, want 2", s.tries[ev.ID.First()])
				}
			}
			s.mu.Unlock()
			if withErr {
				if got := errs.events(); len(got) != 1 || !strings.Contains(string(event.MarshalJSON(got[0].Data)), "division by zero") {
					t.Errorf("err port got %d events, want the one with id 3 and its error", len(got))
				}
			}
			// After a restart nothing comes back: the poison event was
			// answered, so the cursor moved past it.
			s2 := &sink{}
			h2 := startQuery(t, q, dir, s2)
			if got := onlyMarker(t, h2, s2); len(got) != 0 {
				t.Fatalf("%d events re-sent after a restart: %v", len(got), got)
			}
		})
	}
}
