package connector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/cenkalti/backoff/v5"
	"github.com/coder/websocket"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	RegisterSink(SinkSpec{
		Name: "ws",
		Doc: "Websocket client to `url`. Acks an event only when the peer answered a ping sent behind it; " +
			"on a lost connection fails what is unconfirmed, trips the circuit breaker, reconnects with backoff and restores it.",
		DefaultCodec: "json",
		New:          newWSSink,
	})
	RegisterSource(SourceSpec{
		Name: "ws",
		Doc: "Websocket server on `host`:`port`; every message of every connection is input. Transactional: a ping is answered only " +
			"once every message before it was delivered downstream, so a sender that acks on the pong (temblor's ws offramp) loses nothing.",
		DefaultCodec: "json",
		New:          newWSSource,
	})
}

type wsSinkConfig struct {
	URL              string `yaml:"url"`
	ConfirmTimeoutMS uint64 `yaml:"confirm_timeout_ms"`
	BackoffInitialMS uint64 `yaml:"backoff_initial_ms"`
	BackoffMaxMS     uint64 `yaml:"backoff_max_ms"`
	MaxUnconfirmed   int    `yaml:"max_unconfirmed"`
	// Binary sends every event as a binary frame (Tremor 0.11's option);
	// otherwise valid UTF-8 goes as text and anything else as binary.
	Binary bool `yaml:"binary"`
}

type wsSink struct {
	url            string
	confirmTimeout time.Duration
	backoffInitial time.Duration
	backoffMax     time.Duration
	maxUnconfirmed int
	binary         bool
	log            *slog.Logger
}

func newWSSink(p Params) (Sink, error) {
	c := wsSinkConfig{ConfirmTimeoutMS: 5000, BackoffInitialMS: 100, BackoffMaxMS: 5000, MaxUnconfirmed: 256}
	if err := p.Config.Decode(&c); err != nil {
		return nil, err
	}
	if c.URL == "" {
		return nil, p.Config.Errorf("url", "`url` is required, e.g. `url: ws://localhost:8080/`")
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, p.Config.Errorf("url", "`url` %q must be a websocket URL such as ws://localhost:8080/", c.URL)
	}
	if c.ConfirmTimeoutMS == 0 || c.BackoffInitialMS == 0 || c.BackoffMaxMS < c.BackoffInitialMS || c.MaxUnconfirmed <= 0 {
		return nil, p.Config.Errorf("", "timeouts and `max_unconfirmed` must be positive and backoff_max_ms >= backoff_initial_ms")
	}
	log := p.Logger
	if log == nil {
		log = slog.Default()
	}
	return &wsSink{url: c.URL, confirmTimeout: time.Duration(c.ConfirmTimeoutMS) * time.Millisecond,
		backoffInitial: time.Duration(c.BackoffInitialMS) * time.Millisecond, backoffMax: time.Duration(c.BackoffMaxMS) * time.Millisecond,
		maxUnconfirmed: c.MaxUnconfirmed, binary: c.Binary, log: log}, nil
}

// wsSinkRun is the state of one Run.
type wsSinkRun struct {
	s           *wsSink
	reply       Reply
	conn        *websocket.Conn
	unconfirmed []*Message
	tripped     bool
	// while the breaker is open: since when, how many dials failed, and
	// when that was last logged
	downSince time.Time
	attempts  int
	lastNag   time.Time
}

// stillDownEvery is how often a lasting outage is logged again.
const stillDownEvery = 30 * time.Second

func (r *wsSinkRun) trip(msg, reason string, args ...any) {
	r.tripped = true
	r.downSince, r.lastNag, r.attempts = time.Now(), time.Now(), 0
	r.s.log.Warn(msg, append([]any{"url", r.s.url}, args...)...)
	r.reply.Trigger(reason)
}

func (r *wsSinkRun) failAll(reason string) {
	for _, m := range r.unconfirmed {
		r.reply.Fail(m, reason)
	}
	r.unconfirmed = nil
}

// drop fails the unconfirmed, closes the connection and trips the breaker.
func (r *wsSinkRun) drop(reason string) {
	r.failAll(reason)
	if r.conn != nil {
		r.conn.CloseNow()
		r.conn = nil
	}
	if !r.tripped {
		r.trip("websocket offramp disconnected: circuit breaker open; reconnecting with backoff", reason, "reason", reason)
	}
}

