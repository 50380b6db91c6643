package stdlib

import (
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	def("json::decode", 1, true, "A JSON string decoded into a value.", "Integers stay exact (up to 64 bits, signed or unsigned) and record keys keep their order. Invalid JSON is a runtime error.\n\n```tremor\njson::decode(\"{\\\"a\\\": [1, 2.5]}\") # {\"a\": [1, 2.5]}\n```",
		str1(func(s string) (event.Value, error) {
			v, err := event.ParseJSON([]byte(s))
			if err != nil {
				return nil, &RuntimeError{Msg: err.Error()}
			}
			return v, nil
		}))
	def("json::encode", 1, true, "A value encoded as compact JSON.", "Binary data is encoded as a base64 string.\n\n```tremor\njson::encode({\"a\": [1, 2.5]}) # \"{\\\"a\\\":[1,2.5]}\"\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) { return string(event.MarshalJSON(a[0])), nil })
	def("json::encode_pretty", 1, true, "A value encoded as indented JSON.", "Two spaces per level, `\": \"` between key and value, empty arrays and records as `[]` and `{}`.\n\n```tremor\njson::encode_pretty({\"a\": 1}) # \"{\\n  \\\"a\\\": 1\\n}\"\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) { return string(appendPretty(nil, a[0], 0)), nil })
}

func appendPretty(dst []byte, v event.Value, depth int) []byte {
	nl := func(dst []byte, d int) []byte {
		dst = append(dst, '\n')
		for i := 0; i < d; i++ {
			dst = append(dst, ' ', ' ')
		}
		return dst
	}
	switch t := v.(type) {
	case []event.Value:
		if len(t) == 0 {
			return append(dst, "[]"...)
		}
		dst = append(dst, '[')
		for i, x := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = nl(dst, depth+1)
			dst = appendPretty(dst, x, depth+1)
		}
		dst = nl(dst, depth)
		return append(dst, ']')
	case *event.Record:
		if t.Len() == 0 {
			return append(dst, "{}"...)
		}
		dst = append(dst, '{')
		for i := 0; i < t.Len(); i++ {
			k, x := t.At(i)
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = nl(dst, depth+1)
			dst = event.AppendJSON(dst, k)
			dst = append(dst, ':', ' ')
			dst = appendPretty(dst, x, depth+1)
		}
		dst = nl(dst, depth)
		return append(dst, '}')
	}
	return event.AppendJSON(dst, v)
}
