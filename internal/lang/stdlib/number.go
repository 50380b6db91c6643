package stdlib

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
)

// rustFloatSyntax is what Rust's f64::from_str accepts; Go's ParseFloat
// also takes hex floats and underscores, which Tremor rejected.
var rustFloatSyntax = regexp.MustCompile(`^[+-]?(?:(?i:inf|infinity|nan)|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$`)

func init() {
	def("float::parse", 1, true, "A string parsed as a float.", "Accepts decimal and exponent notation (`-1.5`, `.5`, `2e10`) and `inf`, `infinity`, `nan`; no surrounding whitespace. A failure is a runtime error.\n\n```tremor\nfloat::parse(\"42.5\") # 42.5\n```",
		str1(func(s string) (event.Value, error) {
			if s == "" {
				return nil, rtErr("cannot parse float from empty string")
			}
			if !rustFloatSyntax.MatchString(s) {
				return nil, rtErr("invalid float literal")
			}
			l := strings.ToLower(strings.TrimLeft(s, "+-"))
			if l == "nan" {
				return math.NaN(), nil
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil && !strings.Contains(err.Error(), "out of range") {
				return nil, rtErr("invalid float literal")
			}
			return f, nil // out of range: ±Inf or 0, as Rust gives
		}))
	def("integer::parse", 1, true, "A string parsed as a signed 64-bit integer.", "An optional `+` or `-` and decimal digits, nothing else. A failure is a runtime error.\n\n```tremor\ninteger::parse(\"-42\") # -42\n```",
		str1(func(s string) (event.Value, error) {
			if s == "" {
				return nil, rtErr("cannot parse integer from empty string")
			}
			return parseI64(s)
		}))
	def("range::range", 2, true, "The integers from a start up to (not including) an end, as an array.", "`range::range(start, end)`; empty when `start >= end`. At most 10,000,000 elements (a larger range is a runtime error rather than an out-of-memory crash).\n\n```tremor\nrange::range(-1, 3) # [-1, 0, 1, 2]\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			if lo, ok := asU64(a[0]); ok {
				if hi, ok := asU64(a[1]); ok {
					if lo >= hi {
						return []event.Value{}, nil
					}
					if hi-lo > maxRange {
						return nil, rtErr("a range of %d elements is too large (at most %d)", hi-lo, maxRange)
					}
					out := make([]event.Value, 0, hi-lo)
					for i := lo; i < hi; i++ {
						out = append(out, uintV(i))
					}
					return out, nil
				}
			}
			lo, ok1 := asI64(a[0])
			hi, ok2 := asI64(a[1])
			if !ok1 || !ok2 {
				return nil, ErrBadType
			}
			if lo >= hi {
				return []event.Value{}, nil
			}
			if uint64(hi-lo) > maxRange {
				return nil, rtErr("a range of %d elements is too large (at most %d)", uint64(hi-lo), maxRange)
			}
			out := make([]event.Value, 0, hi-lo)
			for i := lo; i < hi; i++ {
				out = append(out, i)
			}
			return out, nil
		})
}

const maxRange = 10_000_000

// parseI64 parses like Rust's i64::from_str, with its error texts: digits
// are checked one by one, so an overflow before a bad digit is reported
// as the overflow.
func parseI64(s string) (event.Value, error) {
	neg, d := false, s
	switch s[0] {
	case '+', '-':
		if len(s) == 1 {
			return nil, rtErr("invalid digit found in string")
		}
		neg, d = s[0] == '-', s[1:]
	}
	var v int64
	for i := 0; i < len(d); i++ {
		c := d[i]
		if c < '0' || c > '9' {
			return nil, rtErr("invalid digit found in string")
		}
		x := int64(c - '0')
		if neg {
			if v < (math.MinInt64+x)/10 {
				return nil, rtErr("number too small to fit in target type")
			}
			v = v*10 - x
		} else {
			if v > (math.MaxInt64-x)/10 {
				return nil, rtErr("number too large to fit in target type")
			}
			v = v*10 + x
		}
	}
	return v, nil
}
