package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	Register(Spec{Name: "binflux", Doc: "Tremor's binary form of an influx record {measurement, tags, fields, timestamp}: big-endian, version 0, strings with a 16-bit length, fields typed as i64, f64, string, true or false. " +
		"Decoding checks every length and UTF-8 (Tremor trusted the input); encoding counts only the tags it writes (Tremor's count included skipped non-string tags, corrupting the frame) and writes number and boolean tags as text.",
		New: func() Codec { return binfluxCodec{} }})
}

const (
	binfluxI64 byte = iota
	binfluxF64
	binfluxString
	binfluxTrue
	binfluxFalse
)

type binfluxCodec struct{}

type binfluxReader struct {
	b   []byte
	err error
}

func (r *binfluxReader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = fmt.Errorf("binflux: input ends inside %s", what)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *binfluxReader) u16(what string) int {
	if b := r.take(2, what); b != nil {
		return int(binary.BigEndian.Uint16(b))
	}
	return 0
}

func (r *binfluxReader) str(what string) string {
	n := r.u16(what)
	b := r.take(n, what)
	if r.err == nil && !utf8.Valid(b) {
		r.err = fmt.Errorf("binflux: %s is not valid UTF-8", what)
	}
	return string(b)
}

func (binfluxCodec) Decode(data []byte) (event.Value, error) {
	r := &binfluxReader{b: data}
	if v := r.u16("the version"); r.err == nil && v != 0 {
		return nil, fmt.Errorf("binflux: unknown version %d", v)
	}
	m := r.str("the measurement")
	var ts uint64
	if b := r.take(8, "the timestamp"); b != nil {
		ts = binary.BigEndian.Uint64(b)
	}
	tags := event.NewRecord(4)
	for n := r.u16("the tag count"); n > 0 && r.err == nil; n-- {
		k := r.str("a tag key")
		tags.Set(k, r.str("the value of tag "+k))
	}
	fields := event.NewRecord(4)
	for n := r.u16("the field count"); n > 0 && r.err == nil; n-- {
		k := r.str("a field key")
		t := r.take(1, "the type of field "+k)
		if r.err != nil {
			break
		}
		switch t[0] {
		case binfluxI64:
			if b := r.take(8, "field "+k); b != nil {
				fields.Set(k, int64(binary.BigEndian.Uint64(b)))
			}
		case binfluxF64:
			if b := r.take(8, "field "+k); b != nil {
				fields.Set(k, math.Float64frombits(binary.BigEndian.Uint64(b)))
			}
		case binfluxString:
			fields.Set(k, r.str("field "+k))
		case binfluxTrue:
			fields.Set(k, true)
		case binfluxFalse:
			fields.Set(k, false)
		default:
			return nil, fmt.Errorf("binflux: field %q has unknown type %d", k, t[0])
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) > 0 {
		return nil, fmt.Errorf("binflux: %d bytes after the record", len(r.b))
	}
	out := event.NewRecord(4)
	out.Set("measurement", m)
	out.Set("tags", tags)
	out.Set("fields", fields)
	out.Set("timestamp", event.Normalize(ts))
	return out, nil
}

func (binfluxCodec) Encode(v event.Value) ([]byte, error) {
	b, err := binfluxEncode(v)
	if err != nil {
		return nil, fmt.Errorf("binflux: %w", err)
	}
	return b, nil
}

func binfluxEncode(v event.Value) ([]byte, error) {
	r, ok := v.(*event.Record)
	if !ok {
		return nil, fmt.Errorf("expected a record {measurement, tags, fields, timestamp}, got %s", event.TypeName(v))
	}
	out := make([]byte, 2, 256) // version 0
	putStr := func(s, what string) error {
		if len(s) > math.MaxUint16 {
			return fmt.Errorf("%s is longer than %d bytes", what, math.MaxUint16)
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(s)))
		out = append(out, s...)
		return nil
	}
	m, _ := r.Get("measurement")
	ms, ok := m.(string)
	if !ok {
		return nil, errors.New("`measurement` is missing or not a string")
	}
	if err := putStr(ms, "the measurement"); err != nil {
		return nil, err
	}
	ts, _ := r.Get("timestamp")
	switch t := ts.(type) {
	case int64:
		if t < 0 {
			return nil, errors.New("`timestamp` is negative")
		}
		out = binary.BigEndian.AppendUint64(out, uint64(t))
	case uint64:
		out = binary.BigEndian.AppendUint64(out, t)
	default:
		return nil, errors.New("`timestamp` is missing or not an integer")
	}
	var tags *event.Record
	if t, _ := r.Get("tags"); t != nil {
		if tags, ok = t.(*event.Record); !ok {
			return nil, fmt.Errorf("`tags` must be a record, got %s", event.TypeName(t))
		}
	}
	if tags.Len() > math.MaxUint16 {
		return nil, errors.New("too many tags")
	}
	out = binary.BigEndian.AppendUint16(out, uint16(tags.Len()))
	for i := range tags.Len() {
		k, tv := tags.At(i)
		s, err := influxTagValue(tv)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w", k, err)
		}
		if err := errors.Join(putStr(k, "a tag key"), putStr(s, "tag "+k)); err != nil {
			return nil, err
		}
	}
	var fields *event.Record
	if f, _ := r.Get("fields"); f != nil {
		if fields, ok = f.(*event.Record); !ok {
			return nil, fmt.Errorf("`fields` must be a record, got %s", event.TypeName(f))
		}
	}
	if fields.Len() > math.MaxUint16 {
		return nil, errors.New("too many fields")
	}
	out = binary.BigEndian.AppendUint16(out, uint16(fields.Len()))
	for i := range fields.Len() {
		k, fv := fields.At(i)
		if err := putStr(k, "a field key"); err != nil {
			return nil, err
		}
		switch t := fv.(type) {
		case int64:
			out = binary.BigEndian.AppendUint64(append(out, binfluxI64), uint64(t))
		case float64:
			out = binary.BigEndian.AppendUint64(append(out, binfluxF64), math.Float64bits(t))
		case bool:
			out = append(out, map[bool]byte{true: binfluxTrue, false: binfluxFalse}[t])
		case string:
			out = append(out, binfluxString)
			if err := putStr(t, "field "+k); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("field %q: %s cannot be written as a binflux value", k, event.TypeName(fv))
		}
	}
	return out, nil
}
