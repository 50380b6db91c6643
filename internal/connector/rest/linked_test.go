package rest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
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

func env(t *testing.T) component.Env {
	return component.Env{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: prometheus.NewRegistry()}
}

// echo is a pipeline for a linked rest onramp: it answers each request
// event with a record holding the request, $response set, then acks it.
type echo struct {
	reply  sdk.Target
	status int64
	drop   bool // answer nothing (a filter): the request is acked without a response
}

func (e *echo) Send(ctx context.Context, b *event.Batch, from sdk.Upstream) error {
	out := &event.Batch{}
	for _, ev := range b.Events {
		m := ev.MetaRecord()
		req, _ := m.Get("request")
		path, _ := sdk.MetaString(m, "request", "url", "path")
		corr, _ := sdk.MetaGet(m, "request", "headers", "x-correlation")
		rsp := event.RecordOf("status", e.status, "headers", event.RecordOf("content-type", "application/json", "x-served-by", "echo"))
		out.Events = append(out.Events, event.Event{ID: ev.ID, IngestNS: ev.IngestNS, Transactional: true,
			Data: event.RecordOf("got", ev.Data, "path", path, "correlation", corr), Meta: event.RecordOf("response", rsp, "request", req)})
	}
	if !e.drop {
		up := &answers{}
		if err := e.reply.Send(ctx, out, up); err != nil {
			return err
		}
	}
	from.Contraflow(event.Insight{Action: event.ActAck, IDs: b.TransactionalIDs()})
	return nil
}

type answers struct {
	mu  sync.Mutex
	got []event.Insight
}

func (a *answers) Contraflow(in event.Insight) { a.mu.Lock(); a.got = append(a.got, in); a.mu.Unlock() }

// startServer runs a linked rest onramp answered by e.
func startServer(t *testing.T, e *echo, ackTimeout time.Duration) *Source {
	t.Helper()
	src := &Source{host: "127.0.0.1", maxBody: 1 << 20, ackTimeout: ackTimeout}
	r := sdk.NewSourceRunner("/onramp/server/01", "rest", src, mustCodec(t, "json"), nil)
	r.SetCodecMap(codec.BuiltinMimeMap())
	if err := r.EnableReplies("json", codec.BuiltinMimeMap(), nil); err != nil {
		t.Fatal(err)
	}
	e.reply = r.ReplyTarget()
	r.Link("out", e)
	ctx, cancel := context.WithCancel(context.Background())
	if err := r.Open(ctx, env(t)); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; _ = r.Close() })
	return src
}

