package udp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[sinkConfig]{
		Name:    "udp",
		Summary: "Sends each event as datagrams to `host`:`port`",
		Docs: "Each payload (the event encoded by the codec, then the postprocessors) is one datagram. UDP has no " +
			"receipts, so an ack can only say what this host saw: the datagrams were handed to the network, and — with " +
			"`bound: true`, the default — no ICMP \"port unreachable\" came back for them by the time the offramp " +
			"checked (after each burst of writes). On one host and on a LAN that notices a peer that is not listening; " +
			"it cannot notice a datagram lost on the way or dropped by a peer whose receive buffer was full.\n\n" +
			"When the peer refuses datagrams (or a send fails) every event sent since the last check is failed, the " +
			"circuit breaker opens, and the offramp retries with exponential backoff; the breaker closes when it tries " +
			"again, and opens again if the peer still refuses. Events that arrive meanwhile are failed at once (a " +
			"`qos::wal` upstream re-sends them).\n\n" +
			"Addresses follow Tremor 0.11: the socket binds to `bind` (default 0.0.0.0, any port) and sends to `host`:`port`. " +
			"The older form, `host`/`port` as the local address and `dst_host`/`dst_port` as the destination, is still " +
			"accepted, with a warning. With `bound: false` the socket is not connected: each event may name its " +
			"destination in `$udp.host` and `$udp.port`, and no refusal can be noticed (an ack means the datagrams were sent).",
		DefaultCodec: "json",
		Acks:         "the datagrams were sent and, when `bound`, the peer did not refuse them (ICMP port unreachable) by the next check",
		New:          newSink,
	})
}

type bindConfig struct {
	Host string `conf:"host" default:"0.0.0.0" doc:"Local address to send from."`
	Port uint16 `conf:"port" doc:"Local port to send from; 0 picks a free one."`
}

type sinkConfig struct {
	Host             string      `conf:"host,required" doc:"Where to send datagrams (or, with dst_host, the local address)." example:"127.0.0.1"`
	Port             uint16      `conf:"port,required" doc:"The destination port (or, with dst_port, the local port)." example:"4242"`
	DstHost          *string     `conf:"dst_host" doc:"Deprecated (Tremor 0.11): the destination host; host is then the local address."`
	DstPort          *uint16     `conf:"dst_port" doc:"Deprecated (Tremor 0.11): the destination port; port is then the local port."`
	Bind             *bindConfig `conf:"bind" doc:"The local address and port to send from (default 0.0.0.0, any port)."`
	Bound            bool        `conf:"bound" default:"true" doc:"Connect the socket to the destination, so that a peer that is not listening is noticed; false sends each datagram on its own, to $udp.host:$udp.port when the event has them."`
	BackoffInitialMS uint64      `conf:"backoff_initial_ms" default:"100" min:"1" doc:"Milliseconds before trying again after the peer refused datagrams; the wait doubles up to backoff_max_ms."`
	BackoffMaxMS     uint64      `conf:"backoff_max_ms" default:"5000" min:"1" doc:"Longest wait before trying again, in milliseconds."`
	MaxUnconfirmed   int         `conf:"max_unconfirmed" default:"256" min:"1" doc:"Events sent between two checks for refusals, at most."`
}

type sink struct {
	local, remote string
	bound         bool
	warnings      []string
	log           *slog.Logger

	conn *net.UDPConn
	dst  *net.UDPAddr // when not bound

	// After the peer refused datagrams, Connect waits before letting the
	// runner send again (the socket itself always connects at once).
	mu          sync.Mutex
	retryAt     time.Time
	wait        time.Duration
	waitInitial time.Duration
	waitMax     time.Duration
}

var (
	_ sdk.Sink         = (*sink)(nil)
	_ sdk.Confirmer    = (*sink)(nil)
	_ component.Opener = (*sink)(nil)
)

