package event

import (
	"bytes"
	"fmt"
	"math"
	"sort"
)

// Value is one of these Go types and nothing else:
//
//	nil        null
//	bool       boolean
//	int64      signed integer (every integer that fits is stored this way)
//	uint64     unsigned integer above math.MaxInt64
//	float64    floating point
//	string     UTF-8 text
//	[]byte     binary
//	[]Value    array
//	*Record    record (object) that keeps its keys in insertion order
//
// Integers are never silently turned into floats: 1600860720749137000 stays
// exact through decode, script evaluation, the WAL and encode.
type Value = any

// Record is an ordered map from string keys to Values. The zero value is an
// empty record ready for use. It is not safe for concurrent mutation.
type Record struct {
	keys  []string
	vals  []Value
	index map[string]int // built lazily once the record is large
}

// indexThreshold is the size above which lookups use a map instead of a scan:
// most event records are small, and a scan beats hashing there.
const indexThreshold = 12

// NewRecord returns an empty record with room for n fields. A record of up
// to 16 fields is one allocation (the record with its keys and values).
func NewRecord(n int) *Record {
	switch {
	case n <= 0:
		return &Record{}
	case n <= 4:
		x := new(record4)
		x.r.keys, x.r.vals = x.k[:0], x.v[:0]
		return &x.r
	case n <= 8:
		x := new(record8)
		x.r.keys, x.r.vals = x.k[:0], x.v[:0]
		return &x.r
	case n <= 16:
		x := new(record16)
		x.r.keys, x.r.vals = x.k[:0], x.v[:0]
		return &x.r
	}
	return &Record{keys: make([]string, 0, n), vals: make([]Value, 0, n)}
}

// Records allocated with their fields (see NewRecord). A field added past
// the room moves the keys and values out, as append does.
type (
	record4 struct {
		r Record
		k [4]string
		v [4]Value
	}
	record8 struct {
		r Record
		k [8]string
		v [8]Value
	}
	record16 struct {
		r Record
		k [16]string
		v [16]Value
	}
)

// RecordOf builds a record from alternating key, value arguments; it is meant
// for tests and literals. It panics on an odd count or a non-string key.
func RecordOf(kv ...any) *Record {
	if len(kv)%2 != 0 {
		panic("event.RecordOf: odd number of arguments")
	}
	r := NewRecord(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		r.Set(kv[i].(string), Normalize(kv[i+1]))
	}
	return r
}

// Len is the number of fields.
func (r *Record) Len() int {
	if r == nil {
		return 0
	}
	return len(r.keys)
}

func (r *Record) find(k string) int {
	if r.index != nil {
		if i, ok := r.index[k]; ok {
			return i
		}
		return -1
	}
	for i, kk := range r.keys {
		if kk == k {
			return i
		}
	}
	return -1
}

// Get returns the value under k.
func (r *Record) Get(k string) (Value, bool) {
	if r == nil {
		return nil, false
	}
	if i := r.find(k); i >= 0 {
		return r.vals[i], true
	}
	return nil, false
}

// Has reports whether k is present.
func (r *Record) Has(k string) bool {
	_, ok := r.Get(k)
	return ok
}

// Set inserts k at the end, or replaces its value in place when present.
func (r *Record) Set(k string, v Value) {
	if i := r.find(k); i >= 0 {
		r.vals[i] = v
		return
	}
	r.keys = append(r.keys, k)
	r.vals = append(r.vals, v)
	if r.index != nil {
		r.index[k] = len(r.keys) - 1
	} else if len(r.keys) > indexThreshold {
		r.index = make(map[string]int, len(r.keys)*2)
		for i, kk := range r.keys {
			r.index[kk] = i
		}
	}
}

// Delete removes k and reports whether it was present. Order of the
// remaining keys is kept.
func (r *Record) Delete(k string) bool {
	i := r.find(k)
	if i < 0 {
		return false
	}
	r.keys = append(r.keys[:i], r.keys[i+1:]...)
	r.vals = append(r.vals[:i], r.vals[i+1:]...)
	if r.index != nil {
		delete(r.index, k)
		for j := i; j < len(r.keys); j++ {
			r.index[r.keys[j]] = j
		}
	}
	return true
}

// At returns the i-th field in order.
func (r *Record) At(i int) (string, Value) { return r.keys[i], r.vals[i] }

// Keys returns the keys in order. The slice must not be modified.
func (r *Record) Keys() []string {
	if r == nil {
		return nil
	}
	return r.keys
}

