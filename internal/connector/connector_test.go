package connector

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/ulikunitz/xz"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// yamlConfig is a test stand-in for config.Section: plain yaml decoding.
type yamlConfig string

func (c yamlConfig) Decode(v any) error { return yaml.Unmarshal([]byte(c), v) }
func (c yamlConfig) Errorf(key, format string, args ...any) error {
	return fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...))
}

// recReply records a sink's replies.
type recReply struct {
	mu       sync.Mutex
	acked    []int
	failed   []int
	triggers int
	restores int
	// onAck runs under mu when a message is acked.
	onAck func(id int)
}

func idOf(m *Message) int { return int(m.Event.ID.Start) }

func (r *recReply) Ack(m *Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acked = append(r.acked, idOf(m))
	if r.onAck != nil {
		r.onAck(idOf(m))
	}
}
func (r *recReply) Fail(m *Message, _ string) {
	r.mu.Lock()
	r.failed = append(r.failed, idOf(m))
	r.mu.Unlock()
}
func (r *recReply) Trigger(string) { r.mu.Lock(); r.triggers++; r.mu.Unlock() }
func (r *recReply) Restore()       { r.mu.Lock(); r.restores++; r.mu.Unlock() }
func (r *recReply) snapshot() (a, f []int, tr, rs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.acked...), append([]int(nil), r.failed...), r.triggers, r.restores
}

func msg(i int) *Message {
	return &Message{Event: &event.Event{ID: event.NewEventID(1, 0, uint64(i)), Transactional: true}, Payloads: [][]byte{[]byte(fmt.Sprintf(`{"id":%d}`, i))}}
}

// peer is a real websocket server on 127.0.0.1 that records messages.
type peer struct {
	mu    sync.Mutex
	got   map[int]bool
	order []int
	srv   *http.Server
	ln    net.Listener
	conns []*websocket.Conn
	hang  bool
	stop  chan struct{}
}

func startPeer(t *testing.T, addr string, hang bool) *peer {
	t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{got: map[int]bool{}, ln: ln, hang: hang, stop: make(chan struct{})}
	p.srv = &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		if p.hang {
			<-p.stop // accept, then never read: no pongs
			return
		}
		for {
			_, data, err := c.Read(context.Background())
			if err != nil {
				return
			}
			var id int
			fmt.Sscanf(string(data), `{"id":%d}`, &id)
			p.mu.Lock()
			p.got[id] = true
			p.order = append(p.order, id)
			p.mu.Unlock()
		}
	})}
	go func() { _ = p.srv.Serve(ln) }()
	return p
}

func (p *peer) kill() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	_ = p.srv.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.CloseNow()
	}
	p.mu.Unlock()
}

func (p *peer) has(id int) bool { p.mu.Lock(); defer p.mu.Unlock(); return p.got[id] }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newSink(t *testing.T, url string, extra string) Sink {
	t.Helper()
	s, err := newWSSink(Params{Config: yamlConfig("url: " + url + "\n" + extra)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func runSink(s Sink, in chan *Message, r Reply) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx, in, r); close(done) }()
	return func() { cancel(); <-done }
}

func TestWSSinkAcksOnlyWhatThePeerHas(t *testing.T) {
	p := startPeer(t, "127.0.0.1:0", false)
	defer p.kill()
	r := &recReply{}
	var early []int
	r.onAck = func(id int) {
		if !p.has(id) {
			early = append(early, id)
		}
	}
	in := make(chan *Message, 16)
	stop := runSink(newSink(t, "ws://"+p.ln.Addr().String()+"/", ""), in, r)
	defer stop()
	for i := 0; i < 500; i++ {
		in <- msg(i)
	}
	waitFor(t, "500 acks", func() bool { a, _, _, _ := r.snapshot(); return len(a) == 500 })
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(early) > 0 {
		t.Fatalf("acked before the peer had them: %v", early)
	}
	for i, id := range p.order {
		if id != i {
			t.Fatalf("peer got %d at position %d", id, i)
		}
	}
}

