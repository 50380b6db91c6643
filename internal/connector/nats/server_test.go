package nats

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsServer is a real nats-server (with JetStream) embedded in the test,
// on 127.0.0.1. It records every message payload a client publishes to it
// as the server reads it (from its protocol trace), can be killed, and
// restarted on the same port with the same JetStream store.
type natsServer struct {
	t     testing.TB
	port  int
	store string

	mu    sync.Mutex
	s     *server.Server
	got   map[string]bool
	order []string
	subj  map[string]string // the subject of each client's last PUB
}

// recorded is the subject whose payloads the server records.
const recorded = "out"

func startServer(t testing.TB) *natsServer {
	n := &natsServer{t: t, port: -1, store: t.TempDir(), got: map[string]bool{}, subj: map[string]string{}}
	n.start()
	t.Cleanup(n.Kill)
	return n
}

func (n *natsServer) start() {
	var s *server.Server
	var err error
	for i := 0; i < 100; i++ { // the port may linger after a kill
		s, err = server.NewServer(&server.Options{Host: "127.0.0.1", Port: n.port, JetStream: true, StoreDir: n.store,
			NoSigs: true, Trace: true, MaxTracedMsgLen: 0})
		if err == nil {
			s.SetLogger(tracer{n}, false, true)
			go s.Start()
			if s.ReadyForConnections(10 * time.Second) {
				break
			}
			s.Shutdown()
			err = fmt.Errorf("nats-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		n.t.Fatal(err)
	}
	n.mu.Lock()
	n.s = s
	n.port = s.Addr().(*net.TCPAddr).Port
	n.mu.Unlock()
}

func (n *natsServer) addr() string { return "127.0.0.1:" + strconv.Itoa(n.port) }

// Kill shuts the server down: every connection drops.
func (n *natsServer) Kill() {
	n.mu.Lock()
	s := n.s
	n.s = nil
	n.mu.Unlock()
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// Restart starts it again on the same port with the same store.
func (n *natsServer) Restart() { n.start() }

func (n *natsServer) Has(p string) bool { n.mu.Lock(); defer n.mu.Unlock(); return n.got[p] }

func (n *natsServer) Received() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.order...)
}

// connect is a plain client of the server.
func (n *natsServer) connect(t testing.TB) *natsgo.Conn {
	t.Helper()
	nc, err := natsgo.Connect(n.addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// stream creates a JetStream stream taking subjects.
func (n *natsServer) stream(t testing.TB, name string, subjects ...string) jetstream.Stream {
	t.Helper()
	js, err := jetstream.New(n.connect(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.CreateOrUpdateStream(context.Background(), jetstream.StreamConfig{Name: name, Subjects: subjects})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// tracer is the server's logger: it notes the payloads clients publish.
type tracer struct{ n *natsServer }

var (
	pubIn     = regexp.MustCompile(`(cid:\d+) .*<<- \[H?PUB (\S+)`)
	payloadIn = regexp.MustCompile(`(cid:\d+) .*<<- MSG_PAYLOAD: \[(".*")\]$`)
)

func (l tracer) Tracef(format string, v ...any) {
	line := fmt.Sprintf(format, v...)
	l.n.mu.Lock()
	defer l.n.mu.Unlock()
	if m := pubIn.FindStringSubmatch(line); m != nil {
		l.n.subj[m[1]] = m[2]
		return
	}
	m := payloadIn.FindStringSubmatch(line)
	if m == nil || l.n.subj[m[1]] != recorded {
		return
	}
	p, err := strconv.Unquote(m[2])
	if err != nil {
		return
	}
	if !l.n.got[p] {
		l.n.got[p] = true
		l.n.order = append(l.n.order, p)
	}
}

func (tracer) Noticef(string, ...any) {}
func (tracer) Warnf(string, ...any)   {}
func (tracer) Fatalf(string, ...any)  {}
func (tracer) Errorf(string, ...any)  {}
func (tracer) Debugf(string, ...any)  {}

func jetstreamNew(nc *natsgo.Conn) (jetstream.JetStream, error) { return jetstream.New(nc) }

type natsMsg = natsgo.Msg
