package codec

import "github.com/temblor-dev/temblor/internal/event"

func init() {
	Register(Spec{Name: "binary", Doc: "Raw bytes: input becomes bytes; bytes and strings are written as is, other values as JSON.",
		Mimes: []string{"application/octet-stream"}, New: func() Codec { return binaryCodec{} }})
}

type binaryCodec struct{}

func (binaryCodec) Decode(data []byte) (event.Value, error) { return append([]byte(nil), data...), nil }
func (binaryCodec) Encode(v event.Value) ([]byte, error)    { return stringCodec{}.Encode(v) }
