package connector

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ulikunitz/xz"
)

func init() {
	RegisterSource(SourceSpec{Name: "file", Doc: "Reads the file `source` (xz-compressed when it ends in .xz) line by line; each line is an event. " +
		"`sleep_on_done` (ms) waits at the end; `close_on_done` then stops the engine gracefully. " +
		"A line over `max_line_bytes` (default 16 MiB) is skipped, counted and sent to the err port with its line number.", DefaultCodec: "json", New: newFileSource})
	RegisterSink(SinkSpec{Name: "file", Doc: "Appends each event and a newline to `file`; acks after the write (after fsync with `fsync: true`).", DefaultCodec: "json", New: newFileSink})
	RegisterSink(SinkSpec{Name: "blackhole", Doc: "Acks and discards every event (for benchmarks).", DefaultCodec: "json", New: newBlackhole})
}

type fileSourceConfig struct {
	Source       string `yaml:"source"`
	CloseOnDone  bool   `yaml:"close_on_done"`
	SleepOnDone  uint64 `yaml:"sleep_on_done"`
	MaxLineBytes uint64 `yaml:"max_line_bytes"`
}

func newFileSource(p Params) (Source, error) {
	c := fileSourceConfig{MaxLineBytes: defaultMaxLineBytes}
	if err := p.Config.Decode(&c); err != nil {
		return nil, err
	}
	maxLine, err := checkMaxLine(p, c.MaxLineBytes)
	if err != nil {
		return nil, err
	}
	if c.Source == "" {
		return nil, p.Config.Errorf("source", "`source` (the file to read) is required")
	}
	if _, err := os.Stat(c.Source); err != nil {
		return nil, p.Config.Errorf("source", "cannot read %s: %v", c.Source, err)
	}
	return &lineSource{open: func() (io.ReadCloser, error) { return openSource(c.Source) },
		sleepOnDone: time.Duration(c.SleepOnDone) * time.Millisecond, closeOnDone: c.CloseOnDone, newline: linesFirst(p.Preprocessors),
		maxLine: maxLine, name: c.Source, log: loggerOf(p)}, nil
}

// openSource opens path, decompressing it when it ends in .xz (as Tremor's
// file onramp did).
func openSource(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".xz") {
		return f, nil
	}
	zr, err := xz.NewReader(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is not an xz file: %w", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

type fileSinkConfig struct {
	File  string `yaml:"file"`
	Fsync bool   `yaml:"fsync"`
}

type fileSink struct {
	path  string
	fsync bool
}

func newFileSink(p Params) (Sink, error) {
	var c fileSinkConfig
	if err := p.Config.Decode(&c); err != nil {
		return nil, err
	}
	if c.File == "" {
		return nil, p.Config.Errorf("file", "`file` (the file to write) is required")
	}
	if fi, err := os.Stat(filepath.Dir(c.File)); err != nil || !fi.IsDir() {
		return nil, p.Config.Errorf("file", "the directory of %s does not exist; create it first", c.File)
	}
	return &fileSink{path: c.File, fsync: c.Fsync}, nil
}

func (s *fileSink) Run(ctx context.Context, in <-chan *Message, reply Reply) error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening %s: %w", s.path, err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	var batch []*Message
	flush := func() {
		err := w.Flush()
		if err == nil && s.fsync {
			err = f.Sync()
		}
		for _, m := range batch {
			if err != nil {
				reply.Fail(m, err.Error())
			} else {
				reply.Ack(m)
			}
		}
		batch = batch[:0]
	}
	for {
		select {
		case <-ctx.Done():
			flush()
			return nil
		case m, ok := <-in:
			if !ok {
				flush()
				return nil
			}
			if err := writeLines(w, m.Payloads); err != nil {
				reply.Fail(m, err.Error())
				continue
			}
			batch = append(batch, m)
			if len(in) == 0 || len(batch) >= 1024 {
				flush()
			}
		}
	}
}

// blackholeConfig accepts Tremor's fields; temblor does not print its
// latency histogram.
type blackholeConfig struct {
	WarmupSecs         uint64 `yaml:"warmup_secs"`
	StopAfterSecs      uint64 `yaml:"stop_after_secs"`
	SignificantFigures uint64 `yaml:"significant_figures"`
}

type blackhole struct{}

func newBlackhole(p Params) (Sink, error) {
	var c blackholeConfig
	if err := p.Config.Decode(&c); err != nil {
		return nil, err
	}
	return blackhole{}, nil
}

func (blackhole) Run(ctx context.Context, in <-chan *Message, reply Reply) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-in:
			if !ok {
				return nil
			}
			reply.Ack(m)
		}
	}
}
