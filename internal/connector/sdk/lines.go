package sdk

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lograte"
)

// DefaultMaxLine is the longest line a line-oriented source reads as an
// event unless its `max_line_bytes` says otherwise.
const DefaultMaxLine = 16 << 20

// longLineLogEvery is how often a line source logs skipped long lines.
const longLineLogEvery = 10 * time.Second

// LineInput reads newline-separated lines into Inputs, for line-oriented
// sources (file, stdin). A line is read without its "\n" (and a "\r"
// before it), as bufio.ScanLines does; a last line without "\n" counts. A
// line longer than the limit is read to its end but never held whole: it
// is refused (counted, sent to the err port with its line number), logged
// (the first in full, then counts every 10 s), and reading goes on.
type LineInput struct {
	r           *bufio.Reader
	name        string // the file, or "stdin"
	maxLine     int
	keepNewline bool
	log         *slog.Logger
	no          int64 // lines read so far
	tooLong     *lograte.Limiter
}

// NewLineInput reads lines from r. name says where they come from (for
// logs and refusals); keepNewline puts each line's "\n" back, for an
// onramp whose first preprocessor is `lines` (Tremor configs add one to
// stdin and file, which read raw chunks there; without it, that
// preprocessor would wait for a newline that never comes).
func NewLineInput(r io.Reader, name string, maxLine int, keepNewline bool, log *slog.Logger) *LineInput {
	if log == nil {
		log = slog.Default()
	}
	l := &LineInput{r: bufio.NewReaderSize(r, 64<<10), name: name, maxLine: maxLine, keepNewline: keepNewline, log: log}
	l.tooLong = lograte.New(longLineLogEvery, func(n, total uint64) {
		log.Warn("more lines over max_line_bytes were skipped", "source", name, "lines", n, "in", longLineLogEvery.String(),
			"total", total, "max_line_bytes", maxLine)
	})
	return l
}

// Next reads up to max lines: it blocks for the first, then takes what is
// buffered. At the end of the input it returns what it has (nil when
// nothing) and io.EOF.
func (l *LineInput) Next(max int) (*Input, error) {
	in := &Input{}
	for len(in.Frames)+len(in.Refused) < max {
		if len(in.Frames)+len(in.Refused) > 0 && l.r.Buffered() == 0 {
			break
		}
		data, size, tooLong, err := l.readLine()
		if err != nil {
			if len(in.Frames)+len(in.Refused) == 0 {
				return nil, err
			}
			return in, err
		}
		l.no++
		if tooLong {
			in.Refused = append(in.Refused, l.refuse(size))
			continue
		}
		if l.keepNewline {
			data = append(data, '\n')
		}
		in.Frames = append(in.Frames, data)
	}
	return in, nil
}

func (l *LineInput) refuse(size int64) Refusal {
	if ok, total := l.tooLong.Allow(); ok {
		l.log.Warn("line over max_line_bytes skipped; reading goes on", "source", l.name, "line", l.no, "bytes", size,
			"max_line_bytes", l.maxLine, "total", total)
	}
	return Refusal{
		Reason: fmt.Sprintf("line %d of %s is %d bytes, over max_line_bytes (%d); skipped", l.no, l.name, size, l.maxLine),
		Info:   event.RecordOf("source", l.name, "line", l.no, "bytes", size, "max_line_bytes", int64(l.maxLine)),
	}
}

// Close reports the skipped lines the rate-limited log still holds.
func (l *LineInput) Close() { l.tooLong.Stop() }

// readLine reads one line; one longer than the limit is read to its end
// but not kept (tooLong, with its size).
func (l *LineInput) readLine() (data []byte, size int64, tooLong bool, err error) {
	started := false
	for {
		chunk, err := l.r.ReadSlice('\n')
		if len(chunk) == 0 && err == io.EOF {
			if !started {
				return nil, 0, false, io.EOF
			}
			break // a last line without "\n"
		}
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return nil, 0, false, err
		}
		started = true
		body := chunk
		ended := err == nil // the chunk ends with "\n"
		if ended {
			body = chunk[:len(chunk)-1]
		}
		size += int64(len(body))
		if !tooLong {
			if size > int64(l.maxLine)+1 { // +1: a "\r" before the "\n" is not part of the line
				tooLong, data = true, nil
			} else {
				data = append(data, body...)
			}
		}
		if ended || err == io.EOF {
			break
		}
	}
	if !tooLong && len(data) > 0 && data[len(data)-1] == '\r' {
		data = data[:len(data)-1]
		size--
	}
	if !tooLong && len(data) > l.maxLine {
		tooLong, data = true, nil
	}
	if data == nil && !tooLong {
		data = []byte{}
	}
	return data, size, tooLong, nil
}

// WriteLines writes each payload of every message followed by a newline
// (unless it ends with one), for line-oriented sinks.
func WriteLines(w *bufio.Writer, b *Batch) error {
	for _, m := range b.Messages {
		for _, p := range m.Payloads {
			if _, err := w.Write(p); err != nil {
				return err
			}
			if len(p) == 0 || p[len(p)-1] != '\n' {
				if err := w.WriteByte('\n'); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// LinesFirst reports whether an onramp's first preprocessor is `lines`.
func LinesFirst(pre []string) bool { return len(pre) > 0 && pre[0] == "lines" }
