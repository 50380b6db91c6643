package rest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// peer is a real HTTP server on 127.0.0.1 that records request bodies and
// answers 200 (or what status says).
type peer struct {
	t    *testing.T
	addr string

	mu     sync.Mutex
	srv    *http.Server
	got    map[string]bool
	order  []string
	hang   chan struct{}
	status int
	wg     sync.WaitGroup
}

func startPeer(t *testing.T) conformance.SinkPeer {
	p := &peer{t: t, got: map[string]bool{}, status: 200}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.Kill)
	return p
}

func (p *peer) listen(addr string) {
	var ln net.Listener
	var err error
	for range 100 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(p.handle)}
	p.mu.Lock()
	p.addr, p.srv = ln.Addr().String(), srv
	p.mu.Unlock()
	p.wg.Add(1)
	go func() { defer p.wg.Done(); _ = srv.Serve(ln) }()
}

func (p *peer) handle(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	hang, status := p.hang, p.status
	p.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	p.mu.Lock()
	if status >= 200 && status < 300 {
		p.got[string(body)] = true
		p.order = append(p.order, string(body))
	}
	p.mu.Unlock()
	w.WriteHeader(status)
}

func (p *peer) Config() string { return "endpoint: http://" + p.addr + "/ingest\n" }

func (p *peer) Has(s string) bool { p.mu.Lock(); defer p.mu.Unlock(); return p.got[s] }

func (p *peer) Received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.order...)
}

func (p *peer) Hang() { p.mu.Lock(); p.hang = make(chan struct{}); p.mu.Unlock() }

func (p *peer) Kill() {
	p.mu.Lock()
	srv, hang := p.srv, p.hang
	p.srv, p.hang = nil, nil
	p.mu.Unlock()
	if hang != nil {
		close(hang)
	}
	if srv != nil {
		_ = srv.Close()
	}
	p.wg.Wait()
}

func (p *peer) Restart() { p.listen(p.addr) }

func TestSinkConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type:  "rest",
		Start: startPeer,
		BadConfigs: []conformance.BadConfig{
			{Config: "endpoint: ftp://x/\n", Pos: "5:17", Contains: "must be an http:// or https:// URL"},
			{Config: "endpoint: http://x/\nmethod: FETCH\n", Pos: "6:15", Contains: "is not an HTTP method"},
			{Config: "endpoint: http://x/\nconcurrency: 0\n", Pos: "6:20", Contains: "must be at least 1"},
			{Config: "endpoint: http://x/\nheaders: 3\n", Pos: "6:16", Contains: "`headers` must be a mapping"},
			{Config: "endpoint:\n  host: x\n  prot: 80\n", Pos: "7:15", Contains: "`prot`"},
		},
	})
}

// A non-2xx answer fails just that event; the breaker stays closed.
func TestNon2xxFailsTheEvent(t *testing.T) {
	p := startPeer(t).(*peer)
	p.mu.Lock()
	p.status = 500
	p.mu.Unlock()
	h := conformance.StartSink(t, conformance.Sink{Type: "rest"}, p, "")
	if err := h.Send(3); err != nil {
		t.Fatal(err)
	}
	conformance.WaitFor(t, "3 answers", func() bool { return h.Answered() == 3 })
	if acked, failed, tr, _ := h.Counts(); acked != 0 || failed != 3 || tr != 0 {
		t.Fatalf("acked %d failed %d trips %d; want 0 3 0", acked, failed, tr)
	}
	p.mu.Lock()
	p.status = 201
	p.mu.Unlock()
	if err := h.Send(2); err != nil {
		t.Fatal(err)
	}
	conformance.WaitFor(t, "5 answers", func() bool { return h.Answered() == 5 })
	if acked, _, _, _ := h.Counts(); acked != 2 {
		t.Fatalf("acked %d after the peer recovered, want 2", acked)
	}
	h.ExactlyOnce(t)
}

func post(ctx context.Context, url, contentType, body string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewBufferString(body))
	if err != nil {
		return 0, "", err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer rsp.Body.Close()
	b, _ := io.ReadAll(rsp.Body)
	return rsp.StatusCode, string(b), nil
}

// Without `endpoint` (Tremor allowed it) each event names its own; one
// that does not is failed, with that reason.
func TestNoEndpoint(t *testing.T) {
	p := startPeer(t).(*peer)
	h := conformance.StartSink(t, conformance.Sink{Type: "rest"}, fixedPeer("method: PUT\n"), "")
	if err := h.SendValues([]event.Value{"with", "without"}, []event.Value{event.RecordOf("endpoint", "http://"+p.addr+"/x"), nil}); err != nil {
		t.Fatal(err)
	}
	conformance.WaitFor(t, "2 answers", func() bool { return h.Answered() == 2 })
	if acked, failed, _, _ := h.Counts(); acked != 1 || failed != 1 || !p.Has("with") {
		t.Fatalf("acked %d failed %d; the peer got %v", acked, failed, p.Received())
	}
}

type fixedPeer string

func (f fixedPeer) Config() string     { return string(f) }
func (f fixedPeer) Has(string) bool    { return false }
func (f fixedPeer) Received() []string { return nil }

func TestSourceConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type: "rest",
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			return "host: 127.0.0.1\nport: 0\n", func(src sdk.Source) error {
				url := "http://" + src.(*Source).Addr().String() + "/"
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				for _, m := range msgs {
					st, body, err := post(ctx, url, "", m)
					if err != nil {
						return err
					}
					if st != http.StatusAccepted {
						return fmt.Errorf("status %d: %s", st, body)
					}
				}
				return nil
			}
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "port: x\n", Pos: "5:13", Contains: "`port` must be a non-negative integer"},
			{Config: "port: 8000\nack_timeout_ms: 0\n", Pos: "6:23", Contains: "must be at least 1"},
			{Config: "prot: 8000\n", Pos: "5:7", Contains: "did you mean `port`"},
		},
	})
}
