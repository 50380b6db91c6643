package ws

import (
	"context"
	"errors"
	"fmt"
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
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:         "ws",
		Summary:      "Websocket server on `host`:`port`; every message of every connection is input",
		Docs:         "Each connection is a stream of its own (preprocessors keep their state per connection). Messages over 16 MiB are refused.",
		DefaultCodec: "json",
		New: func(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
			return &Source{host: c.Host, port: c.Port}, nil
		},
	})
}

type sourceConfig struct {
	Host string `conf:"host" default:"0.0.0.0" doc:"The address to listen on."`
	Port uint16 `conf:"port,required" doc:"The port to listen on; 0 picks a free one (logged)." example:"8080"`
}

// Source is the websocket onramp. It listens when opened.
type Source struct {
	host   string
	port   uint16
	log    *slog.Logger
	ln     net.Listener
	stream atomic.Uint64
}

var (
	_ sdk.PushSource   = (*Source)(nil)
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
			c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
			if err != nil {
				return
			}
			wg.Add(1)
			defer wg.Done()
			defer c.CloseNow()
			c.SetReadLimit(16 << 20)
			stream := s.stream.Add(1)
			for {
				_, data, err := c.Read(ctx)
				if err != nil {
					_ = out.Push(ctx, &sdk.Input{Stream: stream, End: true})
					return
				}
				if err := out.Push(ctx, &sdk.Input{Stream: stream, Frames: [][]byte{data}}); err != nil {
					return
				}
			}
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
