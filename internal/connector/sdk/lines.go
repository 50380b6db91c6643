package sdk

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// LineReader reads newline-separated lines in batches, for line-oriented
// sources (file, stdin). A line longer than MaxLine is skipped and
// reported, and reading goes on.
type LineReader struct {
	r *bufio.Reader
	// KeepNewline puts each line's "\n" back, for an onramp whose first
	// preprocessor is `lines` (Tremor configs add one to stdin and file,
	// which read raw chunks there); without it, that preprocessor would
	// wait for a newline that never comes and glue the lines together.
	KeepNewline bool
	// MaxLine bounds a line (default 16 MiB).
	MaxLine int
	line    int // lines read so far
	long    []byte
}

// NewLineReader reads lines from r.
func NewLineReader(r io.Reader) *LineReader {
	return &LineReader{r: bufio.NewReaderSize(r, 64<<10), MaxLine: 16 << 20}
}

// LongLineError reports a line over the limit (it was skipped).
type LongLineError struct {
	Line  int // 1-based line number
	Bytes int
	Limit int
}

func (e *LongLineError) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes (%d at least); skipped", e.Line, e.Limit, e.Bytes)
}

// ReadBatch appends up to max lines to dst: it blocks for the first, then
// takes what is buffered. At the end of the input it returns what it has
// and io.EOF (a last line without a newline counts). A *LongLineError
// comes with the lines read before it.
func (l *LineReader) ReadBatch(dst [][]byte, max int) ([][]byte, error) {
	for len(dst) < max {
		if len(dst) > 0 && l.r.Buffered() == 0 {
			return dst, nil
		}
		b, err := l.r.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			l.long = append(l.long, b...)
			if len(l.long) > l.MaxLine {
				return dst, l.skip()
			}
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return dst, err
		}
		if len(l.long) > 0 {
			b = append(l.long, b...)
			l.long = l.long[:0]
		}
		if len(b) == 0 && err != nil {
			return dst, err
		}
		l.line++
		if len(b)-1 > l.MaxLine {
			return dst, &LongLineError{Line: l.line, Bytes: len(b), Limit: l.MaxLine}
		}
		line := bytes.TrimSuffix(b, []byte("\n"))
		if l.KeepNewline {
			line = append(line, '\n')
		}
		dst = append(dst, append([]byte(nil), line...))
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// skip discards the rest of an over-long line.
func (l *LineReader) skip() error {
	n := len(l.long)
	l.long = l.long[:0]
	l.line++
	for {
		b, err := l.r.ReadSlice('\n')
		n += len(b)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return &LongLineError{Line: l.line, Bytes: n, Limit: l.MaxLine}
		}
	}
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
