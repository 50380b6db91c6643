package stdlib

import (
	"encoding/base64"
	"testing"
	"unicode/utf8"
)

// Parser-like functions on arbitrary input: no panic, and the documented
// round trips hold.

func FuzzURL(f *testing.F) {
	f.Add("snot%20badger%3F+%C3%A9%zz%4")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Call(nil, "url::decode", s)
		enc, err := Call(nil, "url::encode", s)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(s) {
			return // encoded byte by byte; decoding refuses the invalid UTF-8
		}
		if dec, err := Call(nil, "url::decode", enc); err != nil || dec != s {
			t.Fatalf("round trip of %q: %v %v", s, dec, err)
		}
	})
}

func FuzzBase64Decode(f *testing.F) {
	f.Add("c25vdA==")
	f.Add("c25vdA")
	f.Add("c2=vdA==")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeBase64(s)
		if err != nil {
			return
		}
		// whatever decodes re-encodes to the same text, up to padding
		enc := base64.RawStdEncoding.EncodeToString(b)
		trimmed := s
		for len(trimmed) > 0 && trimmed[len(trimmed)-1] == '=' {
			trimmed = trimmed[:len(trimmed)-1]
		}
		if enc != trimmed {
			t.Fatalf("%q decoded to %x, which encodes as %q", s, b, enc)
		}
	})
}

func FuzzFormatAndParse(f *testing.F) {
	f.Add("{} {{}} \\{ x", "42")
	f.Fuzz(func(t *testing.T, format, s string) {
		_, _ = Call(nil, "string::format", format, s)
		_, _ = Call(nil, "integer::parse", s)
		_, _ = Call(nil, "float::parse", s)
		_, _ = Call(nil, "datetime::from_human_format", s)
		_, _ = Call(nil, "re::split", format, s)
		_, _ = Call(nil, "string::substr", s, int64(len(format)), int64(len(s)))
	})
}

func FuzzRegexError(f *testing.F) {
	f.Add("a(b(c)")
	f.Add(`(?P<x>a{2,}|[\]a-]\q`)
	f.Fuzz(func(t *testing.T, p string) {
		if _, err := CompileRegex(p); err != nil {
			if _, ok := err.(*RegexError); !ok {
				t.Fatalf("%q: %T %v", p, err, err)
			}
			_ = err.Error()
		}
	})
}
