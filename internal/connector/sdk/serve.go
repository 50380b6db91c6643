package sdk

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Serve accepts connections on ln until ctx ends, running handle for each
// on a goroutine of its own. When ctx ends it closes the listener and
// every open connection and waits for the handlers, then returns nil; a
// failing Accept ends it with that error. It is the accept loop of the
// stream servers (tcp, unix-socket).
func Serve(ctx context.Context, ln net.Listener, handle func(ctx context.Context, c net.Conn)) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	stop := context.AfterFunc(ctx, func() {
		_ = ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accept on %s: %w", ln.Addr(), err)
		}
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			_ = c.Close()
			return nil
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				_ = c.Close()
			}()
			handle(ctx, c)
		}()
	}
}

// ReadStream hands over what r yields, one read (of up to size bytes) per
// frame, as stream `stream`, and flushes the stream's preprocessors when r
// ends. It returns when r ends or fails, or when out refuses input (the
// onramp stops). A *tls.Conn completes its handshake first.
func ReadStream(ctx context.Context, r io.Reader, stream uint64, size int, out Output) error {
	if tc, ok := r.(*tls.Conn); ok {
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
	}
	for {
		buf := make([]byte, size)
		n, err := r.Read(buf)
		if n > 0 {
			if perr := out.Push(ctx, &Input{Stream: stream, Frames: [][]byte{buf[:n]}}); perr != nil {
				return nil
			}
		}
		if err != nil {
			_ = out.Push(ctx, &Input{Stream: stream, End: true})
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}
