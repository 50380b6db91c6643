package codec

import (
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	Register(Spec{Name: "string", Doc: "UTF-8 text: input becomes a string; a string is written as is, other values as JSON. Invalid UTF-8 is replaced by U+FFFD so the event still arrives (Tremor rejected it).",
		Mimes: []string{"text/plain", "text/html"}, New: func() Codec { return stringCodec{} }})
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
