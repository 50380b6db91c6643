package otel

// The event shape: Tremor 0.11's JSON mapping of the OTLP messages,
// which it took from OTLP 0.7 (instrumentation libraries, int and double
// metric kinds, string labels). The wire is today's OTLP: scopes are read
// and written as `instrumentation_library`, and metrics are mapped as the
// table in the package docs says.

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	logs "go.opentelemetry.io/proto/otlp/logs/v1"
	metrics "go.opentelemetry.io/proto/otlp/metrics/v1"
	resource "go.opentelemetry.io/proto/otlp/resource/v1"
	trace "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/temblor-dev/temblor/internal/event"
)

// ---- protobuf → event ----

func anyValue(v *common.AnyValue) event.Value {
	if v == nil {
		return nil
	}
	switch t := v.Value.(type) {
	case *common.AnyValue_StringValue:
		return t.StringValue
	case *common.AnyValue_BoolValue:
		return t.BoolValue
	case *common.AnyValue_IntValue:
		return t.IntValue
	case *common.AnyValue_DoubleValue:
		return t.DoubleValue
	case *common.AnyValue_BytesValue:
		return append([]byte(nil), t.BytesValue...)
	case *common.AnyValue_ArrayValue:
		out := make([]event.Value, 0, len(t.ArrayValue.GetValues()))
		for _, x := range t.ArrayValue.GetValues() {
			out = append(out, anyValue(x))
		}
		return out
	case *common.AnyValue_KvlistValue:
		return keyValues(t.KvlistValue.GetValues())
	}
	return nil
}

func keyValues(kvs []*common.KeyValue) *event.Record {
	r := event.NewRecord(len(kvs))
	for _, kv := range kvs {
		r.Set(kv.GetKey(), anyValue(kv.GetValue()))
	}
	return r
}

func hexID(b []byte) string { return hex.EncodeToString(b) }

func scope(s *common.InstrumentationScope) event.Value {
	if s == nil {
		return nil
	}
	return event.RecordOf("name", s.GetName(), "version", s.GetVersion())
}

func resourceValue(r *resource.Resource) *event.Record {
	if r == nil {
		return event.RecordOf("attributes", event.NewRecord(0), "dropped_attributes_count", int64(0))
	}
	return event.RecordOf("attributes", keyValues(r.GetAttributes()), "dropped_attributes_count", int64(r.GetDroppedAttributesCount()))
}

// u64 keeps a uint64 exact: int64 when it fits, as every integer.
func u64(x uint64) event.Value {
	if x <= math.MaxInt64 {
		return int64(x)
	}
	return x
}

func logsValue(req *collogs.ExportLogsServiceRequest) event.Value {
	out := []event.Value{}
	for _, rl := range req.GetResourceLogs() {
		ills := []event.Value{}
		for _, sl := range rl.GetScopeLogs() {
			recs := []event.Value{}
			for _, l := range sl.GetLogRecords() {
				recs = append(recs, event.RecordOf(
					"name", l.GetEventName(),
					"time_unix_nano", u64(l.GetTimeUnixNano()),
					"severity_number", int64(l.GetSeverityNumber()),
					"severity_text", l.GetSeverityText(),
					"flags", int64(l.GetFlags()),
					"span_id", hexID(l.GetSpanId()),
					"trace_id", hexID(l.GetTraceId()),
					"attributes", keyValues(l.GetAttributes()),
					"dropped_attributes_count", int64(l.GetDroppedAttributesCount()),
					"body", anyValue(l.GetBody()),
				))
			}
			ills = append(ills, event.RecordOf("instrumentation_library", scope(sl.GetScope()), "logs", recs))
		}
		out = append(out, event.RecordOf("instrumentation_library_logs", ills, "resource", resourceValue(rl.GetResource())))
	}
	return event.RecordOf("logs", out)
}

func statusValue(s *trace.Status) *event.Record {
	if s == nil {
		return event.RecordOf("code", int64(0), "deprecated_code", int64(0), "message", "status code unset")
	}
	return event.RecordOf("code", int64(s.GetCode()), "deprecated_code", int64(0), "message", s.GetMessage())
}

