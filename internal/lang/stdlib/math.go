package stdlib

import (
	"math"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	rounding := func(name, what, example string, f func(float64) float64) {
		def("math::"+name, 1, true, "A number "+what+", as an integer.",
			"Integers are returned unchanged; a float is "+what+" and converted to an integer (saturating at the integer range; NaN gives 0).\n\n```tremor\n"+example+"\n```",
			func(_ *Ctx, a []event.Value) (event.Value, error) {
				switch v := a[0].(type) {
				case int64, uint64:
					return v, nil
				case float64:
					return f64ToInt(f(v)), nil
				}
				return nil, ErrBadType
			})
	}
	rounding("floor", "rounded down", "math::floor(41.9) # 41", math.Floor)
	rounding("ceil", "rounded up", "math::ceil(41.1) # 42", math.Ceil)
	rounding("round", "rounded to the nearest integer (halves away from zero)", "math::round(41.5) # 42", math.Round)
	rounding("trunc", "with its fractional part dropped", "math::trunc(-41.9) # -41", math.Trunc)
	def("math::max", 2, true, "The larger of two numbers.", "Two integers give an integer, compared exactly; if either is a float both are compared as floats and the result is a float.\n\n```tremor\nmath::max(1, 2) # 2\nmath::max(3, 2.0) # 3.0\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) { return minMax(a[0], a[1], true) })
	def("math::min", 2, true, "The smaller of two numbers.", "Two integers give an integer, compared exactly; if either is a float both are compared as floats and the result is a float.\n\n```tremor\nmath::min(1, 2) # 1\nmath::min(1, 2.0) # 1.0\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) { return minMax(a[0], a[1], false) })
}

func minMax(x, y event.Value, max bool) (event.Value, error) {
	if a, ok := asU64(x); ok {
		if b, ok := asU64(y); ok {
			if (a >= b) == max {
				return x, nil
			}
			return y, nil
		}
	}
	if a, ok := asI64(x); ok {
		if b, ok := asI64(y); ok {
			if (a >= b) == max {
				return a, nil
			}
			return b, nil
		}
	}
	a, ok1 := castF64(x)
	b, ok2 := castF64(y)
	if !ok1 || !ok2 {
		return nil, ErrBadType
	}
	if max {
		if a >= b {
			return a, nil
		}
		return b, nil
	}
	if a <= b {
		return a, nil
	}
	return b, nil
}

// Compare orders two numbers exactly (int64, uint64, float64) or two
// strings; ok is false for anything else.
func Compare(a, b event.Value) (int, bool) {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp3(x < y, x > y), true
		case uint64:
			if x < 0 {
				return -1, true
			}
			return cmp3(uint64(x) < y, uint64(x) > y), true
		case float64:
			return cmp3(float64(x) < y, float64(x) > y), true
		}
	case uint64:
		switch y := b.(type) {
		case uint64:
			return cmp3(x < y, x > y), true
		case int64:
			c, ok := Compare(y, x)
			return -c, ok
		case float64:
			return cmp3(float64(x) < y, float64(x) > y), true
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return cmp3(x < y, x > y), true
		case int64, uint64:
			c, ok := Compare(b, a)
			return -c, ok
		}
	case string:
		if y, ok := b.(string); ok {
			return cmp3(x < y, x > y), true
		}
	}
	return 0, false
}

func cmp3(lt, gt bool) int {
	switch {
	case lt:
		return -1
	case gt:
		return 1
	}
	return 0
}
