package sdk

import (
	"math"

	"github.com/temblor-dev/temblor/internal/event"
)

// MetaGet follows path through the records of v (an event's $): MetaGet($,
// "udp", "host") is $udp.host.
func MetaGet(v event.Value, path ...string) (event.Value, bool) {
	for _, k := range path {
		r, ok := v.(*event.Record)
		if !ok || r == nil {
			return nil, false
		}
		if v, ok = r.Get(k); !ok {
			return nil, false
		}
	}
	return v, true
}

// MetaString is the string at path, if there is one.
func MetaString(v event.Value, path ...string) (string, bool) {
	x, ok := MetaGet(v, path...)
	s, isStr := x.(string)
	return s, ok && isStr
}

// MetaInt is the integer at path, if there is one in int64's range.
func MetaInt(v event.Value, path ...string) (int64, bool) {
	x, ok := MetaGet(v, path...)
	if !ok {
		return 0, false
	}
	switch n := x.(type) {
	case int64:
		return n, true
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	}
	return 0, false
}

// MetaBool is the boolean at path, if there is one.
func MetaBool(v event.Value, path ...string) (bool, bool) {
	x, ok := MetaGet(v, path...)
	b, isBool := x.(bool)
	return b, ok && isBool
}