func traceValue(req *coltrace.ExportTraceServiceRequest) event.Value {
	out := []event.Value{}
	for _, rs := range req.GetResourceSpans() {
		ils := []event.Value{}
		for _, ss := range rs.GetScopeSpans() {
			spans := []event.Value{}
			for _, sp := range ss.GetSpans() {
				evs := []event.Value{}
				for _, e := range sp.GetEvents() {
					evs = append(evs, event.RecordOf("time_unix_nano", u64(e.GetTimeUnixNano()), "name", e.GetName(),
						"attributes", keyValues(e.GetAttributes()), "dropped_attributes_count", int64(e.GetDroppedAttributesCount())))
				}
				links := []event.Value{}
				for _, l := range sp.GetLinks() {
					links = append(links, event.RecordOf("trace_id", hexID(l.GetTraceId()), "span_id", hexID(l.GetSpanId()),
						"trace_state", l.GetTraceState(), "attributes", keyValues(l.GetAttributes()),
						"dropped_attributes_count", int64(l.GetDroppedAttributesCount())))
				}
				spans = append(spans, event.RecordOf(
					"attributes", keyValues(sp.GetAttributes()),
					"events", evs,
					"links", links,
					"span_id", hexID(sp.GetSpanId()),
					"parent_span_id", hexID(sp.GetParentSpanId()),
					"trace_id", hexID(sp.GetTraceId()),
					"start_time_unix_nano", u64(sp.GetStartTimeUnixNano()),
					"end_time_unix_nano", u64(sp.GetEndTimeUnixNano()),
					"trace_state", sp.GetTraceState(),
					"dropped_attributes_count", int64(sp.GetDroppedAttributesCount()),
					"dropped_events_count", int64(sp.GetDroppedEventsCount()),
					"dropped_links_count", int64(sp.GetDroppedLinksCount()),
					"status", statusValue(sp.GetStatus()),
					"kind", int64(sp.GetKind()),
					"name", sp.GetName(),
				))
			}
			ils = append(ils, event.RecordOf("instrumentation_library", scope(ss.GetScope()), "spans", spans))
		}
		out = append(out, event.RecordOf("instrumentation_library_spans", ils, "resource", resourceValue(rs.GetResource())))
	}
	return event.RecordOf("trace", out)
}

func exemplars(xs []*metrics.Exemplar) []event.Value {
	out := []event.Value{}
	for _, x := range xs {
		var v event.Value
		switch t := x.GetValue().(type) {
		case *metrics.Exemplar_AsInt:
			v = t.AsInt
		case *metrics.Exemplar_AsDouble:
			v = t.AsDouble
		}
		out = append(out, event.RecordOf("span_id", hexID(x.GetSpanId()), "trace_id", hexID(x.GetTraceId()),
			"filtered_labels", keyValues(x.GetFilteredAttributes()), "time_unix_nano", u64(x.GetTimeUnixNano()), "value", v))
	}
	return out
}

func u64s(xs []uint64) []event.Value {
	out := make([]event.Value, len(xs))
	for i, x := range xs {
		out[i] = u64(x)
	}
	return out
}

