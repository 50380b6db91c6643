package runtime

// The bridge to the connector SDK: onramps and offramps whose type only
// the SDK has (tcp, udp, unix-socket, rest, otel, dns, ...) and every
// linked one (linked transports exist only there) run through the SDK's
// runners, adapted to the per-event pipelines. Issue 9's phase B moves
// every connector onto the SDK; then this bridge is the runtime.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/config"
	"github.com/temblor-dev/temblor/internal/connector"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline"
	"github.com/temblor-dev/temblor/internal/processor"
)

// sdkSource is an onramp instance run by the SDK.
type sdkSource struct {
	url string
	typ string
	r   *sdk.SourceRunner
	log *slog.Logger
}

// sdkSink is an offramp instance run by the SDK.
type sdkSink struct {
	url       string
	typ       string
	r         *sdk.SinkRunner
	log       *slog.Logger
	responses bool // its out/err ports carry responses
}

// sdkFirst are types whose SDK version replaces the runtime's own already
// (stdout and stderr: `prefix` and `raw`, which Tremor's integration
// deployments use; blackhole: the report and stop_after_secs, which
// Tremor's benchmarks need to end).
var sdkFirst = map[string]bool{"stdout": true, "stderr": true, "blackhole": true}

// viaSDK says whether an onramp (or offramp) of this type, linked or not,
// runs through the SDK: the runtime's own connectors do not know the type,
// or the artefact is linked.
func viaSDK(k component.Kind, typ string, linked bool) bool {
	if linked || sdkFirst[typ] {
		return true
	}
	var err error
	if k == component.Onramp {
		_, err = connector.Sources.Get(typ)
	} else {
		_, err = connector.Sinks.Get(typ)
	}
	return err != nil
}

// mimeMap is the artefact's codec map on top of the builtin one.
func mimeMap(a *config.Artefact) (codec.MimeMap, error) {
	m, err := codec.NewMimeMap(a.CodecMap)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Pos, err)
	}
	return m, nil
}

func sdkParams(a *config.Artefact, u config.PortURL, url string) sdk.Params {
	return sdk.Params{ID: a.ID, Instance: u.Instance, URL: url, Preprocessors: a.Preprocessors}
}

// diagErr turns the SDK's build diagnostics into the runtime's error (warnings
// are logged).
func (r *Runtime) diagErr(url string, list interface {
	HasErrors() bool
	Error() string
}, warn func()) error {
	if list.HasErrors() {
		return &artefactError{errors.New(list.Error())}
	}
	warn()
	return nil
}

func (r *Runtime) sdkSource(u config.PortURL, o *config.Onramp) (*sdkSource, error) {
	url := instanceURL(u)
	if s, ok := r.sdkSources[url]; ok {
		return s, nil
	}
	node, owner, err := o.Config.Node()
	if err != nil {
		return nil, err
	}
	built, errs := sdk.NewSource(o.Type, node, sdkParams(&o.Artefact, u, url), sdk.BuildOptions{Owner: owner, Mode: r.confMode()})
	if err := r.diagErr(url, errs, func() {
		for _, d := range errs {
			r.log.Warn(d.Error(), "onramp", url)
		}
	}); err != nil {
		return nil, err
	}
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
	log := r.log.With("onramp", url)
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
	s := &sdkSource{url: url, typ: o.Type, r: sr, log: log}
	r.sdkSources[url] = s
	r.sdkSrcOrder = append(r.sdkSrcOrder, url)
	return s, nil
}

func (r *Runtime) sdkSink(u config.PortURL, o *config.Offramp) (*sdkSink, error) {
	url := instanceURL(u)
	if s, ok := r.sdkSinks[url]; ok {
		return s, nil
	}
	node, owner, err := o.Config.Node()
	if err != nil {
		return nil, err
	}
	built, errs := sdk.NewSink(o.Type, node, sdkParams(&o.Artefact, u, url), sdk.BuildOptions{Owner: owner, Mode: r.confMode()})
	if err := r.diagErr(url, errs, func() {
		for _, d := range errs {
			r.log.Warn(d.Error(), "offramp", url)
		}
	}); err != nil {
		return nil, err
	}
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
	s := &sdkSink{url: url, typ: o.Type, r: sr, log: r.log.With("offramp", url)}
	_, always := built.Value.(sdk.AlwaysResponds)
	if o.Linked || always {
		pre, err := processorSpecs(processor.Pre, o.Preprocessors, o.Pos)
		if err != nil {
			return nil, err
		}
		if err := sr.EnableResponses(codecName, m, pre); err != nil {
			return nil, &artefactError{fmt.Errorf("%s: %w", o.Pos, err)}
		}
		s.responses = true
	}
	r.sdkSinks[url] = s
	r.sdkSinkOrder = append(r.sdkSinkOrder, url)
	return s, nil
}

// pipeTarget feeds a pipeline from an SDK runner, event by event.
// Responses (a linked offramp's) are sent without an upstream: they are
// not transactional, and they carry their request's ID, whose source
// must keep its own route for the answers of its events.
type pipeTarget struct {
	p         *pipeline.Pipeline
	responses bool
}

func (t pipeTarget) Send(ctx context.Context, b *event.Batch, from sdk.Upstream) error {
	var up pipeline.Upstream = from
	if t.responses {
		up = nil
	}
	for i := range b.Events {
		if err := t.p.Send(ctx, &b.Events[i], up); err != nil {
			return err
		}
	}
	return nil
}

