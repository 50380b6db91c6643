// Package tcp is the TCP connector family: an onramp that is a TCP server
// (optionally TLS) whose connections are streams of input, and an offramp
// that connects to a TCP server and acks an event once the peer's TCP
// stack acknowledged every byte of it.
package tcp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:    "tcp",
		Summary: "TCP server on `host`:`port` (TLS with `tls`); the bytes of every connection are input",
		Docs: "Each connection is a stream of its own: the preprocessors keep their state per connection (add `lines` " +
			"to turn a connection into one event per line, as with Tremor 0.11) and are flushed when it closes. Without a " +
			"preprocessor every read — up to 8 KiB, however the sender's writes were cut — is decoded as it is, as in Tremor.\n\n" +
			"TCP gives the sender no receipt beyond its own kernel's, so the events are not transactional: while the " +
			"pipelines do not take input (a circuit breaker open downstream) the onramp stops reading, and the senders " +
			"block on full socket buffers (back-pressure) rather than lose data. What was read and not yet handed over " +
			"when the engine stops is lost; put the sender behind something that re-sends (a websocket chain) where that matters.\n\n" +
			"With `tls` (a certificate and its key, PEM files) the server speaks TLS 1.2 or later.",
		DefaultCodec: "json",
		New:          newSource,
	})
}

// tlsConfig names a server certificate and key (PEM files).
type tlsConfig struct {
	Cert string `conf:"cert,required" doc:"PEM file with the server certificate (and its chain)." example:"/etc/tremor/tls/server.crt"`
	Key  string `conf:"key,required" doc:"PEM file with the certificate's private key." example:"/etc/tremor/tls/server.key"`
}

type sourceConfig struct {
	Host string     `conf:"host" default:"0.0.0.0" doc:"The address to listen on."`
	Port uint16     `conf:"port,required" doc:"The port to listen on; 0 picks a free one (logged)." example:"4242"`
	TLS  *tlsConfig `conf:"tls" doc:"Serve TLS with this certificate and key (not in Tremor 0.11's tcp onramp)."`
}

// readSize is how much one read takes (Tremor's buffer size).
const readSize = 8192

// Source is the TCP onramp. It listens when opened.
type Source struct {
	host   string
	port   uint16
	tls    *tlsConfig
	log    *slog.Logger
	ln     net.Listener
	stream atomic.Uint64
}

var (
	_ sdk.PushSource   = (*Source)(nil)
	_ component.Opener = (*Source)(nil)
	_ component.Closer = (*Source)(nil)
)

func newSource(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
	if c.TLS != nil {
		if c.TLS.Cert == "" {
			return nil, p.At.Errorf("tls.cert", "`tls.cert` must name a PEM file")
		}
		if c.TLS.Key == "" {
			return nil, p.At.Errorf("tls.key", "`tls.key` must name a PEM file")
		}
	}
	return &Source{host: c.Host, port: c.Port, tls: c.TLS}, nil
}

// Open loads the certificate and binds the port, so that a bad
// certificate or a taken port is an error at start.
func (s *Source) Open(_ context.Context, env component.Env) error {
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	addr := net.JoinHostPort(s.host, strconv.Itoa(int(s.port)))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("tcp onramp cannot listen on %s: %w", addr, err)
	}
	if s.tls != nil {
		cert, err := tls.LoadX509KeyPair(s.tls.Cert, s.tls.Key)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("tcp onramp: loading tls.cert %s and tls.key %s: %w", s.tls.Cert, s.tls.Key, err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	s.ln = ln
	s.log.Info("tcp onramp listening", "addr", ln.Addr().String(), "tls", s.tls != nil)
	return nil
}

// Addr is the bound address (after Open).
func (s *Source) Addr() net.Addr { return s.ln.Addr() }

// Run accepts connections until ctx ends; each is read on a goroutine of
// its own, as a stream of its own.
func (s *Source) Run(ctx context.Context, out sdk.Output) error {
	return sdk.Serve(ctx, s.ln, func(ctx context.Context, c net.Conn) {
		if err := sdk.ReadStream(ctx, c, s.stream.Add(1), readSize, out); err != nil {
			s.log.Warn("tcp onramp: connection ended", "remote", c.RemoteAddr().String(), "err", err)
		}
	})
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