// confirm pings the peer; the pong proves it read everything written
// before the ping, so those messages are acked.
func (r *wsSinkRun) confirm(ctx context.Context) {
	if r.conn == nil || len(r.unconfirmed) == 0 {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, r.s.confirmTimeout)
	err := r.conn.Ping(pctx)
	cancel()
	if err != nil {
		reason := "no confirmation from the peer: " + err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			reason = fmt.Sprintf("the peer did not answer a ping within %v", r.s.confirmTimeout)
		}
		r.drop(reason)
		return
	}
	for _, m := range r.unconfirmed {
		r.reply.Ack(m)
	}
	r.unconfirmed = r.unconfirmed[:0]
}

func (r *wsSinkRun) write(ctx context.Context, m *Message) bool {
	wctx, cancel := context.WithTimeout(ctx, r.s.confirmTimeout)
	defer cancel()
	for _, p := range m.Payloads {
		typ := websocket.MessageText
		if r.s.binary || !utf8.Valid(p) {
			typ = websocket.MessageBinary
		}
		if err := r.conn.Write(wctx, typ, p); err != nil {
			r.unconfirmed = append(r.unconfirmed, m)
			r.drop("write failed: " + err.Error())
			return false
		}
	}
	r.unconfirmed = append(r.unconfirmed, m)
	return true
}

func (s *wsSink) Run(ctx context.Context, in <-chan *Message, reply Reply) error {
	r := &wsSinkRun{s: s, reply: reply}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = s.backoffInitial, s.backoffMax
	defer func() {
		r.failAll("offramp stopped")
		if r.conn != nil {
			r.conn.Close(websocket.StatusNormalClosure, "")
		}
	}()
	for {
		if r.conn == nil {
			dctx, cancel := context.WithTimeout(ctx, s.confirmTimeout)
			c, _, err := websocket.Dial(dctx, s.url, nil)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				r.attempts++
				if !r.tripped {
					r.trip("websocket offramp cannot connect: circuit breaker open; retrying with backoff", "cannot connect to "+s.url+": "+err.Error(), "err", err)
				} else if time.Since(r.lastNag) >= stillDownEvery {
					r.lastNag = time.Now()
					s.log.Warn("websocket offramp still cannot connect", "url", s.url, "down_for", time.Since(r.downSince).Round(time.Second).String(),
						"attempts", r.attempts, "err", err)
				}
				// Wait before retrying; fail whatever arrives meanwhile (a
				// WAL upstream re-sends it after the restore).
				t := time.NewTimer(bo.NextBackOff())
			wait:
				for {
					select {
					case <-ctx.Done():
						t.Stop()
						return nil
					case <-t.C:
						break wait
					case m, ok := <-in:
						if !ok {
							t.Stop()
							return nil
						}
						reply.Fail(m, "not connected to "+s.url)
					}
				}
				continue
			}
			c.SetReadLimit(1 << 20)
			// Something must read for pongs to be seen; the peer sends us
			// nothing else.
			c.CloseRead(context.Background())
			r.conn = c
			bo.Reset()
			if r.tripped {
				s.log.Info("websocket offramp connected", "url", s.url, "after_outage_of", time.Since(r.downSince).Round(time.Millisecond).String())
			} else {
				s.log.Info("websocket offramp connected", "url", s.url)
			}
			r.tripped = false
			reply.Restore()
		}
		select {
		case <-ctx.Done():
			r.failAll("offramp stopped")
			return nil
		case m, ok := <-in:
			if !ok {
				r.confirm(ctx) // drain: confirm what is in flight, fail it otherwise
				return nil
			}
			if !r.write(ctx, m) {
				continue
			}
			// Group: keep writing what is queued, then one ping confirms all.
		burst:
			for len(r.unconfirmed) < s.maxUnconfirmed && r.conn != nil {
				select {
				case m2, ok := <-in:
					if !ok {
						r.confirm(ctx)
						return nil
					}
					if !r.write(ctx, m2) {
						break burst
					}
				default:
					break burst
				}
			}
			r.confirm(ctx)
		}
	}
}

// ---- onramp: websocket server ----

