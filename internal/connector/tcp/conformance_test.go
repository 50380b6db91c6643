package tcp

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// peer is a real TCP server on 127.0.0.1 that records the lines it
// receives. What its kernel acknowledged counts as received: before
// answering, Has and Received read everything waiting in its sockets
// (and accept waiting connections), which is exactly what an ack of the
// tcp offramp claims.
type peer struct {
	t    *testing.T
	addr string

	mu    sync.Mutex
	ln    *net.TCPListener
	conns []*conn
	got   map[string]bool
	order []string
	stop  chan struct{}
	done  chan struct{}
}

type conn struct {
	c   *net.TCPConn
	buf []byte // a partial line
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
	for range 100 { // the port may linger after a kill
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.addr, p.ln = ln.Addr().String(), ln.(*net.TCPListener)
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	stop, done := p.stop, p.done
	p.mu.Unlock()
	// Keep reading in the background too, so that senders never block.
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			p.mu.Lock()
			p.pumpLocked()
			p.mu.Unlock()
		}
	}()
}

// pumpLocked accepts waiting connections and reads what waits in each.
func (p *peer) pumpLocked() {
	if p.ln == nil {
		return
	}
	for {
		_ = p.ln.SetDeadline(time.Now().Add(200 * time.Microsecond))
		c, err := p.ln.AcceptTCP()
		if err != nil {
			break
		}
		p.conns = append(p.conns, &conn{c: c})
	}
	buf := make([]byte, 64<<10)
	for _, c := range p.conns {
		for {
			_ = c.c.SetReadDeadline(time.Now().Add(200 * time.Microsecond))
			n, err := c.c.Read(buf)
			c.buf = append(c.buf, buf[:n]...)
			for {
				i := bytes.IndexByte(c.buf, '\n')
				if i < 0 {
					break
				}
				line := string(c.buf[:i])
				c.buf = c.buf[i+1:]
				p.got[line] = true
				p.order = append(p.order, line)
			}
			if err != nil {
				break
			}
		}
	}
}

func (p *peer) Config() string { return "host: 127.0.0.1\nport: " + portOf(p.addr) + "\n" }

func (p *peer) Has(s string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.got[s] {
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

// Kill resets every connection and stops listening.
func (p *peer) Kill() {
	p.mu.Lock()
	ln, conns, stop, done := p.ln, p.conns, p.stop, p.done
	p.ln, p.conns, p.stop = nil, nil, nil
	p.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	<-done
	_ = ln.Close()
	for _, c := range conns {
		_ = c.c.SetLinger(0)
		_ = c.c.Close()
	}
}

func (p *peer) Restart() { p.listen(p.addr) }

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

func TestSinkConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type:           "tcp",
		Start:          startPeer,
		Ordered:        true,
		Postprocessors: []string{"lines"},
		BadConfigs: []conformance.BadConfig{
			{Config: "port: 4242\n", Pos: "5:7", Contains: "`host` is required"},
			{Config: "host: localhost\n", Pos: "5:7", Contains: "`port` is required"},
			{Config: "host: localhost\nport: 70000\n", Pos: "6:13", Contains: "too large"},
			{Config: "host: localhost\nport: 1\nttl: 0\n", Pos: "7:12", Contains: "must be at least 1"},
			{Config: "host: localhost\nport: 1\nnodelay: true\n", Pos: "7:7", Contains: "unknown field `nodelay`"},
			{Config: "host: ''\nport: 1\n", Pos: "5:13", Contains: "must name the server"},
		},
	})
}

// dialAndSend connects to the onramp and writes one line per message.
func dialAndSend(addr string, msgs []string, dial func(ctx context.Context, addr string) (net.Conn, error)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := dial(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(20 * time.Second))
	w := bufio.NewWriter(c)
	for _, m := range msgs {
		if _, err := w.WriteString(m + "\n"); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return tc.CloseWrite()
	}
	return nil
}

func plainDial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

func TestSourceConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type:          "tcp",
		Preprocessors: []string{"lines"},
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			return "host: 127.0.0.1\nport: 0\n", func(src sdk.Source) error {
				return dialAndSend(src.(*Source).Addr().String(), msgs, plainDial)
			}
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "host: 127.0.0.1\n", Pos: "5:7", Contains: "`port` is required"},
			{Config: "port: x\n", Pos: "5:13", Contains: "`port` must be a non-negative integer"},
			{Config: "port: 1\ntls:\n  cert: a.pem\n", Pos: "7:9", Contains: "`tls.key` is required"},
			{Config: "port: 1\ntls:\n  cert: a.pem\n  key: b.pem\n  ca: c.pem\n", Pos: "9:9", Contains: "unknown field `ca` in `tls`"},
		},
	})
}

// TestAcksOnlyWhatReachedThePeerHost: a peer that accepts one connection
// and never reads (a small receive buffer, so it holds little) gets more
// than it can hold. Every event acked must be among what its kernel
// holds, read at the end: an offramp that acked what it merely wrote to
// its own socket would ack events that never left this host.
func TestAcksOnlyWhatReachedThePeerHost(t *testing.T) {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		_ = ln.Close() // no second connection: reconnecting fails
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	h := conformance.StartSink(t, conformance.Sink{Type: "tcp"}, fixedPeer("host: 127.0.0.1\nport: "+portOf(ln.Addr().String())+"\n"),
		"confirm_timeout_ms: 300\nmax_unconfirmed: 100000\n")
	const events, size = 400, 1024
	sent := make(chan error, 1)
	go func() {
		for i := range events {
			line := fmt.Sprintf("%d:%s\n", i, bytes.Repeat([]byte("x"), size))
			if err := h.SendValues([]event.Value{line}, nil); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	c := <-accepted
	if c == nil {
		t.Fatal("no connection")
	}
	defer c.Close()
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	conformance.WaitFor(t, "every event answered", func() bool { return h.Answered() == events })
	// What the peer host has: the bytes its kernel holds (it never read,
	// so nothing was taken out): the first events, up to those bytes.
	var inq int
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) { inq, ierr = unix.IoctlGetInt(int(fd), unix.SIOCINQ) }); err != nil || ierr != nil {
		t.Fatal(err, ierr)
	}
	holds := uint64(0)
	for used := 0; holds < events; holds++ {
		used += len(fmt.Sprintf("%d:", holds)) + size + 1
		if used > inq {
			break
		}
	}
	acked := h.Acked()
	for _, seq := range acked {
		if seq >= holds {
			t.Fatalf("event %d was acked but never reached the peer host (it holds %d bytes: events 0 to %d)", seq, inq, int(holds)-1)
		}
	}
	h.ExactlyOnce(t)
	t.Logf("%d of %d events acked, the peer host holds %d", len(acked), events, holds)
}

// fixedPeer is a config without a peer the suite can inspect.
type fixedPeer string

func (p fixedPeer) Config() string     { return string(p) }
func (p fixedPeer) Has(string) bool    { return false }
func (p fixedPeer) Received() []string { return nil }
