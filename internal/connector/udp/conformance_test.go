package udp

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// peer is a real UDP socket on 127.0.0.1 that records the datagrams it
// receives. An ack of the udp offramp says a datagram was sent and not
// refused; loopback loses nothing, so Has waits (a little) for a datagram
// still on its way through the kernel before saying the peer lacks it.
type peer struct {
	t    *testing.T
	addr string

	mu    sync.Mutex
	conn  *net.UDPConn
	got   map[string]bool
	order []string
}

func startPeer(t *testing.T) conformance.SinkPeer {
	p := &peer{t: t, got: map[string]bool{}}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.Kill)
	return p
}

func (p *peer) listen(addr string) {
	ua, _ := net.ResolveUDPAddr("udp", addr)
	var c *net.UDPConn
	var err error
	for range 100 {
		if c, err = net.ListenUDP("udp", ua); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	_ = c.SetReadBuffer(4 << 20)
	p.mu.Lock()
	p.conn, p.addr = c, c.LocalAddr().String()
	p.mu.Unlock()
}

func (p *peer) pumpLocked() {
	if p.conn == nil {
		return
	}
	buf := make([]byte, 65535)
	for {
		_ = p.conn.SetReadDeadline(time.Now().Add(200 * time.Microsecond))
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		s := string(buf[:n])
		p.got[s] = true
		p.order = append(p.order, s)
	}
}

func (p *peer) Config() string {
	_, port, _ := net.SplitHostPort(p.addr)
	return "host: 127.0.0.1\nport: " + port + "\n"
}

func (p *peer) Has(s string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for end := time.Now().Add(2 * time.Second); !p.got[s] && p.conn != nil && time.Now().Before(end); {
		p.pumpLocked()
	}
	return p.got[s]
}

func (p *peer) Received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pumpLocked()
	return append([]string(nil), p.order...)
}

func (p *peer) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		_ = p.conn.Close()
		p.conn = nil
	}
}

func (p *peer) Restart() { p.listen(p.addr) }

func TestSinkConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type:    "udp",
		Start:   startPeer,
		Ordered: true,
		BadConfigs: []conformance.BadConfig{
			{Config: "port: 4242\n", Pos: "5:7", Contains: "`host` is required"},
			{Config: "host: 127.0.0.1\nport: 0\n", Pos: "6:13", Contains: "must be the destination port"},
			{Config: "host: 127.0.0.1\nport: 1\nbind:\n  addr: x\n", Pos: "8:9", Contains: "unknown field `addr` in `bind`"},
			{Config: "host: 127.0.0.1\nport: 1\nbound: yes please\n", Pos: "7:14", Contains: "`bound` must be true or false"},
		},
	})
}

// The older form: host/port are the local address, dst_host/dst_port the
// destination (Tremor 0.11's udp_postprocessors integration test).
func TestDeprecatedDestination(t *testing.T) {
	p := startPeer(t).(*peer)
	_, port, _ := net.SplitHostPort(p.addr)
	h := conformance.StartSink(t, conformance.Sink{Type: "udp"}, fixed("host: 127.0.0.1\nport: 0\ndst_host: 127.0.0.1\ndst_port: "+port+"\n"), "")
	if err := h.Send(3); err != nil {
		t.Fatal(err)
	}
	conformance.WaitFor(t, "3 acks", func() bool { a, _, _, _ := h.Counts(); return a == 3 })
	for i := range 3 {
		if !p.Has(`{"seq":` + string(rune('0'+i)) + `}`) {
			t.Errorf("the peer lacks event %d", i)
		}
	}
}

// With bound: false, $udp.host and $udp.port choose the destination.
func TestMetaDestination(t *testing.T) {
	a, b := startPeer(t).(*peer), startPeer(t).(*peer)
	_, pb, _ := net.SplitHostPort(b.addr)
	h := conformance.StartSink(t, conformance.Sink{Type: "udp"}, fixed(a.Config()+"bound: false\n"), "")
	port, _ := net.LookupPort("udp", pb)
	if err := h.SendValues([]event.Value{"to-a", "to-b"}, []event.Value{nil, event.RecordOf("udp", event.RecordOf("host", "127.0.0.1", "port", int64(port)))}); err != nil {
		t.Fatal(err)
	}
	conformance.WaitFor(t, "2 acks", func() bool { a, _, _, _ := h.Counts(); return a == 2 })
	if !a.Has("to-a") || a.Has("to-b") || !b.Has("to-b") {
		t.Errorf("a got %v, b got %v", a.Received(), b.Received())
	}
}

