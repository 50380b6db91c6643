// Package otel is the OpenTelemetry connector family over OTLP/gRPC (the
// official protobufs, google.golang.org/grpc): an onramp that receives
// logs, traces and metrics and answers an export only once its event was
// delivered, and an offramp that exports events of that shape.
//
// Events have Tremor 0.11's shape: {"logs": [...]}, {"trace": [...]} or
// {"metrics": [...]}, one per export request, with resources,
// `instrumentation_library_*` lists (today's scopes: name and version)
// and, for metrics, Tremor's kinds: a gauge or sum whose points are all
// integers is `int-gauge`/`int-sum`, otherwise `double-gauge`/
// `double-sum`; histograms are `double-histogram`, summaries
// `double-summary`; exponential histograms, which Tremor did not know,
// are `exponential-histogram`. Attributes of points are Tremor's
// `labels`, exemplars' filtered attributes its `filtered_labels`.
package otel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:    "otel",
		Summary: "OTLP/gRPC receiver on `host`:`port`: every export of logs, traces or metrics is an event",
		Docs: "Each export request becomes one event of Tremor 0.11's shape — `{\"logs\": [...]}`, `{\"trace\": [...]}` " +
			"or `{\"metrics\": [...]}` (see the `cncf::otel` functions; the mapping of today's OTLP onto it is in the " +
			"reference of the otel connectors).\n\n" +
			"The events are transactional: an export is answered OK only once its event was delivered downstream (acked " +
			"by the offramps it reached, or stored by a `qos::wal`); when it failed or was not answered within " +
			"`ack_timeout_ms` the export is answered UNAVAILABLE, which OTLP exporters retry — so nothing an exporter " +
			"sent is lost. Tremor answered at once. A signal turned off (`logs`, `trace`, `metrics`) is not served: its " +
			"exports are answered UNIMPLEMENTED, where Tremor accepted and dropped them.",
		DefaultCodec: "json",
		New: func(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
			if !c.Logs && !c.Trace && !c.Metrics {
				return nil, p.At.Errorf("", "`logs`, `trace` and `metrics` are all false: the onramp would serve nothing")
			}
			return &Source{host: c.Host, port: c.Port, logs: c.Logs, trace: c.Trace, metrics: c.Metrics,
				ackTimeout: sdk.Millis(c.AckTimeoutMS), maxMsg: int(c.MaxMessageBytes)}, nil
		},
	})
}

type sourceConfig struct {
	Host            string `conf:"host,required" doc:"The address to listen on." example:"0.0.0.0"`
	Port            uint16 `conf:"port,required" doc:"The port to listen on (OTLP/gRPC's is 4317); 0 picks a free one (logged)." example:"4317"`
	Logs            bool   `conf:"logs" default:"true" doc:"Serve the logs service."`
	Trace           bool   `conf:"trace" default:"true" doc:"Serve the trace service."`
	Metrics         bool   `conf:"metrics" default:"true" doc:"Serve the metrics service."`
	AckTimeoutMS    uint64 `conf:"ack_timeout_ms" default:"10000" min:"1" doc:"Milliseconds an export waits for its event to be delivered before it is answered UNAVAILABLE (the exporter retries)."`
	MaxMessageBytes uint64 `conf:"max_message_bytes" default:"16777216" min:"1024" max:"2147483647" doc:"The largest export request taken, in bytes."`
}

// Source is the otel onramp. It listens when opened.
type Source struct {
	host                 string
	port                 uint16
	logs, trace, metrics bool
	ackTimeout           time.Duration
	maxMsg               int
	log                  *slog.Logger
	ln                   net.Listener
	out                  sdk.Output
	ctx                  context.Context
}

var (
	_ sdk.PushSource   = (*Source)(nil)
	_ component.Opener = (*Source)(nil)
	_ component.Closer = (*Source)(nil)
)

// Open binds the port, so that a taken port is an error at start.
func (s *Source) Open(_ context.Context, env component.Env) error {
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	addr := net.JoinHostPort(s.host, strconv.Itoa(int(s.port)))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("otel onramp cannot listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.log.Info("otel onramp listening (OTLP/gRPC)", "addr", ln.Addr().String(), "logs", s.logs, "trace", s.trace, "metrics", s.metrics)
	return nil
}

// Addr is the bound address (after Open).
func (s *Source) Addr() net.Addr { return s.ln.Addr() }

// Run serves exports until ctx ends.
func (s *Source) Run(ctx context.Context, out sdk.Output) error {
	s.out, s.ctx = out, ctx
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(s.maxMsg))
	if s.logs {
		collogs.RegisterLogsServiceServer(srv, logsServer{s: s})
	}
	if s.trace {
		coltrace.RegisterTraceServiceServer(srv, traceServer{s: s})
	}
	if s.metrics {
		colmetrics.RegisterMetricsServiceServer(srv, metricsServer{s: s})
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.ln) }()
	select {
	case <-ctx.Done():
		done := make(chan struct{})
		go func() { srv.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			srv.Stop()
		}
		<-errc
		return nil
	case err := <-errc:
		if errors.Is(err, grpc.ErrServerStopped) {
			return nil
		}
		return err
	}
}

// Close releases the listener if Run never served it.
func (s *Source) Close() error {
	if s.ln == nil {
		return nil
	}
	err := s.ln.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// answer is the Acks of one export's event.
type answer struct {
	once sync.Once
	err  chan error
}

func (a *answer) Ack(int, int) { a.once.Do(func() { a.err <- nil }) }
func (a *answer) Fail(_, _ int, reason string) {
	a.once.Do(func() { a.err <- errors.New(reason) })
}

// deliver hands one export's event over and waits until it was answered.
func (s *Source) deliver(ctx context.Context, v event.Value) error {
	a := &answer{err: make(chan error, 1)}
	wctx, cancel := context.WithTimeout(ctx, s.ackTimeout)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	if err := s.out.Push(wctx, &sdk.Input{Values: []event.Value{v}, Acks: a}); err != nil {
		return status.Error(codes.Unavailable, "the pipelines did not take the export in time; retry")
	}
	select {
	case err := <-a.err:
		if err != nil {
			return status.Errorf(codes.Unavailable, "not delivered: %v; retry", err)
		}
		return nil
	case <-wctx.Done():
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
		return status.Error(codes.Unavailable, "the export was not delivered in time; retry")
	}
}

type logsServer struct {
	collogs.UnimplementedLogsServiceServer
	s *Source
}

func (l logsServer) Export(ctx context.Context, req *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	if err := l.s.deliver(ctx, logsValue(req)); err != nil {
		return nil, err
	}
	return &collogs.ExportLogsServiceResponse{}, nil
}

type traceServer struct {
	coltrace.UnimplementedTraceServiceServer
	s *Source
}

func (t traceServer) Export(ctx context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	if err := t.s.deliver(ctx, traceValue(req)); err != nil {
		return nil, err
	}
	return &coltrace.ExportTraceServiceResponse{}, nil
}

type metricsServer struct {
	colmetrics.UnimplementedMetricsServiceServer
	s *Source
}

func (m metricsServer) Export(ctx context.Context, req *colmetrics.ExportMetricsServiceRequest) (*colmetrics.ExportMetricsServiceResponse, error) {
	if err := m.s.deliver(ctx, metricsValue(req)); err != nil {
		return nil, err
	}
	return &colmetrics.ExportMetricsServiceResponse{}, nil
}
