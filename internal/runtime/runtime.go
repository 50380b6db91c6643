package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/config"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/compiler"
	"github.com/temblor-dev/temblor/internal/pipeline"
	"github.com/temblor-dev/temblor/internal/processor"
	"github.com/temblor-dev/temblor/internal/wal"
)

// Options configure a runtime.
type Options struct {
	// DataDir holds persistent state (WALs without `dir`). Created if missing.
	DataDir string
	Logger  *slog.Logger
	// Registry receives the components' metrics (nil: a private registry).
	Registry *prometheus.Registry
	// ShutdownTimeout bounds the graceful shutdown: sources stop, pipelines
	// drain, sinks finish or fail what is in flight (default 10s).
	ShutdownTimeout time.Duration
	// Pipeline tunes every pipeline instance.
	Pipeline pipeline.Options
	// Validate builds everything for checking only: no --data-dir is
	// created and no WAL is opened (a running engine may hold them).
	Validate bool
	// StrictConfig makes a field of an SDK connector's config that the
	// connector does not know an error (by default a warning, as Tremor
	// ignored such fields).
	StrictConfig bool
	// ModulePath is where `use` in a pipeline finds module files before
	// the standard library (--module-path, then $TREMOR_PATH).
	ModulePath []string
}

// onramp is one onramp instance.
type onramp struct {
	url, typ string
	r        *sdk.SourceRunner
	log      *slog.Logger
}

// offramp is one offramp instance.
type offramp struct {
	url, typ  string
	r         *sdk.SinkRunner
	log       *slog.Logger
	responses bool // linked: its out/err ports carry responses
}

// Runtime is a deployment's running graph.
type Runtime struct {
	opts      Options
	log       *slog.Logger
	sources   map[string]*onramp
	sinks     map[string]*offramp
	pipes     map[string]*pipeline.Pipeline
	srcOrder  []string
	sinkOrder []string
	pipeOrder []string
	// claims: resources that one operator instance alone may use (a WAL's
	// directory) → who claimed it first; pipeEdges: pipeline → pipeline
	// links, for the cycle check.
	claims    map[string]string
	pipeEdges map[string][]pipeEdge
	// stops carries the requests to stop the engine with an exit status
	// that components make (an exit offramp, a close_on_done onramp).
	stops chan stopRequest
}

// pipeEdge is a link from one pipeline instance's port to another's input.
type pipeEdge struct {
	port, to string
	pos      config.Pos
}

