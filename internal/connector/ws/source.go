package ws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:    "ws",
		Summary: "Websocket server on `host`:`port`; every message of every connection is input",
		Docs: "Each connection is a stream of its own (preprocessors keep their state per connection).\n\n" +
			"It is transactional: it answers a ping only once every message read before the ping was answered " +
			"downstream (acked by the offramps it reached, or stored by a `qos::wal`), and closes the connection " +
			"without answering when one of them failed, or was not answered within `ack_timeout_ms`. A sender that " +
			"acks its events on the pong behind them — temblor's websocket offramp — therefore re-sends whatever this " +
			"engine has not delivered, so a chain of temblors loses nothing. A message the pipelines do not take " +
			"within `ack_timeout_ms` (a circuit breaker open downstream) also closes the connection, so nothing piles " +
			"up during an outage.\n\n" +
			"A message over `max_message_bytes` is skipped (counted in `temblor_onramp_refused_total`, sent to the err " +
			"port with its size and the limit, logged once per connection with a count when it ends) and the " +
			"connection goes on.\n\n" +
			"Each event's `$binary` says whether its message was a binary frame, as in Tremor 0.11. With `linked: true` " +
			"what a pipeline sends to the onramp's `in` port for an event goes back on the connection the event came " +
			"from, encoded by the onramp's codec and postprocessors, as a binary frame when its `$binary` is true and a " +
			"text frame otherwise. The default codec is `string`, as in Tremor.",
		DefaultCodec: "string",
		New: func(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
			return &Source{host: c.Host, port: c.Port, maxMsg: int64(c.MaxMessageBytes), ackTimeout: sdk.Millis(c.AckTimeoutMS)}, nil
		},
	})
}

type sourceConfig struct {
	Host            string `conf:"host" default:"0.0.0.0" doc:"The address to listen on."`
	Port            uint16 `conf:"port,required" doc:"The port to listen on; 0 picks a free one (logged)." example:"8080"`
	MaxMessageBytes uint64 `conf:"max_message_bytes" default:"16777216" min:"1" max:"1099511627776" doc:"The largest message read as input, in bytes; a larger one is skipped."`
	AckTimeoutMS    uint64 `conf:"ack_timeout_ms" default:"10000" min:"1" doc:"Milliseconds a connection waits for the pipelines to take a message and for its events to be answered before it closes unconfirmed (the sender re-sends)."`
}

// Source is the websocket onramp. It listens when opened.
type Source struct {
	host       string
	port       uint16
	maxMsg     int64
	ackTimeout time.Duration
	log        *slog.Logger
	ln         net.Listener
	stream     atomic.Uint64
}

var (
	_ sdk.PushSource   = (*Source)(nil)
	_ sdk.Replier      = (*Source)(nil)
	_ component.Opener = (*Source)(nil)
	_ component.Closer = (*Source)(nil)
)

// Open binds the port, so a taken port is an error at start.
func (s *Source) Open(_ context.Context, env component.Env) error {
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(s.host, strconv.Itoa(int(s.port))))
	if err != nil {
		return fmt.Errorf("websocket onramp cannot listen on %s:%d: %w", s.host, s.port, err)
	}
	s.ln = ln
	s.log.Info("websocket onramp listening", "addr", ln.Addr().String())
	return nil
}

// Addr is the bound address (after Open).
func (s *Source) Addr() net.Addr { return s.ln.Addr() }

// Run serves connections until ctx ends.
func (s *Source) Run(ctx context.Context, out sdk.Output) error {
	var wg sync.WaitGroup
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx },
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			wg.Add(1)
			defer wg.Done()
			s.serve(ctx, w, r, out)
		})}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.ln) }()
	select {
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx)
		_ = srv.Close()
		wg.Wait()
		<-errc
		return nil
	case err := <-errc:
		return err
	}
}

