package connector

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lograte"
)

func init() {
	RegisterSink(SinkSpec{Name: "stdout", Doc: "Writes each event on its own line to standard output; acks after the write.", DefaultCodec: "json",
		New: func(p Params) (Sink, error) { return newWriterSink(p, os.Stdout) }})
	RegisterSink(SinkSpec{Name: "stderr", Doc: "Writes each event on its own line to standard error; acks after the write.", DefaultCodec: "json",
		New: func(p Params) (Sink, error) { return newWriterSink(p, os.Stderr) }})
	RegisterSource(SourceSpec{Name: "stdin", Doc: "Reads standard input line by line; each line is an event. " +
		"A line over `max_line_bytes` (default 16 MiB) is skipped, counted and sent to the err port with its line number.", DefaultCodec: "string",
		New: func(p Params) (Source, error) {
			c := stdinConfig{MaxLineBytes: defaultMaxLineBytes}
			if err := p.Config.Decode(&c); err != nil {
				return nil, err
			}
			maxLine, err := checkMaxLine(p, c.MaxLineBytes)
			if err != nil {
				return nil, err
			}
			return &lineSource{open: func() (io.ReadCloser, error) { return io.NopCloser(os.Stdin), nil },
				newline: linesFirst(p.Preprocessors), maxLine: maxLine, name: "stdin", log: loggerOf(p)}, nil
		}})
}

// defaultMaxLineBytes is the longest line the file and stdin onramps read
// as an event unless `max_line_bytes` says otherwise.
const defaultMaxLineBytes = 16 << 20

type stdinConfig struct {
	MaxLineBytes uint64 `yaml:"max_line_bytes"`
}

func checkMaxLine(p Params, n uint64) (int, error) {
	if n == 0 || n > 1<<40 {
		return 0, p.Config.Errorf("max_line_bytes", "`max_line_bytes` must be between 1 and 2^40, got %d", n)
	}
	return int(n), nil
}

func loggerOf(p Params) *slog.Logger {
	if p.Logger == nil {
		return slog.Default()
	}
	return p.Logger
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
// closeOnDone is set (and nil otherwise: the engine keeps running). A line
// longer than maxLine is skipped (read and discarded, never held in
// memory whole), reported through SourceOutput.Refuse with its line
// number, and logged (rate-limited); reading goes on.
type lineSource struct {
	open        func() (io.ReadCloser, error)
	sleepOnDone time.Duration
	closeOnDone bool
	// newline puts the line's "\n" back, for a `lines` preprocessor that
	// splits on it (Tremor configs add one to stdin, which read raw chunks
	// there); without it, that preprocessor would wait for a newline that
	// never comes and glue the lines together.
	newline bool
	maxLine int
	name    string // the file, or "stdin", for logs
	log     *slog.Logger
}

// linesFirst reports whether the onramp's first preprocessor is `lines`.
func linesFirst(pre []string) bool { return len(pre) > 0 && pre[0] == "lines" }

// inputLine is one line read, or (data nil, tooLong) one skipped.
type inputLine struct {
	data    []byte
	no      int64 // 1-based line number
	size    int64 // its length without the line end
	tooLong bool
}

// longLineLogEvery is how often a line source logs skipped long lines.
var longLineLogEvery = 10 * time.Second

func (s *lineSource) Run(ctx context.Context, out SourceOutput) error {
	r, err := s.open()
	if err != nil {
		return err
	}
	defer r.Close()
	lines := make(chan inputLine)
	errc := make(chan error, 1)
	go func() {
		defer close(lines)
		br := bufio.NewReaderSize(r, 64<<10)
		for no := int64(1); ; no++ {
			l, err := readLine(br, s.maxLine)
			if err != nil {
				if err != io.EOF {
					errc <- fmt.Errorf("reading %s after line %d: %w", s.name, no-1, err)
				}
				return
			}
			l.no = no
			if s.newline && !l.tooLong {
				l.data = append(l.data, '\n')
			}
			select {
			case lines <- l:
			case <-ctx.Done():
				return
			}
		}
	}()
	tooLong := lograte.New(longLineLogEvery, func(n, total uint64) {
		s.log.Warn("more lines over max_line_bytes were skipped", "source", s.name, "lines", n, "in", longLineLogEvery.String(),
			"total", total, "max_line_bytes", s.maxLine)
	})
	defer tooLong.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case l, ok := <-lines:
			if !ok {
				select {
				case err := <-errc:
					return err
				default:
				}
				if err := out.EndStream(ctx, 0); err != nil {
					return err
				}
				return s.done(ctx)
			}
			if l.tooLong {
				if ok, total := tooLong.Allow(); ok {
					s.log.Warn("line over max_line_bytes skipped; reading goes on", "source", s.name, "line", l.no, "bytes", l.size,
						"max_line_bytes", s.maxLine, "total", total)
				}
				reason := fmt.Sprintf("line %d of %s is %d bytes, over max_line_bytes (%d); skipped", l.no, s.name, l.size, s.maxLine)
				info := event.RecordOf("source", s.name, "line", l.no, "bytes", l.size, "max_line_bytes", int64(s.maxLine))
				if err := out.Refuse(ctx, 0, reason, info); err != nil && ctx.Err() != nil {
					return nil
				}
				continue
			}
			if _, err := out.EmitBytes(ctx, 0, l.data, nil); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
}

// readLine reads one line without its "\n" (and a "\r" before it), as
// bufio.ScanLines does; a last line without "\n" counts. A line longer
// than max is read to its end but not kept: tooLong, with its size.
func readLine(br *bufio.Reader, max int) (inputLine, error) {
	var l inputLine
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) == 0 && err == io.EOF {
			if l.size == 0 && l.data == nil && !l.tooLong {
				return l, io.EOF
			}
			break // a last line without "\n"
		}
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return l, err
		}
		body := chunk
		ended := err == nil // chunk ends with "\n"
		if ended {
			body = chunk[:len(chunk)-1]
		}
		l.size += int64(len(body))
		if !l.tooLong {
			if l.size > int64(max)+1 { // +1: a "\r" before the "\n" is not part of the line
				l.tooLong, l.data = true, nil
			} else {
				l.data = append(l.data, body...)
			}
		}
		if ended || err == io.EOF {
			break
		}
	}
	if !l.tooLong && len(l.data) > 0 && l.data[len(l.data)-1] == '\r' {
		l.data = l.data[:len(l.data)-1]
	}
	if !l.tooLong && len(l.data) > max {
		l.tooLong, l.data = true, nil
	}
	if l.data == nil && !l.tooLong {
		l.data = []byte{}
	}
	return l, nil
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
