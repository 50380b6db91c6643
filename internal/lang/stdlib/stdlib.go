package stdlib

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/registry"
)

// Func is a function implementation.
type Func func(args []event.Value) (event.Value, error)

// Spec describes a function: its arity (Max < 0 means variadic).
type Spec struct {
	Name     string
	Min, Max int
	Fn       Func
}

var (
	mu    sync.RWMutex
	funcs = map[string]Spec{}
)

// Register adds module::name.
func Register(module, name string, min, max int, fn Func) {
	mu.Lock()
	defer mu.Unlock()
	full := module + "::" + name
	funcs[full] = Spec{Name: full, Min: min, Max: max, Fn: fn}
}

// Lookup finds a function by its full name, or returns an error that
// suggests the closest known one.
func Lookup(full string) (Spec, error) {
	mu.RLock()
	defer mu.RUnlock()
	if s, ok := funcs[full]; ok {
		return s, nil
	}
	names := make([]string, 0, len(funcs))
	for n := range funcs {
		names = append(names, n)
	}
	sort.Strings(names)
	if c := registry.Closest(full, names); c != "" {
		return Spec{}, fmt.Errorf("unknown function %s, did you mean %s?", full, c)
	}
	return Spec{}, fmt.Errorf("unknown function %s", full)
}

func argErr(name string, i int, want string, got event.Value) error {
	return fmt.Errorf("%s: argument %d must be %s, got %s", name, i+1, want, event.TypeName(got))
}

func str(name string, args []event.Value, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", argErr(name, i, "a string", args[i])
	}
	return s, nil
}

var (
	hostOnce sync.Once
	hostName string
)

