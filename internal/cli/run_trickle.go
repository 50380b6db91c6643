package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/pipeline"
	"github.com/temblor-dev/temblor/internal/processor"
)

// runQuery runs a .trickle query: the events enter its `in` port, one at
// a time (each fully processed before the next), and what every output
// port emits is written in emission order. With --deterministic there
// are no ticks: time windows close on events only.
func (c *RunCmd) runQuery(g *Globals) error {
	src, err := os.ReadFile(c.File)
	if err != nil {
		return &exitError{code: 2, msg: fmt.Sprintf("temblor run: %v", err)}
	}
	q, err := lang.ParseQuery(c.File, src, c.options())
	if err != nil {
		return &exitError{code: 2, msg: renderAll(err)}
	}
	dataDir, err := os.MkdirTemp("", "temblor-run-")
	if err != nil {
		return &exitError{code: 2, msg: fmt.Sprintf("temblor run: %v", err)}
	}
	defer os.RemoveAll(dataDir)
	log := slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := pipeline.Options{NoTicks: c.Deterministic, Logger: log}
	p, err := pipeline.Build(q, "/pipeline/run/01", pipeline.BuildEnv{DataDir: dataDir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Options: opts})
	if err != nil {
		return &exitError{code: 2, msg: renderAll(err)}
	}
	for _, w := range p.Warnings() {
		fmt.Fprintln(g.stderr, strings.TrimRight(w.Render(), "\n"))
	}
	dec, err := newCodec(c.Decoder)
	if err != nil {
		p.Close()
		return err
	}
	enc, err := newCodec(c.Encoder)
	if err != nil {
		p.Close()
		return err
	}
	pre, err := chain(processor.Pre, "preprocessor", c.Preprocessor)
	if err != nil {
		p.Close()
		return err
	}
	post, err := chain(processor.Post, "postprocessor", c.Postprocessor)
	if err != nil {
		p.Close()
		return err
	}
	in, closeIn, err := openIn(c.In)
	if err != nil {
		p.Close()
		return err
	}
	defer closeIn()
	out, closeOut, err := openOut(c.Out, g.Stdout())
	if err != nil {
		p.Close()
		return err
	}
	w := &portWriter{enc: enc, post: post, out: out, ports: c.Ports, stderr: g.stderr}
	for _, port := range p.Ports() {
		if err := p.Connect(port, &runOutput{w: w, port: port}); err != nil {
			p.Close()
			closeOut()
			return err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	r := &runner{cmd: c, dec: dec, stderr: g.stderr}
	r.query = func(data event.Value, ingest uint64) error {
		ev := &event.Event{ID: event.One(runSource, 0, uint64(r.n)), IngestNS: ingest, Data: data, Meta: event.NewRecord(0)}
		r.n++
		if err := p.Send(ctx, event.BatchOf(ev), nil); err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("temblor run: %v", err)}
		}
		return p.Sync(ctx)
	}
	ferr := r.feed(in, pre)
	cancel()
	<-done
	if ferr != nil {
		closeOut()
		return ferr
	}
	if err := closeOut(); err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("temblor run: writing %s: %v", c.Out, err)}
	}
	if w.err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("temblor run: writing %s: %v", c.Out, w.err)}
	}
	if failed := r.failed + w.failed; failed > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("temblor run: %d of %d events failed", failed, r.n)}
	}
	return nil
}

var runSource = event.NewSourceID()

// portWriter writes what the query's ports emit, in order.
type portWriter struct {
	mu     sync.Mutex
	enc    codec.Codec
	post   *processor.Chain
	out    io.Writer
	ports  bool
	stderr io.Writer
	failed int // events that reached the err port
	err    error
}

type runOutput struct {
	w    *portWriter
	port string
}

func (o *runOutput) Name() string { return "temblor run output " + o.port }

func (o *runOutput) Send(_ context.Context, b *event.Batch, _ pipeline.Upstream) error {
	w := o.w
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range b.Events {
		ev := &b.Events[i]
		if o.port == "err" {
			w.failed++
		}
		for _, v := range ev.BatchValues() {
			w.write(o.port, v, ev.IngestNS)
		}
	}
	return nil
}

func (w *portWriter) write(port string, v event.Value, ingest uint64) {
	b, err := w.enc.Encode(v)
	if err != nil {
		fmt.Fprintf(w.stderr, "temblor run: encoding an event of port %s: %v\n", port, err)
		w.failed++
		return
	}
	if w.ports {
		b = append([]byte(port+"\t"), b...)
	}
	frames, errs := w.post.Process(processor.Frame{Data: b, Meta: processor.Meta{IngestNS: ingest, EgressNS: ingest}})
	for _, e := range errs {
		fmt.Fprintf(w.stderr, "temblor run: output: %v\n", e)
		w.failed++
	}
	for _, f := range frames {
		if _, err := w.out.Write(f.Data); err != nil && w.err == nil {
			w.err = err
		}
	}
}