// Build parses the deployment's pipelines, instantiates every artefact that
// a mapped binding links, and connects them. Nothing runs until Run.
func Build(dep *config.Deployment, opts Options) (rt *Runtime, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 10 * time.Second
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.DataDir != "" && !opts.Validate {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("creating --data-dir: %w (give a writable directory with --data-dir or TEMBLOR_DATA_DIR)", err)
		}
	}
	r := &Runtime{opts: opts, log: opts.Logger,
		sources: map[string]*onramp{}, sinks: map[string]*offramp{}, pipes: map[string]*pipeline.Pipeline{},
		claims: map[string]string{}, pipeEdges: map[string][]pipeEdge{}, stops: make(chan stopRequest, 16)}
	defer func() {
		if err != nil {
			r.closeAll()
		}
	}()

	var mounts []compiler.Mount
	for _, d := range opts.ModulePath {
		mounts = append(mounts, compiler.DirMount(d))
	}
	mounts = append(mounts, lang.EnvModulePath()...)
	queries, err := parsePipelines(dep, lang.Options{ModulePath: mounts})
	if err != nil {
		return nil, err
	}
	bindings := map[string]*config.Binding{}
	for _, b := range dep.Bindings {
		bindings[b.ID] = b
	}
	onramps := map[string]*config.Onramp{}
	for _, o := range dep.Onramps {
		onramps[o.ID] = o
	}
	offramps := map[string]*config.Offramp{}
	for _, o := range dep.Offramps {
		offramps[o.ID] = o
	}
	var errs []error
	seen := map[string]bool{}
	for _, m := range dep.Mappings {
		b, ok := bindings[m.Binding]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: mapping names binding %q, which was not loaded", m.Pos, m.Binding))
			continue
		}
		params := map[string]string{}
		for k, v := range m.Params {
			params[k] = v
		}
		if _, ok := params["instance"]; !ok {
			params["instance"] = m.Instance
		}
		for _, l := range b.Links {
			if err := r.link(l, params, queries, onramps, offramps); err != nil && !seen[err.Error()] {
				seen[err.Error()] = true // an artefact shared by several links fails once
				errs = append(errs, err)
			}
		}
	}
	if err := r.checkCycles(); err != nil {
		errs = append(errs, err)
	}
	// Every pipeline's metrics port feeds the metrics pipeline, when the
	// deployment uses it (Tremor connected them all).
	for _, url := range r.pipeOrder {
		if !strings.HasPrefix(url, "/pipeline/"+config.MetricsPipeline+"/") {
			continue
		}
		for _, other := range r.pipeOrder {
			if other != url && r.pipes[other].MetricsInterval() > 0 {
				r.pipes[url].AddUpstream(r.pipes[other])
				if err := r.pipes[other].Connect("metrics", r.pipes[url]); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	for _, url := range r.pipeOrder {
		for _, up := range r.pipes[url].UnlinkedPorts() {
			r.log.Warn("a pipeline output port is linked to nothing: the events its query selects into it are discarded",
				"pipeline", url, "port", up[0], "at", up[1], "hint", "link it in a binding, e.g. "+url+"/"+up[0]+": [ \"/offramp/ID/{instance}/in\" ]")
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(r.sources) == 0 && len(r.sinks) == 0 && len(r.pipes) == 0 {
		return nil, errors.New("nothing to run: no mapping instantiates a binding; add a `mapping:` such as\n  mapping:\n    /binding/default/01:\n      instance: \"01\"")
	}
	return r, nil
}

func parsePipelines(dep *config.Deployment, opts lang.Options) (map[string]*lang.Query, error) {
	queries := map[string]*lang.Query{}
	var errs []error
	for _, p := range dep.Pipelines {
		src, err := p.Text, error(nil)
		if src == nil {
			src, err = os.ReadFile(p.File)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("reading pipeline %s: %w", p.File, err))
			continue
		}
		q, err := lang.ParseQuery(p.File, src, opts)
		if err != nil {
			errs = append(errs, prettyLangError(err))
			continue
		}
		queries[p.ID] = q
	}
	for id, text := range config.BuiltinPipelines {
		if _, defined := queries[id]; defined {
			continue
		}
		q, err := lang.ParseQuery("<"+id+">", []byte(text), opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		queries[id] = q
	}
	return queries, errors.Join(errs...)
}

func (r *Runtime) link(l config.Link, params map[string]string, queries map[string]*lang.Query,
	onramps map[string]*config.Onramp, offramps map[string]*config.Offramp) error {
	from, err := l.From.Substitute(params)
	if err != nil {
		return fmt.Errorf("%s: %w", l.Pos, err)
	}
	for _, t := range l.To {
		to, err := t.Substitute(params)
		if err != nil {
			return fmt.Errorf("%s: %w", t.Pos, err)
		}
		if err := r.connect(from, to, queries, onramps, offramps); err != nil {
			var ae *artefactError
			if errors.As(err, &ae) {
				return ae.err // about the artefact itself, positioned there
			}
			return fmt.Errorf("%s: link %s -> %s: %w", l.Pos, from.Raw, to.Raw, err)
		}
		if from.Kind == "pipeline" && to.Kind == "pipeline" {
			pos := t.Pos
			if pos.Line == 0 {
				pos = l.Pos
			}
			fu := instanceURL(from)
			r.pipeEdges[fu] = append(r.pipeEdges[fu], pipeEdge{port: from.Port, to: instanceURL(to), pos: pos})
		}
	}
	return nil
}

func instanceURL(u config.PortURL) string {
	return "/" + u.Kind + "/" + u.ID + "/" + u.Instance
}

func (r *Runtime) connect(from, to config.PortURL, queries map[string]*lang.Query,
	onramps map[string]*config.Onramp, offramps map[string]*config.Offramp) error {
	switch from.Kind {
	case "onramp":
		if from.Port != "out" && from.Port != "err" {
			return fmt.Errorf("an onramp's ports are `out` and `err`, not %q", from.Port)
		}
		src, err := r.source(from, onramps)
		if err != nil {
			return err
		}
		if to.Kind != "pipeline" {
			return fmt.Errorf("an onramp links to pipelines only, not to %s", to.Kind)
		}
		p, err := r.pipeline(to, queries)
		if err != nil {
			return err
		}
		if to.Port != "in" {
			return fmt.Errorf("a pipeline's input port is `in`, not %q", to.Port)
		}
		src.r.Link(from.Port, p)
		p.AddUpstream(src.r)
		return nil
	case "pipeline":
		p, err := r.pipeline(from, queries)
		if err != nil {
			return err
		}
		if !p.HasOutput(from.Port) {
			// Tremor 0.11 accepted a link from any port name of a pipeline
			// (its benchmarks link `/pipeline/main/01/error`); nothing ever
			// flows on a port the query does not write to. Say so instead of
			// refusing the deployment.
			ports := p.Ports()
			attrs := []any{"link", instanceURL(from) + "/" + from.Port + " -> " + instanceURL(to) + "/" + to.Port,
				"ports", strings.Join(ports, ", ")}
			if c := diag.Closest(from.Port, ports); c != "" {
				attrs = append(attrs, "hint", "did you mean `"+c+"`?")
			}
			r.log.Warn("a pipeline has no output port of this name: nothing will flow on this link", attrs...)
			return nil
		}
		switch to.Kind {
		case "offramp":
			if to.Port != "in" {
				// Tremor 0.11 delivered to an offramp whatever the port of
				// the link said (a sink ignores it), so such deployments
				// work; say that the name means nothing.
				r.log.Warn("an offramp's input port is `in`: this link delivers to it as `in`, as Tremor did; name the port `in`",
					"link", instanceURL(from)+"/"+from.Port+" -> "+instanceURL(to)+"/"+to.Port)
			}
			s, err := r.sink(to, offramps)
			if err != nil {
				return err
			}
			s.r.AddUpstream(p)
			return p.Connect(from.Port, s.r)
		case "pipeline":
			next, err := r.pipeline(to, queries)
			if err != nil {
				return err
			}
			if to.Port != "in" {
				return fmt.Errorf("a pipeline's input port is `in`, not %q", to.Port)
			}
			next.AddUpstream(p)
			return p.Connect(from.Port, next)
		case "onramp":
			o, ok := onramps[to.ID]
			if !ok {
				return fmt.Errorf("onramp %q was not loaded", to.ID)
			}
			if !o.Linked {
				return fmt.Errorf("onramp %q is not linked: set `linked: true` on it (%s) to send replies to its `in` port", to.ID, o.Pos)
			}
			if to.Port != "in" {
				return fmt.Errorf("a linked onramp takes replies at `in`, not %q", to.Port)
			}
			s, err := r.source(to, onramps)
			if err != nil {
				return err
			}
			return p.Connect(from.Port, replyOutput{url: s.url + "/in", t: s.r.ReplyTarget()})
		}
		return fmt.Errorf("a pipeline links to offramps, pipelines or linked onramps, not to %s", to.Kind)
	case "offramp":
		o, ok := offramps[from.ID]
		if !ok {
			return fmt.Errorf("offramp %q was not loaded", from.ID)
		}
		if from.Port != "out" && from.Port != "err" {
			return fmt.Errorf("a linked offramp's responses leave by `out` and its errors by `err`, not %q", from.Port)
		}
		if to.Kind != "pipeline" {
			return fmt.Errorf("an offramp's responses go to pipelines only, not to %s", to.Kind)
		}
		s, err := r.sink(from, offramps)
		if err != nil {
			return err
		}
		if !s.responses {
			return fmt.Errorf("offramp %q is not linked: set `linked: true` on it (%s) to take its responses from `%s`", from.ID, o.Pos, from.Port)
		}
		p, err := r.pipeline(to, queries)
		if err != nil {
			return err
		}
		if to.Port != "in" {
			return fmt.Errorf("a pipeline's input port is `in`, not %q", to.Port)
		}
		s.r.Link(from.Port, responsesTo{p})
		return nil
	}
	return fmt.Errorf("links start at an onramp, an offramp or a pipeline, not at %s", from.Kind)
}

// buildOptions says how to read a connector's config section.
func (r *Runtime) buildOptions(a *config.Artefact) sdk.BuildOptions {
	return sdk.BuildOptions{Owner: a.Owner, Mode: r.confMode()}
}

// warn logs the warnings of a connector's config (lenient mode).
func (r *Runtime) warn(url string, ds []error) {
	for _, d := range ds {
		r.log.Warn("config: "+d.Error(), "artefact", url)
	}
}

func (r *Runtime) source(u config.PortURL, onramps map[string]*config.Onramp) (*onramp, error) {
	url := instanceURL(u)
	if s, ok := r.sources[url]; ok {
		return s, nil
	}
	o, ok := onramps[u.ID]
	if !ok {
		return nil, fmt.Errorf("onramp %q was not loaded", u.ID)
	}
	built, diags := sdk.NewSource(o.Type, o.Config, sdk.Params{ID: o.ID, Instance: u.Instance, URL: url, Preprocessors: o.Preprocessors},
		r.buildOptions(&o.Artefact))
	if diags.HasErrors() {
		return nil, &artefactError{diags}
	}
	r.warn(url, diags.Unwrap())
	codecName := o.Codec
	if codecName == "" {
		codecName = built.DefaultCodec
	}
	c, err := newCodec(codecName, "json", o.Pos)
	if err != nil {
		return nil, err
	}
	pre, err := processorSpecs(processor.Pre, o.Preprocessors, o.Pos)
	if err != nil {
		return nil, err
	}
	m, err := mimeMap(&o.Artefact)
	if err != nil {
		return nil, err
	}
	sr := sdk.NewSourceRunner(url, o.Type, built.Value, c, pre)
	sr.SetCodecMap(m)
	if o.Linked {
		post, err := processorSpecs(processor.Post, o.Postprocessors, o.Pos)
		if err != nil {
			return nil, err
		}
		if err := sr.EnableReplies(codecName, m, post); err != nil {
			return nil, &artefactError{fmt.Errorf("%s: %w", o.Pos, err)}
		}
	}
	s := &onramp{url: url, typ: o.Type, log: r.log.With("onramp", url), r: sr}
	r.sources[url] = s
	r.srcOrder = append(r.srcOrder, url)
	return s, nil
}

func (r *Runtime) sink(u config.PortURL, offramps map[string]*config.Offramp) (*offramp, error) {
	url := instanceURL(u)
	if s, ok := r.sinks[url]; ok {
		return s, nil
	}
	o, ok := offramps[u.ID]
	if !ok && config.BuiltinOfframps[u.ID] != "" {
		o, ok = &config.Offramp{Artefact: config.Artefact{ID: u.ID, Type: config.BuiltinOfframps[u.ID]}}, true
	}
	if !ok {
		return nil, fmt.Errorf("offramp %q was not loaded", u.ID)
	}
	built, diags := sdk.NewSink(o.Type, o.Config, sdk.Params{ID: o.ID, Instance: u.Instance, URL: url}, r.buildOptions(&o.Artefact))
	if diags.HasErrors() {
		return nil, &artefactError{diags}
	}
	r.warn(url, diags.Unwrap())
	codecName := o.Codec
	if codecName == "" {
		codecName = built.DefaultCodec
	}
	c, err := newCodec(codecName, "json", o.Pos)
	if err != nil {
		return nil, err
	}
	post, err := processorSpecs(processor.Post, o.Postprocessors, o.Pos)
	if err != nil {
		return nil, err
	}
	m, err := mimeMap(&o.Artefact)
	if err != nil {
		return nil, err
	}
	sr := sdk.NewSinkRunner(url, o.Type, built.Value, c, post, built.Options)
	sr.SetCodecMap(codecName, m, post)
	s := &offramp{url: url, typ: o.Type, log: r.log.With("offramp", url), r: sr}
	if _, replies := built.Value.(sdk.Replying); replies && o.Linked {
		// Its results are events already (Control.Reply): the links from
		// `out`/`err` only need the pipelines (SinkRunner.Link).
		s.responses = true
	} else if _, always := built.Value.(sdk.AlwaysResponds); o.Linked || always {
		pre, err := processorSpecs(processor.Pre, o.Preprocessors, o.Pos)
		if err != nil {
			return nil, err
		}
		if err := sr.EnableResponses(codecName, m, pre); err != nil {
			return nil, &artefactError{fmt.Errorf("%s: %w", o.Pos, err)}
		}
		s.responses = true
	}
	s.r.OnStop(func(code int, reason string) {
		r.requestStop(stopRequest{who: "offramp " + url, code: code, reason: reason})
	})
	r.sinks[url] = s
	r.sinkOrder = append(r.sinkOrder, url)
	return s, nil
}

// requestStop asks the engine to stop gracefully; it never blocks.
func (r *Runtime) requestStop(req stopRequest) {
	select {
	case r.stops <- req:
	default: // a stop is on its way already
	}
}

func (r *Runtime) pipeline(u config.PortURL, queries map[string]*lang.Query) (*pipeline.Pipeline, error) {
	url := instanceURL(u)
	if p, ok := r.pipes[url]; ok {
		return p, nil
	}
	q, ok := queries[u.ID]
	if !ok {
		var known []string
		for id := range queries {
			known = append(known, id)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("pipeline %q was not loaded (loaded: %s)", u.ID, strings.Join(known, ", "))
	}
	p, err := pipeline.Build(q, url, pipeline.BuildEnv{Claim: r.claim, DataDir: r.opts.DataDir, Logger: r.log, Metrics: r.opts.Registry, Options: r.opts.Pipeline, Validate: r.opts.Validate})
	if err != nil {
		return nil, &artefactError{prettyLangError(err)}
	}
	r.pipes[url] = p
	r.pipeOrder = append(r.pipeOrder, url)
	return p, nil
}

func newCodec(name, def string, pos config.Pos) (codec.Codec, error) {
	if name == "" {
		name = def
	}
	if name == "" {
		name = "json"
	}
	if _, err := component.Get(component.Codec, name); err != nil {
		return nil, fmt.Errorf("%s: %w", pos, err)
	}
	spec, err := codec.Registry.Get(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pos, err)
	}
	return spec.New(), nil
}

func processorSpecs(t interface {
	Get(string) (processor.Spec, error)
}, names []string, pos config.Pos) ([]processor.Spec, error) {
	specs := make([]processor.Spec, 0, len(names))
	for _, n := range names {
		s, err := t.Get(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pos, err)
		}
		specs = append(specs, s)
	}
	return specs, nil
}

// Pipelines lists the pipeline instance URLs, for tests and logs.
func (r *Runtime) Pipelines() []string { return append([]string(nil), r.pipeOrder...) }

// open opens every onramp, then every offramp, before anything runs: an
// onramp binds its port here, so a taken port fails the start, not the
// run, and an offramp connecting to a server of the same deployment (a
// linked transport, a chain) finds it. On a failure it closes what it
// opened.
func (r *Runtime) open(ctx context.Context) error {
	var opened []func() error
	fail := func(err error) error {
		for i := len(opened) - 1; i >= 0; i-- {
			_ = opened[i]()
		}
		return err
	}
	for _, url := range r.srcOrder {
		s := r.sources[url]
		if err := s.r.Open(ctx, r.env(url, s.log)); err != nil {
			_ = s.r.Close()
			return fail(fmt.Errorf("opening onramp %s: %w", url, err))
		}
		opened = append(opened, s.r.Close)
	}
	for _, url := range r.sinkOrder {
		s := r.sinks[url]
		if err := s.r.Open(ctx, r.env(url, s.log)); err != nil {
			_ = s.r.Close()
			return fail(fmt.Errorf("opening offramp %s: %w", url, err))
		}
		opened = append(opened, s.r.Close)
	}
	return nil
}

// Run opens and starts everything and runs until ctx is cancelled, a
// component fails, or one asks the engine to stop; then it shuts down
// gracefully within Options.ShutdownTimeout: sources stop first, pipelines
// process what they hold, sinks finish or fail what is in flight (so acks
// still reach the WALs), and finally pipelines close their operators. A
// component that asked to stop with a non-zero exit status makes Run
// return an *ExitError.
func (r *Runtime) Run(ctx context.Context) error {
	if err := r.open(ctx); err != nil {
		r.closeAll()
		return err
	}
	defer r.closeConnectors()
	sinkCtx, cancelSinks := context.WithCancel(context.Background())
	defer cancelSinks()
	pipeCtx, cancelPipes := context.WithCancel(context.Background())
	defer cancelPipes()
	srcCtx, cancelSrcs := context.WithCancel(ctx)
	defer cancelSrcs()

	fatal := make(chan error, len(r.sinks)+len(r.sources)+len(r.pipes)+1)
	var sinkWG, pipeWG, srcWG sync.WaitGroup
	for _, url := range r.sinkOrder {
		s := r.sinks[url]
		sinkWG.Add(1)
		go func() {
			defer sinkWG.Done()
			if err := s.r.Run(sinkCtx); err != nil && sinkCtx.Err() == nil {
				fatal <- fmt.Errorf("offramp %s stopped: %w", s.url, err)
			}
		}()
	}
	for _, url := range r.pipeOrder {
		p := r.pipes[url]
		pipeWG.Add(1)
		go func() {
			defer pipeWG.Done()
			if err := p.Run(pipeCtx); err != nil {
				fatal <- fmt.Errorf("pipeline %s stopped: %w", p.URL(), err)
			}
		}()
	}
	for _, url := range r.srcOrder {
		s := r.sources[url]
		srcWG.Add(1)
		go func() {
			defer srcWG.Done()
			err := s.r.Run(srcCtx)
			defer s.log.Info("onramp stopped", "events", s.r.Taken())
			if code, stop := sdk.StopCode(err); stop {
				reason := "finished its input (close_on_done)"
				var se *sdk.StopError
				if errors.As(err, &se) {
					reason = se.Reason
				}
				s.log.Info("onramp asks the engine to stop", "code", code, "reason", reason)
				r.requestStop(stopRequest{who: "onramp " + s.url, code: code, reason: reason})
				return
			}
			if err != nil && srcCtx.Err() == nil {
				fatal <- fmt.Errorf("onramp %s stopped: %w", s.url, err)
				return
			}
			if srcCtx.Err() == nil {
				s.log.Info("onramp finished its input")
			}
		}()
	}
	r.log.Info("running", "onramps", len(r.sources), "pipelines", len(r.pipes), "offramps", len(r.sinks))
	var orphanWG sync.WaitGroup
	if r.opts.DataDir != "" {
		orphanWG.Add(1)
		go func() {
			defer orphanWG.Done()
			r.warnOrphanWALs(srcCtx)
		}()
	}
	defer orphanWG.Wait()

	var runErr error
	drain := false
	select {
	case <-ctx.Done():
		r.log.Info("shutting down: stopping onramps, draining pipelines and offramps", "timeout", r.opts.ShutdownTimeout.String())
	case runErr = <-fatal:
		r.log.Error("shutting down after a failure", "err", runErr)
	case req := <-r.stops:
		r.log.Info("shutting down: a component asked the engine to stop; delivering what the WALs hold first",
			"by", req.who, "code", req.code, "reason", req.reason)
		drain = true
		if req.code != 0 {
			runErr = &ExitError{Code: req.code, Who: req.who, Reason: req.reason}
		}
	}

	deadline, cancelDeadline := context.WithTimeout(context.Background(), r.opts.ShutdownTimeout)
	defer cancelDeadline()
	cancelSrcs()
	waitOrDeadline(deadline, &srcWG)
	if drain {
		// A one-off job: deliver everything before stopping, as long as
		// delivery makes progress. First let the pipelines store what the
		// sources handed them.
		for _, url := range r.pipeOrder {
			if err := r.pipes[url].Sync(deadline); err != nil {
				r.log.Warn("pipeline did not take its input in time", "pipeline", url, "err", err)
			}
		}
		r.drainWALs()
		// The drain may take longer than the shutdown timeout while it
		// progresses; the rest of the shutdown gets a timeout of its own.
		rest, cancelRest := context.WithTimeout(context.Background(), r.opts.ShutdownTimeout)
		defer cancelRest()
		deadline = rest
	}
	for _, url := range r.pipeOrder {
		if err := r.pipes[url].Quiesce(deadline); err != nil {
			r.log.Warn("pipeline did not drain in time", "pipeline", url, "err", err)
		}
	}
	for _, url := range r.sinkOrder {
		r.sinks[url].r.CloseInput()
	}
	if !waitOrDeadline(deadline, &sinkWG) {
		r.log.Warn("offramps did not finish in time; failing what they hold")
		cancelSinks()
		sinkWG.Wait()
	}
	cancelPipes()
	pipeWG.Wait()
	cancelSinks()
	if !waitOrDeadline(deadline, &srcWG) {
		r.log.Warn("some onramps ignored cancellation")
	}
	r.log.Info("stopped")
	return runErr
}

// warnOrphanWALs looks under <data-dir>/wal for WALs that no qos::wal of
// this deployment opened (their pipeline, instance or operator was renamed
// or removed) and that still hold unacknowledged events: those events are
// not delivered by anyone, so say where they are. The WALs in use are
// locked and skipped.
func (r *Runtime) warnOrphanWALs(ctx context.Context) {
	for _, dir := range wal.FindDirs(filepath.Join(r.opts.DataDir, "wal")) {
		if ctx.Err() != nil {
			return
		}
		rep, err := wal.InspectDir(dir, func(*wal.Report, string, wal.Record) error { return ctx.Err() })
		if err != nil {
			if errors.Is(err, wal.ErrLocked) || ctx.Err() != nil {
				continue // in use, by this engine or another
			}
			r.log.Warn("cannot inspect a WAL directory that no qos::wal of this deployment uses", "dir", dir, "err", err)
			continue
		}
		if rep.Unacked > 0 {
			r.log.Warn("a WAL that no qos::wal of this deployment uses holds undelivered events",
				"dir", dir, "events", rep.Unacked,
				"hint", "restore the pipeline, instance and operator names that wrote it to deliver them, or read them with `temblor wal export --events "+dir+"`")
		}
	}
}

// drainWALs waits, with the sources stopped and the pipelines still
// running, until no WAL holds an event, or until delivery has made no
// progress for the shutdown timeout (a sink that stays down): what is left
// stays stored and is delivered at the next start.
func (r *Runtime) drainWALs() {
	backlog := func() uint64 {
		var n uint64
		for _, p := range r.pipes {
			n += p.Backlog()
		}
		return n
	}
	last, since := backlog(), time.Now()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for last > 0 {
		<-t.C
		n := backlog()
		if n < last {
			since = time.Now()
		}
		last = n
		if time.Since(since) >= r.opts.ShutdownTimeout {
			r.log.Warn("WALs did not drain: delivery made no progress; the rest stays stored and is delivered at the next start",
				"events", n, "waited", r.opts.ShutdownTimeout.String())
			return
		}
	}
	r.log.Info("WALs drained: every stored event was delivered")
}

func waitOrDeadline(ctx context.Context, wg *sync.WaitGroup) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// Close releases what Build constructed (open WALs hold directory locks)
// for a runtime that will not Run.
func (r *Runtime) Close() { r.closeAll() }

// closeAll releases what Build constructed when Build fails (open WALs hold
// directory locks).
func (r *Runtime) closeAll() {
	for _, p := range r.pipes {
		p.Close()
	}
}

// closeConnectors closes every onramp and offramp after a run.
func (r *Runtime) closeConnectors() {
	for _, url := range r.srcOrder {
		if err := r.sources[url].r.Close(); err != nil {
			r.log.Warn("closing onramp failed", "onramp", url, "err", err)
		}
	}
	for _, url := range r.sinkOrder {
		if err := r.sinks[url].r.Close(); err != nil {
			r.log.Warn("closing offramp failed", "offramp", url, "err", err)
		}
	}
}