func TestWSSinkPeerDiesThenReturns(t *testing.T) {
	p := startPeer(t, "127.0.0.1:0", false)
	addr := p.ln.Addr().String()
	r := &recReply{}
	in := make(chan *Message, 16)
	stop := runSink(newSink(t, "ws://"+addr+"/", "backoff_initial_ms: 20\nbackoff_max_ms: 100\n"), in, r)
	defer stop()
	for i := 0; i < 20; i++ {
		in <- msg(i)
	}
	waitFor(t, "first acks", func() bool { a, _, _, _ := r.snapshot(); return len(a) == 20 })
	p.kill()
	// Messages sent while the peer is gone are failed, and the breaker trips.
	for i := 20; i < 40; i++ {
		in <- msg(i)
	}
	waitFor(t, "fails and a trigger", func() bool { a, f, tr, _ := r.snapshot(); return len(a)+len(f) == 40 && tr >= 1 })
	a, f, _, rs0 := r.snapshot()
	for _, id := range a {
		if id >= 20 && !p.has(id) {
			t.Fatalf("acked %d that the dead peer never had", id)
		}
	}
	p2 := startPeer(t, addr, false)
	defer p2.kill()
	waitFor(t, "restore", func() bool { _, _, _, rs := r.snapshot(); return rs > rs0 })
	for i := 40; i < 60; i++ {
		in <- msg(i)
	}
	waitFor(t, "delivery after the restore", func() bool {
		a, _, _, _ := r.snapshot()
		n := 0
		for _, id := range a {
			if id >= 40 {
				n++
			}
		}
		return n == 20
	})
	for i := 40; i < 60; i++ {
		if !p2.has(i) {
			t.Fatalf("acked %d but the new peer does not have it", i)
		}
	}
	t.Logf("%d acked, %d failed while the peer was down", len(a), len(f))
}

func TestWSSinkHungPeerNeverAcks(t *testing.T) {
	p := startPeer(t, "127.0.0.1:0", true)
	defer p.kill()
	r := &recReply{}
	in := make(chan *Message, 16)
	stop := runSink(newSink(t, "ws://"+p.ln.Addr().String()+"/", "confirm_timeout_ms: 200\nbackoff_initial_ms: 50\n"), in, r)
	defer stop()
	for i := 0; i < 5; i++ {
		in <- msg(i)
	}
	waitFor(t, "fails after the confirm timeout", func() bool { _, f, tr, _ := r.snapshot(); return len(f) == 5 && tr >= 1 })
	if a, _, _, _ := r.snapshot(); len(a) != 0 {
		t.Fatalf("a hung peer got acks: %v", a)
	}
}

func TestWSSinkConfigErrors(t *testing.T) {
	for cfg, want := range map[string]string{
		"":                                  "`url` is required",
		"url: http://h/":                    "must be a websocket URL",
		"url: ws://h/\nbackoff_max_ms: 1\n": "backoff_max_ms",
	} {
		if _, err := newWSSink(Params{Config: yamlConfig(cfg)}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", cfg, err)
		}
	}
}

// recOut records what a source emits; block makes EmitValue wait.
type recOut struct {
	mu      sync.Mutex
	values  []event.Value
	bytes   map[uint64][]string
	ended   []uint64
	refused []refusal
	blocked chan struct{}
	settle  func(ctx context.Context, stream uint64) error
}

