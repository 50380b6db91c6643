// Package debug is the debug offramp: it counts events per
// classification (`$class`) and prints the counts every second.
package debug

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[struct{}]{
		Name:    "debug",
		Summary: "Counts events per classification (`$class`) and prints the counts to standard output every second",
		Docs: "Each event is counted under its metadata's `class` (set by a script, e.g. `let $class = \"error\"`), " +
			"or `<unclassified>`. When an event arrives more than a second after the last table, the table of the " +
			"counts since then is printed, as in Tremor 0.11:\n\n" +
			"```\n|classification      | total  |\n|TOTAL               |      42|\n|error               |      40|\n|<unclassified>      |       2|\n```\n\n" +
			"and the counts start again. The counts not printed yet are printed when the engine stops " +
			"(Tremor dropped them).",
		DefaultCodec: "json",
		Acks:         "counted",
		New: func(*struct{}, sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
			return &debug{out: os.Stdout, every: time.Second}, sdk.SinkOptions{NoEncode: true}, nil
		},
	})
}

type debug struct {
	out   io.Writer
	every time.Duration

	mu      sync.Mutex
	last    time.Time
	total   uint64
	classes []string // in order of first appearance
	counts  map[string]uint64
}

var (
	_ sdk.Sink         = (*debug)(nil)
	_ component.Opener = (*debug)(nil)
	_ component.Closer = (*debug)(nil)
)

func (d *debug) Open(context.Context, component.Env) error {
	d.last = time.Now()
	d.counts = map[string]uint64{}
	return nil
}

func (d *debug) Connect(context.Context) error { return nil }
func (d *debug) Disconnect() error             { return nil }

func class(meta event.Value) string {
	if rec, ok := meta.(*event.Record); ok {
		if c, ok := rec.Get("class"); ok {
			if s, ok := c.(string); ok {
				return s
			}
		}
	}
	return "<unclassified>"
}

func (d *debug) Write(_ context.Context, b *sdk.Batch) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range b.Messages {
		if time.Since(d.last) > d.every {
			d.last = time.Now()
			if err := d.printLocked(); err != nil {
				return err
			}
		}
		c := class(b.Messages[i].Meta)
		if _, ok := d.counts[c]; !ok {
			d.classes = append(d.classes, c)
		}
		d.counts[c]++
		d.total++
	}
	return nil
}

// printLocked prints the table and starts counting again.
func (d *debug) printLocked() error {
	w := bufio.NewWriter(d.out)
	fmt.Fprintf(w, "\n|%-20s| %-7s|\n|%-20s| %7d|\n", "classification", "total", "TOTAL", d.total)
	for _, c := range d.classes {
		fmt.Fprintf(w, "|%-20s| %7d|\n", c, d.counts[c])
	}
	d.total, d.classes = 0, d.classes[:0]
	clear(d.counts)
	return w.Flush()
}

// Close prints what was counted since the last table.
func (d *debug) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.total == 0 {
		return nil
	}
	return d.printLocked()
}