func TestLinkedOnrampAnswersWithTheReply(t *testing.T) {
	src := startServer(t, &echo{status: 201}, 5*time.Second)
	req, _ := http.NewRequest("PUT", "http://"+src.Addr().String()+"/a/b?x=1", strings.NewReader(`{"snot":"badger"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Correlation", "c1")
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	body, _ := io.ReadAll(rsp.Body)
	if rsp.StatusCode != 201 || rsp.Header.Get("X-Served-By") != "echo" || rsp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d headers %v", rsp.StatusCode, rsp.Header)
	}
	want := `{"got":{"snot":"badger"},"path":"/a/b","correlation":["c1"]}`
	if string(body) != want {
		t.Fatalf("body %s, want %s", body, want)
	}
}

func TestLinkedOnrampWithoutResponseTimesOut(t *testing.T) {
	src := startServer(t, &echo{drop: true}, 200*time.Millisecond)
	st, body, err := post(t.Context(), "http://"+src.Addr().String()+"/", "application/json", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if st != http.StatusGatewayTimeout || !strings.Contains(body, "no response") {
		t.Fatalf("status %d: %s", st, body)
	}
}

func TestLinkedOnrampBadBodyIs400(t *testing.T) {
	src := startServer(t, &echo{status: 200}, 5*time.Second)
	st, body, err := post(t.Context(), "http://"+src.Addr().String()+"/", "application/json", `{"unclosed":`)
	if err != nil {
		t.Fatal(err)
	}
	if st != http.StatusBadRequest || !strings.Contains(body, "could not be decoded") {
		t.Fatalf("status %d: %s", st, body)
	}
}

// collect records what reaches a linked offramp's port.
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

// A linked rest offramp talking to a linked rest onramp: the responses
// (and the request's $correlation) reach the offramp's `out` port; a
// request to nowhere makes an error event on `err`.
func TestLinkedOfframpHandsOnResponses(t *testing.T) {
	src := startServer(t, &echo{status: 200}, 5*time.Second)
	snk, opts, err := newSink(&sinkConfig{Endpoint: "http://" + src.Addr().String() + "/sample.json", Method: "get", Concurrency: 10,
		Headers: map[string]string{"Content-Type": "application/json"}, TimeoutMS: 5000, BackoffInitialMS: 10, BackoffMaxMS: 50}, sdk.Params{})
	if err != nil {
		t.Fatal(err)
	}
	r := sdk.NewSinkRunner("/offramp/client/01", "rest", snk, mustCodec(t, "json"), nil, opts)
	r.SetCodecMap("json", codec.BuiltinMimeMap(), nil)
	if err := r.EnableResponses("json", codec.BuiltinMimeMap(), nil); err != nil {
		t.Fatal(err)
	}
	out, errs := &collect{}, &collect{}
	r.Link("out", out)
	r.Link("err", errs)
	ctx, cancel := context.WithCancel(context.Background())
	if err := r.Open(ctx, env(t)); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	defer func() { cancel(); <-done; _ = r.Close() }()
	up := &answers{}
	b := &event.Batch{Events: []event.Event{
		{ID: event.One(7, 0, 1), Transactional: true, Data: event.RecordOf("foo", "bar"),
			Meta: event.RecordOf("correlation", []event.Value{"1", "2"}, "request", event.RecordOf("headers", event.RecordOf("x-correlation", "c9")))},
		{ID: event.One(7, 0, 2), Transactional: true, Data: event.RecordOf("foo", "baz"),
			Meta: event.RecordOf("endpoint", event.RecordOf("port", int64(1)))}, // nothing listens on port 1
	}}
	if err := r.Send(ctx, b, up); err != nil {
		t.Fatal(err)
	}
	conformance.WaitFor(t, "a response and an error", func() bool { return len(out.get()) == 1 && len(errs.get()) == 1 })
	rsp := out.get()[0]
	if got := string(event.MarshalJSON(rsp.Data)); got != `{"got":{"foo":"bar"},"path":"/sample.json","correlation":["c9"]}` {
		t.Errorf("response data %s", got)
	}
	if st, _ := sdk.MetaInt(rsp.Meta, "response", "status"); st != 200 {
		t.Errorf("status %d", st)
	}
	if m, _ := sdk.MetaString(rsp.Meta, "response", "request", "method"); m != "GET" {
		t.Errorf("request method %q", m)
	}
	if c, _ := sdk.MetaGet(rsp.Meta, "correlation"); string(event.MarshalJSON(c)) != `["1","2"]` {
		t.Errorf("correlation %v", c)
	}
	if !rsp.ID.Equal(event.One(7, 0, 1)) {
		t.Errorf("the response carries ID %v, not the request's", rsp.ID)
	}
	if st, _ := sdk.MetaInt(errs.get()[0].Meta, "response", "status"); st != 503 {
		t.Errorf("error event status %d", st)
	}
	conformance.WaitFor(t, "both answered", func() bool { up.mu.Lock(); defer up.mu.Unlock(); return len(up.got) >= 2 })
	up.mu.Lock()
	defer up.mu.Unlock()
	var acked, failed int
	for _, in := range up.got {
		switch in.Action {
		case event.ActAck:
			acked += int(in.IDs.Count())
		case event.ActFail:
			failed += int(in.IDs.Count())
		}
	}
	if acked != 1 || failed != 1 {
		t.Errorf("acked %d failed %d, want 1 and 1 (%v)", acked, failed, up.got)
	}
}
