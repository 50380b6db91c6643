package tremorbench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/pipeline"
	"github.com/temblor-dev/temblor/internal/processor"

	_ "github.com/temblor-dev/temblor/internal/builtin"
	_ "github.com/temblor-dev/temblor/internal/pipeline/op"
)

// artefact is an onramp or offramp of a Tremor deployment file.
type artefact struct {
	kind           component.Kind
	id, typ, codec string
	pre, post      []string
	config         *conf.Node // nil: none
	owner          conf.Where
	linked         bool
}

// deployment is what a set of Tremor files declares.
type deployment struct {
	artefacts map[string]*artefact // by kind/id
	links     [][2]string          // from, to (with {var} unreplaced)
	mapping   map[string]string    // variable -> value, of the one mapped binding
	pipelines map[string]string    // id -> trickle file
}

// loadFiles reads Tremor YAML artefact files and trickle files.
func loadFiles(files []string) (*deployment, error) {
	d := &deployment{artefacts: map[string]*artefact{}, mapping: map[string]string{}, pipelines: map[string]string{}}
	for _, f := range files {
		if strings.HasSuffix(f, ".trickle") {
			d.pipelines[strings.TrimSuffix(filepath.Base(f), ".trickle")] = f
			continue
		}
		text, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(text, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		src := &conf.Source{File: f, Text: text}
		root := conf.FromYAML(src, doc.Content[0])
		for _, e := range root.Entries {
			switch e.Key {
			case "onramp", "offramp":
				kind := component.Onramp
				if e.Key == "offramp" {
					kind = component.Offramp
				}
				for _, item := range e.Value.Items {
					a := &artefact{kind: kind, owner: conf.Where{Src: src, Span: item.Span}}
					str := func(k string) string {
						if n, ok := item.Get(k); ok {
							s, _ := n.Value.(string)
							return s
						}
						return ""
					}
					list := func(k string) []string {
						var out []string
						if n, ok := item.Get(k); ok {
							for _, it := range n.Items {
								s, _ := it.Value.(string)
								out = append(out, s)
							}
						}
						return out
					}
					a.id, a.typ, a.codec = str("id"), str("type"), str("codec")
					a.pre, a.post = list("preprocessors"), list("postprocessors")
					if n, ok := item.Get("linked"); ok {
						a.linked, _ = n.Value.(bool)
					}
					if n, ok := item.Get("config"); ok {
						a.config = n
					}
					d.artefacts[string(kind)+"/"+a.id] = a
				}
			case "binding":
				for _, b := range e.Value.Items {
					links, _ := b.Get("links")
					if links == nil {
						continue
					}
					for _, l := range links.Entries {
						for _, to := range l.Value.Items {
							s, _ := to.Value.(string)
							d.links = append(d.links, [2]string{l.Key, s})
						}
					}
				}
			case "mapping":
				for _, m := range e.Value.Entries {
					for _, v := range m.Value.Entries {
						s, _ := v.Value.Value.(string)
						d.mapping[v.Key] = s
					}
				}
			}
		}
	}
	return d, nil
}

// url is a parsed port URL: /kind/id/instance/port.
type url struct{ kind, id, instance, port string }

func (d *deployment) parse(raw string) (url, error) {
	for k, v := range d.mapping {
		raw = strings.ReplaceAll(raw, "{"+k+"}", v)
	}
	parts := strings.Split(strings.TrimPrefix(raw, "/"), "/")
	if len(parts) != 4 {
		return url{}, fmt.Errorf("link URL %q is not /kind/id/instance/port", raw)
	}
	return url{parts[0], parts[1], parts[2], parts[3]}, nil
}

// loadResult says what of a deployment loads with temblor's components.
type loadResult struct {
	problems []string // each: where and what
	warnings []string
	types    []string // connector types used
}

func (r *loadResult) add(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// load builds every connector (New only: nothing is opened) and compiles
// every pipeline, in lenient mode (as a deployment is loaded by default).
func (d *deployment) load() *loadResult {
	r := &loadResult{}
	keys := make([]string, 0, len(d.artefacts))
	for k := range d.artefacts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := d.artefacts[k]
		r.types = append(r.types, string(a.kind)+" "+a.typ)
		p := sdk.Params{ID: a.id, Instance: "01", URL: "/" + string(a.kind) + "/" + a.id + "/01", Preprocessors: a.pre}
		var errs diag.List
		var def string
		if a.kind == component.Onramp {
			var b sdk.Built[sdk.Source]
			b, errs = sdk.NewSource(a.typ, a.config, p, sdk.BuildOptions{Owner: a.owner, Mode: conf.Lenient})
			def = b.DefaultCodec
		} else {
			var b sdk.Built[sdk.Sink]
			b, errs = sdk.NewSink(a.typ, a.config, p, sdk.BuildOptions{Owner: a.owner, Mode: conf.Lenient})
			def = b.DefaultCodec
		}
		for _, e := range errs {
			if e.Severity == diag.Warning {
				r.warnings = append(r.warnings, e.Error())
			} else {
				r.add("%s", firstLine(e.Error()))
			}
		}
		name := a.codec
		if name == "" {
			name = def
		}
		if name != "" {
			if _, err := codec.Registry.Get(name); err != nil {
				r.add("%s %s: codec: %v", a.kind, a.id, err)
			}
		}
		for _, pp := range a.pre {
			if _, err := processor.Pre.Get(pp); err != nil {
				r.add("%s %s: preprocessor: %v", a.kind, a.id, err)
			}
		}
		for _, pp := range a.post {
			if _, err := processor.Post.Get(pp); err != nil {
				r.add("%s %s: postprocessor: %v", a.kind, a.id, err)
			}
		}
	}
	for _, l := range d.links {
		for _, raw := range l {
			u, err := d.parse(raw)
			if err != nil {
				r.add("%v", err)
				continue
			}
			switch u.kind {
			case "pipeline":
				if _, ok := d.pipelines[u.id]; !ok {
					r.add("link %s: pipeline %s is not in the deployment (%s)", raw, u.id, builtinPipeline(u.id))
				}
			case "onramp", "offramp":
				if _, ok := d.artefacts[u.kind+"/"+u.id]; !ok {
					r.add("link %s: no %s %s", raw, u.kind, u.id)
				}
			default:
				r.add("link %s: unknown kind %s", raw, u.kind)
			}
		}
	}
	names := make([]string, 0, len(d.pipelines))
	for id := range d.pipelines {
		names = append(names, id)
	}
	sort.Strings(names)
	for _, id := range names {
		p, err := d.buildPipeline(id, true)
		if err != nil {
			r.add("pipeline %s: %s", id, firstLine(err.Error()))
			continue
		}
		p.Close()
	}
	return r
}

func builtinPipeline(id string) string {
	if strings.HasPrefix(id, "system::") {
		return "Tremor's built-in " + id + " pipeline"
	}
	return "no such trickle file"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func (d *deployment) buildPipeline(id string, validate bool) (*pipeline.Pipeline, error) {
	f := d.pipelines[id]
	text, err := os.ReadFile(f)
	if err != nil {
		return nil, err
	}
	q, err := lang.ParseQuery(f, text, lang.Options{ModulePath: lang.EnvModulePath()})
	if err != nil {
		return nil, err
	}
	return pipeline.Build(q, "/pipeline/"+id+"/01", pipeline.BuildEnv{Logger: quiet, Metrics: prometheus.NewRegistry(), Validate: validate})
}

// toPipeline feeds a pipeline from a source runner.
type toPipeline struct{ p *pipeline.Pipeline }

func (t toPipeline) Send(ctx context.Context, b *event.Batch, from sdk.Upstream) error {
	return t.p.Send(ctx, b, from)
}

// toSink is a pipeline output that feeds a sink runner.
type toSink struct{ r *sdk.SinkRunner }

func (t toSink) Name() string { return t.r.Name() }
func (t toSink) Send(ctx context.Context, b *event.Batch, back pipeline.Upstream) error {
	return t.r.Send(ctx, b, back)
}

// run wires the deployment the way the engine does — onramps, pipelines
// and offramps as the bindings link them, one instance per mapped
// instance — on the SDK's runners, and runs it until an offramp or an
// onramp asks the engine to stop (or the timeout). It returns the exit
// status asked for.
func (d *deployment) run(ctx context.Context, env component.Env) (int, error) {
	sources := map[string]*sdk.SourceRunner{}
	sinks := map[string]*sdk.SinkRunner{}
	pipes := map[string]*pipeline.Pipeline{}
	var srcOrder, sinkOrder, pipeOrder []string
	stop := make(chan int, 16)
	codecOf := func(a *artefact, def string) (codec.Codec, error) {
		name := a.codec
		if name == "" {
			name = def
		}
		spec, err := codec.Registry.Get(name)
		if err != nil {
			return nil, err
		}
		return spec.New(), nil
	}
	source := func(u url) (*sdk.SourceRunner, error) {
		key := "/onramp/" + u.id + "/" + u.instance
		if r, ok := sources[key]; ok {
			return r, nil
		}
		a := d.artefacts["onramp/"+u.id]
		b, errs := sdk.NewSource(a.typ, a.config, sdk.Params{ID: a.id, Instance: u.instance, URL: key, Preprocessors: a.pre},
			sdk.BuildOptions{Owner: a.owner, Mode: conf.Lenient})
		if errs.HasErrors() {
			return nil, errs
		}
		c, err := codecOf(a, b.DefaultCodec)
		if err != nil {
			return nil, err
		}
		var pre []processor.Spec
		for _, n := range a.pre {
			sp, err := processor.Pre.Get(n)
			if err != nil {
				return nil, err
			}
			pre = append(pre, sp)
		}
		r := sdk.NewSourceRunner(key, a.typ, b.Value, c, pre)
		sources[key] = r
		srcOrder = append(srcOrder, key)
		return r, nil
	}
	sink := func(u url) (*sdk.SinkRunner, error) {
		key := "/offramp/" + u.id + "/" + u.instance
		if r, ok := sinks[key]; ok {
			return r, nil
		}
		a := d.artefacts["offramp/"+u.id]
		b, errs := sdk.NewSink(a.typ, a.config, sdk.Params{ID: a.id, Instance: u.instance, URL: key},
			sdk.BuildOptions{Owner: a.owner, Mode: conf.Lenient})
		if errs.HasErrors() {
			return nil, errs
		}
		c, err := codecOf(a, b.DefaultCodec)
		if err != nil {
			return nil, err
		}
		var post []processor.Spec
		for _, n := range a.post {
			sp, err := processor.Post.Get(n)
			if err != nil {
				return nil, err
			}
			post = append(post, sp)
		}
		r := sdk.NewSinkRunner(key, a.typ, b.Value, c, post, b.Options)
		r.OnStop(func(code int, _ string) { stop <- code })
		sinks[key] = r
		sinkOrder = append(sinkOrder, key)
		return r, nil
	}
	pipe := func(u url) (*pipeline.Pipeline, error) {
		key := "/pipeline/" + u.id + "/" + u.instance
		if p, ok := pipes[key]; ok {
			return p, nil
		}
		f := d.pipelines[u.id]
		text, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		q, err := lang.ParseQuery(f, text, lang.Options{ModulePath: lang.EnvModulePath()})
		if err != nil {
			return nil, err
		}
		p, err := pipeline.Build(q, key, pipeline.BuildEnv{Logger: env.Logger, Metrics: env.Metrics, DataDir: env.DataDir})
		if err != nil {
			return nil, err
		}
		pipes[key] = p
		pipeOrder = append(pipeOrder, key)
		return p, nil
	}
	defer func() {
		for _, p := range pipes {
			p.Close()
		}
	}()
	for _, l := range d.links {
		from, err := d.parse(l[0])
		if err != nil {
			return 0, err
		}
		to, err := d.parse(l[1])
		if err != nil {
			return 0, err
		}
		var target sdk.Target
		var output pipeline.Output
		var back func(pipeline.Upstream)
		switch to.kind {
		case "pipeline":
			p, err := pipe(to)
			if err != nil {
				return 0, err
			}
			target, output = toPipeline{p}, p
		case "offramp":
			r, err := sink(to)
			if err != nil {
				return 0, err
			}
			output = toSink{r}
			back = func(u pipeline.Upstream) { r.AddUpstream(u) }
		}
		switch from.kind {
		case "onramp":
			r, err := source(from)
			if err != nil {
				return 0, err
			}
			r.Link(from.port, target)
		case "pipeline":
			p, err := pipe(from)
			if err != nil {
				return 0, err
			}
			if err := p.Connect(from.port, output); err != nil {
				return 0, err
			}
			if back != nil {
				back(p)
			}
		case "offramp":
			r, err := sink(from)
			if err != nil {
				return 0, err
			}
			r.Link(from.port, target)
		}
	}
	for _, k := range sinkOrder {
		if err := sinks[k].Open(ctx, env); err != nil {
			return 0, err
		}
		defer sinks[k].Close()
	}
	for _, k := range srcOrder {
		if err := sources[k].Open(ctx, env); err != nil {
			return 0, err
		}
		defer sources[k].Close()
	}
	sinkCtx, cancelSinks := context.WithCancel(context.Background())
	pipeCtx, cancelPipes := context.WithCancel(context.Background())
	srcCtx, cancelSrcs := context.WithCancel(ctx)
	defer cancelSinks()
	defer cancelPipes()
	defer cancelSrcs()
	var sinkWG, pipeWG, srcWG sync.WaitGroup
	for _, k := range sinkOrder {
		sinkWG.Go(func() { _ = sinks[k].Run(sinkCtx) })
	}
	for _, k := range pipeOrder {
		pipeWG.Go(func() { _ = pipes[k].Run(pipeCtx) })
	}
	for _, k := range srcOrder {
		srcWG.Go(func() {
			if code, ok := sdk.StopCode(sources[k].Run(srcCtx)); ok {
				stop <- code
			}
		})
	}
	code := 0
	var err error
	select {
	case code = <-stop:
	case <-ctx.Done():
		err = ctx.Err()
	}
	// Stop gracefully, as the engine does: onramps, then pipelines drain,
	// then offramps.
	cancelSrcs()
	srcWG.Wait()
	grace, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, k := range pipeOrder {
		_ = pipes[k].Quiesce(grace)
	}
	for _, k := range sinkOrder {
		sinks[k].CloseInput()
	}
	sinkWG.Wait()
	cancelPipes()
	pipeWG.Wait()
	return code, err
}
