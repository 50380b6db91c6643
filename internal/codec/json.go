package codec

import "github.com/temblor-dev/temblor/internal/event"

func init() {
	Register(Spec{Name: "json", Doc: "JSON; integers stay exact, record key order is kept.", New: func() Codec { return jsonCodec{} }})
}

type jsonCodec struct{}

func (jsonCodec) Decode(data []byte) (event.Value, error) { return event.ParseJSON(data) }
func (jsonCodec) Encode(v event.Value) ([]byte, error)    { return event.MarshalJSON(v), nil }
