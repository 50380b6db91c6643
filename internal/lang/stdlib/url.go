package stdlib

import (
	"strings"
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	def("url::encode", 1, true, "A string percent-encoded for use in a URL.", "Every byte of the UTF-8 text except ASCII letters and digits becomes `%XX` (upper-case hex), as in Tremor.\n\n```tremor\nurl::encode(\"snot badger?\") # \"snot%20badger%3F\"\n```",
		str1(func(s string) (event.Value, error) {
			const hexU = "0123456789ABCDEF"
			var b strings.Builder
			b.Grow(len(s))
			for i := 0; i < len(s); i++ {
				c := s[i]
				if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
					b.WriteByte(c)
					continue
				}
				b.WriteByte('%')
				b.WriteByte(hexU[c>>4])
				b.WriteByte(hexU[c&15])
			}
			return b.String(), nil
		}))
	def("url::decode", 1, true, "A percent-encoded string decoded.", "Each `%XX` with two hex digits becomes its byte; anything else, including `+` and a `%` not followed by two hex digits, is kept. Bytes that do not form UTF-8 are a runtime error.\n\n```tremor\nurl::decode(\"snot%20badger%3F\") # \"snot badger?\"\n```",
		str1(func(s string) (event.Value, error) {
			out := make([]byte, 0, len(s))
			for i := 0; i < len(s); i++ {
				if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
					out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
					i += 2
					continue
				}
				out = append(out, s[i])
			}
			if !utf8.Valid(out) {
				return nil, rtErr("Could not urldecode value: %s", s)
			}
			return string(out), nil
		}))
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
