package ws

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func mustCodec(t *testing.T, name string) codec.Codec {
	s, err := codec.Registry.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return s.New()
}

func quiet() component.Env {
	return component.Env{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: prometheus.NewRegistry()}
}

// upper answers every event with {"echo": event, "binary": $binary},
// sent back as a binary frame, then acks the event.
type upper struct{ reply sdk.Target }

func (u *upper) Send(ctx context.Context, b *event.Batch, from sdk.Upstream) error {
	out := &event.Batch{}
	for _, ev := range b.Events {
		bin, _ := sdk.MetaBool(ev.Meta, "binary")
		out.Events = append(out.Events, event.Event{ID: ev.ID, Transactional: true, Data: event.RecordOf("echo", ev.Data, "was_binary", bin),
			Meta: event.RecordOf("binary", true)})
	}
	if err := u.reply.Send(ctx, out, nil); err != nil {
		return err
	}
	from.Contraflow(event.Insight{Action: event.ActAck, IDs: b.TransactionalIDs()})
	return nil
}

type collect struct {
	mu  sync.Mutex
	evs []event.Event
}

func (c *collect) Send(_ context.Context, b *event.Batch, _ sdk.Upstream) error {
	c.mu.Lock()
	c.evs = append(c.evs, b.Events...)
	c.mu.Unlock()
	return nil
}

func (c *collect) get() []event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event.Event(nil), c.evs...)
}

type answers struct {
	mu          sync.Mutex
	acks, fails int
	reasons     []string
}

func (a *answers) Contraflow(in event.Insight) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch in.Action {
	case event.ActAck:
		a.acks += int(in.IDs.Count())
	case event.ActFail:
		a.fails += int(in.IDs.Count())
		a.reasons = append(a.reasons, in.Reason)
	}
}

// A linked ws offramp talking to a linked ws onramp: each message's reply
// (from the onramp's pipeline, back on its connection) reaches the
// offramp's out port with $binary and the request's $correlation; an
// event with a $url elsewhere is failed, not sent.
func TestLinkedRoundTrip(t *testing.T) {
	src := &Source{host: "127.0.0.1", maxMsg: 1 << 20, ackTimeout: 5 * time.Second}
	sr := sdk.NewSourceRunner("/onramp/ws/01", "ws", src, mustCodec(t, "json"), nil)
	if err := sr.EnableReplies("json", nil, nil); err != nil {
		t.Fatal(err)
	}
	sr.Link("out", &upper{reply: sr.ReplyTarget()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := sr.Open(ctx, quiet()); err != nil {
		t.Fatal(err)
	}
	srcDone := make(chan struct{})
	go func() { defer close(srcDone); _ = sr.Run(ctx) }()
	defer func() { cancel(); <-srcDone; _ = sr.Close() }()

	port := strconv.Itoa(src.Addr().(*net.TCPAddr).Port)
	snk, opts, err := newSink(&sinkConfig{URL: "ws://127.0.0.1:" + port + "/", ConfirmTimeoutMS: 5000, BackoffInitialMS: 10, BackoffMaxMS: 50, MaxUnconfirmed: 16}, sdk.Params{})
	if err != nil {
		t.Fatal(err)
	}
	kr := sdk.NewSinkRunner("/offramp/ws/01", "ws", snk, mustCodec(t, "json"), nil, opts)
	if err := kr.EnableResponses("json", nil, nil); err != nil {
		t.Fatal(err)
	}
	out := &collect{}
	kr.Link("out", out)
	kctx, kcancel := context.WithCancel(context.Background())
	if err := kr.Open(kctx, quiet()); err != nil {
		t.Fatal(err)
	}
	kDone := make(chan struct{})
	go func() { defer close(kDone); _ = kr.Run(kctx) }()
	defer func() { kcancel(); <-kDone }()

	up := &answers{}
	b := &event.Batch{Events: []event.Event{
		{ID: event.One(9, 0, 1), Transactional: true, Data: event.RecordOf("n", int64(1)), Meta: event.RecordOf("correlation", "c1")},
		{ID: event.One(9, 0, 2), Transactional: true, Data: event.RecordOf("n", int64(2)), Meta: event.RecordOf("binary", true)},
		{ID: event.One(9, 0, 3), Transactional: true, Data: event.RecordOf("n", int64(3)), Meta: event.RecordOf("url", "ws://elsewhere/")},
	}}
	if err := kr.Send(ctx, b, up); err != nil {
		t.Fatal(err)
	}
	conformance.WaitFor(t, "two replies and three answers", func() bool {
		up.mu.Lock()
		defer up.mu.Unlock()
		return len(out.get()) == 2 && up.acks+up.fails == 3
	})
	got := out.get()
	want := []string{`{"echo":{"n":1},"was_binary":false} {"binary":true,"correlation":"c1"}`, `{"echo":{"n":2},"was_binary":true} {"binary":true}`}
	for i, ev := range got {
		if s := string(event.MarshalJSON(ev.Data)) + " " + string(event.MarshalJSON(ev.Meta)); s != want[i] {
			t.Errorf("reply %d: %s, want %s", i, s, want[i])
		}
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.acks != 2 || up.fails != 1 {
		t.Errorf("%d acked, %d failed (%v); want 2 and 1", up.acks, up.fails, up.reasons)
	}
}
