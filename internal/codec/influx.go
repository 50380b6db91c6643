package codec

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	Register(Spec{Name: "influx", Doc: "InfluxDB line protocol, one line per frame, as the record {measurement, tags, fields, timestamp}. " +
		"Numbers without a suffix are floats, `i` integers, `u` unsigned (Tremor rejected `u`); a line without a timestamp gets the ingest time; blank and comment lines are skipped. " +
		"Encoding sorts tags and fields by key (as Tremor), writes floats in shortest form (82, not Tremor's 82.0: InfluxDB reads both as floats), writes number and boolean tag values as text (Tremor dropped them), and errors on a missing measurement, fields or timestamp.",
		New: func() Codec { return influxCodec{} }})
}

type influxCodec struct{}

func (c influxCodec) Decode(data []byte) (event.Value, error) {
	return c.DecodeAt(data, uint64(time.Now().UnixNano()))
}

func (influxCodec) DecodeAt(data []byte, ingestNS uint64) (event.Value, error) {
	d := lineprotocol.NewDecoderWithBytes(bytes.TrimSpace(data)) // Tremor trimmed the frame first
	if !d.Next() {
		return nil, ErrSkip // only blank or comment lines
	}
	r, err := influxLine(d, ingestNS)
	if err != nil {
		return nil, fmt.Errorf("influx: %w", err)
	}
	if d.Next() {
		return nil, errors.New("influx: more than one line in one frame; split lines first (the lines preprocessor)")
	}
	return r, nil
}

func influxLine(d *lineprotocol.Decoder, ingestNS uint64) (*event.Record, error) {
	m, err := d.Measurement()
	if err != nil {
		return nil, err
	}
	tags := event.NewRecord(4)
	for {
		k, v, err := d.NextTag()
		if err != nil {
			return nil, err
		}
		if k == nil {
			break
		}
		tags.Set(string(k), string(v))
	}
	fields := event.NewRecord(4)
	for {
		k, v, err := d.NextField()
		if err != nil {
			return nil, err
		}
		if k == nil {
			break
		}
		var fv event.Value
		switch v.Kind() {
		case lineprotocol.Int:
			fv = v.IntV()
		case lineprotocol.Uint:
			fv = event.Normalize(v.UintV())
		case lineprotocol.Float:
			fv = v.FloatV()
		case lineprotocol.String:
			fv = v.StringV()
		case lineprotocol.Bool:
			fv = v.BoolV()
		}
		fields.Set(string(k), fv)
	}
	tb, err := d.TimeBytes()
	if err != nil {
		return nil, err
	}
	var ts event.Value = event.Normalize(ingestNS)
	if tb != nil {
		n, err := strconv.ParseInt(string(tb), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("timestamp %q: %w", tb, err)
		}
		ts = n
	}
	r := event.NewRecord(4)
	r.Set("measurement", string(m))
	r.Set("tags", tags)
	r.Set("fields", fields)
	r.Set("timestamp", ts)
	return r, nil
}

func (influxCodec) Encode(v event.Value) ([]byte, error) {
	b, err := influxEncode(v)
	if err != nil {
		return nil, fmt.Errorf("influx: %w", err)
	}
	return b, nil
}

func influxEncode(v event.Value) ([]byte, error) {
	r, ok := v.(*event.Record)
	if !ok {
		return nil, fmt.Errorf("expected a record {measurement, tags, fields, timestamp}, got %s", event.TypeName(v))
	}
	m, ok := r.Get("measurement")
	ms, isStr := m.(string)
	if !ok || !isStr {
		return nil, errors.New("`measurement` is missing or not a string")
	}
	var enc lineprotocol.Encoder
	enc.SetPrecision(lineprotocol.Nanosecond)
	enc.StartLine(ms)
	if t, ok := r.Get("tags"); ok && t != nil {
		tr, ok := t.(*event.Record)
		if !ok {
			return nil, fmt.Errorf("`tags` must be a record, got %s", event.TypeName(t))
		}
		for _, k := range sortedKeys(tr) {
			tv, _ := tr.Get(k)
			s, err := influxTagValue(tv)
			if err != nil {
				return nil, fmt.Errorf("tag %q: %w", k, err)
			}
			enc.AddTag(k, s)
		}
	}
	f, _ := r.Get("fields")
	fr, ok := f.(*event.Record)
	if !ok || fr.Len() == 0 {
		return nil, errors.New("`fields` is missing, empty or not a record")
	}
	for _, k := range sortedKeys(fr) {
		fv, _ := fr.Get(k)
		lv, err := influxFieldValue(fv)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		enc.AddField(k, lv)
	}
	ts, ok := r.Get("timestamp")
	if !ok {
		return nil, errors.New("`timestamp` is missing")
	}
	n, ok := ts.(int64)
	if !ok {
		return nil, fmt.Errorf("`timestamp` must be an integer of nanoseconds within int64, got %s", event.TypeName(ts))
	}
	enc.EndLine(time.Unix(0, n))
	if err := enc.Err(); err != nil {
		return nil, err
	}
	b := enc.Bytes()
	return b[:len(b)-1], nil // no trailing newline: framing is the lines postprocessor's job
}

func sortedKeys(r *event.Record) []string {
	ks := append([]string(nil), r.Keys()...)
	sort.Strings(ks)
	return ks
}

func influxTagValue(v event.Value) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case int64, uint64, float64, bool:
		return string(event.MarshalJSON(t)), nil
	}
	return "", fmt.Errorf("a tag value must be a string, number or boolean, got %s", event.TypeName(v))
}

func influxFieldValue(v event.Value) (lineprotocol.Value, error) {
	switch t := v.(type) {
	case int64:
		return lineprotocol.IntValue(t), nil
	case uint64:
		return lineprotocol.UintValue(t), nil
	case float64:
		if lv, ok := lineprotocol.FloatValue(t); ok {
			return lv, nil
		}
		return lineprotocol.Value{}, fmt.Errorf("%v cannot be written in line protocol", t)
	case bool:
		return lineprotocol.BoolValue(t), nil
	case string:
		if lv, ok := lineprotocol.StringValue(t); ok {
			return lv, nil
		}
		return lineprotocol.Value{}, errors.New("string is not valid UTF-8")
	}
	return lineprotocol.Value{}, fmt.Errorf("a field value must be a number, string or boolean, got %s", event.TypeName(v))
}
