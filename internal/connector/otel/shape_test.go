package otel

import (
	"strings"
	"testing"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	logs "go.opentelemetry.io/proto/otlp/logs/v1"
	metrics "go.opentelemetry.io/proto/otlp/metrics/v1"
	resource "go.opentelemetry.io/proto/otlp/resource/v1"
	trace "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/temblor-dev/temblor/internal/event"
)

func sv(s string) *common.AnyValue {
	return &common.AnyValue{Value: &common.AnyValue_StringValue{StringValue: s}}
}

var (
	tRes   = &resource.Resource{Attributes: []*common.KeyValue{{Key: "service.name", Value: sv("checkout")}}, DroppedAttributesCount: 2}
	tScope = &common.InstrumentationScope{Name: "lib", Version: "v0.1.2"}
	tAttrs = []*common.KeyValue{
		{Key: "snot", Value: sv("badger")},
		{Key: "n", Value: &common.AnyValue{Value: &common.AnyValue_IntValue{IntValue: 1600860720749137000}}},
		{Key: "nested", Value: &common.AnyValue{Value: &common.AnyValue_KvlistValue{KvlistValue: &common.KeyValueList{Values: []*common.KeyValue{
			{Key: "ok", Value: &common.AnyValue{Value: &common.AnyValue_BoolValue{BoolValue: true}}},
			{Key: "list", Value: &common.AnyValue{Value: &common.AnyValue_ArrayValue{ArrayValue: &common.ArrayValue{Values: []*common.AnyValue{
				{Value: &common.AnyValue_DoubleValue{DoubleValue: 1.5}}, sv("x")}}}}},
		}}}}},
	}
	traceID = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	spanID  = []byte{1, 2, 3, 4, 5, 6, 7, 8}
)

// Every field that Tremor's shape has survives pb → event → pb.
func TestLogsRoundTrip(t *testing.T) {
	req := &collogs.ExportLogsServiceRequest{ResourceLogs: []*logs.ResourceLogs{{Resource: tRes, ScopeLogs: []*logs.ScopeLogs{{Scope: tScope,
		LogRecords: []*logs.LogRecord{{TimeUnixNano: 1600860720749137000, SeverityNumber: 9, SeverityText: "INFO", EventName: "ev",
			Body: sv("hello"), Attributes: tAttrs, DroppedAttributesCount: 3, Flags: 1, TraceId: traceID, SpanId: spanID}}}}}}}
	v := logsValue(req)
	want := `{"logs":[{"instrumentation_library_logs":[{"instrumentation_library":{"name":"lib","version":"v0.1.2"},"logs":[{"name":"ev","time_unix_nano":1600860720749137000,"severity_number":9,"severity_text":"INFO","flags":1,"span_id":"0102030405060708","trace_id":"000102030405060708090a0b0c0d0e0f","attributes":{"snot":"badger","n":1600860720749137000,"nested":{"ok":true,"list":[1.5,"x"]}},"dropped_attributes_count":3,"body":"hello"}]}],"resource":{"attributes":{"service.name":"checkout"},"dropped_attributes_count":2}}]}`
	if got := string(event.MarshalJSON(v)); got != want {
		t.Fatalf("event\n%s\nwant\n%s", got, want)
	}
	back, err := toLogs(v)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(req, back) {
		t.Fatalf("round trip:\n%v\n%v", req, back)
	}
}

func TestTraceRoundTrip(t *testing.T) {
	req := &coltrace.ExportTraceServiceRequest{ResourceSpans: []*trace.ResourceSpans{{Resource: tRes, ScopeSpans: []*trace.ScopeSpans{{Scope: tScope,
		Spans: []*trace.Span{{TraceId: traceID, SpanId: spanID, ParentSpanId: []byte{8, 7, 6, 5, 4, 3, 2, 1}, TraceState: "k=v", Name: "GET /",
			Kind: trace.Span_SPAN_KIND_SERVER, StartTimeUnixNano: 1, EndTimeUnixNano: 2, Attributes: tAttrs, DroppedAttributesCount: 1,
			Events:             []*trace.Span_Event{{TimeUnixNano: 3, Name: "e", Attributes: tAttrs[:1], DroppedAttributesCount: 4}},
			DroppedEventsCount: 5,
			Links:              []*trace.Span_Link{{TraceId: traceID, SpanId: spanID, TraceState: "x=y", Attributes: tAttrs[:1], DroppedAttributesCount: 6}},
			DroppedLinksCount:  7, Status: &trace.Status{Code: trace.Status_STATUS_CODE_ERROR, Message: "boom"}}}}}}}}
	v := traceValue(req)
	if got := string(event.MarshalJSON(v)); !strings.Contains(got, `"status":{"code":2,"deprecated_code":0,"message":"boom"},"kind":2,"name":"GET /"`) {
		t.Fatalf("event %s", got)
	}
	back, err := toTrace(v)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(req, back) {
		t.Fatalf("round trip:\n%v\n%v", req, back)
	}
}

