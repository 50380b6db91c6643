package otel

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	logs "go.opentelemetry.io/proto/otlp/logs/v1"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// logsRequest is an export of one log record whose body is msg.
func logsRequest(msg string) *collogs.ExportLogsServiceRequest {
	return &collogs.ExportLogsServiceRequest{ResourceLogs: []*logs.ResourceLogs{{
		ScopeLogs: []*logs.ScopeLogs{{
			Scope:      &common.InstrumentationScope{Name: "test", Version: "1"},
			LogRecords: []*logs.LogRecord{{SeverityNumber: 9, SeverityText: "INFO", Body: &common.AnyValue{Value: &common.AnyValue_StringValue{StringValue: msg}}}},
		}},
	}}}
}

// body finds the first log record's body in a logs event.
func body(v event.Value) string {
	rls, _ := sdk.MetaGet(v, "logs")
	rl, _ := rls.([]event.Value)
	if len(rl) == 0 {
		return ""
	}
	ills, _ := sdk.MetaGet(rl[0], "instrumentation_library_logs")
	il, _ := ills.([]event.Value)
	if len(il) == 0 {
		return ""
	}
	ls, _ := sdk.MetaGet(il[0], "logs")
	l, _ := ls.([]event.Value)
	if len(l) == 0 {
		return ""
	}
	s, _ := sdk.MetaString(l[0], "body")
	return s
}

// collector is a real OTLP/gRPC logs service on 127.0.0.1 that records
// the bodies of the log records it receives.
type collector struct {
	collogs.UnimplementedLogsServiceServer
	t    *testing.T
	addr string

	mu    sync.Mutex
	srv   *grpc.Server
	got   map[string]bool
	order []string
	hang  chan struct{}
}

func startCollector(t *testing.T) *collector {
	c := &collector{t: t, got: map[string]bool{}}
	c.listen("127.0.0.1:0")
	t.Cleanup(c.Kill)
	return c
}

func (c *collector) listen(addr string) {
	var ln net.Listener
	var err error
	for range 100 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	srv := grpc.NewServer()
	collogs.RegisterLogsServiceServer(srv, c)
	c.mu.Lock()
	c.addr, c.srv = ln.Addr().String(), srv
	c.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (c *collector) Export(ctx context.Context, req *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	c.mu.Lock()
	hang := c.hang
	c.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-ctx.Done():
		}
		return nil, ctx.Err()
	}
	msg := body(logsValue(req))
	c.mu.Lock()
	c.got[msg] = true
	c.order = append(c.order, msg)
	c.mu.Unlock()
	return &collogs.ExportLogsServiceResponse{}, nil
}

func (c *collector) Config() string {
	_, port, _ := net.SplitHostPort(c.addr)
	return "host: 127.0.0.1\nport: " + port + "\n"
}
func (c *collector) Has(s string) bool { c.mu.Lock(); defer c.mu.Unlock(); return c.got[s] }
func (c *collector) Received() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.order...)
}
func (c *collector) Hang() { c.mu.Lock(); c.hang = make(chan struct{}); c.mu.Unlock() }

func (c *collector) Kill() {
	c.mu.Lock()
	srv, hang := c.srv, c.hang
	c.srv, c.hang = nil, nil
	c.mu.Unlock()
	if hang != nil {
		close(hang)
	}
	if srv != nil {
		srv.Stop()
	}
}

func (c *collector) Restart() { c.listen(c.addr) }

func TestSinkConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type:    "otel",
		Start:   func(t *testing.T) conformance.SinkPeer { return startCollector(t) },
		Ordered: true,
		Value:   func(seq uint64) event.Value { return logsValue(logsRequest(fmt.Sprintf(`{"seq":%d}`, seq))) },
		BadConfigs: []conformance.BadConfig{
			{Config: "port: 4317\n", Pos: "5:7", Contains: "`host` is required"},
			{Config: "host: localhost\n", Pos: "5:7", Contains: "`port` is required"},
			{Config: "host: localhost\nport: 4317\nlogs: maybe\n", Pos: "7:13", Contains: "`logs` must be true or false"},
		},
	})
}

func TestSourceConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type: "otel",
		Text: body,
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			return "host: 127.0.0.1\nport: 0\n", func(src sdk.Source) error {
				conn, err := grpc.NewClient("passthrough:///"+src.(*Source).Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
				if err != nil {
					return err
				}
				defer conn.Close()
				c := collogs.NewLogsServiceClient(conn)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				for _, m := range msgs {
					if _, err := c.Export(ctx, logsRequest(m)); err != nil {
						return err
					}
				}
				return nil
			}
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "host: 127.0.0.1\n", Pos: "5:7", Contains: "`port` is required"},
			{Config: "host: 127.0.0.1\nport: 1\nlogs: false\ntrace: false\nmetrics: false\n", Pos: "5:7", Contains: "would serve nothing"},
		},
	})
}