// Defaults of the websocket onramp's options.
const (
	defaultMaxMessageBytes = 16 << 20
	defaultWSAckTimeout    = 10 * time.Second
)

type wsSourceConfig struct {
	Host string  `yaml:"host"`
	Port *uint16 `yaml:"port"` // required; 0 picks a free port
	// MaxMessageBytes: a larger message is skipped (counted, logged once
	// per connection, sent to the err port) and the connection goes on.
	MaxMessageBytes uint64 `yaml:"max_message_bytes"`
	// AckTimeoutMS bounds how long a connection waits for the pipelines to
	// take a message and for its events to be answered before it gives up
	// and closes the connection unconfirmed (the sender re-sends).
	AckTimeoutMS uint64 `yaml:"ack_timeout_ms"`
}

// WSSource is the websocket onramp; Addr is the bound address once Run has
// started (port 0 picks a free port).
//
// It is transactional: it answers a ping only once every message read
// before the ping was answered downstream (acked by the sinks it reached,
// or stored by a WAL), and closes the connection without answering when
// one of them failed. A sender that acks its events on the pong behind
// them — temblor's websocket offramp — therefore re-sends whatever this
// engine has not delivered, so a chain of temblors loses nothing.
type WSSource struct {
	host       string
	port       uint16
	maxMsg     int64
	ackTimeout time.Duration
	log        *slog.Logger
	addr       atomic.Pointer[net.Addr]
	ready      chan struct{}
	stream     atomic.Uint64
}

var _ Transactional = (*WSSource)(nil)

// Transactional implements Transactional.
func (*WSSource) Transactional() {}

func newWSSource(p Params) (Source, error) {
	c := wsSourceConfig{Host: "0.0.0.0", MaxMessageBytes: defaultMaxMessageBytes, AckTimeoutMS: uint64(defaultWSAckTimeout / time.Millisecond)}
	if err := p.Config.Decode(&c); err != nil {
		return nil, err
	}
	if c.Port == nil {
		return nil, p.Config.Errorf("port", "`port` is required, e.g. `port: 8080`")
	}
	if c.MaxMessageBytes == 0 || c.MaxMessageBytes > 1<<40 {
		return nil, p.Config.Errorf("max_message_bytes", "`max_message_bytes` must be between 1 and 2^40, got %d", c.MaxMessageBytes)
	}
	if c.AckTimeoutMS == 0 {
		return nil, p.Config.Errorf("ack_timeout_ms", "`ack_timeout_ms` must be at least 1")
	}
	log := p.Logger
	if log == nil {
		log = slog.Default()
	}
	return &WSSource{host: c.Host, port: *c.Port, maxMsg: int64(c.MaxMessageBytes), ackTimeout: time.Duration(c.AckTimeoutMS) * time.Millisecond,
		log: log, ready: make(chan struct{})}, nil
}

// Addr waits until the server listens and returns its address.
func (s *WSSource) Addr(ctx context.Context) (net.Addr, error) {
	select {
	case <-s.ready:
		return *s.addr.Load(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *WSSource) Run(ctx context.Context, out SourceOutput) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(s.host, strconv.Itoa(int(s.port))))
	if err != nil {
		return fmt.Errorf("websocket onramp cannot listen on %s:%d: %w", s.host, s.port, err)
	}
	a := ln.Addr()
	s.addr.Store(&a)
	close(s.ready)
	s.log.Info("websocket onramp listening", "addr", a.String())
	var wg sync.WaitGroup
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx },
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			wg.Add(1)
			defer wg.Done()
			s.serve(ctx, w, r, out)
		})}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx)
		_ = srv.Close()
		wg.Wait()
		return nil
	case err := <-errc:
		return err
	}
}

// wsConn is one connection of the onramp.
type wsConn struct {
	s        *WSSource
	out      SourceOutput
	stream   uint64
	remote   string
	cancel   context.CancelFunc // closes the connection
	oversize int                // messages over the limit skipped
}

