package stdlib

import (
	"math"

	"github.com/temblor-dev/temblor/internal/event"
)

// fn is the signature every implementation has.
type fn = func(c *Ctx, a []event.Value) (event.Value, error)

// def registers a function whose arity is fixed at n.
func def(path string, n int, pure bool, summary, doc string, f fn) {
	register(&Func{Path: path, Summary: summary, Doc: doc, Min: n, Max: n, Pure: pure, Fn: f})
}

// str1 adapts a function of one string argument; any other type is
// ErrBadType, as Tremor's typed signatures gave.
func str1(f func(s string) (event.Value, error)) fn {
	return func(_ *Ctx, a []event.Value) (event.Value, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, ErrBadType
		}
		return f(s)
	}
}

// str2 adapts a function of two string arguments.
func str2(f func(s, t string) (event.Value, error)) fn {
	return func(_ *Ctx, a []event.Value) (event.Value, error) {
		s, ok1 := a[0].(string)
		t, ok2 := a[1].(string)
		if !ok1 || !ok2 {
			return nil, ErrBadType
		}
		return f(s, t)
	}
}

// str3 adapts a function of three string arguments.
func str3(f func(s, t, u string) (event.Value, error)) fn {
	return func(_ *Ctx, a []event.Value) (event.Value, error) {
		s, ok1 := a[0].(string)
		t, ok2 := a[1].(string)
		u, ok3 := a[2].(string)
		if !ok1 || !ok2 || !ok3 {
			return nil, ErrBadType
		}
		return f(s, t, u)
	}
}

// arr1 adapts a function of one array argument.
func arr1(f func(xs []event.Value) (event.Value, error)) fn {
	return func(_ *Ctx, a []event.Value) (event.Value, error) {
		xs, ok := a[0].([]event.Value)
		if !ok {
			return nil, ErrBadType
		}
		return f(xs)
	}
}

// rec1 adapts a function of one record argument.
func rec1(f func(r *event.Record) (event.Value, error)) fn {
	return func(_ *Ctx, a []event.Value) (event.Value, error) {
		r, ok := a[0].(*event.Record)
		if !ok || r == nil {
			return nil, ErrBadType
		}
		return f(r)
	}
}

// asU64 is a non-negative integer as uint64 (Tremor's as_u64).
func asU64(v event.Value) (uint64, bool) {
	switch t := v.(type) {
	case int64:
		if t >= 0 {
			return uint64(t), true
		}
	case uint64:
		return t, true
	}
	return 0, false
}

// asI64 is an integer that fits int64 (Tremor's as_i64).
func asI64(v event.Value) (int64, bool) {
	switch t := v.(type) {
	case int64:
		return t, true
	case uint64:
		if t <= math.MaxInt64 {
			return int64(t), true
		}
	}
	return 0, false
}

// castF64 is any number as a float (Tremor's cast_f64).
func castF64(v event.Value) (float64, bool) {
	switch t := v.(type) {
	case int64:
		return float64(t), true
	case uint64:
		return float64(t), true
	case float64:
		return t, true
	}
	return 0, false
}

// uint is an unsigned integer in the canonical Value form: int64 when it
// fits, uint64 above.
func uintV(u uint64) event.Value {
	if u <= math.MaxInt64 {
		return int64(u)
	}
	return u
}

// f64ToInt converts like Rust's saturating `as` casts Tremor used: negative
// values to int64, others to uint64; NaN is 0.
func f64ToInt(f float64) event.Value {
	switch {
	case math.IsNaN(f):
		return int64(0)
	case f < 0:
		if f <= math.MinInt64 {
			return int64(math.MinInt64)
		}
		return int64(f)
	case f >= 18446744073709551615.0:
		return uint64(math.MaxUint64)
	}
	return uintV(uint64(f))
}
