package codec

import (
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	Register(Spec{Name: "string", Doc: "UTF-8 text: input becomes a string; a string is written as is, other values as JSON.", New: func() Codec { return stringCodec{} }})
	Register(Spec{Name: "binary", Doc: "Raw bytes: input becomes bytes; bytes and strings are written as is, other values as JSON.", New: func() Codec { return binaryCodec{} }})
}

type stringCodec struct{}

func (stringCodec) Decode(data []byte) (event.Value, error) {
	if !utf8.Valid(data) {
		return string([]rune(string(data))), nil // invalid bytes become U+FFFD
	}
	return string(data), nil
}

func (stringCodec) Encode(v event.Value) ([]byte, error) {
	switch t := v.(type) {
	case string:
		return []byte(t), nil
	case []byte:
		return t, nil
	}
	return event.MarshalJSON(v), nil
}

type binaryCodec struct{}

func (binaryCodec) Decode(data []byte) (event.Value, error) { return append([]byte(nil), data...), nil }
func (binaryCodec) Encode(v event.Value) ([]byte, error)    { return stringCodec{}.Encode(v) }
