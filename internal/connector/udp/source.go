// Package udp is the UDP connector family: an onramp that receives
// datagrams, and an offramp that sends each event as datagrams and fails
// what a peer that is not listening refused.
package udp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/lograte"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:    "udp",
		Summary: "Receives datagrams on `host`:`port`; each datagram is input",
		Docs: "Every datagram (up to 65,535 bytes) is one frame of a single stream, as in Tremor 0.11: the preprocessors " +
			"see the datagrams of all senders in the order they arrive.\n\n" +
			"UDP has no back-pressure and no receipts, so the events are not transactional. While the pipelines do not " +
			"take input (a circuit breaker open downstream) the onramp stops reading; datagrams then wait in the socket's " +
			"receive buffer (`buffer_bytes`), and the kernel drops what does not fit. Those drops are counted (Linux: " +
			"`temblor_onramp_dropped_datagrams_total`) and logged, at most every 10 s, so a loss is never silent.",
		DefaultCodec: "string",
		New: func(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
			return &Source{host: c.Host, port: c.Port, buffer: c.BufferBytes}, nil
		},
	})
}

type sourceConfig struct {
	Host        string `conf:"host,required" doc:"The address to listen on." example:"0.0.0.0"`
	Port        uint16 `conf:"port,required" doc:"The port to listen on; 0 picks a free one (logged)." example:"4242"`
	BufferBytes int    `conf:"buffer_bytes" min:"0" max:"1073741824" doc:"Size of the socket's receive buffer, in bytes (what waits while the onramp does not read); 0 keeps the system's default."`
}

// Source is the UDP onramp. It binds when opened.
type Source struct {
	host     string
	port     uint16
	buffer   int
	log      *slog.Logger
	conn     *net.UDPConn
	received atomic.Uint64
	dropped  prometheus.Counter
	dropLog  *lograte.Limiter
	drops    uint32 // the kernel's count of drops, as last seen
}

var (
	_ sdk.PushSource   = (*Source)(nil)
	_ component.Opener = (*Source)(nil)
	_ component.Closer = (*Source)(nil)
)

// Open binds the socket, so that a taken port is an error at start.
func (s *Source) Open(_ context.Context, env component.Env) error {
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	addr := net.JoinHostPort(s.host, strconv.Itoa(int(s.port)))
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return fmt.Errorf("udp onramp: %s: %w", addr, err)
	}
	c, err := net.ListenUDP("udp", ua)
	if err != nil {
		return fmt.Errorf("udp onramp cannot listen on %s: %w", addr, err)
	}
	if s.buffer > 0 {
		if err := c.SetReadBuffer(s.buffer); err != nil {
			_ = c.Close()
			return fmt.Errorf("udp onramp: setting buffer_bytes %d: %w", s.buffer, err)
		}
	}
	s.conn = c
	if err := countDrops(c); err != nil {
		s.log.Warn("udp onramp: the kernel will not count dropped datagrams", "err", err)
	}
	s.dropped = droppedCounter(env.Metrics, env.URL)
	s.dropLog = lograte.New(10*time.Second, func(n, total uint64) {
		s.log.Warn("udp onramp: the kernel went on dropping datagrams (receive buffer full)", "addr", addr, "reports", n, "dropped_total", total)
	})
	s.log.Info("udp onramp listening", "addr", c.LocalAddr().String())
	return nil
}

// droppedCounter is the onramp's count of datagrams the kernel dropped.
func droppedCounter(reg prometheus.Registerer, url string) prometheus.Counter {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Name: "onramp_dropped_datagrams_total",
		Help: "Datagrams the kernel dropped before the udp onramp read them (its receive buffer was full)."}, []string{"onramp"})
	if reg != nil {
		if err := reg.Register(vec); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				vec = are.ExistingCollector.(*prometheus.CounterVec)
			}
		}
	}
	return vec.WithLabelValues(url)
}

// noteDrops takes the kernel's running count of drops from a datagram's
// control message.
func (s *Source) noteDrops(oob []byte) {
	n, ok := parseDrops(oob)
	if !ok || n == s.drops {
		return
	}
	d := n - s.drops // wraps as the kernel's counter does
	s.drops = n
	s.dropped.Add(float64(d))
	if ok, total := s.dropLog.Allow(); ok {
		s.log.Warn("udp onramp: the kernel dropped datagrams before they were read (receive buffer full: raise buffer_bytes, or the pipelines are too slow or paused)",
			"dropped", d, "reports", total)
	}
}

// Addr is the bound address (after Open).
func (s *Source) Addr() net.Addr { return s.conn.LocalAddr() }

// Received is how many datagrams were read (for tests).
func (s *Source) Received() uint64 { return s.received.Load() }

// Run reads datagrams until ctx ends.
func (s *Source) Run(ctx context.Context, out sdk.Output) error {
	stop := context.AfterFunc(ctx, func() { _ = s.conn.Close() })
	defer stop()
	defer s.dropLog.Stop()
	oob := make([]byte, 64)
	for {
		buf := make([]byte, 65535)
		n, oobn, _, _, err := s.conn.ReadMsgUDP(buf, oob)
		if err == nil {
			s.noteDrops(oob[:oobn])
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("udp onramp: %w", err)
		}
		s.received.Add(1)
		if err := out.Push(ctx, &sdk.Input{Frames: [][]byte{buf[:n]}}); err != nil {
			return nil
		}
	}
}

// Close releases the socket if Run did not.
func (s *Source) Close() error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
