// Package ws is the websocket connector family: an offramp that connects
// to a websocket server and acks an event only when the peer answered a
// ping sent behind it, and an onramp that is a websocket server.
package ws

import (
	"context"
	"fmt"
	"net/url"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[sinkConfig]{
		Name:    "ws",
		Summary: "Websocket client that delivers each event as a message to `url`",
		Docs: "Tremor 0.11's websocket offramp acked an event as soon as it was sent, so events the listener had not " +
			"read were lost when it died. This one writes the queued events (up to `max_unconfirmed`), then sends a ping; " +
			"the peer's pong proves it read everything before it, and only then are those events acked. If the " +
			"connection drops, or the pong does not come within `confirm_timeout_ms` (a peer that hangs), every " +
			"unconfirmed event is failed, the circuit breaker opens, and the offramp reconnects with exponential " +
			"backoff and closes the breaker once connected; events that arrive while it is disconnected are failed at " +
			"once (a `qos::wal` upstream re-sends them). On shutdown it confirms what is in flight, failing what it cannot.\n\n" +
			"An event's `$binary` overrides `binary` for its message, as in Tremor 0.11; Tremor's per-event `$url` is not " +
			"supported — an event whose `$url` names another server is failed with that reason, never sent to `url`.\n\n" +
			"With `linked: true` every message waits for the server's reply (the next message it sends), which goes to " +
			"the pipelines linked to the offramp's `out` port — decoded by the offramp's codec and preprocessors, with " +
			"`$binary` and the request's `$correlation` — and the reply is the confirmation: the event is acked once it " +
			"arrived. No reply within `confirm_timeout_ms` counts as a lost connection.",
		DefaultCodec: "json",
		Acks:         "the peer answered a ping sent after the event",
		New:          newSink,
	})
}

type sinkConfig struct {
	URL              string `conf:"url,required" doc:"The websocket server to deliver to (ws:// or wss://)." example:"ws://localhost:8080/"`
	ConfirmTimeoutMS uint64 `conf:"confirm_timeout_ms" default:"5000" min:"1" doc:"Milliseconds the peer may take to answer a ping (and a connection attempt or a write to complete) before the connection counts as lost."`
	BackoffInitialMS uint64 `conf:"backoff_initial_ms" default:"100" min:"1" doc:"Milliseconds before the first reconnection attempt; the wait doubles up to backoff_max_ms."`
	BackoffMaxMS     uint64 `conf:"backoff_max_ms" default:"5000" min:"1" doc:"Longest wait between reconnection attempts, in milliseconds."`
	MaxUnconfirmed   int    `conf:"max_unconfirmed" default:"256" min:"1" doc:"Events written and not yet confirmed, at most; a ping confirms them then at the latest."`
	Binary           bool   `conf:"binary" doc:"Send every event as a binary frame (Tremor 0.11's option); otherwise valid UTF-8 goes as text and anything else as binary."`
}

type sink struct {
	url    string
	binary bool
	conn   *websocket.Conn
	out    sdk.Responses // linked: where replies go
}

var (
	_ sdk.Sink       = (*sink)(nil)
	_ sdk.Confirmer  = (*sink)(nil)
	_ sdk.Shutdowner = (*sink)(nil)
	_ sdk.Responder  = (*sink)(nil)
)

// SetResponses makes the offramp linked: each message waits for a reply.
func (s *sink) SetResponses(out sdk.Responses) { s.out = out }

func newSink(c *sinkConfig, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, sdk.SinkOptions{}, p.At.Errorf("url", "`url` %q must be a websocket URL such as ws://localhost:8080/", c.URL)
	}
	if c.BackoffMaxMS < c.BackoffInitialMS {
		return nil, sdk.SinkOptions{}, p.At.Errorf("backoff_max_ms", "`backoff_max_ms` (%d) must be at least `backoff_initial_ms` (%d)", c.BackoffMaxMS, c.BackoffInitialMS)
	}
	return &sink{url: c.URL, binary: c.Binary}, sdk.SinkOptions{
		MaxUnconfirmed: c.MaxUnconfirmed, ConfirmTimeout: sdk.Millis(c.ConfirmTimeoutMS),
		BackoffInitial: sdk.Millis(c.BackoffInitialMS), BackoffMax: sdk.Millis(c.BackoffMaxMS),
	}, nil
}

func (s *sink) Peer() string { return s.url }

func (s *sink) Connect(ctx context.Context) error {
	c, _, err := websocket.Dial(ctx, s.url, nil)
	if err != nil {
		return err
	}
	c.SetReadLimit(16 << 20)
	if s.out == nil {
		// Something must read for pongs to be seen; the peer sends us
		// nothing else.
		c.CloseRead(context.Background())
	}
	s.conn = c
	return nil
}

func (s *sink) Write(ctx context.Context, b *sdk.Batch) error {
	for i := range b.Messages {
		m := &b.Messages[i]
		if u, ok := sdk.MetaString(m.Meta, "url"); ok && u != s.url {
			b.Settle(i, fmt.Errorf("$url %q: per-event websocket URLs are not supported; this offramp sends to %s only", u, s.url))
			continue
		}
		binary := s.binary
		if v, ok := sdk.MetaBool(m.Meta, "binary"); ok {
			binary = v
		}
		for _, p := range m.Payloads {
			typ := websocket.MessageText
			if binary || !utf8.Valid(p) {
				typ = websocket.MessageBinary
			}
			if err := s.conn.Write(ctx, typ, p); err != nil {
				return err
			}
			if s.out != nil {
				if err := s.reply(ctx, m); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// reply reads the server's answer to a message (linked) and hands it on.
func (s *sink) reply(ctx context.Context, m *sdk.Message) error {
	typ, data, err := s.conn.Read(ctx)
	if err != nil {
		return fmt.Errorf("waiting for the reply: %w", err)
	}
	meta := event.RecordOf("binary", typ == websocket.MessageBinary)
	return s.out.Respond(ctx, "out", &sdk.Response{Request: m, Frames: [][]byte{data}, Meta: meta})
}

// Confirm pings the peer: the pong proves it read everything written
// before the ping. Linked, the replies did already.
func (s *sink) Confirm(ctx context.Context) error {
	if s.out != nil {
		return nil
	}
	return s.conn.Ping(ctx)
}

func (s *sink) Disconnect() error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.CloseNow()
	s.conn = nil
	return err
}

func (s *sink) Shutdown(ctx context.Context) error {
	if s.conn == nil {
		return nil
	}
	c := s.conn
	s.conn = nil
	done := make(chan error, 1)
	go func() { done <- c.Close(websocket.StatusNormalClosure, "") }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		c.CloseNow()
		return ctx.Err()
	}
}