// Close releases the listener if Run never served it.
func (s *Source) Close() error {
	if s.ln == nil {
		return nil
	}
	err := s.ln.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// conn is one connection of the onramp. It is the Acks of every message
// it hands over: it counts the messages not yet answered downstream.
type conn struct {
	s        *Source
	out      sdk.Output
	stream   uint64
	remote   string
	cancel   context.CancelFunc // closes the connection
	oversize int                // messages over the limit skipped

	ws      *websocket.Conn
	writeMu sync.Mutex // replies are written from the pipelines' goroutines

	mu      sync.Mutex
	pending int           // messages handed over and not answered
	failed  string        // reason of the first fail, "" while none
	changed chan struct{} // closed when pending or failed changes
}

var _ sdk.Acks = (*conn)(nil)

func (c *conn) Ack(from, to int) { c.answered(to-from, "") }
func (c *conn) Fail(from, to int, reason string) {
	if reason == "" {
		reason = "not delivered"
	}
	c.answered(to-from, reason)
}

func (c *conn) answered(n int, failed string) {
	c.mu.Lock()
	c.pending -= n
	if failed != "" && c.failed == "" {
		c.failed = failed
	}
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// settle waits until every message handed over so far was answered: nil
// when all were acked, an error once one failed, ctx.Err() first.
func (c *conn) settle(ctx context.Context) error {
	for {
		c.mu.Lock()
		pending, failed, ch := c.pending, c.failed, c.changed
		c.mu.Unlock()
		switch {
		case failed != "":
			return errors.New(failed)
		case pending <= 0:
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// serve reads one connection's messages until it ends. Its context is
// cancelled (closing the connection) when the engine stops, when a
// message's events fail downstream, or when they are not answered within
// the ack timeout: in every case the pings after them stay unanswered, so
// the sender sends them again.
func (s *Source) serve(ctx context.Context, w http.ResponseWriter, r *http.Request, out sdk.Output) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cn := &conn{s: s, out: out, stream: s.stream.Add(1), remote: r.RemoteAddr, cancel: cancel, changed: make(chan struct{})}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true, OnPingReceived: cn.onPing})
	if err != nil {
		return
	}
	defer c.CloseNow()
	cn.ws = c
	if fr, ok := out.(sdk.ReplyStreams); ok {
		defer fr.ForgetReplies(cn.stream)
	}
	// The onramp applies its own limit, so that a message over it is
	// skipped instead of closing the connection (the library's limit does
	// that, and the sender would re-send the message forever).
	c.SetReadLimit(-1)
	defer func() {
		// Flush what preprocessors buffered; bounded, as the pipelines may
		// be paused.
		ectx, ecancel := context.WithTimeout(ctx, s.ackTimeout)
		_ = out.Push(ectx, &sdk.Input{Stream: cn.stream, End: true})
		ecancel()
		if cn.oversize > 1 {
			s.log.Warn("websocket onramp skipped messages over max_message_bytes on a connection", "remote", cn.remote,
				"messages", cn.oversize, "max_message_bytes", s.maxMsg)
		}
	}()
	for {
		data, size, binary, err := cn.read(cctx, c)
		if err != nil {
			return
		}
		in := &sdk.Input{Stream: cn.stream, ReplyTo: cn}
		if data == nil {
			in.Refused = []sdk.Refusal{cn.refuse(size)}
		} else {
			in.Frames = [][]byte{data}
			in.Meta = []*event.Record{event.RecordOf("binary", binary)}
			in.Acks = cn
			cn.mu.Lock()
			cn.pending++
			cn.mu.Unlock()
		}
		ectx, ecancel := context.WithTimeout(cctx, s.ackTimeout)
		err = out.Push(ectx, in)
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

// read reads the next message and whether it was a binary frame; for one
// over the limit it returns nil data and the message's size, having read
// and discarded it.
func (c *conn) read(ctx context.Context, ws *websocket.Conn) ([]byte, int64, bool, error) {
	typ, rd, err := ws.Reader(ctx)
	if err != nil {
		return nil, 0, false, err
	}
	binary := typ == websocket.MessageBinary
	data, err := io.ReadAll(io.LimitReader(rd, c.s.maxMsg+1))
	if err != nil {
		return nil, 0, binary, err
	}
	if int64(len(data)) <= c.s.maxMsg {
		return data, int64(len(data)), binary, nil
	}
	rest, err := io.Copy(io.Discard, rd)
	if err != nil {
		return nil, 0, binary, err
	}
	return nil, int64(len(data)) + rest, binary, nil
}

// Reply sends a pipeline's reply back on the connection its request came
// from (linked): a binary frame when its $binary is true, text otherwise.
func (s *Source) Reply(ctx context.Context, to any, ev *event.Event, enc *sdk.Encoder) error {
	c, ok := to.(*conn)
	if !ok || c.ws == nil {
		return sdk.ErrNoPeer
	}
	body, _, err := enc.Encode(ev.Data, "", ev.IngestNS)
	if err != nil {
		return fmt.Errorf("encoding the reply: %w", err)
	}
	typ := websocket.MessageText
	if b, ok := sdk.MetaBool(ev.Meta, "binary"); ok && b {
		typ = websocket.MessageBinary
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, s.ackTimeout)
	defer cancel()
	if err := c.ws.Write(wctx, typ, body); err != nil {
		if ctx.Err() == nil {
			return sdk.ErrNoPeer
		}
		return err
	}
	return nil
}

// refuse skips a message over the limit: logged once per connection (the
// rest are counted and reported when it ends), counted and sent to the err
// port by the runner.
func (c *conn) refuse(size int64) sdk.Refusal {
	c.oversize++
	if c.oversize == 1 {
		c.s.log.Warn("websocket onramp skipped a message over max_message_bytes (once per connection; the count comes when it ends)",
			"remote", c.remote, "bytes", size, "max_message_bytes", c.s.maxMsg)
	}
	return sdk.Refusal{
		Reason: fmt.Sprintf("message of %d bytes is over max_message_bytes (%d); skipped", size, c.s.maxMsg),
		Info:   event.RecordOf("bytes", size, "max_message_bytes", c.s.maxMsg, "remote", c.remote),
	}
}

// onPing runs in the read loop when a ping arrives, after every message
// before it was read and handed to the pipelines: the pong goes out only
// once all of them were answered downstream. A fail, or no answer within
// the ack timeout, closes the connection without a pong instead.
func (c *conn) onPing(ctx context.Context, _ []byte) bool {
	wctx, cancel := context.WithTimeout(ctx, c.s.ackTimeout)
	defer cancel()
	err := c.settle(wctx)
	if err == nil {
		return true
	}
	if ctx.Err() == nil {
		msg := "websocket onramp: messages were not delivered downstream; closing the connection unconfirmed, the sender will send them again"
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "websocket onramp: messages were not answered downstream in time; closing the connection unconfirmed, the sender will send them again"
		}
		c.s.log.Warn(msg, "remote", c.remote, "err", err, "ack_timeout", c.s.ackTimeout.String())
	}
	c.cancel()
	return false
}
