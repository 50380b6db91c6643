// Package stdio is the standard streams connector family: the stdin
// onramp and the stdout and stderr offramps.
package stdio

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[stdinConfig]{
		Name:    "stdin",
		Summary: "Reads standard input line by line; each line is an event",
		Docs: "With a `lines` preprocessor first (as Tremor configs have it) each line still makes one event. " +
			"A line over `max_line_bytes` is skipped, counted, sent to the err port with its line number and logged; " +
			"reading goes on. The onramp ends at the end of the input; the engine keeps running.",
		DefaultCodec: "string",
		New: func(c *stdinConfig, p sdk.Params) (sdk.Source, error) {
			return &stdin{in: os.Stdin, newline: sdk.LinesFirst(p.Preprocessors), maxLine: int(c.MaxLineBytes)}, nil
		},
	})
	for _, o := range []struct {
		name, stream string
		w            func() *os.File // at New, not at init (tests redirect it)
	}{{"stdout", "output", func() *os.File { return os.Stdout }}, {"stderr", "error", func() *os.File { return os.Stderr }}} {
		sdk.RegisterSink(sdk.SinkSpec[writerConfig]{
			Name:    o.name,
			Summary: "Writes each event on its own line to standard " + o.stream + ", after an optional `prefix`",
			Docs: "Each payload (an event encoded by the codec and postprocessors; several when a postprocessor " +
				"splits one) is written as `prefix`, the payload, and a newline, as in Tremor 0.11. A payload that is " +
				"not UTF-8 text is written as a list of byte values (`[255, 6, 0]`) unless `raw: true`, which writes " +
				"the bytes as they are. The stream is flushed after every batch.",
			DefaultCodec: "json",
			Acks:         "written and flushed",
			New: func(c *writerConfig, _ sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
				return &writer{w: bufio.NewWriter(o.w()), prefix: c.Prefix, raw: c.Raw}, sdk.SinkOptions{}, nil
			},
		})
	}
}

type stdinConfig struct {
	MaxLineBytes uint64 `conf:"max_line_bytes" default:"16777216" min:"1" max:"1099511627776" doc:"The longest line read as an event, in bytes; a longer one is skipped."`
}

type writerConfig struct {
	Prefix string `conf:"prefix" doc:"Written before every payload." example:">>> "`
	Raw    bool   `conf:"raw" doc:"Write payloads that are not UTF-8 as they are, instead of as a list of byte values."`
}

// stdin reads lines on a goroutine of its own (a read from a terminal or a
// pipe cannot be interrupted), so that Read can stop when asked.
type stdin struct {
	in      io.Reader
	newline bool
	maxLine int
	inputs  chan *sdk.Input
	done    chan struct{} // closed by Close: the reader stops handing over
	err     error         // set before inputs is closed
}

var (
	_ sdk.PullSource   = (*stdin)(nil)
	_ component.Opener = (*stdin)(nil)
	_ component.Closer = (*stdin)(nil)
)

// Close stops handing input over (the read in progress, if any, ends with
// the input).
func (s *stdin) Close() error {
	if s.done != nil {
		close(s.done)
	}
	return nil
}

const maxBatch = 1024

func (s *stdin) Open(_ context.Context, env component.Env) error {
	lines := sdk.NewLineInput(s.in, "stdin", s.maxLine, s.newline, env.Logger)
	s.inputs, s.done = make(chan *sdk.Input, 1), make(chan struct{})
	go func() {
		defer close(s.inputs)
		defer lines.Close()
		for {
			in, err := lines.Next(maxBatch)
			if in != nil {
				select {
				case s.inputs <- in:
				case <-s.done:
					return
				}
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
	case in, ok := <-s.inputs:
		if !ok {
			if s.err != nil {
				return nil, s.err
			}
			return nil, io.EOF
		}
		return in, nil
	}
}

// writer writes lines to a standard stream.
type writer struct {
	w      *bufio.Writer
	prefix string
	raw    bool
}

var _ sdk.Sink = (*writer)(nil)

func (s *writer) Connect(context.Context) error { return nil }
func (s *writer) Disconnect() error             { return nil }

func (s *writer) Write(_ context.Context, b *sdk.Batch) error {
	for _, m := range b.Messages {
		for _, p := range m.Payloads {
			s.w.WriteString(s.prefix)
			if s.raw || utf8.Valid(p) {
				s.w.Write(p)
			} else {
				writeByteList(s.w, p)
			}
			if err := s.w.WriteByte('\n'); err != nil {
				return err
			}
		}
	}
	return s.w.Flush()
}

// writeByteList writes p as a list of byte values, "[1, 2, 3]", as Tremor
// printed payloads that are not text.
func writeByteList(w *bufio.Writer, p []byte) {
	w.WriteByte('[')
	for i, c := range p {
		if i > 0 {
			w.WriteString(", ")
		}
		w.WriteString(strconv.Itoa(int(c)))
	}
	w.WriteByte(']')
}
