package ws

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// peer is a real websocket server on 127.0.0.1 that records messages.
type peer struct {
	t    *testing.T
	addr string

	mu    sync.Mutex
	got   map[string]bool
	order []string
	srv   *http.Server
	conns []*websocket.Conn
	hang  chan struct{} // closed: read again (nil: reading)
	wg    sync.WaitGroup
}

func startPeer(t *testing.T) conformance.SinkPeer {
	p := &peer{t: t, got: map[string]bool{}}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.Kill)
	return p
}

func (p *peer) listen(addr string) {
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ { // the port may linger after a kill
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(p.handle)}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	p.wg.Add(1)
	go func() { defer p.wg.Done(); _ = srv.Serve(ln) }()
}

func (p *peer) handle(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c)
	hang := p.hang
	p.mu.Unlock()
	if hang != nil {
		<-hang // accept, then never read: no pongs
		return
	}
	for {
		_, data, err := c.Read(context.Background())
		if err != nil {
			return
		}
		p.mu.Lock()
		p.got[string(data)] = true
		p.order = append(p.order, string(data))
		p.mu.Unlock()
	}
}

func (p *peer) Config() string { return "url: ws://" + p.addr + "/\n" }

func (p *peer) Has(s string) bool { p.mu.Lock(); defer p.mu.Unlock(); return p.got[s] }

func (p *peer) Received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.order...)
}

func (p *peer) Hang() {
	p.mu.Lock()
	p.hang = make(chan struct{})
	p.mu.Unlock()
}

// Kill drops the server and every connection abruptly.
func (p *peer) Kill() {
	p.mu.Lock()
	srv, conns, hang := p.srv, p.conns, p.hang
	p.srv, p.conns, p.hang = nil, nil, nil
	p.mu.Unlock()
	if hang != nil {
		close(hang)
	}
	if srv != nil {
		_ = srv.Close()
	}
	for _, c := range conns {
		c.CloseNow()
	}
	p.wg.Wait()
}

func (p *peer) Restart() { p.listen(p.addr) }

func TestSinkConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type:    "ws",
		Start:   startPeer,
		Ordered: true,
		BadConfigs: []conformance.BadConfig{
			{Config: "url: http://localhost/\n", Pos: "5:12", Contains: "must be a websocket URL"},
			{Config: "confirm_timeout_ms: 5\n", Pos: "5:7", Contains: "`url` is required"},
			{Config: "url: ws://a/\nretry: 3\n", Pos: "6:7", Contains: "unknown field `retry`"},
			{Config: "url: ws://a/\nmax_unconfirmed: 0\n", Pos: "6:24", Contains: "must be at least 1"},
			{Config: "url: ws://a/\nbackoff_initial_ms: 10\nbackoff_max_ms: 5\n", Pos: "7:23", Contains: "must be at least `backoff_initial_ms`"},
		},
	})
}

func TestSourceConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type: "ws",
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			return "host: 127.0.0.1\nport: 0\n", func(src sdk.Source) error {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				c, _, err := websocket.Dial(ctx, "ws://"+src.(*Source).Addr().String()+"/", nil)
				if err != nil {
					return err
				}
				defer c.CloseNow()
				for _, m := range msgs {
					if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
						return err
					}
				}
				return c.Close(websocket.StatusNormalClosure, "")
			}
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "host: 127.0.0.1\n", Pos: "5:7", Contains: "`port` is required"},
			{Config: "port: x\n", Pos: "5:13", Contains: "`port` must be a non-negative integer"},
			{Config: "port: 70000\n", Pos: "5:13", Contains: "too large"},
		},
	})
}
