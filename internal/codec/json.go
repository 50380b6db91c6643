package codec

import (
	"sort"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	Register(Spec{Name: "json", Doc: "JSON; integers stay exact, record key order is kept. Bytes are written as base64 strings, NaN and infinities as null.",
		Mimes: []string{"application/json"}, New: func() Codec { return jsonCodec{} }})
	Register(Spec{Name: "json-sorted", Doc: "JSON whose records are written with their keys sorted (at every depth), so equal values always give equal bytes. Decodes as json. (Tremor added it after 0.11.)",
		New: func() Codec { return jsonSorted{} }})
}

type jsonCodec struct{}

func (jsonCodec) Decode(data []byte) (event.Value, error) { return event.ParseJSON(data) }
func (jsonCodec) Encode(v event.Value) ([]byte, error)    { return event.MarshalJSON(v), nil }

type jsonSorted struct{ jsonCodec }

func (jsonSorted) Encode(v event.Value) ([]byte, error) { return event.MarshalJSON(sortedCopy(v)), nil }

// sortedCopy returns v with every record's keys in byte order; values that
// hold no record are returned as they are.
func sortedCopy(v event.Value) event.Value {
	switch t := v.(type) {
	case *event.Record:
		keys := append([]string(nil), t.Keys()...)
		sort.Strings(keys)
		r := event.NewRecord(len(keys))
		for _, k := range keys {
			e, _ := t.Get(k)
			r.Set(k, sortedCopy(e))
		}
		return r
	case []event.Value:
		var out []event.Value
		for i, e := range t {
			s := sortedCopy(e)
			if out == nil && s != e {
				out = append(make([]event.Value, 0, len(t)), t[:i]...)
			}
			if out != nil {
				out = append(out, s)
			}
		}
		if out == nil {
			return t
		}
		return out
	}
	return v
}
