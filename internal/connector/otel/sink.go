package otel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[sinkConfig]{
		Name:    "otel",
		Summary: "OTLP/gRPC exporter to `host`:`port`: each event of the otel shape is one export",
		Docs: "An event `{\"logs\": [...]}`, `{\"trace\": [...]}` or `{\"metrics\": [...]}` (the otel onramp's shape, Tremor " +
			"0.11's) is exported to the collector's logs, trace or metrics service (plaintext gRPC).\n\n" +
			"An event is acked once the collector answered its export OK (a partial success — some records rejected as " +
			"invalid — is acked and logged: sending them again would be rejected again). An event that is not of the " +
			"shape, or whose signal is turned off (`logs`, `trace`, `metrics`), is failed with the reason (Tremor logged " +
			"and dropped it); one the collector refuses as invalid is failed too. When the collector cannot be " +
			"reached or is overloaded (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED) the event is failed, " +
			"the circuit breaker opens, and the offramp reconnects with backoff and closes the breaker once connected.",
		DefaultCodec: "json",
		Acks:         "the collector answered the export OK",
		New: func(c *sinkConfig, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
			if c.Host == "" {
				return nil, sdk.SinkOptions{}, p.At.Errorf("host", "`host` must name the collector")
			}
			return &sink{addr: net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))), logs: c.Logs, trace: c.Trace, metrics: c.Metrics, log: slog.Default()},
				sdk.SinkOptions{ConfirmTimeout: sdk.Millis(c.TimeoutMS), BackoffInitial: sdk.Millis(c.BackoffInitialMS), BackoffMax: sdk.Millis(c.BackoffMaxMS)}, nil
		},
	})
}

type sinkConfig struct {
	Host             string `conf:"host,required" doc:"The collector's address." example:"localhost"`
	Port             uint16 `conf:"port,required" doc:"The collector's OTLP/gRPC port." example:"4317"`
	Logs             bool   `conf:"logs" default:"true" doc:"Export logs events."`
	Trace            bool   `conf:"trace" default:"true" doc:"Export trace events."`
	Metrics          bool   `conf:"metrics" default:"true" doc:"Export metrics events."`
	TimeoutMS        uint64 `conf:"timeout_ms" default:"10000" min:"1" doc:"Milliseconds an export (and a connection attempt) may take."`
	BackoffInitialMS uint64 `conf:"backoff_initial_ms" default:"100" min:"1" doc:"Milliseconds before the first reconnection attempt; the wait doubles up to backoff_max_ms."`
	BackoffMaxMS     uint64 `conf:"backoff_max_ms" default:"5000" min:"1" doc:"Longest wait between reconnection attempts, in milliseconds."`
}

type sink struct {
	addr                 string
	logs, trace, metrics bool
	log                  *slog.Logger
	conn                 *grpc.ClientConn
	lc                   collogs.LogsServiceClient
	tc                   coltrace.TraceServiceClient
	mc                   colmetrics.MetricsServiceClient
}

var (
	_ sdk.Sink         = (*sink)(nil)
	_ component.Opener = (*sink)(nil)
)

func (s *sink) Open(_ context.Context, env component.Env) error {
	if env.Logger != nil {
		s.log = env.Logger
	}
	return nil
}

func (s *sink) Peer() string { return "otlp+grpc://" + s.addr }

// Connect dials the collector and waits until the connection is ready.
func (s *sink) Connect(ctx context.Context) error {
	conn, err := grpc.NewClient("passthrough:///"+s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	conn.Connect()
	for {
		st := conn.GetState()
		if st == connectivity.Ready {
			break
		}
		if !conn.WaitForStateChange(ctx, st) {
			_ = conn.Close()
			return fmt.Errorf("the collector at %s is not reachable (%s): %w", s.addr, st, ctx.Err())
		}
	}
	s.conn = conn
	s.lc, s.tc, s.mc = collogs.NewLogsServiceClient(conn), coltrace.NewTraceServiceClient(conn), colmetrics.NewMetricsServiceClient(conn)
	return nil
}

func (s *sink) Disconnect() error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

// lost reports a gRPC error that means the collector is gone or
// overloaded (the connection counts as lost), rather than that it
// refused this export.
func lost(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted, codes.Canceled:
		return true
	}
	return false
}

func (s *sink) Write(ctx context.Context, b *sdk.Batch) error {
	for i := range b.Messages {
		err := s.export(ctx, b.Messages[i].Data)
		if err != nil && lost(err) {
			return err
		}
		b.Settle(i, err)
	}
	return nil
}

type partial interface {
	GetErrorMessage() string
}

func (s *sink) export(ctx context.Context, v event.Value) error {
	r, ok := v.(*event.Record)
	if !ok {
		return fmt.Errorf("not an otel event: a record with `logs`, `trace` or `metrics` is expected, got %s", event.TypeName(v))
	}
	var rejected int64
	var msg string
	note := func(n int64, p partial) {
		if n > 0 {
			rejected, msg = n, p.GetErrorMessage()
		}
	}
	switch {
	case r.Has("logs"):
		if !s.logs {
			return errors.New("a logs event, but `logs` is off")
		}
		req, err := toLogs(v)
		if err != nil {
			return fmt.Errorf("not an otel logs event: %w", err)
		}
		rsp, err := s.lc.Export(ctx, req)
		if err != nil {
			return err
		}
		note(rsp.GetPartialSuccess().GetRejectedLogRecords(), rsp.GetPartialSuccess())
	case r.Has("trace"):
		if !s.trace {
			return errors.New("a trace event, but `trace` is off")
		}
		req, err := toTrace(v)
		if err != nil {
			return fmt.Errorf("not an otel trace event: %w", err)
		}
		rsp, err := s.tc.Export(ctx, req)
		if err != nil {
			return err
		}
		note(rsp.GetPartialSuccess().GetRejectedSpans(), rsp.GetPartialSuccess())
	case r.Has("metrics"):
		if !s.metrics {
			return errors.New("a metrics event, but `metrics` is off")
		}
		req, err := toMetrics(v)
		if err != nil {
			return fmt.Errorf("not an otel metrics event: %w", err)
		}
		rsp, err := s.mc.Export(ctx, req)
		if err != nil {
			return err
		}
		note(rsp.GetPartialSuccess().GetRejectedDataPoints(), rsp.GetPartialSuccess())
	default:
		return errors.New("not an otel event: a record with `logs`, `trace` or `metrics` is expected")
	}
	if rejected > 0 {
		s.log.Warn("otel offramp: the collector rejected part of an export as invalid (not re-sent)", "rejected", rejected, "message", msg)
	}
	return nil
}
