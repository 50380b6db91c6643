// Package unixsocket is the unix-socket onramp: a server on a Unix domain
// socket whose connections are streams of input.
package unixsocket

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"sync/atomic"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:    "unix-socket",
		Summary: "Server on the Unix domain socket `path`; the bytes of every connection are input",
		Docs: "Each connection is a stream of its own: the preprocessors keep their state per connection (add `lines` " +
			"for one event per line) and are flushed when it closes. Without a preprocessor every read (up to 8 KiB) is " +
			"decoded as it is, as in Tremor 0.11.\n\n" +
			"The events are not transactional: while the pipelines do not take input (a circuit breaker open downstream) " +
			"the onramp stops reading and the senders block (back-pressure).\n\n" +
			"A socket file left at `path` by an earlier run is replaced, as Tremor did; unlike Tremor, any other file " +
			"there is an error at start rather than deleted. The socket file is removed when the onramp stops.",
		DefaultCodec: "json",
		New: func(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
			if c.Path == "" {
				return nil, p.At.Errorf("path", "`path` must name the socket file to create")
			}
			return &Source{path: c.Path, mode: fs.FileMode(c.Permissions)}, nil
		},
	})
}

type sourceConfig struct {
	Path        string `conf:"path,required" doc:"The socket file to create and listen on." example:"/tmp/tremor.sock"`
	Permissions uint32 `conf:"permissions" max:"511" doc:"File mode of the socket (e.g. 0o660 written as 432); 0 leaves the umask's."`
}

// readSize is how much one read takes (Tremor's buffer size).
const readSize = 8192

// Source is the unix-socket onramp. It listens when opened.
type Source struct {
	path   string
	mode   fs.FileMode
	log    *slog.Logger
	ln     *net.UnixListener
	stream atomic.Uint64
}

var (
	_ sdk.PushSource   = (*Source)(nil)
	_ component.Opener = (*Source)(nil)
	_ component.Closer = (*Source)(nil)
)

// Open creates the socket, replacing a stale socket file (not any other
// file), so that a bad path is an error at start.
func (s *Source) Open(_ context.Context, env component.Env) error {
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	if fi, err := os.Lstat(s.path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return fmt.Errorf("unix-socket onramp: %s exists and is not a socket; remove it or choose another `path`", s.path)
		}
		if err := os.Remove(s.path); err != nil {
			return fmt.Errorf("unix-socket onramp: removing the stale socket %s: %w", s.path, err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: s.path, Net: "unix"})
	if err != nil {
		return fmt.Errorf("unix-socket onramp cannot listen on %s: %w", s.path, err)
	}
	if s.mode != 0 {
		if err := os.Chmod(s.path, s.mode); err != nil {
			_ = ln.Close()
			return fmt.Errorf("unix-socket onramp: setting permissions %o on %s: %w", s.mode, s.path, err)
		}
	}
	s.ln = ln
	s.log.Info("unix-socket onramp listening", "path", s.path)
	return nil
}

// Run accepts connections until ctx ends; each is a stream of its own.
func (s *Source) Run(ctx context.Context, out sdk.Output) error {
	return sdk.Serve(ctx, s.ln, func(ctx context.Context, c net.Conn) {
		if err := sdk.ReadStream(ctx, c, s.stream.Add(1), readSize, out); err != nil {
			s.log.Warn("unix-socket onramp: connection ended", "err", err)
		}
	})
}

// Close releases the listener (removing the socket file) if Run did not.
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
