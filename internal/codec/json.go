package codec

import (
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	Register(Spec{Name: "json", Doc: "JSON; integers stay exact, record key order is kept. Bytes are written as base64 strings, NaN and infinities as null.",
		Mimes: []string{"application/json"}, New: func() Codec { return &jsonCodec{} }})
	Register(Spec{Name: "json-sorted", Doc: "JSON whose records are written with their keys sorted (at every depth), so equal values always give equal bytes. Decodes as json. (Tremor added it after 0.11.)",
		New: func() Codec { return &jsonSorted{} }})
}

// jsonCodec remembers the size of the last frame it encoded, so that the
// next frame's buffer is allocated once at about the right size (events of
// a stream look alike) instead of growing from empty.
type jsonCodec struct{ last int }

func (*jsonCodec) Decode(data []byte) (event.Value, error) { return event.ParseJSON(data) }

func (c *jsonCodec) Encode(v event.Value) ([]byte, error) {
	b := event.AppendJSON(make([]byte, 0, c.last+c.last/8+64), v)
	c.last = len(b)
	return b, nil
}

// AppendEncode appends the frame to dst (see Appender).
func (*jsonCodec) AppendEncode(dst []byte, v event.Value) ([]byte, error) {
	return event.AppendJSON(dst, v), nil
}

type jsonSorted struct{ jsonCodec }

func (c *jsonSorted) Encode(v event.Value) ([]byte, error) {
	b := event.AppendSortedJSON(make([]byte, 0, c.last+c.last/8+64), v)
	c.last = len(b)
	return b, nil
}

// AppendEncode appends the frame to dst (see Appender).
func (*jsonSorted) AppendEncode(dst []byte, v event.Value) ([]byte, error) {
	return event.AppendSortedJSON(dst, v), nil
}
