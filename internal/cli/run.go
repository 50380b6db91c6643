package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/compiler"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
	"github.com/temblor-dev/temblor/internal/processor"
)

// RunCmd runs a tremor-script file over events, as `tremor run` did.
type RunCmd struct {
	File          string   `arg:"" help:"The tremor-script file (.tremor) or trickle query (.trickle) to run." placeholder:"FILE"`
	In            string   `short:"i" help:"Read events from this file (- for stdin)." default:"-" placeholder:"IN"`
	Out           string   `short:"o" help:"Write what the script emits to this file (- for stdout)." default:"-" placeholder:"OUT"`
	Decoder       string   `short:"d" help:"Codec that decodes the input." default:"json"`
	Encoder       string   `short:"e" help:"Codec that encodes the output." default:"json"`
	Preprocessor  []string `help:"Preprocessors of the input, in order (repeatable)." default:"lines"`
	Postprocessor []string `help:"Postprocessors of the output, in order (repeatable)." default:"lines"`
	Ports         bool     `help:"Prefix each output with the port it was emitted on and a tab."`
	Deterministic bool     `help:"Set each event's ingest_ns (and what is derived from it, e.g. random::*) to its index in the input, as Tremor's test harness did, so runs are reproducible."`
	ModulePath    []string `help:"Directories where 'use' finds modules, before $TREMOR_PATH and the standard library (repeatable)." placeholder:"DIR"`
}

func (c *RunCmd) options() lang.Options {
	var mounts []compiler.Mount
	for _, d := range c.ModulePath {
		mounts = append(mounts, compiler.DirMount(d))
	}
	return lang.Options{ModulePath: append(mounts, lang.EnvModulePath()...)}
}

func renderAll(err error) string {
	if l := diag.As(err); len(l) > 0 {
		var b strings.Builder
		for _, d := range l {
			b.WriteString(strings.TrimRight(d.Render(), "\n") + "\n")
		}
		return strings.TrimRight(b.String(), "\n")
	}
	return err.Error()
}

// Run implements the command: compile errors exit with 2, runtime errors
// are shown as they happen (the other events still run) and exit with 1.
func (c *RunCmd) Run(g *Globals) error {
	if strings.HasSuffix(c.File, ".trickle") {
		return c.runQuery(g)
	}
	src, err := os.ReadFile(c.File)
	if err != nil {
		return &exitError{code: 2, msg: fmt.Sprintf("temblor run: %v", err)}
	}
	script, err := lang.Compile(c.File, string(src), c.options())
	if err != nil {
		return &exitError{code: 2, msg: renderAll(err)}
	}
	for _, w := range script.Warnings() {
		fmt.Fprintln(g.stderr, strings.TrimRight(w.Render(), "\n"))
	}
	dec, err := newCodec(c.Decoder)
	if err != nil {
		return err
	}
	enc, err := newCodec(c.Encoder)
	if err != nil {
		return err
	}
	pre, err := chain(processor.Pre, "preprocessor", c.Preprocessor)
	if err != nil {
		return err
	}
	post, err := chain(processor.Post, "postprocessor", c.Postprocessor)
	if err != nil {
		return err
	}
	in, closeIn, err := openIn(c.In)
	if err != nil {
		return err
	}
	defer closeIn()
	out, closeOut, err := openOut(c.Out, g.Stdout())
	if err != nil {
		return err
	}
	r := &runner{cmd: c, script: script, dec: dec, enc: enc, post: post, out: out, stderr: g.stderr}
	r.origin, _ = url.Parse("file://" + filepath.ToSlash(absOr(c.In)))
	if err := r.feed(in, pre); err != nil {
		closeOut()
		return err
	}
	if err := closeOut(); err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("temblor run: writing %s: %v", c.Out, err)}
	}
	if r.failed > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("temblor run: %d of %d events failed", r.failed, r.n)}
	}
	return nil
}

