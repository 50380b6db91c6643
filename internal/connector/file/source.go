// Package file is the file connector family: an onramp that reads a file
// line by line (xz-compressed too) and an offramp that appends to one.
package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
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
			"the offramps finish, and the process exits 0. A line over `max_line_bytes` is skipped (never held in memory " +
			"whole), counted in `temblor_onramp_refused_total`, sent to the err port with its line number, size and the " +
			"limit, and logged; reading goes on.",
		DefaultCodec: "json",
		New:          newSource,
	})
}

type sourceConfig struct {
	Source       string `conf:"source,required" doc:"The file to read." example:"/var/log/in.json"`
	SleepOnDone  uint64 `conf:"sleep_on_done" default:"0" doc:"Milliseconds to wait at the end of the file before ending."`
	CloseOnDone  bool   `conf:"close_on_done" doc:"Stop the engine gracefully once the file is read (a one-off job)."`
	MaxLineBytes uint64 `conf:"max_line_bytes" default:"16777216" min:"1" max:"1099511627776" doc:"The longest line read as an event, in bytes; a longer one is skipped."`
}

type source struct {
	path        string
	sleepOnDone time.Duration
	closeOnDone bool
	newline     bool
	maxLine     int
	f           io.Closer
	lines       *sdk.LineInput
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
		newline: sdk.LinesFirst(p.Preprocessors), maxLine: int(c.MaxLineBytes)}, nil
}

func (s *source) Open(_ context.Context, env component.Env) error {
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
	s.lines = sdk.NewLineInput(r, s.path, s.maxLine, s.newline, env.Logger)
	return nil
}

// maxBatch bounds the lines handed over at once.
const maxBatch = 1024

func (s *source) Read(ctx context.Context) (*sdk.Input, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in, err := s.lines.Next(maxBatch)
	switch {
	case errors.Is(err, io.EOF):
		if in != nil {
			return in, nil // EOF again on the next Read
		}
		return nil, s.done(ctx)
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", s.path, err)
	}
	return in, nil
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
	s.lines.Close()
	return s.f.Close()
}
