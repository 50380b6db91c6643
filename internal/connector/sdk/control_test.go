package sdk

import (
	"context"
	"errors"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

// selective fails the messages whose value is "no", replies on `out` for
// every message, and obeys "stop" and "trip"/"untrip" values.
type selective struct {
	ctl      Control
	payloads int
}

func (s *selective) SetControl(c Control)          { s.ctl = c }
func (s *selective) Connect(context.Context) error { return nil }
func (s *selective) Disconnect() error             { return nil }
func (s *selective) Write(ctx context.Context, b *Batch) error {
	var replies []event.Event
	for i, m := range b.Messages {
		s.payloads += len(m.Payloads)
		switch m.Data {
		case "no":
			b.Fail(i, "told no")
		case "stop":
			s.ctl.Stop(7, "told to")
		case "trip":
			s.ctl.Trigger("told to")
		case "untrip":
			s.ctl.Restore()
		}
		replies = append(replies, event.Event{Data: m.Data, Meta: m.Meta})
	}
	return s.ctl.Reply(ctx, "out", replies)
}

// TestBatchFailAnswersPerMessage: the messages a sink failed are failed
// with its reason, the others acked, each exactly once.
func TestBatchFailAnswersPerMessage(t *testing.T) {
	s := &selective{}
	r, up, stop := runSink(t, s, mustCodec(t, "string"), SinkOptions{})
	defer stop()
	b := batchOf(6, true)
	b.Events[1].Data, b.Events[4].Data = "no", "no"
	if err := r.Send(context.Background(), b, up); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "6 answers", func() bool { a, f, _ := up.get(); return a+f == 6 })
	if a, f, _ := up.get(); a != 4 || f != 2 {
		t.Errorf("acked %d, failed %d; want 4 and 2", a, f)
	}
}

// TestControl: a sink's replies reach the pipelines linked to its port,
// as events of their own; its stop and breaker requests reach the engine
// and upstream.
func TestControl(t *testing.T) {
	s := &selective{}
	r := NewSinkRunner("/offramp/t/01", "test", s, mustCodec(t, "string"), nil, SinkOptions{NoEncode: true})
	out := &collect{}
	r.Link("out", out)
	stops := make(chan int, 1)
	r.OnStop(func(code int, _ string) { stops <- code })
	up := &answers{}
	r.AddUpstream(up)
	if err := r.Open(context.Background(), quiet); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	b := batchOf(4, true)
	b.Events[0].Data, b.Events[1].Data, b.Events[2].Data = "trip", "untrip", "stop"
	if err := r.Send(context.Background(), b, up); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "4 answers", func() bool { a, f, _ := up.get(); return a+f == 4 })
	if code := <-stops; code != 7 {
		t.Errorf("stop code %d, want 7", code)
	}
	up.mu.Lock()
	if up.triggers != 1 || up.restores != 1 {
		t.Errorf("triggers %d, restores %d", up.triggers, up.restores)
	}
	up.mu.Unlock()
	evs, _ := out.snapshot()
	if len(evs) != 4 || evs[2].Data != "stop" || evs[0].Transactional || evs[0].ID.First().Source == 0 ||
		evs[1].ID.First().Start != evs[0].ID.First().Start+1 || evs[0].Origin != "/offramp/t/01/out" {
		t.Errorf("replies: %+v", evs)
	}
	if s.payloads != 0 {
		t.Errorf("NoEncode: the sink got %d payloads", s.payloads)
	}
}

func TestStopCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
		ok   bool
	}{
		{ErrDone, 0, true},
		{&StopError{Code: 3}, 3, true},
		{errors.Join(errors.New("x"), &StopError{Code: 1}), 1, true},
		{errors.New("x"), 0, false},
	} {
		if code, ok := StopCode(c.err); code != c.code || ok != c.ok {
			t.Errorf("%v: %d %v", c.err, code, ok)
		}
	}
}
