package runtime

// What the runtime needs around the connector SDK's runners: every onramp
// and offramp is built by its spec (sdk.NewSource/NewSink) and run by an
// sdk.SourceRunner or sdk.SinkRunner; pipelines take and give batches.

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/config"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

// mimeMap is the artefact's codec map on top of the builtin one.
func mimeMap(a *config.Artefact) (codec.MimeMap, error) {
	m, err := codec.NewMimeMap(a.CodecMap)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Pos, err)
	}
	return m, nil
}

// responsesTo feeds a pipeline a linked offramp's responses (its `out`
// and `err` ports). They are sent without an upstream: they are not
// transactional, and they carry their request's ID, whose source keeps
// its own route for the answers of its events.
type responsesTo struct{ p *pipeline.Pipeline }

func (t responsesTo) Send(ctx context.Context, b *event.Batch, _ sdk.Upstream) error {
	return t.p.Send(ctx, b, nil)
}

// replyOutput is a pipeline output into a linked onramp's `in` port.
type replyOutput struct {
	url string
	t   sdk.Target
}

func (o replyOutput) Name() string { return o.url }

func (o replyOutput) Send(ctx context.Context, b *event.Batch, back pipeline.Upstream) error {
	return o.t.Send(ctx, b, back)
}

// confMode is how connector configs are decoded: fields Tremor would have
// ignored are warnings (logged), unless Options.StrictConfig.
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
// and exit with code (the exit offramp, a blackhole's stop_after_secs, a
// close_on_done onramp, the cb onramp's verdict).
type stopRequest struct {
	who    string
	code   int
	reason string
}

// ExitError is Run's result when a component asked the engine to stop
// with a non-zero exit status (the process exits with it).
type ExitError struct {
	Code   int
	Who    string
	Reason string
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%s stopped the engine with exit status %d: %s", e.Who, e.Code, e.Reason)
}

// ExitCode is the status the process exits with.
func (e *ExitError) ExitCode() int { return e.Code }
