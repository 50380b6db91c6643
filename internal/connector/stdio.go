package connector

import (
	"bufio"
	"context"
	"io"
	"os"
	"time"
)

func init() {
	RegisterSink(SinkSpec{Name: "stdout", Doc: "Writes each event on its own line to standard output; acks after the write.", DefaultCodec: "json",
		New: func(p Params) (Sink, error) { return newWriterSink(p, os.Stdout) }})
	RegisterSink(SinkSpec{Name: "stderr", Doc: "Writes each event on its own line to standard error; acks after the write.", DefaultCodec: "json",
		New: func(p Params) (Sink, error) { return newWriterSink(p, os.Stderr) }})
	RegisterSource(SourceSpec{Name: "stdin", Doc: "Reads standard input line by line; each line is an event.", DefaultCodec: "string",
		New: func(p Params) (Source, error) {
			if err := p.Config.Decode(&struct{}{}); err != nil {
				return nil, err
			}
			return &lineSource{open: func() (io.ReadCloser, error) { return io.NopCloser(os.Stdin), nil },
				newline: linesFirst(p.Preprocessors)}, nil
		}})
}

// writerSink writes payloads, each followed by a newline, to w.
type writerSink struct {
	w *bufio.Writer
}

func newWriterSink(p Params, w io.Writer) (Sink, error) {
	if err := p.Config.Decode(&struct{}{}); err != nil {
		return nil, err
	}
	return &writerSink{w: bufio.NewWriter(w)}, nil
}

func (s *writerSink) Run(ctx context.Context, in <-chan *Message, reply Reply) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-in:
			if !ok {
				return nil
			}
			err := writeLines(s.w, m.Payloads)
			if err == nil {
				err = s.w.Flush()
			}
			if err != nil {
				reply.Fail(m, err.Error())
				continue
			}
			reply.Ack(m)
		}
	}
}

// lineSource emits each line of a reader as an event on stream 0. At the
// end of its input it waits sleepOnDone, then returns ErrDone when
// closeOnDone is set (and nil otherwise: the engine keeps running).
type lineSource struct {
	open        func() (io.ReadCloser, error)
	sleepOnDone time.Duration
	closeOnDone bool
	// newline puts the line's "\n" back, for a `lines` preprocessor that
	// splits on it (Tremor configs add one to stdin, which read raw chunks
	// there); without it, that preprocessor would wait for a newline that
	// never comes and glue the lines together.
	newline bool
}

// linesFirst reports whether the onramp's first preprocessor is `lines`.
func linesFirst(pre []string) bool { return len(pre) > 0 && pre[0] == "lines" }

func (s *lineSource) Run(ctx context.Context, out SourceOutput) error {
	r, err := s.open()
	if err != nil {
		return err
	}
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	lines := make(chan []byte)
	errc := make(chan error, 1)
	go func() {
		defer close(lines)
		for sc.Scan() {
			line := append([]byte(nil), sc.Bytes()...)
			if s.newline {
				line = append(line, '\n')
			}
			select {
			case lines <- line:
			case <-ctx.Done():
				return
			}
		}
		errc <- sc.Err()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				select {
				case err := <-errc:
					if err != nil {
						return err
					}
				default:
				}
				if err := out.EndStream(ctx, 0); err != nil {
					return err
				}
				return s.done(ctx)
			}
			if _, err := out.EmitBytes(ctx, 0, line, nil); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
}

func (s *lineSource) done(ctx context.Context) error {
	if s.sleepOnDone > 0 {
		t := time.NewTimer(s.sleepOnDone)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
	if s.closeOnDone {
		return ErrDone
	}
	return nil
}

// writeLines writes each payload followed by a newline (unless it already
// ends with one).
func writeLines(w *bufio.Writer, payloads [][]byte) error {
	for _, p := range payloads {
		if _, err := w.Write(p); err != nil {
			return err
		}
		if len(p) == 0 || p[len(p)-1] != '\n' {
			if err := w.WriteByte('\n'); err != nil {
				return err
			}
		}
	}
	return nil
}
