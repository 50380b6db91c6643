package stdlib

import (
	"encoding/base64"
	"fmt"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	def("base64::encode", 1, true, "Binary data encoded as standard, padded base64.", "```tremor\nbase64::encode(<< 115, 110, 111, 116 >>) # \"c25vdA==\"\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			b, ok := a[0].([]byte)
			if !ok {
				return nil, ErrBadType
			}
			return base64.StdEncoding.EncodeToString(b), nil
		})
	def("base64::decode", 1, true, "A standard base64 string decoded to binary.", "Padding (`=`) may be left off; unused bits in the last character must be zero. An invalid input is a runtime error naming the offending byte and its offset.\n\n```tremor\nbase64::decode(\"c25vdA==\") # << 115, 110, 111, 116 >>\n```",
		str1(func(s string) (event.Value, error) {
			b, err := DecodeBase64(s)
			if err != nil {
				return nil, &RuntimeError{Msg: err.Error()}
			}
			return b, nil
		}))
}

var b64Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()

// DecodeBase64 decodes standard base64 the way Tremor's decoder (Rust
// base64 0.13) did, with its error texts: padding is optional, but '='
// may only stand in the last group, after two or three symbols, and
// nothing may follow it; unused trailing bits must be zero.
func DecodeBase64(s string) ([]byte, error) {
	n := len(s)
	if n%8 == 1 || n%8 == 5 {
		if c := s[n-1]; c != '=' && b64Index[c] < 0 {
			return nil, fmt.Errorf("Invalid byte %d, offset %d.", c, n-1)
		}
		return nil, fmt.Errorf("Encoded text cannot have a 6-bit remainder.")
	}
	out := make([]byte, 0, n*3/4+3)
	// Every 8-character chunk but the last is strict: '=' is invalid there.
	last := 0
	if n > 0 {
		last = (n - 1) / 8 * 8
	}
	for i := 0; i < last; i += 4 {
		var v uint32
		for j := 0; j < 4; j++ {
			c := s[i+j]
			m := b64Index[c]
			if m < 0 {
				return nil, fmt.Errorf("Invalid byte %d, offset %d.", c, i+j)
			}
			v = v<<6 | uint32(m)
		}
		out = append(out, byte(v>>16), byte(v>>8), byte(v))
	}
	var bits uint64
	morsels, pads, firstPad := 0, 0, 0
	var lastSym byte
	for i := 0; last+i < n; i++ {
		c := s[last+i]
		if c == '=' {
			if i%4 < 2 {
				at := i
				if pads > 0 {
					at = firstPad
				}
				return nil, fmt.Errorf("Invalid byte %d, offset %d.", c, last+at)
			}
			if pads == 0 {
				firstPad = i
			}
			pads++
			continue
		}
		if pads > 0 {
			return nil, fmt.Errorf("Invalid byte %d, offset %d.", '=', last+firstPad)
		}
		m := b64Index[c]
		if m < 0 {
			return nil, fmt.Errorf("Invalid byte %d, offset %d.", c, last+i)
		}
		lastSym = c
		bits |= uint64(m) << (64 - (morsels+1)*6)
		morsels++
	}
	ready := map[int]int{0: 0, 2: 8, 3: 16, 4: 24, 6: 32, 7: 40, 8: 48}[morsels]
	if bits&(^uint64(0)>>ready) != 0 {
		return nil, fmt.Errorf("Invalid last symbol %d, offset %d.", lastSym, last+morsels-1)
	}
	for k := 0; k < ready/8; k++ {
		out = append(out, byte(bits>>(56-8*k)))
	}
	return out, nil
}