func (o *recOut) EmitValue(ctx context.Context, v event.Value, _ *event.Record) (event.EventID, error) {
	if o.blocked != nil {
		select {
		case <-o.blocked:
		case <-ctx.Done():
			return event.EventID{}, ctx.Err()
		}
	}
	o.mu.Lock()
	o.values = append(o.values, v)
	o.mu.Unlock()
	return event.EventID{}, nil
}
func (o *recOut) EmitBytes(_ context.Context, s uint64, b []byte, _ *event.Record) (event.EventID, error) {
	o.mu.Lock()
	if o.bytes == nil {
		o.bytes = map[uint64][]string{}
	}
	o.bytes[s] = append(o.bytes[s], string(b))
	o.mu.Unlock()
	return event.EventID{}, nil
}
func (o *recOut) EndStream(_ context.Context, s uint64) error {
	o.mu.Lock()
	o.ended = append(o.ended, s)
	o.mu.Unlock()
	return nil
}
func (o *recOut) Refuse(_ context.Context, s uint64, reason string, info *event.Record) error {
	o.mu.Lock()
	o.refused = append(o.refused, refusal{s, reason, info})
	o.mu.Unlock()
	return nil
}

// Settle answers as settle says (nil: everything delivered).
func (o *recOut) Settle(ctx context.Context, s uint64) error {
	if o.settle == nil {
		return nil
	}
	return o.settle(ctx, s)
}

type refusal struct {
	stream uint64
	reason string
	info   *event.Record
}

func TestMetronomePausesWithoutGaps(t *testing.T) {
	src, err := newMetronome(Params{Config: yamlConfig("interval: 2\n")})
	if err != nil {
		t.Fatal(err)
	}
	out := &recOut{blocked: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = src.Run(ctx, out); close(done) }()
	time.Sleep(50 * time.Millisecond) // blocked: ~25 ticks pass
	close(out.blocked)
	waitFor(t, "10 events", func() bool { out.mu.Lock(); defer out.mu.Unlock(); return len(out.values) >= 10 })
	cancel()
	<-done
	var lastNS int64
	for i, v := range out.values {
		r := v.(*event.Record)
		id, _ := r.Get("id")
		ns, _ := r.Get("ingest_ns")
		if id != int64(i) || ns.(int64) < lastNS || r.Keys()[0] != "onramp" {
			t.Fatalf("event %d: %v", i, r)
		}
		lastNS = ns.(int64)
	}
	if _, err := newMetronome(Params{Config: yamlConfig("")}); err == nil {
		t.Fatal("metronome without interval accepted")
	}
}

func TestWSSourceStreams(t *testing.T) {
	s, err := newWSSource(Params{Config: yamlConfig("host: 127.0.0.1\nport: 0\n")})
	if err != nil {
		t.Fatal(err)
	}
	ws := s.(*WSSource)
	out := &recOut{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = ws.Run(ctx, out); close(done) }()
	addr, err := ws.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for c := 0; c < 2; c++ {
		conn, _, err := websocket.Dial(ctx, "ws://"+addr.String()+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			_ = conn.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf("c%d-%d", c, i)))
		}
		conn.Close(websocket.StatusNormalClosure, "")
	}
	waitFor(t, "two ended streams", func() bool { out.mu.Lock(); defer out.mu.Unlock(); return len(out.ended) == 2 })
	cancel()
	<-done
	if len(out.bytes) != 2 {
		t.Fatalf("streams: %v", out.bytes)
	}
	for _, msgs := range out.bytes {
		if len(msgs) != 3 || !strings.HasSuffix(msgs[2], "-2") {
			t.Fatalf("stream messages: %v", msgs)
		}
	}
	if _, err := newWSSource(Params{Config: yamlConfig("host: 127.0.0.1\n")}); err == nil {
		t.Fatal("ws onramp without port accepted")
	}
}

func TestFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.log")
	snk, err := newFileSink(Params{Config: yamlConfig("file: " + path + "\nfsync: true\n")})
	if err != nil {
		t.Fatal(err)
	}
	r := &recReply{}
	in := make(chan *Message, 4)
	for i := 0; i < 3; i++ {
		in <- msg(i)
	}
	close(in)
	if err := snk.Run(context.Background(), in, r); err != nil {
		t.Fatal(err)
	}
	if a, _, _, _ := r.snapshot(); len(a) != 3 {
		t.Fatalf("acks %v", a)
	}
	src, err := newFileSource(Params{Config: yamlConfig("source: " + path + "\n")})
	if err != nil {
		t.Fatal(err)
	}
	out := &recOut{}
	if err := src.Run(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(out.bytes[0], ","); got != `{"id":0},{"id":1},{"id":2}` || len(out.ended) != 1 {
		t.Fatalf("read back %q", got)
	}
	if _, err := newFileSink(Params{Config: yamlConfig("file: /nonexistent/dir/x\n")}); err == nil {
		t.Fatal("file sink into a missing directory accepted")
	}
	if _, err := newFileSource(Params{Config: yamlConfig("source: " + filepath.Join(dir, "nope") + "\n")}); err == nil ||
		!strings.Contains(err.Error(), "cannot read") || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("missing source file: got %v, want an error that names it and says it cannot be read", err)
	}
	_ = os.Remove(path)
}

// TestFileSourceXZAndCloseOnDone: a .xz source is decompressed line by line
// (as Tremor's file onramp did); sleep_on_done waits at the end, and
// close_on_done then returns ErrDone so the runtime stops the engine.
func TestFileSourceXZAndCloseOnDone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.json.xz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, err := xz.NewWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 0; i < 1000; i++ {
		line := fmt.Sprintf(`{"id":%d,"ingest_ns":1600860720749137000}`, i)
		want = append(want, line)
		fmt.Fprintln(zw, line)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	src, err := newFileSource(Params{Config: yamlConfig("source: " + path + "\nsleep_on_done: 50\nclose_on_done: true\n")})
	if err != nil {
		t.Fatal(err)
	}
	out := &recOut{}
	start := time.Now()
	if err := src.Run(context.Background(), out); !errors.Is(err, ErrDone) {
		t.Fatalf("Run returned %v, want ErrDone", err)
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("sleep_on_done: returned after %v", el)
	}
	if got := strings.Join(out.bytes[0], "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("read %d lines, want the 1000 written", len(out.bytes[0]))
	}

	// Without close_on_done the source just ends; a file that is not xz
	// but named .xz is a clear error.
	src, _ = newFileSource(Params{Config: yamlConfig("source: " + path + "\n")})
	if err := src.Run(context.Background(), &recOut{}); err != nil {
		t.Fatalf("without close_on_done: %v", err)
	}
	bad := filepath.Join(dir, "plain.xz")
	if err := os.WriteFile(bad, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, _ = newFileSource(Params{Config: yamlConfig("source: " + bad + "\n")})
	if err := src.Run(context.Background(), &recOut{}); err == nil || !strings.Contains(err.Error(), "is not an xz file") {
		t.Fatalf("a non-xz .xz file: %v", err)
	}
}

// TestWSSinkBinaryFrames: with `binary: true` (Tremor 0.11's option) events
// go as binary frames; without it, valid UTF-8 goes as text.
func TestWSSinkBinaryFrames(t *testing.T) {
	for _, binary := range []bool{false, true} {
		types := make(chan websocket.MessageType, 1)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			for {
				typ, _, err := c.Read(r.Context())
				if err != nil {
					return
				}
				select {
				case types <- typ:
				default:
				}
			}
		})}
		go srv.Serve(ln)
		cfg := fmt.Sprintf("url: ws://%s/\nbinary: %v\n", ln.Addr(), binary)
		snk, err := newWSSink(Params{Config: yamlConfig(cfg)})
		if err != nil {
			t.Fatal(err)
		}
		in := make(chan *Message, 1)
		in <- msg(0)
		close(in)
		r := &recReply{}
		if err := snk.Run(context.Background(), in, r); err != nil {
			t.Fatal(err)
		}
		want := websocket.MessageText
		if binary {
			want = websocket.MessageBinary
		}
		select {
		case got := <-types:
			if got != want {
				t.Errorf("binary=%v: frame type %v, want %v", binary, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("binary=%v: the peer got nothing", binary)
		}
		if a, _, _, _ := r.snapshot(); len(a) != 1 {
			t.Errorf("binary=%v: acks %v", binary, a)
		}
		_ = srv.Close()
	}
}
