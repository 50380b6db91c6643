// Package blaster is the blaster onramp: it replays the lines of a file,
// over and over, as fast as the pipelines take them or at a fixed pace —
// the load generator of Tremor's benchmarks.
package blaster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
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
	sdk.RegisterSource(sdk.SourceSpec[config]{
		Name:    "blaster",
		Summary: "Replays the lines of the file `source` over and over, as fast as possible or one every `interval` nanoseconds",
		Docs: "The file (decompressed first when its name ends in `.xz`, as in Tremor 0.11) is read into memory " +
			"when the onramp opens; each line is an event, and after the last line it starts again from the first. " +
			"Without `interval` the onramp hands over batches of up to 1,024 lines as fast as the pipelines take " +
			"them; with it, it paces the events to one every `interval` nanoseconds (several per batch when the " +
			"interval is shorter than the scheduler can sleep, so the rate holds). After `iters` events it ends " +
			"(the engine keeps running). With `base64: true` each line is base64-decoded first.\n\n" +
			"The events are not transactional: the blaster is a load generator and does not re-send. " +
			"Tremor slept `interval` before every event, so short intervals ran slower than asked; temblor keeps " +
			"the rate. An empty file is refused when the onramp opens.",
		DefaultCodec: "json",
		New:          newBlaster,
	})
}

type config struct {
	Source   string  `conf:"source,required" doc:"The file to replay, one event per line; .xz files are decompressed." example:"./demo/data/data.json.xz"`
	Interval *uint64 `conf:"interval" min:"1" doc:"Nanoseconds between events; without it, as fast as possible." example:"1000000"`
	Iters    *uint64 `conf:"iters" doc:"Stop after this many events (lines replayed, counting repeats); without it, never."`
	Base64   bool    `conf:"base64" doc:"Each line is base64; decode it first."`
}

type blaster struct {
	path     string
	interval time.Duration
	iters    uint64 // 0: unbounded
	limited  bool
	b64      bool

	lines [][]byte
	next  int    // index of the next line
	sent  uint64 // events handed over
	start time.Time
	batch [][]byte
}

var (
	_ sdk.PullSource   = (*blaster)(nil)
	_ component.Opener = (*blaster)(nil)
)

func newBlaster(c *config, p sdk.Params) (sdk.Source, error) {
	// The file is read when the onramp opens; it may be created between
	// loading (or --validate) and the run, so a missing one is a warning
	// here and the error at Open.
	if fi, err := os.Stat(c.Source); err != nil {
		p.Warn(p.At.Warnf("source", "cannot read %s (%v): the onramp will fail when it opens unless the file exists by then", c.Source, errors.Unwrap(err)))
	} else if fi.IsDir() {
		return nil, p.At.Errorf("source", "%s is a directory; name a file", c.Source)
	}
	b := &blaster{path: c.Source, b64: c.Base64}
	if c.Interval != nil {
		b.interval = time.Duration(*c.Interval)
	}
	if c.Iters != nil {
		b.iters, b.limited = *c.Iters, true
	}
	return b, nil
}

// Open reads the file into memory.
func (b *blaster) Open(context.Context, component.Env) error {
	f, err := os.Open(b.path)
	if err != nil {
		return fmt.Errorf("cannot read the file to replay (`source`): %w", err)
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	if strings.HasSuffix(b.path, ".xz") {
		zr, err := xz.NewReader(r)
		if err != nil {
			return fmt.Errorf("%s is not an xz file: %w", b.path, err)
		}
		r = zr
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("reading %s: %w", b.path, err)
	}
	b.lines, err = split(data, b.b64)
	if err != nil {
		return fmt.Errorf("%s: %w", b.path, err)
	}
	if len(b.lines) == 0 && !(b.limited && b.iters == 0) {
		return fmt.Errorf("%s holds no line to replay", b.path)
	}
	return nil
}

// split cuts data into lines (as Rust's BufRead::lines does: a final line
// without a newline counts, a trailing "\r" is dropped). Each line is
// capped, so that a preprocessor appending to one cannot overwrite the
// next.
func split(data []byte, b64 bool) ([][]byte, error) {
	var out [][]byte
	for n := 1; len(data) > 0; n++ {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i:i], data[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		line = line[:len(line):len(line)]
		if b64 {
			dec := make([]byte, base64.StdEncoding.DecodedLen(len(line)))
			m, err := base64.StdEncoding.Decode(dec, line)
			if err != nil {
				return nil, fmt.Errorf("line %d is not base64 (base64: true): %v", n, err)
			}
			line = dec[:m:m]
		}
		out = append(out, line)
	}
	return out, nil
}

// maxBatch bounds the lines handed over at once.
const maxBatch = 1024

// minSleep is the shortest wait worth sleeping for; shorter intervals are
// paced by handing over several events per wake.
const minSleep = 200 * time.Microsecond

func (b *blaster) Read(ctx context.Context) (*sdk.Input, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := uint64(maxBatch)
	if b.interval > 0 {
		if b.start.IsZero() {
			b.start = time.Now()
		}
		// Events due by now; wait for the next one when none is.
		due := uint64(time.Since(b.start)/b.interval) + 1
		if due <= b.sent {
			wait := time.Until(b.start.Add(time.Duration(b.sent) * b.interval))
			if wait < minSleep {
				wait = minSleep
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
			due = uint64(time.Since(b.start)/b.interval) + 1
		}
		n = min(n, due-b.sent)
	}
	if b.limited {
		if b.sent >= b.iters {
			return nil, io.EOF
		}
		n = min(n, b.iters-b.sent)
	}
	batch := b.batch[:0]
	for range n {
		batch = append(batch, b.lines[b.next])
		b.next++
		if b.next == len(b.lines) {
			b.next = 0
		}
	}
	b.batch = batch
	b.sent += n
	return &sdk.Input{Frames: batch}, nil
}
