package extractor

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// base64X is base64||: a string that is valid standard base64 decodes to
// the UTF-8 string it encodes.
type base64X struct{}

func init() {
	register("base64", func(string) (Extractor, error) { return base64X{}, nil })
}

// DecodeBase64 decodes standard base64 as Tremor's decoder did: padding
// may be left off, but when present it must be right; unused trailing bits
// must be zero.
func DecodeBase64(s string) ([]byte, bool) {
	if strings.HasSuffix(s, "=") || len(s)%4 == 0 {
		b, err := base64.StdEncoding.Strict().DecodeString(s)
		return b, err == nil
	}
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	return b, err == nil
}

func (base64X) Extract(_ *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
	s, ok := v.(string)
	if !ok {
		return nil, false, nil
	}
	b, ok := DecodeBase64(s)
	if !ok {
		return nil, false, nil
	}
	if !utf8.Valid(b) {
		// Tremor reported an extraction error, which a match treats as a miss.
		return nil, false, nil
	}
	return string(b), true, nil
}

// Test: as a predicate, any valid base64 matches, even if it does not
// decode to UTF-8 text (Tremor only decoded the text when it was needed).
func (base64X) Test(_ *stdlib.Ctx, v event.Value) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, ok = DecodeBase64(s)
	return ok
}