func init() {
	Register("system", "hostname", 0, 0, func([]event.Value) (event.Value, error) {
		hostOnce.Do(func() {
			h, err := os.Hostname()
			if err != nil {
				h = "localhost"
			}
			hostName = h
		})
		return hostName, nil
	})
	Register("system", "ingest_ns", 0, 0, func([]event.Value) (event.Value, error) { return time.Now().UnixNano(), nil })
	Register("system", "nanotime", 0, 0, func([]event.Value) (event.Value, error) { return time.Now().UnixNano(), nil })

	Register("string", "len", 1, 1, func(a []event.Value) (event.Value, error) {
		s, err := str("string::len", a, 0)
		return int64(utf8.RuneCountInString(s)), err
	})
	Register("string", "bytes", 1, 1, func(a []event.Value) (event.Value, error) {
		s, err := str("string::bytes", a, 0)
		return int64(len(s)), err
	})
	Register("string", "lowercase", 1, 1, strFn("string::lowercase", strings.ToLower))
	Register("string", "uppercase", 1, 1, strFn("string::uppercase", strings.ToUpper))
	Register("string", "trim", 1, 1, strFn("string::trim", strings.TrimSpace))
	Register("string", "trim_start", 1, 1, strFn("string::trim_start", func(s string) string { return strings.TrimLeft(s, " \t\r\n") }))
	Register("string", "trim_end", 1, 1, strFn("string::trim_end", func(s string) string { return strings.TrimRight(s, " \t\r\n") }))
	Register("string", "contains", 2, 2, func(a []event.Value) (event.Value, error) {
		s, err := str("string::contains", a, 0)
		if err != nil {
			return nil, err
		}
		sub, err := str("string::contains", a, 1)
		return strings.Contains(s, sub), err
	})
	Register("string", "split", 2, 2, func(a []event.Value) (event.Value, error) {
		s, err := str("string::split", a, 0)
		if err != nil {
			return nil, err
		}
		sep, err := str("string::split", a, 1)
		if err != nil {
			return nil, err
		}
		parts := strings.Split(s, sep)
		out := make([]event.Value, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	})
	Register("string", "replace", 3, 3, func(a []event.Value) (event.Value, error) {
		var s [3]string
		for i := range s {
			v, err := str("string::replace", a, i)
			if err != nil {
				return nil, err
			}
			s[i] = v
		}
		return strings.ReplaceAll(s[0], s[1], s[2]), nil
	})
	Register("string", "format", 1, -1, func(a []event.Value) (event.Value, error) {
		f, err := str("string::format", a, 0)
		if err != nil {
			return nil, err
		}
		return Format(f, a[1:])
	})

	Register("array", "len", 1, 1, func(a []event.Value) (event.Value, error) {
		arr, ok := a[0].([]event.Value)
		if !ok {
			return nil, argErr("array::len", 0, "an array", a[0])
		}
		return int64(len(arr)), nil
	})
	Register("array", "push", 2, 2, func(a []event.Value) (event.Value, error) {
		arr, ok := a[0].([]event.Value)
		if !ok {
			return nil, argErr("array::push", 0, "an array", a[0])
		}
		return append(append([]event.Value(nil), arr...), a[1]), nil
	})
	Register("record", "len", 1, 1, func(a []event.Value) (event.Value, error) {
		r, ok := a[0].(*event.Record)
		if !ok {
			return nil, argErr("record::len", 0, "a record", a[0])
		}
		return int64(r.Len()), nil
	})
	Register("record", "keys", 1, 1, func(a []event.Value) (event.Value, error) {
		r, ok := a[0].(*event.Record)
		if !ok {
			return nil, argErr("record::keys", 0, "a record", a[0])
		}
		out := make([]event.Value, 0, r.Len())
		for _, k := range r.Keys() {
			out = append(out, k)
		}
		return out, nil
	})
	Register("record", "values", 1, 1, func(a []event.Value) (event.Value, error) {
		r, ok := a[0].(*event.Record)
		if !ok {
			return nil, argErr("record::values", 0, "a record", a[0])
		}
		out := make([]event.Value, 0, r.Len())
		r.Range(func(_ string, v event.Value) bool { out = append(out, v); return true })
		return out, nil
	})
	Register("record", "contains", 2, 2, func(a []event.Value) (event.Value, error) {
		r, ok := a[0].(*event.Record)
		if !ok {
			return nil, argErr("record::contains", 0, "a record", a[0])
		}
		k, err := str("record::contains", a, 1)
		return r.Has(k), err
	})
	for _, t := range []string{"null", "bool", "integer", "float", "string", "array", "record", "binary"} {
		want := t
		if t == "binary" {
			want = "bytes"
		}
		Register("type", "is_"+t, 1, 1, func(a []event.Value) (event.Value, error) { return event.TypeName(a[0]) == want, nil })
	}
	Register("type", "is_number", 1, 1, func(a []event.Value) (event.Value, error) {
		n := event.TypeName(a[0])
		return n == "integer" || n == "float", nil
	})
	Register("type", "as_string", 1, 1, func(a []event.Value) (event.Value, error) { return event.TypeName(a[0]), nil })
	Register("math", "floor", 1, 1, numFn("math::floor", math.Floor))
	Register("math", "ceil", 1, 1, numFn("math::ceil", math.Ceil))
	Register("math", "round", 1, 1, numFn("math::round", math.Round))
	Register("math", "trunc", 1, 1, numFn("math::trunc", math.Trunc))
	Register("math", "max", 2, 2, func(a []event.Value) (event.Value, error) { return minMax("math::max", a, 1) })
	Register("math", "min", 2, 2, func(a []event.Value) (event.Value, error) { return minMax("math::min", a, -1) })
	Register("json", "encode", 1, 1, func(a []event.Value) (event.Value, error) { return string(event.MarshalJSON(a[0])), nil })
	Register("json", "decode", 1, 1, func(a []event.Value) (event.Value, error) {
		s, err := str("json::decode", a, 0)
		if err != nil {
			return nil, err
		}
		v, err := event.ParseJSON([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("json::decode: %w", err)
		}
		return v, nil
	})
}

func strFn(name string, f func(string) string) Func {
	return func(a []event.Value) (event.Value, error) {
		s, err := str(name, a, 0)
		if err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

func numFn(name string, f func(float64) float64) Func {
	return func(a []event.Value) (event.Value, error) {
		switch v := a[0].(type) {
		case int64, uint64:
			return v, nil
		case float64:
			r := f(v)
			if r >= math.MinInt64 && r <= math.MaxInt64 {
				return int64(r), nil
			}
			return r, nil
		}
		return nil, argErr(name, 0, "a number", a[0])
	}
}

// Compare orders two numbers exactly (int64, uint64, float64); ok is false
// for non-numbers.
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
			return strings.Compare(x, y), true
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

func minMax(name string, a []event.Value, sign int) (event.Value, error) {
	c, ok := Compare(a[0], a[1])
	if !ok {
		return nil, fmt.Errorf("%s: arguments must be two numbers, got %s and %s", name, event.TypeName(a[0]), event.TypeName(a[1]))
	}
	if c*sign >= 0 {
		return a[0], nil
	}
	return a[1], nil
}

// Format replaces each `{}` in f with the next argument (strings as they
// are, other values as JSON); `{{` and `}}` are literal braces.
func Format(f string, args []event.Value) (string, error) {
	var b strings.Builder
	n := 0
	for i := 0; i < len(f); i++ {
		switch {
		case strings.HasPrefix(f[i:], "{{"):
			b.WriteByte('{')
			i++
		case strings.HasPrefix(f[i:], "}}"):
			b.WriteByte('}')
			i++
		case strings.HasPrefix(f[i:], "{}"):
			if n >= len(args) {
				return "", fmt.Errorf("string::format: more {} placeholders than arguments (%d)", len(args))
			}
			b.WriteString(ToString(args[n]))
			n++
			i++
		default:
			b.WriteByte(f[i])
		}
	}
	if n != len(args) {
		return "", fmt.Errorf("string::format: %d arguments for %d placeholders", len(args), n)
	}
	return b.String(), nil
}

// ToString renders a value for string contexts: strings as they are,
// everything else as JSON.
func ToString(v event.Value) string {
	if s, ok := v.(string); ok {
		return s
	}
	return string(event.MarshalJSON(v))
}