// perEvent passes the SDK's answers (ranges of IDs) to a pipeline, which
// answers event by event.
type perEvent struct{ u pipeline.Upstream }

func (p perEvent) Contraflow(in event.Insight) {
	if (in.Action != event.ActAck && in.Action != event.ActFail) || in.IDs.IsZero() {
		p.u.Contraflow(in)
		return
	}
	for i := range in.IDs.Len() {
		rg := in.IDs.At(i)
		for seq := rg.Start; ; seq++ {
			one := in
			one.IDs = event.IDs{}
			one.ID = event.NewEventID(rg.Source, rg.Stream, seq)
			p.u.Contraflow(one)
			if seq == rg.End {
				break
			}
		}
	}
}

// sinkOutput is a pipeline output into an SDK offramp.
type sinkOutput struct{ s *sdkSink }

func (o sinkOutput) Name() string { return o.s.url }

func (o sinkOutput) Send(ctx context.Context, ev *event.Event, back pipeline.Upstream) error {
	err := o.s.r.Send(ctx, &event.Batch{Events: []event.Event{*ev}}, perEvent{back})
	var und *event.UndeliverableError
	if errors.As(err, &und) {
		return fmt.Errorf("%w: %w", pipeline.ErrUndeliverable, und.Err)
	}
	return err
}

// replyOutput is a pipeline output into a linked onramp's `in` port.
type replyOutput struct {
	s *sdkSource
	t sdk.Target
}

func (o replyOutput) Name() string { return o.s.url + "/in" }

func (o replyOutput) Send(ctx context.Context, ev *event.Event, back pipeline.Upstream) error {
	return o.t.Send(ctx, &event.Batch{Events: []event.Event{*ev}}, perEvent{back})
}

// confMode is how SDK connector configs are decoded: fields Tremor would
// have ignored are warnings (logged), unless Options.StrictConfig.
func (r *Runtime) confMode() conf.Mode {
	if r.opts.StrictConfig {
		return conf.Strict
	}
	return conf.Lenient
}

func (r *Runtime) env(url string, log *slog.Logger) component.Env {
	return component.Env{URL: url, Logger: log, Metrics: r.opts.Registry, DataDir: r.opts.DataDir}
}

// stopRequest is a connector's request that the engine stop gracefully
// and exit with code (the exit offramp, a blackhole's stop_after_secs, the
// cb onramp's verdict).
type stopRequest struct {
	who    string
	code   int
	reason string
}

// ExitStatus is what Run returns when a connector stopped the engine with
// a non-zero exit status (the process exits with it).
type ExitStatus struct {
	Code   int
	Reason string
	Who    string
}

func (e *ExitStatus) Error() string {
	return fmt.Sprintf("%s stopped the engine with exit status %d: %s", e.Who, e.Code, e.Reason)
}

// ExitCode is the status the process exits with.
func (e *ExitStatus) ExitCode() int { return e.Code }

// runSDKSinks opens and runs the SDK offramps; a failure to open is fatal.
func (r *Runtime) runSDKSinks(ctx context.Context, wg *sync.WaitGroup, fatal chan<- error, stop chan<- stopRequest) {
	for _, url := range r.sdkSinkOrder {
		s := r.sdkSinks[url]
		s.r.OnStop(func(code int, reason string) {
			select { // never blocks: the first request wins
			case stop <- stopRequest{who: url, code: code, reason: reason}:
			default:
			}
		})
		if err := s.r.Open(ctx, r.env(url, s.log)); err != nil {
			fatal <- fmt.Errorf("offramp %s cannot start: %w", url, err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if err := s.r.Close(); err != nil {
					s.log.Warn("closing the offramp failed", "err", err)
				}
			}()
			if err := s.r.Run(ctx); err != nil && ctx.Err() == nil {
				fatal <- fmt.Errorf("offramp %s stopped: %w", url, err)
			}
		}()
	}
}

// openSDKSources opens the SDK onramps (binds their ports) before
// anything runs, so that offramps connecting to them (linked transports,
// a chain inside one deployment) find them; a failure to open (a port
// taken) is fatal. It returns the onramps opened.
func (r *Runtime) openSDKSources(ctx context.Context, fatal chan<- error) map[string]bool {
	opened := map[string]bool{}
	for _, url := range r.sdkSrcOrder {
		s := r.sdkSources[url]
		if err := s.r.Open(ctx, r.env(url, s.log)); err != nil {
			fatal <- fmt.Errorf("onramp %s cannot start: %w", url, err)
			continue
		}
		opened[url] = true
	}
	return opened
}

// runSDKSources runs the SDK onramps opened.
func (r *Runtime) runSDKSources(ctx context.Context, wg *sync.WaitGroup, fatal chan<- error, stop chan<- stopRequest, opened map[string]bool) {
	for _, url := range r.sdkSrcOrder {
		s := r.sdkSources[url]
		if !opened[url] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if err := s.r.Close(); err != nil {
					s.log.Warn("closing the onramp failed", "err", err)
				}
				s.log.Info("onramp stopped")
			}()
			err := s.r.Run(ctx)
			if code, ok := sdk.StopCode(err); ok {
				s.log.Info("onramp asks the engine to stop", "code", code, "reason", err.Error())
				select {
				case stop <- stopRequest{who: url, code: code, reason: err.Error()}:
				default:
				}
				return
			}
			switch {
			case err != nil && ctx.Err() == nil:
				fatal <- fmt.Errorf("onramp %s stopped: %w", url, err)
			}
		}()
	}
}
