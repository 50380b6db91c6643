package sdk

import (
	"fmt"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/diag"
)

// Params is what a connector's constructor gets besides its config.
type Params struct {
	ID       string // artefact id, e.g. "metronome"
	Instance string // from the mapping, e.g. "01"
	URL      string // instance URL, e.g. "/onramp/metronome/01"
	// At positions the constructor's own checks of its config:
	// p.At.Errorf("url", "...").
	At conf.At
	// Preprocessors are the onramp's, for a source whose framing depends
	// on them.
	Preprocessors []string

	warn func(*diag.Diagnostic)
}

// Warn records a problem with the config that does not stop the
// connector from being built (e.g. a file that does not exist yet but
// may by the time it opens: p.Warn(p.At.Warnf("source", "..."))). The
// runtime logs it when the deployment loads (also under --validate).
func (p Params) Warn(d *diag.Diagnostic) {
	if p.warn != nil {
		p.warn(d)
	}
}

// Source is a PushSource or a PullSource.
type Source any

// SourceSpec declares an onramp kind with config struct C.
type SourceSpec[C any] struct {
	Name, Summary, Docs string
	Status              component.Status
	Alternative         string
	// DefaultCodec is used when the artefact names no codec.
	DefaultCodec string
	New          func(c *C, p Params) (Source, error)
}

// SinkSpec declares an offramp kind with config struct C.
type SinkSpec[C any] struct {
	Name, Summary, Docs string
	Status              component.Status
	Alternative         string
	DefaultCodec        string
	// What an ack means for this offramp, for the docs.
	Acks string
	New  func(c *C, p Params) (Sink, SinkOptions, error)
}

// impl is what the registry stores for a connector kind.
type impl struct {
	defaultCodec string
	build        func(cfg *conf.Node, p Params, o conf.Options) (any, SinkOptions, diag.List)
}

func newBuilder[C any, T any](schema *conf.Schema, fn func(c *C, p Params) (T, SinkOptions, error)) func(*conf.Node, Params, conf.Options) (any, SinkOptions, diag.List) {
	return func(cfg *conf.Node, p Params, o conf.Options) (any, SinkOptions, diag.List) {
		c := new(C)
		at, errs := schema.Decode(cfg, c, o)
		if errs.HasErrors() {
			return nil, SinkOptions{}, errs
		}
		p.At = at
		p.warn = func(d *diag.Diagnostic) { errs = append(errs, d) }
		v, so, err := fn(c, p)
		if err != nil {
			if d := diag.As(err); d != nil {
				return nil, SinkOptions{}, append(errs, d...)
			}
			return nil, SinkOptions{}, append(errs, at.Errorf("", "%v", err))
		}
		return v, so, errs
	}
}

func register(kind component.Kind, name, summary, docs string, st component.Status, alt, codec string, schema *conf.Schema, facts []component.Fact, im *impl) {
	if codec != "" {
		facts = append([]component.Fact{{Label: "Default codec", Value: "`" + codec + "`"}}, facts...)
	}
	component.Register(&component.Spec{Kind: kind, Name: name, Summary: summary, Docs: docs, Status: st, Alternative: alt,
		Config: schema, Facts: facts, Impl: im})
}

// RegisterSource registers an onramp kind; call it from init().
func RegisterSource[C any](s SourceSpec[C]) {
	schema := conf.MustSchemaOf(new(C))
	build := newBuilder(schema, func(c *C, p Params) (Source, SinkOptions, error) {
		if s.New == nil {
			return nil, SinkOptions{}, fmt.Errorf("onramp type %s is not supported", s.Name)
		}
		src, err := s.New(c, p)
		if err != nil {
			return nil, SinkOptions{}, err
		}
		switch src.(type) {
		case PushSource, PullSource:
		default:
			panic(fmt.Sprintf("sdk: onramp %s built a %T, which is neither a PushSource nor a PullSource", s.Name, src))
		}
		return src, SinkOptions{}, nil
	})
	register(component.Onramp, s.Name, s.Summary, s.Docs, s.Status, s.Alternative, s.DefaultCodec, schema, nil,
		&impl{defaultCodec: s.DefaultCodec, build: build})
}

// RegisterSink registers an offramp kind; call it from init().
func RegisterSink[C any](s SinkSpec[C]) {
	schema := conf.MustSchemaOf(new(C))
	build := newBuilder(schema, func(c *C, p Params) (Sink, SinkOptions, error) {
		if s.New == nil {
			return nil, SinkOptions{}, fmt.Errorf("offramp type %s is not supported", s.Name)
		}
		return s.New(c, p)
	})
	var facts []component.Fact
	if s.Acks != "" {
		facts = append(facts, component.Fact{Label: "An ack means", Value: s.Acks})
	}
	register(component.Offramp, s.Name, s.Summary, s.Docs, s.Status, s.Alternative, s.DefaultCodec, schema, facts,
		&impl{defaultCodec: s.DefaultCodec, build: build})
}

// Built is a connector made by New from its config, not yet opened.
type Built[T any] struct {
	Value        T
	DefaultCodec string
	// Options are a sink's runner options (zero for sources).
	Options SinkOptions
}

// BuildOptions say how to word and place config problems.
type BuildOptions struct {
	// Owner is the artefact, where a problem with an absent config
	// section is reported.
	Owner conf.Where
	Mode  conf.Mode
}

func build[T any](kind component.Kind, typ string, cfg *conf.Node, p Params, o BuildOptions) (Built[T], diag.List) {
	var zero Built[T]
	spec, err := component.Get(kind, typ)
	if err != nil {
		d := diag.Errorf("", o.Owner.Span, "%v", err)
		if h, ok := err.(interface{ Hint() string }); ok {
			d.Hint = h.Hint() // the alternative, or did-you-mean and the known types
		}
		if o.Owner.Src != nil {
			d.File, d.Src = o.Owner.Src.File, o.Owner.Src.Text
		}
		return zero, diag.List{d}
	}
	im := spec.Impl.(*impl)
	v, so, errs := im.build(cfg, p, conf.Options{What: fmt.Sprintf("%s `%s` config", kind, p.ID), Mode: o.Mode, Owner: o.Owner})
	if errs.HasErrors() {
		return zero, errs
	}
	return Built[T]{Value: v.(T), DefaultCodec: im.defaultCodec, Options: so}, errs
}

// NewSource runs the constructor of onramp type typ on its config (nil:
// the artefact has none). It opens nothing. The list holds every problem
// (and warnings in lenient mode).
func NewSource(typ string, cfg *conf.Node, p Params, o BuildOptions) (Built[Source], diag.List) {
	return build[Source](component.Onramp, typ, cfg, p, o)
}

// NewSink runs the constructor of offramp type typ on its config.
func NewSink(typ string, cfg *conf.Node, p Params, o BuildOptions) (Built[Sink], diag.List) {
	return build[Sink](component.Offramp, typ, cfg, p, o)
}

// Millis is a duration given in milliseconds, as Tremor's configs give
// them.
func Millis(ms uint64) time.Duration { return time.Duration(ms) * time.Millisecond }
