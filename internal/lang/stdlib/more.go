package stdlib

import (
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
)

// Functions beyond the tutorial subset, named as in Tremor 0.11's
// std library.
func init() {
	Register("string", "starts_with", 2, 2, func(a []event.Value) (event.Value, error) {
		return str2("string::starts_with", a, strings.HasPrefix)
	})
	Register("string", "ends_with", 2, 2, func(a []event.Value) (event.Value, error) {
		return str2("string::ends_with", a, strings.HasSuffix)
	})
	Register("string", "is_empty", 1, 1, func(a []event.Value) (event.Value, error) {
		s, err := str("string::is_empty", a, 0)
		return s == "", err
	})
	Register("array", "is_empty", 1, 1, func(a []event.Value) (event.Value, error) {
		xs, ok := a[0].([]event.Value)
		if !ok {
			return nil, argErr("array::is_empty", 0, "an array", a[0])
		}
		return len(xs) == 0, nil
	})
	Register("array", "contains", 2, 2, func(a []event.Value) (event.Value, error) {
		xs, ok := a[0].([]event.Value)
		if !ok {
			return nil, argErr("array::contains", 0, "an array", a[0])
		}
		for _, x := range xs {
			if event.Equal(x, a[1]) {
				return true, nil
			}
		}
		return false, nil
	})
	Register("record", "is_empty", 1, 1, func(a []event.Value) (event.Value, error) {
		r, ok := a[0].(*event.Record)
		if !ok {
			return nil, argErr("record::is_empty", 0, "a record", a[0])
		}
		return r.Len() == 0, nil
	})
	Register("json", "encode_pretty", 1, 1, func(a []event.Value) (event.Value, error) {
		// Pretty printing is not implemented yet: the compact form is valid JSON.
		return string(event.MarshalJSON(a[0])), nil
	})
}

func str2(name string, a []event.Value, f func(s, t string) bool) (event.Value, error) {
	s, err := str(name, a, 0)
	if err != nil {
		return nil, err
	}
	t, err := str(name, a, 1)
	if err != nil {
		return nil, err
	}
	return f(s, t), nil
}