type fixed string

func (p fixed) Config() string     { return string(p) }
func (p fixed) Has(string) bool    { return false }
func (p fixed) Received() []string { return nil }

func TestSourceConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type: "udp",
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			return "host: 127.0.0.1\nport: 0\nbuffer_bytes: 4194304\n", func(src sdk.Source) error {
				s := src.(*Source)
				c, err := net.DialUDP("udp", nil, s.Addr().(*net.UDPAddr))
				if err != nil {
					return err
				}
				defer c.Close()
				// UDP has no flow control: keep at most 64 datagrams
				// ahead of what the onramp read.
				for i, m := range msgs {
					for uint64(i) >= s.Received()+64 {
						time.Sleep(100 * time.Microsecond)
					}
					if _, err := c.Write([]byte(m)); err != nil {
						return err
					}
				}
				return nil
			}
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "host: 127.0.0.1\n", Pos: "5:7", Contains: "`port` is required"},
			{Config: "port: 1\n", Pos: "5:7", Contains: "`host` is required"},
			{Config: "host: 127.0.0.1\nport: 1\nbuffer_bytes: -1\n", Pos: "7:21", Contains: "must be at least 0"},
		},
	})
}

// Confirm reports the refusal of a datagram sent to a port nothing listens
// on (the ICMP error arrives asynchronously: wait for it).
func TestConfirmReportsRefusal(t *testing.T) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	closed := c.LocalAddr().String()
	_ = c.Close()
	s := &sink{local: "127.0.0.1:0", remote: closed, bound: true, waitInitial: time.Millisecond, waitMax: time.Millisecond}
	if err := s.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect()
	if _, err := s.conn.Write([]byte("anyone?")); err != nil {
		t.Fatal(err)
	}
	conformance.WaitFor(t, "the refusal", func() bool { return s.Confirm(t.Context()) != nil })
	if err := s.Connect(t.Context()); err == nil {
		t.Error("Connect went ahead at once after a refusal")
	}
}

type collect struct {
	mu sync.Mutex
	n  int
}

func (c *collect) Send(context.Context, *event.Batch, sdk.Upstream) error {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return nil
}

// Datagrams the kernel drops while the onramp is paused are counted.
func TestKernelDropsAreCounted(t *testing.T) {
	src := &Source{host: "127.0.0.1", buffer: 2048}
	r := sdk.NewSourceRunner("/onramp/udp/01", "udp", src, mustString(t), nil)
	got := &collect{}
	r.Link("out", got)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Open(ctx, component.Env{URL: "/onramp/udp/01", Logger: conformance.Logger(t), Metrics: prometheus.NewRegistry()}); err != nil {
		t.Fatal(err)
	}
	r.Contraflow(event.Insight{Action: event.ActTrigger, From: "/offramp/x/01"})
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	defer func() { cancel(); <-done; _ = r.Close() }()
	c, err := net.DialUDP("udp", nil, src.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 200 {
		if _, err := c.Write(make([]byte, 512)); err != nil {
			t.Fatal(err)
		}
	}
	r.Contraflow(event.Insight{Action: event.ActRestore, From: "/offramp/x/01"})
	// The count arrives with the next datagram read after the drops.
	conformance.WaitFor(t, "drops counted", func() bool {
		_, _ = c.Write([]byte("probe"))
		return testutil.ToFloat64(src.dropped) > 0
	})
	t.Logf("%v datagrams dropped by the kernel, counted", testutil.ToFloat64(src.dropped))
}

func mustString(t *testing.T) codec.Codec {
	s, err := codec.Registry.Get("string")
	if err != nil {
		t.Fatal(err)
	}
	return s.New()
}
