package stdlib

import (
	"math"

	"github.com/temblor-dev/temblor/internal/event"
)

// Tremor seeded random::* from the event's ingest_ns, so within one event
// (and across runs with the same ingest_ns) the same call gives the same
// value; we keep that, with the same generator.

func init() {
	def("random::bool", 0, false, "A random boolean.", "Seeded from the event's ingest time, as in Tremor: calls for the same event give the same value.\n\n```tremor\nrandom::bool() # true\n```",
		func(c *Ctx, _ []event.Value) (event.Value, error) {
			return int32(newPRNG(seed(c)).next32()) < 0, nil
		})
	def("random::string", 1, false, "A random string of ASCII letters and digits.", "`random::string(length)`; seeded from the event's ingest time.\n\n```tremor\nrandom::string(8) # \"Xp4RnG0a\"\n```",
		func(c *Ctx, a []event.Value) (event.Value, error) {
			n, ok := asU64(a[0])
			if !ok {
				return nil, ErrBadType
			}
			if n > 1<<24 {
				return nil, rtErr("a random string of %d characters is too long", n)
			}
			const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			r := newPRNG(seed(c))
			out := make([]byte, 0, n)
			for uint64(len(out)) < n {
				if v := r.next32() >> 26; v < 62 {
					out = append(out, chars[v])
				}
			}
			return string(out), nil
		})
	register(&Func{Path: "random::integer", Min: 0, Max: 2, Summary: "A random integer, optionally in a range.",
		Doc: "`random::integer()` is any 64-bit signed integer; `random::integer(n)` is from 0 up to (not including) `n`; `random::integer(low, high)` from `low` up to (not including) `high`. Seeded from the event's ingest time.\n\n```tremor\nrandom::integer(10, 20) # 14\n```",
		Fn: func(c *Ctx, a []event.Value) (event.Value, error) {
			r := newPRNG(seed(c))
			switch len(a) {
			case 0:
				return int64(r.next64()), nil
			case 1:
				n, ok := asU64(a[0])
				if !ok {
					return nil, ErrBadType
				}
				if n == 0 {
					return nil, rtErr("Invalid arguments. Single argument value must be > 0.")
				}
				return uintV(r.uniform64(n)), nil
			}
			lo, ok1 := asI64(a[0])
			hi, ok2 := asI64(a[1])
			if !ok1 || !ok2 {
				return nil, ErrBadType
			}
			if lo >= hi {
				return nil, rtErr("Invalid arguments. First argument must be lower than second argument")
			}
			return lo + int64(r.uniform64(uint64(hi-1-lo)+1)), nil
		}})
	register(&Func{Path: "random::float", Min: 0, Max: 2, Summary: "A random float, optionally in a range.",
		Doc: "`random::float()` is from 0.0 up to (not including) 1.0; `random::float(n)` from 0.0 up to `n`; `random::float(low, high)` from `low` up to `high`. Integers are accepted as bounds. Seeded from the event's ingest time.\n\n```tremor\nrandom::float(1.0, 2.0) # 1.4142\n```",
		Fn: func(c *Ctx, a []event.Value) (event.Value, error) {
			r := newPRNG(seed(c))
			var lo, hi float64
			switch len(a) {
			case 0:
				return r.unitFloat(), nil
			case 1:
				n, ok := castF64(a[0])
				if !ok {
					return nil, ErrBadType
				}
				if !(n > 0) {
					return nil, rtErr("Invalid arguments. Single argument value must be > 0.0.")
				}
				hi = n
			default:
				var ok1, ok2 bool
				lo, ok1 = castF64(a[0])
				hi, ok2 = castF64(a[1])
				if !ok1 || !ok2 {
					return nil, ErrBadType
				}
				if !(lo < hi) {
					return nil, rtErr("Invalid arguments. First argument must be lower than second argument")
				}
			}
			v, ok := r.floatRange(lo, hi)
			if !ok || math.IsNaN(v) {
				return nil, rtErr("the bounds of a random float must be finite")
			}
			return v, nil
		}})
}

func seed(c *Ctx) uint64 {
	if c == nil {
		return 0
	}
	return c.IngestNS
}
