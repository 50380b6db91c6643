package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[sinkConfig]{
		Name:    "tcp",
		Summary: "TCP client that writes each event's encoded bytes to `host`:`port`",
		Docs: "Each event is encoded (codec, then postprocessors) and written as it is — add the `lines` postprocessor " +
			"for one event per line. Tremor 0.11 acked an event once it was written to the local socket, so what sat in " +
			"the kernel's buffers was lost when the peer went away. This one writes the queued events (up to " +
			"`max_unconfirmed`), then waits until the peer's TCP stack has acknowledged every byte of them (the local " +
			"send queue is empty, Linux's SIOCOUTQ), and only then acks them. That is as far as TCP can tell: the bytes " +
			"reached the peer host; whether its application read them before it died, TCP does not say.\n\n" +
			"If the connection breaks, or the peer does not acknowledge within `confirm_timeout_ms`, every unconfirmed " +
			"event is failed, the circuit breaker opens, and the offramp reconnects with exponential backoff and closes " +
			"the breaker once connected; events that arrive while it is disconnected are failed at once (a `qos::wal` " +
			"upstream re-sends them). On shutdown it confirms what is in flight, failing what it cannot.",
		DefaultCodec: "json",
		Acks:         "the peer's TCP stack acknowledged every byte of the event",
		New:          newSink,
	})
}

type sinkConfig struct {
	Host             string `conf:"host,required" doc:"The server to connect to." example:"localhost"`
	Port             uint16 `conf:"port,required" doc:"The server's port." example:"4242"`
	TTL              uint32 `conf:"ttl" default:"64" min:"1" max:"255" doc:"IP time-to-live of the connection's packets."`
	IsNoDelay        bool   `conf:"is_no_delay" default:"true" doc:"Send small writes at once (TCP_NODELAY) instead of coalescing them."`
	ConfirmTimeoutMS uint64 `conf:"confirm_timeout_ms" default:"5000" min:"1" doc:"Milliseconds the peer may take to acknowledge what was written (and a connection attempt or a write to complete) before the connection counts as lost."`
	BackoffInitialMS uint64 `conf:"backoff_initial_ms" default:"100" min:"1" doc:"Milliseconds before the first reconnection attempt; the wait doubles up to backoff_max_ms."`
	BackoffMaxMS     uint64 `conf:"backoff_max_ms" default:"5000" min:"1" doc:"Longest wait between reconnection attempts, in milliseconds."`
	MaxUnconfirmed   int    `conf:"max_unconfirmed" default:"256" min:"1" doc:"Events written and not yet acknowledged by the peer, at most."`
}

type sink struct {
	addr    string
	ttl     int
	noDelay bool
	conn    *net.TCPConn
}

var (
	_ sdk.Sink       = (*sink)(nil)
	_ sdk.Confirmer  = (*sink)(nil)
	_ sdk.Shutdowner = (*sink)(nil)
)

func newSink(c *sinkConfig, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
	if c.Host == "" {
		return nil, sdk.SinkOptions{}, p.At.Errorf("host", "`host` must name the server to connect to")
	}
	if c.BackoffMaxMS < c.BackoffInitialMS {
		return nil, sdk.SinkOptions{}, p.At.Errorf("backoff_max_ms", "`backoff_max_ms` (%d) must be at least `backoff_initial_ms` (%d)", c.BackoffMaxMS, c.BackoffInitialMS)
	}
	return &sink{addr: net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))), ttl: int(c.TTL), noDelay: c.IsNoDelay},
		sdk.SinkOptions{
			MaxUnconfirmed: c.MaxUnconfirmed, ConfirmTimeout: sdk.Millis(c.ConfirmTimeoutMS),
			BackoffInitial: sdk.Millis(c.BackoffInitialMS), BackoffMax: sdk.Millis(c.BackoffMaxMS),
		}, nil
}

func (s *sink) Peer() string { return "tcp://" + s.addr }

func (s *sink) Connect(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return err
	}
	tc := c.(*net.TCPConn)
	if err := tc.SetNoDelay(s.noDelay); err != nil {
		_ = tc.Close()
		return err
	}
	if err := setTTL(tc, s.ttl); err != nil {
		_ = tc.Close()
		return fmt.Errorf("setting ttl %d: %w", s.ttl, err)
	}
	s.conn = tc
	return nil
}

func (s *sink) Write(ctx context.Context, b *sdk.Batch) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = s.conn.SetWriteDeadline(dl)
		defer func() { _ = s.conn.SetWriteDeadline(time.Time{}) }()
	}
	for _, m := range b.Messages {
		for _, p := range m.Payloads {
			if _, err := s.conn.Write(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// errUnsupported: the platform cannot tell what the peer acknowledged.
var errUnsupported = errors.New("unsupported")

// Confirm waits until the peer's TCP stack acknowledged every byte
// written so far: nothing is left in the local send queue.
func (s *sink) Confirm(ctx context.Context) error {
	wait := 20 * time.Microsecond
	for {
		n, err := unacked(s.conn)
		switch {
		case errors.Is(err, errUnsupported):
			return nil
		case err != nil:
			return err
		case n == 0:
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%d bytes not acknowledged by the peer: %w", n, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Millisecond)
	}
}

func (s *sink) Disconnect() error {
	if s.conn == nil {
		return nil
	}
	_ = s.conn.SetLinger(0)
	err := s.conn.Close()
	s.conn = nil
	return err
}

// Shutdown closes the connection cleanly (FIN) after the runner confirmed
// what was written.
func (s *sink) Shutdown(context.Context) error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
