package stdlib

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	def("array::len", 1, true, "The number of elements in an array.", "```tremor\narray::len([1, 2, 3]) # 3\n```",
		arr1(func(xs []event.Value) (event.Value, error) { return int64(len(xs)), nil }))
	def("array::is_empty", 1, true, "Whether an array has no elements.", "```tremor\narray::is_empty([]) # true\n```",
		arr1(func(xs []event.Value) (event.Value, error) { return len(xs) == 0, nil }))
	def("array::contains", 2, true, "Whether an array has an element equal to a value.", "Equality is tremor-script's `==`: deep, and numeric across integer and float.\n\n```tremor\narray::contains([1, \"two\"], \"two\") # true\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			xs, ok := a[0].([]event.Value)
			if !ok {
				return nil, ErrBadType
			}
			for _, x := range xs {
				if event.Equal(x, a[1]) {
					return true, nil
				}
			}
			return false, nil
		})
	def("array::push", 2, true, "A copy of an array with a value appended.", "The array passed in is not changed.\n\n```tremor\narray::push([1, 2], 3) # [1, 2, 3]\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			xs, ok := a[0].([]event.Value)
			if !ok {
				return nil, ErrBadType
			}
			out := make([]event.Value, len(xs), len(xs)+1)
			copy(out, xs)
			return append(out, a[1]), nil
		})
	def("array::unzip", 1, true, "An array of pairs split into a pair of arrays.", "Every element must be an array of exactly two elements.\n\n```tremor\narray::unzip([[1, \"a\"], [2, \"b\"]]) # [[1, 2], [\"a\", \"b\"]]\n```",
		arr1(func(xs []event.Value) (event.Value, error) {
			l := make([]event.Value, 0, len(xs))
			r := make([]event.Value, 0, len(xs))
			for _, x := range xs {
				p, ok := x.([]event.Value)
				if !ok {
					return nil, rtErr("Only arrays that consist of tuples (arrays of two elements) can be unzipped but this array contained: %s", debugString(x))
				}
				if len(p) != 2 {
					return nil, rtErr("Only arrays that consist of tuples (arrays of two elements) can be unzipped but this array contained %d elements", len(p))
				}
				l = append(l, p[0])
				r = append(r, p[1])
			}
			return []event.Value{l, r}, nil
		}))
	def("array::zip", 2, true, "Two arrays of equal length combined into an array of pairs.", "```tremor\narray::zip([1, 2], [\"a\", \"b\"]) # [[1, \"a\"], [2, \"b\"]]\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			l, ok1 := a[0].([]event.Value)
			r, ok2 := a[1].([]event.Value)
			if !ok1 || !ok2 {
				return nil, ErrBadType
			}
			if len(l) != len(r) {
				return nil, rtErr("Zipping two arrays requires them to have the same length, but the first array provided has %d elements while the second one has %d elements", len(l), len(r))
			}
			out := make([]event.Value, len(l))
			for i := range l {
				out[i] = []event.Value{l[i], r[i]}
			}
			return out, nil
		})
	def("array::flatten", 1, true, "Nested arrays flattened into one array, recursively.", "A value that is not an array gives an array holding just that value.\n\n```tremor\narray::flatten([1, [2, [3]], []]) # [1, 2, 3]\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) { return flatten(nil, a[0]), nil })
	def("array::join", 2, true, "The elements of an array joined into a string with a separator.", "Strings are used as they are; numbers, booleans and null as their literal text (floats without a trailing `.0`, as Tremor printed them); arrays and records as JSON.\n\n```tremor\narray::join([\"this\", \"is\", 1, \"cake\"], \" \") # \"this is 1 cake\"\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			xs, ok1 := a[0].([]event.Value)
			sep, ok2 := a[1].(string)
			if !ok1 || !ok2 {
				return nil, ErrBadType
			}
			parts := make([]string, len(xs))
			for i, x := range xs {
				parts[i] = displayString(x)
			}
			return strings.Join(parts, sep), nil
		})
	def("array::coalesce", 1, true, "An array without its null elements.", "```tremor\narray::coalesce([1, null, 2, null]) # [1, 2]\n```",
		arr1(func(xs []event.Value) (event.Value, error) {
			out := make([]event.Value, 0, len(xs))
			for _, x := range xs {
				if x != nil {
					out = append(out, x)
				}
			}
			return out, nil
		}))
}

func flatten(dst []event.Value, v event.Value) []event.Value {
	xs, ok := v.([]event.Value)
	if !ok {
		return append(dst, v)
	}
	if dst == nil {
		dst = make([]event.Value, 0, len(xs))
	}
	for _, x := range xs {
		dst = flatten(dst, x)
	}
	return dst
}

// displayString renders v the way Tremor's Display did for scalars: strings
// raw, floats in Rust's shortest non-exponent form ("1" for 1.0, "NaN",
// "inf"), binary as "<<[1, 2]>>". Arrays and records, which Tremor printed
// in its internal debug form, are JSON here.
func displayString(v event.Value) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return rustFloat(t)
	case []byte:
		var b strings.Builder
		b.WriteString("<<[")
		for i, x := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Itoa(int(x)))
		}
		b.WriteString("]>>")
		return b.String()
	}
	return string(event.MarshalJSON(v))
}

// rustFloat formats f as Rust's `{}` does for f64.
func rustFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// debugString renders v for messages that quoted Tremor's debug output; we
// use JSON, which names the same content readably.
func debugString(v event.Value) string { return fmt.Sprint(string(event.MarshalJSON(v))) }