func absOr(p string) string {
	if p == "-" {
		return "stdin"
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func newCodec(name string) (codec.Codec, error) {
	spec, err := codec.Registry.Get(name)
	if err != nil {
		return nil, &exitError{code: 2, msg: "temblor run: " + err.Error()}
	}
	return spec.New(), nil
}

type procRegistry interface {
	Get(name string) (processor.Spec, error)
}

func chain(reg procRegistry, what string, names []string) (*processor.Chain, error) {
	var specs []processor.Spec
	for _, n := range names {
		s, err := reg.Get(n)
		if err != nil {
			return nil, &exitError{code: 2, msg: "temblor run: " + err.Error()}
		}
		specs = append(specs, s)
	}
	return processor.NewChain(specs), nil
}

func openIn(name string) (io.Reader, func(), error) {
	if name == "-" {
		return os.Stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, &exitError{code: 2, msg: fmt.Sprintf("temblor run: %v", err)}
	}
	return f, func() { f.Close() }, nil
}

func openOut(name string, stdout io.Writer) (io.Writer, func() error, error) {
	if name == "-" {
		w := bufio.NewWriter(stdout)
		return w, w.Flush, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, nil, &exitError{code: 2, msg: fmt.Sprintf("temblor run: %v", err)}
	}
	w := bufio.NewWriter(f)
	return w, func() error {
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}, nil
}

type runner struct {
	cmd       *RunCmd
	script    *lang.Script
	dec, enc  codec.Codec
	post      *processor.Chain
	out       io.Writer
	stderr    io.Writer
	origin    *url.URL
	state     event.Value
	n, failed int
	// query, when set, runs a trickle query on each event instead.
	query func(data event.Value, ingest uint64) error
}

// feed reads the input through the preprocessors and the decoder and runs
// the script on every event.
func (r *runner) feed(in io.Reader, pre *processor.Chain) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			frames, errs := pre.Process(processor.Frame{Data: append([]byte(nil), buf[:n]...), Meta: processor.Meta{IngestNS: r.now()}})
			r.report(errs)
			if err := r.frames(frames); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			frames, errs := pre.Finish(processor.Meta{IngestNS: r.now()})
			r.report(errs)
			return r.frames(frames)
		}
		if err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("temblor run: reading %s: %v", r.cmd.In, err)}
		}
	}
}

func (r *runner) now() uint64 {
	if r.cmd.Deterministic {
		return uint64(r.n)
	}
	return uint64(time.Now().UnixNano())
}

func (r *runner) report(errs []error) {
	for _, e := range errs {
		r.failed++
		fmt.Fprintf(r.stderr, "temblor run: input: %v\n", e)
	}
}

func (r *runner) frames(frames []processor.Frame) error {
	for _, f := range frames {
		ingest := f.Meta.IngestNS
		if r.cmd.Deterministic {
			ingest = uint64(r.n)
		}
		data, err := codec.Decode(r.dec, f.Data, ingest)
		if errors.Is(err, codec.ErrSkip) {
			continue
		}
		if err != nil {
			r.failed++
			r.n++
			fmt.Fprintf(r.stderr, "temblor run: decoding event %d: %v\n", r.n-1, err)
			continue
		}
		if r.query != nil {
			if err := r.query(data, ingest); err != nil {
				return err
			}
			continue
		}
		if err := r.event(data, ingest); err != nil {
			return err
		}
	}
	return nil
}

// event runs the script on one event and writes what it emits.
func (r *runner) event(data event.Value, ingest uint64) error {
	r.n++
	meta := event.Value(event.NewRecord(0))
	res, err := r.script.Run(lang.Env{Data: &data, Meta: &meta, State: &r.state,
		Ctx: &stdlib.Ctx{IngestNS: ingest, Origin: r.origin}})
	if err != nil {
		r.failed++
		fmt.Fprintln(r.stderr, renderAll(err))
		return nil
	}
	if res.Drop {
		return nil
	}
	v := res.Value
	if res.Event {
		v = data
	}
	port := res.Port
	if port == "" {
		port = "out"
	}
	b, err := r.enc.Encode(v)
	if err != nil {
		r.failed++
		fmt.Fprintf(r.stderr, "temblor run: encoding the result of event %d: %v\n", r.n-1, err)
		return nil
	}
	if r.cmd.Ports {
		b = append([]byte(port+"\t"), b...)
	}
	frames, errs := r.post.Process(processor.Frame{Data: b, Meta: processor.Meta{IngestNS: ingest, EgressNS: ingest}})
	r.report(errs)
	for _, f := range frames {
		if _, err := r.out.Write(f.Data); err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("temblor run: writing %s: %v", r.cmd.Out, err)}
		}
	}
	return nil
}
