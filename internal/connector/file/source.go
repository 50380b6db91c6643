// Package file is the file connector family: an onramp that reads a file
// line by line (xz-compressed too) and an offramp that appends to one.
package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ulikunitz/xz"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:    "file",
		Summary: "Reads the file `source` line by line; each line is an event",
		Docs: "A source ending in `.xz` is decompressed, as in Tremor 0.11. At the end of the file the onramp waits " +
			"`sleep_on_done` milliseconds, then ends (the engine keeps running) or, with `close_on_done`, stops the " +
			"engine. Tremor exited on the spot, dropping whatever was still on its way; temblor shuts down gracefully " +
			"instead: the pipelines store what they were handed, every `qos::wal` delivers what it holds (as long as " +
			"delivery makes progress; if it stalls for `--shutdown-timeout`, the rest stays stored for the next start), " +
			"the offramps finish, and the process exits 0. A line over 16 MiB is skipped and logged with its number.",
		DefaultCodec: "json",
		New:          newSource,
	})
}

type sourceConfig struct {
	Source      string `conf:"source,required" doc:"The file to read." example:"/var/log/in.json"`
	SleepOnDone uint64 `conf:"sleep_on_done" default:"0" doc:"Milliseconds to wait at the end of the file before ending."`
	CloseOnDone bool   `conf:"close_on_done" doc:"Stop the engine gracefully once the file is read (a one-off job)."`
}

type source struct {
	path        string
	sleepOnDone time.Duration
	closeOnDone bool
	newline     bool
	log         *slog.Logger
	f           io.Closer
	lines       *sdk.LineReader
	batch       [][]byte
}

var (
	_ sdk.PullSource   = (*source)(nil)
	_ component.Opener = (*source)(nil)
	_ component.Closer = (*source)(nil)
)

func newSource(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
	if fi, err := os.Stat(c.Source); err != nil {
		return nil, p.At.Errorf("source", "cannot read %s: %v", c.Source, err)
	} else if fi.IsDir() {
		return nil, p.At.Errorf("source", "%s is a directory; name a file", c.Source)
	}
	return &source{path: c.Source, sleepOnDone: sdk.Millis(c.SleepOnDone), closeOnDone: c.CloseOnDone,
		newline: sdk.LinesFirst(p.Preprocessors)}, nil
}

func (s *source) Open(_ context.Context, env component.Env) error {
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	var r io.Reader = f
	if strings.HasSuffix(s.path, ".xz") {
		zr, err := xz.NewReader(bufio.NewReader(f))
		if err != nil {
			f.Close()
			return fmt.Errorf("%s is not an xz file: %w", s.path, err)
		}
		r = zr
	}
	s.f = f
	s.lines = sdk.NewLineReader(r)
	s.lines.KeepNewline = s.newline
	return nil
}

// maxBatch bounds the lines handed over at once.
const maxBatch = 1024

func (s *source) Read(ctx context.Context) (*sdk.Input, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lines, err := s.lines.ReadBatch(s.batch[:0], maxBatch)
	s.batch = lines
	var long *sdk.LongLineError
	switch {
	case errors.As(err, &long):
		s.log.Warn("file onramp skipped a line over the limit", "file", s.path, "line", long.Line, "bytes", long.Bytes, "limit", long.Limit)
		err = nil
	case errors.Is(err, io.EOF):
		if len(lines) > 0 {
			return &sdk.Input{Frames: lines}, nil // EOF again on the next Read
		}
		return nil, s.done(ctx)
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", s.path, err)
	}
	return &sdk.Input{Frames: lines}, err
}

// done waits sleep_on_done, then ends the onramp (or the engine).
func (s *source) done(ctx context.Context) error {
	if s.sleepOnDone > 0 {
		t := time.NewTimer(s.sleepOnDone)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	if s.closeOnDone {
		return sdk.ErrDone
	}
	return io.EOF
}

func (s *source) Close() error {
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}