func f64s(xs []float64) []event.Value {
	out := make([]event.Value, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// numberPoints maps gauge and sum points; isInt says whether every point
// holds an integer (the metric is then Tremor's int kind).
func numberPoints(ps []*metrics.NumberDataPoint) (out []event.Value, isInt bool) {
	isInt = true
	for _, p := range ps {
		if _, ok := p.GetValue().(*metrics.NumberDataPoint_AsDouble); ok {
			isInt = false
		}
	}
	out = []event.Value{}
	for _, p := range ps {
		var v event.Value
		switch t := p.GetValue().(type) {
		case *metrics.NumberDataPoint_AsInt:
			v = t.AsInt
			if !isInt {
				v = float64(t.AsInt)
			}
		case *metrics.NumberDataPoint_AsDouble:
			v = t.AsDouble
		default:
			if isInt {
				v = int64(0)
			} else {
				v = 0.0
			}
		}
		out = append(out, event.RecordOf("value", v, "start_time_unix_nano", u64(p.GetStartTimeUnixNano()),
			"time_unix_nano", u64(p.GetTimeUnixNano()), "labels", keyValues(p.GetAttributes()), "exemplars", exemplars(p.GetExemplars())))
	}
	return out, isInt
}

func metricData(m *metrics.Metric) event.Value {
	switch d := m.GetData().(type) {
	case *metrics.Metric_Gauge:
		pts, isInt := numberPoints(d.Gauge.GetDataPoints())
		kind := "double-gauge"
		if isInt && len(pts) > 0 {
			kind = "int-gauge"
		}
		return event.RecordOf(kind, event.RecordOf("data_points", pts))
	case *metrics.Metric_Sum:
		pts, isInt := numberPoints(d.Sum.GetDataPoints())
		kind := "double-sum"
		if isInt && len(pts) > 0 {
			kind = "int-sum"
		}
		return event.RecordOf(kind, event.RecordOf("is_monotonic", d.Sum.GetIsMonotonic(), "data_points", pts,
			"aggregation_temporality", int64(d.Sum.GetAggregationTemporality())))
	case *metrics.Metric_Histogram:
		pts := []event.Value{}
		for _, p := range d.Histogram.GetDataPoints() {
			pts = append(pts, event.RecordOf("start_time_unix_nano", u64(p.GetStartTimeUnixNano()), "time_unix_nano", u64(p.GetTimeUnixNano()),
				"labels", keyValues(p.GetAttributes()), "exemplars", exemplars(p.GetExemplars()), "sum", p.GetSum(),
				"count", u64(p.GetCount()), "explicit_bounds", f64s(p.GetExplicitBounds()), "bucket_counts", u64s(p.GetBucketCounts())))
		}
		return event.RecordOf("double-histogram", event.RecordOf("data_points", pts,
			"aggregation_temporality", int64(d.Histogram.GetAggregationTemporality())))
	case *metrics.Metric_Summary:
		pts := []event.Value{}
		for _, p := range d.Summary.GetDataPoints() {
			qs := []event.Value{}
			for _, q := range p.GetQuantileValues() {
				qs = append(qs, event.RecordOf("value", q.GetValue(), "quantile", q.GetQuantile()))
			}
			pts = append(pts, event.RecordOf("start_time_unix_nano", u64(p.GetStartTimeUnixNano()), "time_unix_nano", u64(p.GetTimeUnixNano()),
				"labels", keyValues(p.GetAttributes()), "quantile_values", qs, "sum", p.GetSum(), "count", u64(p.GetCount())))
		}
		return event.RecordOf("double-summary", event.RecordOf("data_points", pts))
	case *metrics.Metric_ExponentialHistogram:
		pts := []event.Value{}
		buckets := func(b *metrics.ExponentialHistogramDataPoint_Buckets) event.Value {
			return event.RecordOf("offset", int64(b.GetOffset()), "bucket_counts", u64s(b.GetBucketCounts()))
		}
		for _, p := range d.ExponentialHistogram.GetDataPoints() {
			pts = append(pts, event.RecordOf("start_time_unix_nano", u64(p.GetStartTimeUnixNano()), "time_unix_nano", u64(p.GetTimeUnixNano()),
				"labels", keyValues(p.GetAttributes()), "exemplars", exemplars(p.GetExemplars()), "sum", p.GetSum(),
				"count", u64(p.GetCount()), "scale", int64(p.GetScale()), "zero_count", u64(p.GetZeroCount()),
				"positive", buckets(p.GetPositive()), "negative", buckets(p.GetNegative())))
		}
		return event.RecordOf("exponential-histogram", event.RecordOf("data_points", pts,
			"aggregation_temporality", int64(d.ExponentialHistogram.GetAggregationTemporality())))
	}
	return nil
}

func metricsValue(req *colmetrics.ExportMetricsServiceRequest) event.Value {
	out := []event.Value{}
	for _, rm := range req.GetResourceMetrics() {
		ils := []event.Value{}
		for _, sm := range rm.GetScopeMetrics() {
			ms := []event.Value{}
			for _, m := range sm.GetMetrics() {
				ms = append(ms, event.RecordOf("name", m.GetName(), "description", m.GetDescription(), "data", metricData(m), "unit", m.GetUnit()))
			}
			ils = append(ils, event.RecordOf("instrumentation_library", scope(sm.GetScope()), "metrics", ms))
		}
		out = append(out, event.RecordOf("instrumentation_library_metrics", ils, "resource", resourceValue(rm.GetResource())))
	}
	return event.RecordOf("metrics", out)
}

// ---- event → protobuf ----

// path builds error messages that say where in the event the problem is.
type path string

func (p path) at(k string) path { return path(string(p) + "." + k) }
func (p path) idx(i int) path   { return path(fmt.Sprintf("%s[%d]", p, i)) }
func (p path) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s", string(p), fmt.Sprintf(format, args...))
}

func get(r *event.Record, k string) (event.Value, bool) {
	if r == nil {
		return nil, false
	}
	return r.Get(k)
}

func rec(v event.Value, p path) (*event.Record, error) {
	r, ok := v.(*event.Record)
	if !ok {
		return nil, p.errorf("must be a record, got %s", event.TypeName(v))
	}
	return r, nil
}

func list(r *event.Record, k string, p path, required bool) ([]event.Value, error) {
	v, ok := get(r, k)
	if !ok || v == nil {
		if required {
			return nil, p.at(k).errorf("is missing")
		}
		return nil, nil
	}
	a, ok := v.([]event.Value)
	if !ok {
		return nil, p.at(k).errorf("must be an array, got %s", event.TypeName(v))
	}
	return a, nil
}

func str(r *event.Record, k string, p path) (string, error) {
	v, ok := get(r, k)
	if !ok || v == nil {
		return "", nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", p.at(k).errorf("must be a string, got %s", event.TypeName(v))
	}
	return s, nil
}

func integer(r *event.Record, k string, p path, lo, hi float64) (int64, uint64, error) {
	v, ok := get(r, k)
	if !ok || v == nil {
		return 0, 0, nil
	}
	switch t := v.(type) {
	case int64:
		if float64(t) < lo || float64(t) > hi {
			return 0, 0, p.at(k).errorf("%d is out of range", t)
		}
		return t, uint64(t), nil
	case uint64:
		if float64(t) > hi {
			return 0, 0, p.at(k).errorf("%d is out of range", t)
		}
		return int64(t), t, nil
	}
	return 0, 0, p.at(k).errorf("must be an integer, got %s", event.TypeName(v))
}

func u64f(r *event.Record, k string, p path) (uint64, error) {
	_, u, err := integer(r, k, p, 0, math.MaxUint64)
	return u, err
}
func u32f(r *event.Record, k string, p path) (uint32, error) {
	_, u, err := integer(r, k, p, 0, math.MaxUint32)
	return uint32(u), err
}
func i32f(r *event.Record, k string, p path) (int32, error) {
	i, _, err := integer(r, k, p, math.MinInt32, math.MaxInt32)
	return int32(i), err
}

func float(r *event.Record, k string, p path) (float64, error) {
	v, ok := get(r, k)
	if !ok || v == nil {
		return 0, nil
	}
	switch t := v.(type) {
	case float64:
		return t, nil
	case int64:
		return float64(t), nil
	case uint64:
		return float64(t), nil
	}
	return 0, p.at(k).errorf("must be a number, got %s", event.TypeName(v))
}

func boolean(r *event.Record, k string, p path) (bool, error) {
	v, ok := get(r, k)
	if !ok || v == nil {
		return false, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, p.at(k).errorf("must be a boolean, got %s", event.TypeName(v))
	}
	return b, nil
}

// id reads a span or trace ID: hex text, bytes or an array of bytes.
func id(r *event.Record, k string, n int, p path) ([]byte, error) {
	v, ok := get(r, k)
	if !ok || v == nil {
		return nil, nil
	}
	var b []byte
	switch t := v.(type) {
	case string:
		var err error
		if b, err = hex.DecodeString(t); err != nil {
			return nil, p.at(k).errorf("%q is not hex", t)
		}
	case []byte:
		b = t
	case []event.Value:
		for i, x := range t {
			n, ok := x.(int64)
			if !ok || n < 0 || n > 255 {
				return nil, p.at(k).idx(i).errorf("must be a byte (0 to 255)")
			}
			b = append(b, byte(n))
		}
	default:
		return nil, p.at(k).errorf("must be hex text, got %s", event.TypeName(v))
	}
	if len(b) != 0 && len(b) != n {
		return nil, p.at(k).errorf("must be %d bytes, got %d", n, len(b))
	}
	return b, nil
}

func toAny(v event.Value) *common.AnyValue {
	switch t := v.(type) {
	case nil:
		return &common.AnyValue{}
	case bool:
		return &common.AnyValue{Value: &common.AnyValue_BoolValue{BoolValue: t}}
	case int64:
		return &common.AnyValue{Value: &common.AnyValue_IntValue{IntValue: t}}
	case uint64:
		return &common.AnyValue{Value: &common.AnyValue_IntValue{IntValue: int64(t)}}
	case float64:
		return &common.AnyValue{Value: &common.AnyValue_DoubleValue{DoubleValue: t}}
	case string:
		return &common.AnyValue{Value: &common.AnyValue_StringValue{StringValue: t}}
	case []byte:
		return &common.AnyValue{Value: &common.AnyValue_BytesValue{BytesValue: t}}
	case []event.Value:
		a := &common.ArrayValue{}
		for _, x := range t {
			a.Values = append(a.Values, toAny(x))
		}
		return &common.AnyValue{Value: &common.AnyValue_ArrayValue{ArrayValue: a}}
	case *event.Record:
		return &common.AnyValue{Value: &common.AnyValue_KvlistValue{KvlistValue: &common.KeyValueList{Values: toKeyValues(t)}}}
	}
	return &common.AnyValue{}
}

func toKeyValues(r *event.Record) []*common.KeyValue {
	if r == nil {
		return nil
	}
	out := make([]*common.KeyValue, 0, r.Len())
	for i := range r.Len() {
		k, v := r.At(i)
		out = append(out, &common.KeyValue{Key: k, Value: toAny(v)})
	}
	return out
}

func attrs(r *event.Record, k string, p path) ([]*common.KeyValue, error) {
	v, ok := get(r, k)
	if !ok || v == nil {
		return nil, nil
	}
	a, err := rec(v, p.at(k))
	if err != nil {
		return nil, err
	}
	return toKeyValues(a), nil
}

func toScope(r *event.Record, p path) (*common.InstrumentationScope, error) {
	v, ok := get(r, "instrumentation_library")
	if !ok || v == nil {
		return nil, nil
	}
	s, err := rec(v, p.at("instrumentation_library"))
	if err != nil {
		return nil, err
	}
	name, err := str(s, "name", p.at("instrumentation_library"))
	if err != nil {
		return nil, err
	}
	version, err := str(s, "version", p.at("instrumentation_library"))
	return &common.InstrumentationScope{Name: name, Version: version}, err
}

func toResource(r *event.Record, p path) (*resource.Resource, error) {
	v, ok := get(r, "resource")
	if !ok || v == nil {
		return nil, nil
	}
	res, err := rec(v, p.at("resource"))
	if err != nil {
		return nil, err
	}
	a, err := attrs(res, "attributes", p.at("resource"))
	if err != nil {
		return nil, err
	}
	d, err := u32f(res, "dropped_attributes_count", p.at("resource"))
	return &resource.Resource{Attributes: a, DroppedAttributesCount: d}, err
}

// each runs fn over the records of the array r[k].
func each(r *event.Record, k string, p path, required bool, fn func(*event.Record, path) error) error {
	items, err := list(r, k, p, required)
	if err != nil {
		return err
	}
	for i, it := range items {
		ip := p.at(k).idx(i)
		x, err := rec(it, ip)
		if err != nil {
			return err
		}
		if err := fn(x, ip); err != nil {
			return err
		}
	}
	return nil
}

func toLogs(v event.Value) (*collogs.ExportLogsServiceRequest, error) {
	root, err := rec(v, "event")
	if err != nil {
		return nil, err
	}
	req := &collogs.ExportLogsServiceRequest{}
	err = each(root, "logs", "event", true, func(r *event.Record, p path) error {
		rl := &logs.ResourceLogs{}
		var err error
		if rl.Resource, err = toResource(r, p); err != nil {
			return err
		}
		err = each(r, "instrumentation_library_logs", p, false, func(r *event.Record, p path) error {
			sl := &logs.ScopeLogs{}
			var err error
			if sl.Scope, err = toScope(r, p); err != nil {
				return err
			}
			err = each(r, "logs", p, false, func(r *event.Record, p path) error {
				l := &logs.LogRecord{}
				var err error
				var sev int32
				errs := []error{}
				add := func(e error) { errs = append(errs, e) }
				l.EventName, err = str(r, "name", p)
				add(err)
				l.TimeUnixNano, err = u64f(r, "time_unix_nano", p)
				add(err)
				sev, err = i32f(r, "severity_number", p)
				add(err)
				if sev < 0 || sev > 24 {
					add(p.at("severity_number").errorf("%d is not a severity (0 to 24)", sev))
				}
				l.SeverityNumber = logs.SeverityNumber(sev)
				l.SeverityText, err = str(r, "severity_text", p)
				add(err)
				l.Flags, err = u32f(r, "flags", p)
				add(err)
				l.SpanId, err = id(r, "span_id", 8, p)
				add(err)
				l.TraceId, err = id(r, "trace_id", 16, p)
				add(err)
				l.Attributes, err = attrs(r, "attributes", p)
				add(err)
				l.DroppedAttributesCount, err = u32f(r, "dropped_attributes_count", p)
				add(err)
				if b, ok := get(r, "body"); ok {
					l.Body = toAny(b)
				}
				sl.LogRecords = append(sl.LogRecords, l)
				return errors.Join(errs...)
			})
			rl.ScopeLogs = append(rl.ScopeLogs, sl)
			return err
		})
		req.ResourceLogs = append(req.ResourceLogs, rl)
		return err
	})
	return req, err
}

func toTrace(v event.Value) (*coltrace.ExportTraceServiceRequest, error) {
	root, err := rec(v, "event")
	if err != nil {
		return nil, err
	}
	req := &coltrace.ExportTraceServiceRequest{}
	err = each(root, "trace", "event", true, func(r *event.Record, p path) error {
		rs := &trace.ResourceSpans{}
		var err error
		if rs.Resource, err = toResource(r, p); err != nil {
			return err
		}
		err = each(r, "instrumentation_library_spans", p, false, func(r *event.Record, p path) error {
			ss := &trace.ScopeSpans{}
			var err error
			if ss.Scope, err = toScope(r, p); err != nil {
				return err
			}
			err = each(r, "spans", p, false, func(r *event.Record, p path) error {
				sp := &trace.Span{}
				var err error
				var kind int32
				errs := []error{}
				add := func(e error) { errs = append(errs, e) }
				sp.Name, err = str(r, "name", p)
				add(err)
				sp.StartTimeUnixNano, err = u64f(r, "start_time_unix_nano", p)
				add(err)
				sp.EndTimeUnixNano, err = u64f(r, "end_time_unix_nano", p)
				add(err)
				kind, err = i32f(r, "kind", p)
				add(err)
				sp.Kind = trace.Span_SpanKind(kind)
				sp.ParentSpanId, err = id(r, "parent_span_id", 8, p)
				add(err)
				sp.SpanId, err = id(r, "span_id", 8, p)
				add(err)
				sp.TraceId, err = id(r, "trace_id", 16, p)
				add(err)
				sp.TraceState, err = str(r, "trace_state", p)
				add(err)
				sp.Attributes, err = attrs(r, "attributes", p)
				add(err)
				sp.DroppedAttributesCount, err = u32f(r, "dropped_attributes_count", p)
				add(err)
				sp.DroppedEventsCount, err = u32f(r, "dropped_events_count", p)
				add(err)
				sp.DroppedLinksCount, err = u32f(r, "dropped_links_count", p)
				add(err)
				if st, ok := get(r, "status"); ok && st != nil {
					s, err := rec(st, p.at("status"))
					add(err)
					if s != nil {
						code, err := i32f(s, "code", p.at("status"))
						add(err)
						msg, err := str(s, "message", p.at("status"))
						add(err)
						sp.Status = &trace.Status{Code: trace.Status_StatusCode(code), Message: msg}
					}
				}
				add(each(r, "events", p, false, func(r *event.Record, p path) error {
					e := &trace.Span_Event{}
					var err1, err2, err3, err4 error
					e.Name, err1 = str(r, "name", p)
					e.TimeUnixNano, err2 = u64f(r, "time_unix_nano", p)
					e.Attributes, err3 = attrs(r, "attributes", p)
					e.DroppedAttributesCount, err4 = u32f(r, "dropped_attributes_count", p)
					sp.Events = append(sp.Events, e)
					return errors.Join(err1, err2, err3, err4)
				}))
				add(each(r, "links", p, false, func(r *event.Record, p path) error {
					l := &trace.Span_Link{}
					var err1, err2, err3, err4, err5 error
					l.SpanId, err1 = id(r, "span_id", 8, p)
					l.TraceId, err2 = id(r, "trace_id", 16, p)
					l.TraceState, err3 = str(r, "trace_state", p)
					l.Attributes, err4 = attrs(r, "attributes", p)
					l.DroppedAttributesCount, err5 = u32f(r, "dropped_attributes_count", p)
					sp.Links = append(sp.Links, l)
					return errors.Join(err1, err2, err3, err4, err5)
				}))
				ss.Spans = append(ss.Spans, sp)
				return errors.Join(errs...)
			})
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
			return err
		})
		req.ResourceSpans = append(req.ResourceSpans, rs)
		return err
	})
	return req, err
}

func toExemplars(r *event.Record, k string, p path) ([]*metrics.Exemplar, error) {
	var out []*metrics.Exemplar
	err := each(r, k, p, false, func(r *event.Record, p path) error {
		x := &metrics.Exemplar{}
		var err1, err2, err3, err4 error
		x.FilteredAttributes, err1 = attrs(r, "filtered_labels", p)
		x.SpanId, err2 = id(r, "span_id", 8, p)
		x.TraceId, err3 = id(r, "trace_id", 16, p)
		x.TimeUnixNano, err4 = u64f(r, "time_unix_nano", p)
		switch v, _ := get(r, "value"); t := v.(type) {
		case int64:
			x.Value = &metrics.Exemplar_AsInt{AsInt: t}
		case float64:
			x.Value = &metrics.Exemplar_AsDouble{AsDouble: t}
		}
		out = append(out, x)
		return errors.Join(err1, err2, err3, err4)
	})
	return out, err
}

func toNumberPoints(r *event.Record, p path, isInt bool) ([]*metrics.NumberDataPoint, error) {
	var out []*metrics.NumberDataPoint
	err := each(r, "data_points", p, false, func(r *event.Record, p path) error {
		dp := &metrics.NumberDataPoint{}
		var err1, err2, err3, err4, err5 error
		dp.Attributes, err1 = attrs(r, "labels", p)
		dp.StartTimeUnixNano, err2 = u64f(r, "start_time_unix_nano", p)
		dp.TimeUnixNano, err3 = u64f(r, "time_unix_nano", p)
		dp.Exemplars, err4 = toExemplars(r, "exemplars", p)
		if isInt {
			var i int64
			i, _, err5 = integer(r, "value", p, math.MinInt64, math.MaxInt64)
			dp.Value = &metrics.NumberDataPoint_AsInt{AsInt: i}
		} else {
			var f float64
			f, err5 = float(r, "value", p)
			dp.Value = &metrics.NumberDataPoint_AsDouble{AsDouble: f}
		}
		out = append(out, dp)
		return errors.Join(err1, err2, err3, err4, err5)
	})
	return out, err
}

func toMetric(r *event.Record, p path) (*metrics.Metric, error) {
	m := &metrics.Metric{}
	var err1, err2, err3 error
	m.Name, err1 = str(r, "name", p)
	m.Description, err2 = str(r, "description", p)
	m.Unit, err3 = str(r, "unit", p)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	dv, ok := get(r, "data")
	if !ok || dv == nil {
		return m, nil
	}
	d, err := rec(dv, p.at("data"))
	if err != nil {
		return nil, err
	}
	if d.Len() != 1 {
		return nil, p.at("data").errorf("must have one kind: int-gauge, double-gauge, int-sum, double-sum, int-histogram, double-histogram, double-summary or exponential-histogram")
	}
	kind, kv := d.At(0)
	kp := p.at("data").at(kind)
	k, err := rec(kv, kp)
	if err != nil {
		return nil, err
	}
	temporality := func() (metrics.AggregationTemporality, error) {
		t, err := i32f(k, "aggregation_temporality", kp)
		return metrics.AggregationTemporality(t), err
	}
	switch kind {
	case "int-gauge", "double-gauge":
		pts, err := toNumberPoints(k, kp, kind == "int-gauge")
		m.Data = &metrics.Metric_Gauge{Gauge: &metrics.Gauge{DataPoints: pts}}
		return m, err
	case "int-sum", "double-sum":
		pts, err1 := toNumberPoints(k, kp, kind == "int-sum")
		mono, err2 := boolean(k, "is_monotonic", kp)
		at, err3 := temporality()
		m.Data = &metrics.Metric_Sum{Sum: &metrics.Sum{DataPoints: pts, IsMonotonic: mono, AggregationTemporality: at}}
		return m, errors.Join(err1, err2, err3)
	case "int-histogram", "double-histogram":
		h := &metrics.Histogram{}
		var err1 error
		h.AggregationTemporality, err1 = temporality()
		err2 := each(k, "data_points", kp, false, func(r *event.Record, p path) error {
			dp := &metrics.HistogramDataPoint{}
			var es [8]error
			dp.Attributes, es[0] = attrs(r, "labels", p)
			dp.StartTimeUnixNano, es[1] = u64f(r, "start_time_unix_nano", p)
			dp.TimeUnixNano, es[2] = u64f(r, "time_unix_nano", p)
			dp.Count, es[3] = u64f(r, "count", p)
			var sum float64
			sum, es[4] = float(r, "sum", p)
			dp.Sum = &sum
			dp.Exemplars, es[5] = toExemplars(r, "exemplars", p)
			bounds, err := list(r, "explicit_bounds", p, false)
			es[6] = err
			for i, b := range bounds {
				switch t := b.(type) {
				case float64:
					dp.ExplicitBounds = append(dp.ExplicitBounds, t)
				case int64:
					dp.ExplicitBounds = append(dp.ExplicitBounds, float64(t))
				default:
					es[6] = p.at("explicit_bounds").idx(i).errorf("must be a number")
				}
			}
			counts, err := list(r, "bucket_counts", p, false)
			es[7] = err
			for i, c := range counts {
				n, ok := c.(int64)
				if !ok || n < 0 {
					es[7] = p.at("bucket_counts").idx(i).errorf("must be a non-negative integer")
					continue
				}
				dp.BucketCounts = append(dp.BucketCounts, uint64(n))
			}
			h.DataPoints = append(h.DataPoints, dp)
			return errors.Join(es[:]...)
		})
		m.Data = &metrics.Metric_Histogram{Histogram: h}
		return m, errors.Join(err1, err2)
	case "double-summary":
		s := &metrics.Summary{}
		err := each(k, "data_points", kp, false, func(r *event.Record, p path) error {
			dp := &metrics.SummaryDataPoint{}
			var es [6]error
			dp.Attributes, es[0] = attrs(r, "labels", p)
			dp.StartTimeUnixNano, es[1] = u64f(r, "start_time_unix_nano", p)
			dp.TimeUnixNano, es[2] = u64f(r, "time_unix_nano", p)
			dp.Count, es[3] = u64f(r, "count", p)
			dp.Sum, es[4] = float(r, "sum", p)
			es[5] = each(r, "quantile_values", p, false, func(r *event.Record, p path) error {
				q := &metrics.SummaryDataPoint_ValueAtQuantile{}
				var e1, e2 error
				q.Value, e1 = float(r, "value", p)
				q.Quantile, e2 = float(r, "quantile", p)
				dp.QuantileValues = append(dp.QuantileValues, q)
				return errors.Join(e1, e2)
			})
			s.DataPoints = append(s.DataPoints, dp)
			return errors.Join(es[:]...)
		})
		m.Data = &metrics.Metric_Summary{Summary: s}
		return m, err
	case "exponential-histogram":
		h := &metrics.ExponentialHistogram{}
		var err1 error
		h.AggregationTemporality, err1 = temporality()
		buckets := func(r *event.Record, k string, p path) (*metrics.ExponentialHistogramDataPoint_Buckets, error) {
			v, ok := get(r, k)
			if !ok || v == nil {
				return nil, nil
			}
			b, err := rec(v, p.at(k))
			if err != nil {
				return nil, err
			}
			off, err := i32f(b, "offset", p.at(k))
			out := &metrics.ExponentialHistogramDataPoint_Buckets{Offset: off}
			counts, err2 := list(b, "bucket_counts", p.at(k), false)
			for _, c := range counts {
				if n, ok := c.(int64); ok && n >= 0 {
					out.BucketCounts = append(out.BucketCounts, uint64(n))
				}
			}
			return out, errors.Join(err, err2)
		}
		err2 := each(k, "data_points", kp, false, func(r *event.Record, p path) error {
			dp := &metrics.ExponentialHistogramDataPoint{}
			var es [9]error
			dp.Attributes, es[0] = attrs(r, "labels", p)
			dp.StartTimeUnixNano, es[1] = u64f(r, "start_time_unix_nano", p)
			dp.TimeUnixNano, es[2] = u64f(r, "time_unix_nano", p)
			dp.Count, es[3] = u64f(r, "count", p)
			var sum float64
			sum, es[4] = float(r, "sum", p)
			dp.Sum = &sum
			dp.Scale, es[5] = i32f(r, "scale", p)
			dp.ZeroCount, es[6] = u64f(r, "zero_count", p)
			dp.Positive, es[7] = buckets(r, "positive", p)
			dp.Negative, es[8] = buckets(r, "negative", p)
			h.DataPoints = append(h.DataPoints, dp)
			return errors.Join(es[:]...)
		})
		m.Data = &metrics.Metric_ExponentialHistogram{ExponentialHistogram: h}
		return m, errors.Join(err1, err2)
	}
	return nil, p.at("data").errorf("unknown metric kind %q", kind)
}

func toMetrics(v event.Value) (*colmetrics.ExportMetricsServiceRequest, error) {
	root, err := rec(v, "event")
	if err != nil {
		return nil, err
	}
	req := &colmetrics.ExportMetricsServiceRequest{}
	err = each(root, "metrics", "event", true, func(r *event.Record, p path) error {
		rm := &metrics.ResourceMetrics{}
		var err error
		if rm.Resource, err = toResource(r, p); err != nil {
			return err
		}
		err = each(r, "instrumentation_library_metrics", p, false, func(r *event.Record, p path) error {
			sm := &metrics.ScopeMetrics{}
			var err error
			if sm.Scope, err = toScope(r, p); err != nil {
				return err
			}
			err = each(r, "metrics", p, false, func(r *event.Record, p path) error {
				m, err := toMetric(r, p)
				if m != nil {
					sm.Metrics = append(sm.Metrics, m)
				}
				return err
			})
			rm.ScopeMetrics = append(rm.ScopeMetrics, sm)
			return err
		})
		req.ResourceMetrics = append(req.ResourceMetrics, rm)
		return err
	})
	return req, err
}
