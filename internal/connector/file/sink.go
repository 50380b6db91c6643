package file

import (
	"bufio"
	"context"
	"os"
	"path/filepath"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[sinkConfig]{
		Name:         "file",
		Summary:      "Appends each event and a newline to `file`",
		Docs:         "The file is created if missing and opened for appending. A write error (a full disk) fails the events of the batch, opens the circuit breaker and reopens the file with backoff.",
		DefaultCodec: "json",
		Acks:         "written (and fsynced, with `fsync: true`)",
		New: func(c *sinkConfig, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
			if fi, err := os.Stat(filepath.Dir(c.File)); err != nil || !fi.IsDir() {
				return nil, sdk.SinkOptions{}, p.At.Errorf("file", "the directory of %s does not exist; create it first", c.File)
			}
			return &sink{path: c.File, fsync: c.Fsync}, sdk.SinkOptions{}, nil
		},
	})
}

type sinkConfig struct {
	File  string `conf:"file,required" doc:"The file to append to; its directory must exist." example:"/var/log/out.json"`
	Fsync bool   `conf:"fsync" doc:"fsync after each batch, so that an ack means the event is on disk."`
}

type sink struct {
	path  string
	fsync bool
	f     *os.File
	w     *bufio.Writer
}

var _ sdk.Sink = (*sink)(nil)

func (s *sink) Peer() string { return s.path }

func (s *sink) Connect(context.Context) error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	s.f, s.w = f, bufio.NewWriterSize(f, 64<<10)
	return nil
}

func (s *sink) Write(_ context.Context, b *sdk.Batch) error {
	if err := sdk.WriteLines(s.w, b); err != nil {
		return err
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	if s.fsync {
		return s.f.Sync()
	}
	return nil
}

func (s *sink) Disconnect() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f, s.w = nil, nil
	return err
}