// Range calls fn for each field in order until fn returns false.
func (r *Record) Range(fn func(k string, v Value) bool) {
	if r == nil {
		return
	}
	for i, k := range r.keys {
		if !fn(k, r.vals[i]) {
			return
		}
	}
}

// Clone returns a shallow copy: the field list is new, the values shared.
func (r *Record) Clone() *Record {
	if r == nil {
		return NewRecord(0)
	}
	c := NewRecord(len(r.keys))
	c.keys = append(c.keys, r.keys...)
	c.vals = append(c.vals, r.vals...)
	if r.index != nil {
		c.index = make(map[string]int, len(r.index))
		for k, v := range r.index {
			c.index[k] = v
		}
	}
	return c
}

// CloneGrow is Clone with room for extra more fields (so that adding them
// does not copy the field list again).
func (r *Record) CloneGrow(extra int) *Record {
	n := r.Len()
	c := NewRecord(n + extra)
	if r == nil {
		return c
	}
	c.keys = append(c.keys, r.keys...)
	c.vals = append(c.vals, r.vals...)
	if r.index != nil {
		c.index = make(map[string]int, len(r.index)+extra)
		for k, v := range r.index {
			c.index[k] = v
		}
	}
	return c
}

// String renders the record as JSON, for debugging and error messages.
func (r *Record) String() string { return string(AppendJSON(nil, r)) }

// DeepCopy returns a copy of v that shares no mutable state with it.
func DeepCopy(v Value) Value {
	switch t := v.(type) {
	case []Value:
		c := make([]Value, len(t))
		for i, e := range t {
			c[i] = DeepCopy(e)
		}
		return c
	case *Record:
		if t == nil {
			return (*Record)(nil)
		}
		c := NewRecord(len(t.keys))
		c.keys = append(c.keys, t.keys...)
		for _, e := range t.vals {
			c.vals = append(c.vals, DeepCopy(e))
		}
		if t.index != nil {
			c.index = make(map[string]int, len(t.index))
			for k, i := range t.index {
				c.index[k] = i
			}
		}
		return c
	case []byte:
		return append([]byte(nil), t...)
	default:
		return v
	}
}

// Normalize converts common Go types (int, int32, uint, float32, map, []any,
// []string ...) into the canonical Value types. Values already canonical are
// returned unchanged. Maps become records with sorted keys.
func Normalize(v any) Value {
	switch t := v.(type) {
	case nil, bool, int64, float64, string, []byte, *Record:
		return t
	case uint64:
		if t <= math.MaxInt64 {
			return int64(t)
		}
		return t
	case int:
		return int64(t)
	case int8:
		return int64(t)
	case int16:
		return int64(t)
	case int32:
		return int64(t)
	case uint:
		return Normalize(uint64(t))
	case uint8:
		return int64(t)
	case uint16:
		return int64(t)
	case uint32:
		return int64(t)
	case float32:
		return float64(t)
	case []Value:
		for i, e := range t {
			t[i] = Normalize(e)
		}
		return t
	case []string:
		a := make([]Value, len(t))
		for i, e := range t {
			a[i] = e
		}
		return a
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		r := NewRecord(len(keys))
		for _, k := range keys {
			r.Set(k, Normalize(t[k]))
		}
		return r
	default:
		panic(fmt.Sprintf("event.Normalize: unsupported type %T", v))
	}
}

// TypeName names v's type the way tremor-script does in messages.
func TypeName(v Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case int64, uint64:
		return "integer"
	case float64:
		return "float"
	case string:
		return "string"
	case []byte:
		return "bytes"
	case []Value:
		return "array"
	case *Record:
		return "record"
	default:
		return fmt.Sprintf("unknown(%T)", v)
	}
}

// Equal reports deep equality. Integers compare by numeric value across
// int64/uint64; an integer equals a float only when the float is exactly that
// integer. Record equality ignores key order (as tremor-script's == does).
func Equal(a, b Value) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case uint64:
			return x >= 0 && uint64(x) == y
		case float64:
			return float64(x) == y && int64(y) == x
		}
		return false
	case uint64:
		switch y := b.(type) {
		case uint64:
			return x == y
		case int64:
			return y >= 0 && uint64(y) == x
		case float64:
			return float64(x) == y && y < 18446744073709551616.0 && uint64(y) == x
		}
		return false
	case float64:
		switch y := b.(type) {
		case float64:
			return x == y
		case int64, uint64:
			return Equal(b, a)
		}
		return false
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case []Value:
		y, ok := b.([]Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Record:
		y, ok := b.(*Record)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, k := range x.Keys() {
			yv, ok := y.Get(k)
			if !ok || !Equal(x.vals[i], yv) {
				return false
			}
		}
		return true
	}
	return false
}
