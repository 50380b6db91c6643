package codec

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	Register(Spec{Name: "statsd", Doc: "One StatsD metric per frame, `name:value|type[|@rate]` with type c, ms, g, s or h, as the record {metric, [action], type, [sample_rate], value}. " +
		"A value with a `.` is a float, otherwise an integer; a gauge's leading + or - becomes action add or sub (the value stays positive). Tags (DogStatsD `|#`) are not supported, as in Tremor.",
		New: func() Codec { return statsdCodec{} }})
}

type statsdCodec struct{}

var errStatsd = errors.New("statsd: expected name:value|type[|@rate] with type c, ms, g, s or h")

func (statsdCodec) Decode(data []byte) (event.Value, error) {
	colon := bytes.IndexByte(data, ':')
	if colon < 0 {
		return nil, errStatsd
	}
	name := data[:colon]
	if !utf8.Valid(name) {
		return nil, errors.New("statsd: metric name is not valid UTF-8")
	}
	rest := data[colon+1:]
	bar := bytes.IndexByte(rest, '|')
	if bar < 0 {
		return nil, errStatsd
	}
	raw := string(rest[:bar])
	var value event.Value
	if bytes.IndexByte(rest[:bar], '.') >= 0 {
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, fmt.Errorf("statsd: value %q is not a number", raw)
		}
		value = f
	} else {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("statsd: value %q is not an integer", raw)
		}
		value = n
	}
	rest = rest[bar+1:]
	var typ string
	switch {
	case bytes.HasPrefix(rest, []byte("ms")):
		typ = "ms"
	case len(rest) > 0 && bytes.IndexByte([]byte("chsg"), rest[0]) >= 0:
		typ = string(rest[:1])
	default:
		return nil, errStatsd
	}
	rest = rest[len(typ):]
	r := event.NewRecord(5)
	r.Set("metric", string(name))
	if typ == "g" && len(raw) > 0 {
		switch raw[0] {
		case '+':
			r.Set("action", "add")
		case '-':
			r.Set("action", "sub")
			switch v := value.(type) {
			case int64:
				if v == -v && v != 0 { // math.MinInt64 has no positive counterpart
					return nil, fmt.Errorf("statsd: value %q out of range", raw)
				}
				value = -v
			case float64:
				value = -v
			}
		}
	}
	r.Set("type", typ)
	if len(rest) > 0 {
		if !bytes.HasPrefix(rest, []byte("|@")) {
			return nil, errStatsd
		}
		s := string(rest[2:])
		rate, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("statsd: sample rate %q is not a number", s)
		}
		r.Set("sample_rate", rate)
	}
	r.Set("value", value)
	return r, nil
}

func (statsdCodec) Encode(v event.Value) ([]byte, error) {
	r, ok := v.(*event.Record)
	if !ok {
		return nil, fmt.Errorf("statsd: expected a record {metric, type, value}, got %s", event.TypeName(v))
	}
	metric, ok1 := r.Get("metric")
	typ, ok2 := r.Get("type")
	value, _ := r.Get("value")
	ms, isStr1 := metric.(string)
	ts, isStr2 := typ.(string)
	if !ok1 || !ok2 || !isStr1 || !isStr2 || !isNumber(value) {
		return nil, errors.New("statsd: `metric` and `type` must be strings and `value` a number")
	}
	out := append([]byte(ms), ':')
	if ts == "g" {
		switch a, _ := r.Get("action"); a {
		case "add":
			out = append(out, '+')
		case "sub":
			out = append(out, '-')
		}
	}
	out = event.AppendJSON(out, value)
	out = append(append(out, '|'), ts...)
	if rate, ok := r.Get("sample_rate"); ok {
		if !isNumber(rate) {
			return nil, errors.New("statsd: `sample_rate` must be a number")
		}
		out = event.AppendJSON(append(out, '|', '@'), rate)
	}
	return out, nil
}

// isNumber reports whether v is an integer or a finite float.
func isNumber(v event.Value) bool {
	switch t := v.(type) {
	case int64, uint64:
		return true
	case float64:
		return !math.IsNaN(t) && !math.IsInf(t, 0)
	}
	return false
}