func newSink(c *sinkConfig, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
	bind := bindConfig{Host: "0.0.0.0"}
	if c.Bind != nil {
		bind = *c.Bind
	}
	host, port := c.Host, c.Port
	var warnings []string
	if c.DstPort != nil {
		warnings = append(warnings, "`dst_port` is deprecated: write the destination as `port` and the local port as `bind.port`")
		bind.Port, port = c.Port, *c.DstPort
	}
	if c.DstHost != nil {
		warnings = append(warnings, "`dst_host` is deprecated: write the destination as `host` and the local address as `bind.host`")
		bind.Host, host = c.Host, *c.DstHost
	}
	if host == "" {
		return nil, sdk.SinkOptions{}, p.At.Errorf("host", "`host` must name where to send datagrams")
	}
	if port == 0 && c.Bound {
		return nil, sdk.SinkOptions{}, p.At.Errorf("port", "`port` must be the destination port (not 0)")
	}
	if c.BackoffMaxMS < c.BackoffInitialMS {
		return nil, sdk.SinkOptions{}, p.At.Errorf("backoff_max_ms", "`backoff_max_ms` (%d) must be at least `backoff_initial_ms` (%d)", c.BackoffMaxMS, c.BackoffInitialMS)
	}
	s := &sink{local: net.JoinHostPort(bind.Host, strconv.Itoa(int(bind.Port))), remote: net.JoinHostPort(host, strconv.Itoa(int(port))),
		bound: c.Bound, warnings: warnings, log: slog.Default(),
		waitInitial: sdk.Millis(c.BackoffInitialMS), waitMax: sdk.Millis(c.BackoffMaxMS)}
	return s, sdk.SinkOptions{MaxUnconfirmed: c.MaxUnconfirmed,
		BackoffInitial: sdk.Millis(c.BackoffInitialMS), BackoffMax: sdk.Millis(c.BackoffMaxMS)}, nil
}

func (s *sink) Open(_ context.Context, env component.Env) error {
	if env.Logger != nil {
		s.log = env.Logger
	}
	for _, w := range s.warnings {
		s.log.Warn("udp offramp: "+w, "offramp", env.URL)
	}
	return nil
}

func (s *sink) Peer() string { return "udp://" + s.remote }

func (s *sink) Connect(ctx context.Context) error {
	s.mu.Lock()
	retryAt := s.retryAt
	s.mu.Unlock()
	if d := time.Until(retryAt); d > 0 {
		return fmt.Errorf("the peer refused datagrams; trying again in %v", d.Round(time.Millisecond))
	}
	la, err := net.ResolveUDPAddr("udp", s.local)
	if err != nil {
		return fmt.Errorf("bind address %s: %w", s.local, err)
	}
	ra, err := net.ResolveUDPAddr("udp", s.remote)
	if err != nil {
		return fmt.Errorf("destination %s: %w", s.remote, err)
	}
	if s.bound {
		c, err := net.DialUDP("udp", la, ra)
		if err != nil {
			return err
		}
		s.conn = c
		return nil
	}
	c, err := net.ListenUDP("udp", la)
	if err != nil {
		return err
	}
	s.conn, s.dst = c, ra
	return nil
}

// refused notes that the peer refused datagrams: Connect holds back, for
// a wait that doubles while the refusals go on.
func (s *sink) refused() {
	s.mu.Lock()
	s.wait = min(max(2*s.wait, s.waitInitial), s.waitMax)
	s.retryAt = time.Now().Add(s.wait)
	s.mu.Unlock()
}

func (s *sink) Write(ctx context.Context, b *sdk.Batch) error {
	for _, m := range b.Messages {
		dst := s.dst
		if !s.bound {
			if h, ok := sdk.MetaString(m.Meta, "udp", "host"); ok {
				if p, ok := sdk.MetaInt(m.Meta, "udp", "port"); ok && p > 0 && p < 65536 {
					a, err := net.ResolveUDPAddr("udp", net.JoinHostPort(h, strconv.Itoa(int(p))))
					if err != nil {
						return sdk.Rejected(fmt.Errorf("$udp destination %s:%d: %w", h, p, err))
					}
					dst = a
				}
			}
		}
		for _, p := range m.Payloads {
			var err error
			if s.bound {
				_, err = s.conn.Write(p)
			} else {
				_, err = s.conn.WriteToUDP(p, dst)
			}
			if err != nil {
				if isRefused(err) {
					s.refused()
				}
				return err
			}
		}
	}
	return nil
}

// Confirm reports a refusal (ICMP port unreachable) of what was sent
// since the last check.
func (s *sink) Confirm(context.Context) error {
	if !s.bound {
		return nil
	}
	err := pendingError(s.conn)
	if err == nil {
		s.mu.Lock()
		s.wait = 0
		s.mu.Unlock()
		return nil
	}
	if isRefused(err) {
		s.refused()
		return fmt.Errorf("the peer at %s refused datagrams (nothing listens there): %w", s.remote, err)
	}
	return err
}

func (s *sink) Disconnect() error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
