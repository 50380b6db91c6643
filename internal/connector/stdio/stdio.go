// Package stdio is the standard streams connector family: the stdin
// onramp and the stdout and stderr offramps.
package stdio

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[struct{}]{
		Name:         "stdin",
		Summary:      "Reads standard input line by line; each line is an event",
		Docs:         "With a `lines` preprocessor first (as Tremor configs have it) each line still makes one event. The onramp ends at the end of the input; the engine keeps running.",
		DefaultCodec: "string",
		New: func(_ *struct{}, p sdk.Params) (sdk.Source, error) {
			return &stdin{in: os.Stdin, newline: sdk.LinesFirst(p.Preprocessors)}, nil
		},
	})
	for _, o := range []struct {
		name, stream string
		w            func() *os.File // at New, not at init (tests redirect it)
	}{{"stdout", "output", func() *os.File { return os.Stdout }}, {"stderr", "error", func() *os.File { return os.Stderr }}} {
		sdk.RegisterSink(sdk.SinkSpec[struct{}]{
			Name:         o.name,
			Summary:      "Writes each event on its own line to standard " + o.stream,
			DefaultCodec: "json",
			Acks:         "written and flushed",
			New: func(*struct{}, sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
				return &writer{w: bufio.NewWriter(o.w())}, sdk.SinkOptions{}, nil
			},
		})
	}
}

// stdin reads lines on a goroutine of its own (a read from a terminal or a
// pipe cannot be interrupted), so that Read can stop when asked.
type stdin struct {
	in      io.Reader
	newline bool
	log     *slog.Logger
	batches chan [][]byte
	err     error // set before batches is closed
}

var (
	_ sdk.PullSource   = (*stdin)(nil)
	_ component.Opener = (*stdin)(nil)
)

const maxBatch = 1024

func (s *stdin) Open(_ context.Context, env component.Env) error {
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	lr := sdk.NewLineReader(s.in)
	lr.KeepNewline = s.newline
	s.batches = make(chan [][]byte, 1)
	go func() {
		defer close(s.batches)
		for {
			lines, err := lr.ReadBatch(nil, maxBatch)
			var long *sdk.LongLineError
			if errors.As(err, &long) {
				s.log.Warn("stdin onramp skipped a line over the limit", "line", long.Line, "bytes", long.Bytes, "limit", long.Limit)
				err = nil
			}
			if len(lines) > 0 {
				s.batches <- lines
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					s.err = err
				}
				return
			}
		}
	}()
	return nil
}

func (s *stdin) Read(ctx context.Context) (*sdk.Input, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case lines, ok := <-s.batches:
		if !ok {
			if s.err != nil {
				return nil, s.err
			}
			return nil, io.EOF
		}
		return &sdk.Input{Frames: lines}, nil
	}
}

// writer writes lines to a standard stream.
type writer struct{ w *bufio.Writer }

var _ sdk.Sink = (*writer)(nil)

func (s *writer) Connect(context.Context) error { return nil }
func (s *writer) Disconnect() error             { return nil }

func (s *writer) Write(_ context.Context, b *sdk.Batch) error {
	if err := sdk.WriteLines(s.w, b); err != nil {
		return err
	}
	return s.w.Flush()
}