// serve reads one connection's messages until it ends. Its context is
// cancelled (closing the connection) when the engine stops, when a
// message's events fail downstream, or when they are not answered within
// the ack timeout: in every case the pings after them stay unanswered, so
// the sender sends them again.
func (s *WSSource) serve(ctx context.Context, w http.ResponseWriter, r *http.Request, out SourceOutput) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cn := &wsConn{s: s, out: out, stream: s.stream.Add(1), remote: r.RemoteAddr, cancel: cancel}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true, OnPingReceived: cn.onPing})
	if err != nil {
		return
	}
	defer c.CloseNow()
	// The onramp applies its own limit, so that a message over it is
	// skipped instead of closing the connection (the library's limit does
	// that, and the sender would re-send the message forever).
	c.SetReadLimit(-1)
	defer func() {
		// Flush what preprocessors buffered; bounded, as the pipelines may
		// be paused.
		ectx, ecancel := context.WithTimeout(ctx, s.ackTimeout)
		_ = out.EndStream(ectx, cn.stream)
		ecancel()
		if cn.oversize > 1 {
			s.log.Warn("websocket onramp skipped messages over max_message_bytes on a connection", "remote", cn.remote,
				"messages", cn.oversize, "max_message_bytes", s.maxMsg)
		}
	}()
	for {
		data, size, err := cn.read(cctx, c)
		if err != nil {
			return
		}
		if data == nil {
			cn.refuse(cctx, size)
			continue
		}
		ectx, ecancel := context.WithTimeout(cctx, s.ackTimeout)
		_, err = out.EmitBytes(ectx, cn.stream, data, nil)
		timedOut := ectx.Err() != nil && cctx.Err() == nil
		ecancel()
		if err != nil {
			if timedOut {
				s.log.Warn("websocket onramp: the pipelines did not take a message in time (an offramp is down?); closing the connection unconfirmed, the sender will send it again",
					"remote", cn.remote, "ack_timeout", s.ackTimeout.String())
			}
			return
		}
	}
}

// read reads the next message; for one over the limit it returns nil data
// and the message's size, having read and discarded it.
func (cn *wsConn) read(ctx context.Context, c *websocket.Conn) ([]byte, int64, error) {
	_, rd, err := c.Reader(ctx)
	if err != nil {
		return nil, 0, err
	}
	data, err := io.ReadAll(io.LimitReader(rd, cn.s.maxMsg+1))
	if err != nil {
		return nil, 0, err
	}
	if int64(len(data)) <= cn.s.maxMsg {
		return data, int64(len(data)), nil
	}
	rest, err := io.Copy(io.Discard, rd)
	if err != nil {
		return nil, 0, err
	}
	return nil, int64(len(data)) + rest, nil
}

// refuse skips a message over the limit: logged once per connection (the
// rest are counted and reported when it ends), counted and sent to the err
// port by the runtime.
func (cn *wsConn) refuse(ctx context.Context, size int64) {
	cn.oversize++
	if cn.oversize == 1 {
		cn.s.log.Warn("websocket onramp skipped a message over max_message_bytes (once per connection; the count comes when it ends)",
			"remote", cn.remote, "bytes", size, "max_message_bytes", cn.s.maxMsg)
	}
	reason := fmt.Sprintf("message of %d bytes is over max_message_bytes (%d); skipped", size, cn.s.maxMsg)
	_ = cn.out.Refuse(ctx, cn.stream, reason, event.RecordOf("bytes", size, "max_message_bytes", cn.s.maxMsg, "remote", cn.remote))
}

// onPing runs in the read loop when a ping arrives, after every message
// before it was read and handed to the pipelines: the pong goes out only
// once all of them were answered downstream. A fail, or no answer within
// the ack timeout, closes the connection without a pong instead.
func (cn *wsConn) onPing(ctx context.Context, _ []byte) bool {
	wctx, cancel := context.WithTimeout(ctx, cn.s.ackTimeout)
	defer cancel()
	err := cn.out.Settle(wctx, cn.stream)
	if err == nil {
		return true
	}
	if ctx.Err() == nil {
		msg := "websocket onramp: messages were not delivered downstream; closing the connection unconfirmed, the sender will send them again"
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "websocket onramp: messages were not answered downstream in time; closing the connection unconfirmed, the sender will send them again"
		}
		cn.s.log.Warn(msg, "remote", cn.remote, "err", err, "ack_timeout", cn.s.ackTimeout.String())
	}
	cn.cancel()
	return false
}
