package codec

import "github.com/temblor-dev/temblor/internal/event"

func init() {
	Register(Spec{Name: "null", Doc: "Discards content: any input decodes to null, any value encodes to no bytes.",
		New: func() Codec { return nullCodec{} }})
}

type nullCodec struct{}

func (nullCodec) Decode([]byte) (event.Value, error) { return nil, nil }
func (nullCodec) Encode(event.Value) ([]byte, error) { return []byte{}, nil }
