package stdlib

import (
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	def("record::len", 1, true, "The number of fields in a record.", "```tremor\nrecord::len({\"a\": 1, \"b\": 2}) # 2\n```",
		rec1(func(r *event.Record) (event.Value, error) { return int64(r.Len()), nil }))
	def("record::is_empty", 1, true, "Whether a record has no fields.", "```tremor\nrecord::is_empty({}) # true\n```",
		rec1(func(r *event.Record) (event.Value, error) { return r.Len() == 0, nil }))
	def("record::contains", 2, true, "Whether a record has a field with the given key.", "```tremor\nrecord::contains({\"a\": 1}, \"a\") # true\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			r, ok1 := a[0].(*event.Record)
			k, ok2 := a[1].(string)
			if !ok1 || !ok2 {
				return nil, ErrBadType
			}
			return r.Has(k), nil
		})
	def("record::keys", 1, true, "A record's keys, as an array, in the record's order.", "```tremor\nrecord::keys({\"a\": 1, \"b\": 2}) # [\"a\", \"b\"]\n```",
		rec1(func(r *event.Record) (event.Value, error) {
			out := make([]event.Value, 0, r.Len())
			for _, k := range r.Keys() {
				out = append(out, k)
			}
			return out, nil
		}))
	def("record::values", 1, true, "A record's values, as an array, in the record's order.", "```tremor\nrecord::values({\"a\": 1, \"b\": 2}) # [1, 2]\n```",
		rec1(func(r *event.Record) (event.Value, error) {
			out := make([]event.Value, 0, r.Len())
			r.Range(func(_ string, v event.Value) bool { out = append(out, v); return true })
			return out, nil
		}))
	def("record::to_array", 1, true, "A record as an array of `[key, value]` pairs.", "```tremor\nrecord::to_array({\"a\": 1, \"b\": 2}) # [[\"a\", 1], [\"b\", 2]]\n```",
		rec1(func(r *event.Record) (event.Value, error) {
			out := make([]event.Value, 0, r.Len())
			r.Range(func(k string, v event.Value) bool { out = append(out, []event.Value{k, v}); return true })
			return out, nil
		}))
	def("record::from_array", 1, true, "A record built from an array of `[key, value]` pairs.", "Each element must be a two-element array whose first element is a string. A key given twice keeps its first position and its last value.\n\n```tremor\nrecord::from_array([[\"a\", 1], [\"b\", 2]]) # {\"a\": 1, \"b\": 2}\n```",
		arr1(func(xs []event.Value) (event.Value, error) {
			out := event.NewRecord(len(xs))
			for _, x := range xs {
				p, ok := x.([]event.Value)
				if !ok {
					return nil, rtErr("Onlay arrays that consist of tuples (arrays of two elements) can be turned into records but this array contained: %s", debugString(x))
				}
				if len(p) != 2 {
					return nil, rtErr("Onlay arrays that consist of tuples (arrays of two elements) can be trurned into an record this array contained %d elements", len(p))
				}
				k, ok := p[0].(string)
				if !ok {
					return nil, rtErr("The first element of the tuple needs to be a string: %s", debugString(p[:1]))
				}
				out.Set(k, p[1])
			}
			return out, nil
		}))
	def("record::select", 2, true, "A record with only the fields whose keys are listed.", "`record::select(record, keys)`: keys that are not strings are ignored; the result keeps the record's order.\n\n```tremor\nrecord::select({\"a\": 1, \"b\": 2, \"c\": 3}, [\"c\", \"a\"]) # {\"a\": 1, \"c\": 3}\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			r, ok1 := a[0].(*event.Record)
			keys, ok2 := a[1].([]event.Value)
			if !ok1 || !ok2 {
				return nil, ErrBadType
			}
			want := make(map[string]bool, len(keys))
			for _, k := range keys {
				if s, ok := k.(string); ok {
					want[s] = true
				}
			}
			out := event.NewRecord(len(want))
			r.Range(func(k string, v event.Value) bool {
				if want[k] {
					out.Set(k, v)
				}
				return true
			})
			return out, nil
		})
	def("record::merge", 2, true, "Two records merged, the second's fields winning.", "A shallow merge: fields of the second record replace fields of the first with the same key (in place); new keys are appended. For a deep merge use `merge ... of ... end`.\n\n```tremor\nrecord::merge({\"a\": 1, \"b\": 2}, {\"b\": 3, \"c\": 4}) # {\"a\": 1, \"b\": 3, \"c\": 4}\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			l, ok1 := a[0].(*event.Record)
			r, ok2 := a[1].(*event.Record)
			if !ok1 || !ok2 {
				return nil, ErrBadType
			}
			out := l.Clone()
			r.Range(func(k string, v event.Value) bool { out.Set(k, v); return true })
			return out, nil
		})
	def("record::rename", 2, true, "A record with keys renamed by a map of old to new names.", "`record::rename(target, changes)`: for each field whose key is in `changes` with a string value, that string becomes the key. If a new name collides with another key, the later field's value wins.\n\n```tremor\nrecord::rename({\"a\": 1, \"b\": 2}, {\"a\": \"z\"}) # {\"z\": 1, \"b\": 2}\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			r, ok1 := a[0].(*event.Record)
			ch, ok2 := a[1].(*event.Record)
			if !ok1 || !ok2 {
				return nil, ErrBadType
			}
			out := event.NewRecord(r.Len())
			r.Range(func(k string, v event.Value) bool {
				if n, ok := ch.Get(k); ok {
					if s, ok := n.(string); ok {
						k = s
					}
				}
				out.Set(k, v)
				return true
			})
			return out, nil
		})
}
