package dns

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server is a real DNS server on 127.0.0.1 (UDP) with a small zone: every
// seq-N.test has an A record, example.test has A, AAAA, MX and TXT
// records; other names do not exist. It records the names asked.
type server struct {
	t    *testing.T
	addr string

	mu    sync.Mutex
	srv   *mdns.Server
	asked map[string]bool
	order []string
	hang  bool
}

func startServer(t *testing.T) *server {
	s := &server{t: t, asked: map[string]bool{}}
	s.listen("127.0.0.1:0")
	t.Cleanup(s.Kill)
	return s
}

func (s *server) listen(addr string) {
	var pc net.PacketConn
	var err error
	for range 100 {
		if pc, err = net.ListenPacket("udp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &mdns.Server{PacketConn: pc, Handler: mdns.HandlerFunc(s.answer), NotifyStartedFunc: func() { close(started) }}
	s.mu.Lock()
	s.addr, s.srv = pc.LocalAddr().String(), srv
	s.mu.Unlock()
	go func() { _ = srv.ActivateAndServe() }()
	<-started
}

func (s *server) answer(w mdns.ResponseWriter, r *mdns.Msg) {
	q := r.Question[0]
	s.mu.Lock()
	hang := s.hang
	if !hang {
		s.asked[q.Name] = true
		s.order = append(s.order, q.Name)
	}
	s.mu.Unlock()
	if hang {
		return
	}
	m := new(mdns.Msg)
	m.SetReply(r)
	rr := func(text string) {
		x, err := mdns.NewRR(text)
		if err != nil {
			s.t.Error(err)
			return
		}
		m.Answer = append(m.Answer, x)
	}
	switch {
	case q.Name == ".":
		rr(". 60 IN NS ns.test.")
	case strings.HasPrefix(q.Name, "seq-") && q.Qtype == mdns.TypeA:
		rr(q.Name + " 60 IN A 10.0.0.1")
	case strings.HasPrefix(q.Name, "seq-"):
	case q.Name == "example.test.":
		switch q.Qtype {
		case mdns.TypeA:
			rr("example.test. 300 IN A 10.1.2.3")
		case mdns.TypeAAAA:
			rr("example.test. 300 IN AAAA 2001:db8::1")
		case mdns.TypeMX:
			rr("example.test. 600 IN MX 10 mail.example.test.")
		case mdns.TypeTXT:
			rr(`example.test. 30 IN TXT "v=spf1 " "-all"`)
		}
	default:
		m.Rcode = mdns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

func (s *server) Kill() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Shutdown()
	}
}

func (s *server) Restart() { s.mu.Lock(); s.hang = false; s.mu.Unlock(); s.listen(s.addr) }

// peer adapts the server to the suite: the payload {"seq":N} is a lookup
// of seq-N.test.
type peer struct{ *server }

func name(payload string) string {
	var seq uint64
	_, _ = fmt.Sscanf(payload, `{"seq":%d}`, &seq)
	return fmt.Sprintf("seq-%d.test.", seq)
}

func (p peer) Config() string { return "resolver: " + p.addr + "\ntimeout_ms: 1000\n" }
func (p peer) Has(payload string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.asked[name(payload)]
}

func (p peer) Received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, n := range p.order {
		var seq uint64
		if _, err := fmt.Sscanf(n, "seq-%d.test.", &seq); err == nil {
			out = append(out, fmt.Sprintf(`{"seq":%d}`, seq))
		}
	}
	return out
}

func (p peer) Hang() { p.mu.Lock(); p.hang = true; p.mu.Unlock() }

func TestSinkConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type:    "dns",
		Start:   func(t *testing.T) conformance.SinkPeer { return peer{startServer(t)} },
		Ordered: true,
		Value: func(seq uint64) event.Value {
			return event.RecordOf("lookup", event.RecordOf("name", fmt.Sprintf("seq-%d.test", seq), "type", "A"))
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "resolver: localhost\n", Pos: "5:17", Contains: "must be host:port"},
			{Config: "timeout_ms: 0\n", Pos: "5:19", Contains: "must be at least 1"},
			{Config: "server: 127.0.0.1:53\n", Pos: "5:7", Contains: "unknown field `server`"},
		},
	})
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

func (c *collect) json() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, ev := range c.evs {
		out = append(out, string(event.MarshalJSON(ev.Data))+" "+string(event.MarshalJSON(ev.Meta)))
	}
	return out
}

// The answers, Tremor's shape, on out; what cannot be looked up on err;
// $correlation carried over.
func TestAnswers(t *testing.T) {
	srv := startServer(t)
	built, errs := sdk.NewSink("dns", nil, sdk.Params{URL: "/offramp/dns/01"}, sdk.BuildOptions{})
	if errs.HasErrors() {
		t.Fatal(errs)
	}
	s := built.Value.(*sink)
	s.resolver = srv.addr
	null, err := codec.Registry.Get("null")
	if err != nil {
		t.Fatal(err)
	}
	r := sdk.NewSinkRunner("/offramp/dns/01", "dns", s, null.New(), nil, built.Options)
	if err := r.EnableResponses("json", nil, nil); err != nil {
		t.Fatal(err)
	}
	out, errOut := &collect{}, &collect{}
	r.Link("out", out)
	r.Link("err", errOut)
	ctx, cancel := context.WithCancel(context.Background())
	if err := r.Open(ctx, component.Env{Logger: conformance.Logger(t), Metrics: prometheus.NewRegistry()}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	lookup := func(l event.Value, corr event.Value) event.Event {
		return event.Event{Data: event.RecordOf("lookup", l), Meta: event.RecordOf("correlation", corr)}
	}
	b := &event.Batch{Events: []event.Event{
		lookup("example.test", "c1"),
		lookup(event.RecordOf("name", "example.test", "type", "MX"), nil),
		lookup(event.RecordOf("name", "example.test", "type", "TXT"), nil),
		lookup("nowhere.test", "c2"),
		lookup(event.RecordOf("name", "example.test", "type", "BOGUS"), nil),
		{Data: "not a lookup"},
	}}
	if err := r.Send(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	conformance.WaitFor(t, "every answer", func() bool { return len(out.json()) == 3 && len(errOut.json()) == 3 })
	want := []string{
		`[{"A":"10.1.2.3","ttl":300},{"AAAA":"2001:db8::1","ttl":300}] {"correlation":"c1"}`,
		`[{"MX":"10 mail.example.test.","ttl":600}] {"correlation":null}`,
		`[{"TXT":"v=spf1 -all","ttl":30}] {"correlation":null}`,
	}
	for i, got := range out.json() {
		if got != want[i] {
			t.Errorf("answer %d: %s, want %s", i, got, want[i])
		}
	}
	e := errOut.json()
	if !strings.Contains(e[0], `"error":"no record found for nowhere.test"`) || !strings.Contains(e[0], `{"correlation":"c2"}`) ||
		!strings.Contains(e[1], "unsupported record type: BOGUS") || !strings.Contains(e[2], "has no `lookup`") {
		t.Errorf("errors:\n%s", strings.Join(e, "\n"))
	}
}