func TestMetricsRoundTrip(t *testing.T) {
	sum := 12.5
	intPt := &metrics.NumberDataPoint{Attributes: tAttrs[:1], StartTimeUnixNano: 1, TimeUnixNano: 2, Value: &metrics.NumberDataPoint_AsInt{AsInt: 42},
		Exemplars: []*metrics.Exemplar{{FilteredAttributes: tAttrs[:1], TimeUnixNano: 3, Value: &metrics.Exemplar_AsInt{AsInt: 7}, SpanId: spanID, TraceId: traceID}}}
	dblPt := &metrics.NumberDataPoint{StartTimeUnixNano: 1, TimeUnixNano: 2, Value: &metrics.NumberDataPoint_AsDouble{AsDouble: 0.25}}
	req := &colmetrics.ExportMetricsServiceRequest{ResourceMetrics: []*metrics.ResourceMetrics{{Resource: tRes, ScopeMetrics: []*metrics.ScopeMetrics{{Scope: tScope,
		Metrics: []*metrics.Metric{
			{Name: "a", Description: "d", Unit: "1", Data: &metrics.Metric_Gauge{Gauge: &metrics.Gauge{DataPoints: []*metrics.NumberDataPoint{intPt}}}},
			{Name: "b", Data: &metrics.Metric_Gauge{Gauge: &metrics.Gauge{DataPoints: []*metrics.NumberDataPoint{dblPt}}}},
			{Name: "c", Data: &metrics.Metric_Sum{Sum: &metrics.Sum{DataPoints: []*metrics.NumberDataPoint{intPt}, IsMonotonic: true, AggregationTemporality: 2}}},
			{Name: "d", Data: &metrics.Metric_Sum{Sum: &metrics.Sum{DataPoints: []*metrics.NumberDataPoint{dblPt}, AggregationTemporality: 1}}},
			{Name: "e", Data: &metrics.Metric_Histogram{Histogram: &metrics.Histogram{AggregationTemporality: 2, DataPoints: []*metrics.HistogramDataPoint{
				{StartTimeUnixNano: 1, TimeUnixNano: 2, Count: 3, Sum: &sum, BucketCounts: []uint64{1, 2}, ExplicitBounds: []float64{10}}}}}},
			{Name: "f", Data: &metrics.Metric_Summary{Summary: &metrics.Summary{DataPoints: []*metrics.SummaryDataPoint{
				{StartTimeUnixNano: 1, TimeUnixNano: 2, Count: 3, Sum: 4.5, QuantileValues: []*metrics.SummaryDataPoint_ValueAtQuantile{{Quantile: 0.5, Value: 1}}}}}}},
			{Name: "g", Data: &metrics.Metric_ExponentialHistogram{ExponentialHistogram: &metrics.ExponentialHistogram{AggregationTemporality: 1,
				DataPoints: []*metrics.ExponentialHistogramDataPoint{{Count: 2, Sum: &sum, Scale: 3, ZeroCount: 1,
					Positive: &metrics.ExponentialHistogramDataPoint_Buckets{Offset: -1, BucketCounts: []uint64{1}},
					Negative: &metrics.ExponentialHistogramDataPoint_Buckets{BucketCounts: []uint64{}}}}}}},
		}}}}}}
	v := metricsValue(req)
	got := string(event.MarshalJSON(v))
	for _, kind := range []string{`"int-gauge"`, `"double-gauge"`, `"int-sum"`, `"double-sum"`, `"double-histogram"`, `"double-summary"`, `"exponential-histogram"`} {
		if !strings.Contains(got, kind) {
			t.Errorf("no %s in %s", kind, got)
		}
	}
	back, err := toMetrics(v)
	if err != nil {
		t.Fatal(err)
	}
	// Empty bucket lists come back as nil.
	req.ResourceMetrics[0].ScopeMetrics[0].Metrics[6].GetExponentialHistogram().DataPoints[0].Negative.BucketCounts = nil
	if !proto.Equal(req, back) {
		t.Fatalf("round trip:\n%v\n%v", req, back)
	}
}

// A malformed event says where it is wrong.
func TestBadEventsSayWhere(t *testing.T) {
	for _, c := range []struct {
		json, want string
	}{
		{`{"logs": 3}`, "event.logs: must be an array"},
		{`{"logs": [{"instrumentation_library_logs": [{"logs": [{"severity_number": 99}]}]}]}`, "event.logs[0].instrumentation_library_logs[0].logs[0].severity_number: 99 is not a severity"},
		{`{"logs": [{"instrumentation_library_logs": [{"logs": [{"span_id": "xyz"}]}]}]}`, `span_id: "xyz" is not hex`},
		{`{"logs": [{"instrumentation_library_logs": [{"logs": [{"trace_id": "0102"}]}]}]}`, "trace_id: must be 16 bytes, got 2"},
	} {
		v, err := event.ParseJSON([]byte(c.json))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := toLogs(v); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.json, err, c.want)
		}
	}
	if _, err := toMetrics(mustJSON(t, `{"metrics": [{"instrumentation_library_metrics": [{"metrics": [{"data": {"int-thing": {}}}]}]}]}`)); err == nil ||
		!strings.Contains(err.Error(), `unknown metric kind "int-thing"`) {
		t.Errorf("unknown kind: %v", err)
	}
}

func mustJSON(t *testing.T, s string) event.Value {
	v, err := event.ParseJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Whatever an event holds, mapping it to OTLP never panics.
func FuzzEventToOTLP(f *testing.F) {
	for _, s := range []string{
		`{"logs": [{"instrumentation_library_logs": [{"logs": [{"severity_number": 9, "body": {"a": [1, 2.5, null]}}]}], "resource": {"attributes": {}}}]}`,
		`{"trace": [{"instrumentation_library_spans": [{"spans": [{"span_id": [1,2,3,4,5,6,7,8], "status": {"code": 1}}]}]}]}`,
		`{"metrics": [{"instrumentation_library_metrics": [{"metrics": [{"data": {"double-histogram": {"data_points": [{"bucket_counts": [1], "explicit_bounds": [0.5]}]}}}]}]}]}`,
		`{"metrics": [{"instrumentation_library_metrics": [{"metrics": [{"data": {"exponential-histogram": {"data_points": [{"positive": {"offset": 1}}]}}}]}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := event.ParseJSON(data)
		if err != nil {
			return
		}
		_, _ = toLogs(v)
		_, _ = toTrace(v)
		_, _ = toMetrics(v)
	})
}
