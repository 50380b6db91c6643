package stdlib

import (
	"encoding/binary"
	"math/bits"
	"sort"

	"github.com/temblor-dev/temblor/internal/event"
)

// Tremor's default jump-hash keys: "tremor\0\0" and "\0\0tremor" read as
// little-endian integers.
const (
	chashK1 = 8_390_880_576_440_238_080
	chashK2 = 128_034_676_764_530
)

func init() {
	def("chash::jump", 2, true, "The slot of a key in a jump consistent hash over a number of slots.",
		"`chash::jump(key, slot_count)` returns 0 to `slot_count - 1`; the same key always maps to the same slot, and adding slots moves few keys. Uses Tremor's default hash keys, so slots match Tremor's.\n\n```tremor\nchash::jump(\"key1\", 5) # 0\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			key, ok1 := a[0].(string)
			n, ok2 := asU64(a[1])
			if !ok1 || !ok2 || n > 0xFFFFFFFF {
				return nil, ErrBadType
			}
			return jumpSlot(chashK1, chashK2, key, uint32(n))
		})
	def("chash::jump_with_keys", 4, true, "The slot of a key in a jump consistent hash, with your own hash keys.",
		"`chash::jump_with_keys(k1, k2, key, slot_count)`: like `chash::jump` but the key is hashed (SipHash-1-3) with the 64-bit keys `k1` and `k2`.\n\n```tremor\nchash::jump_with_keys(23, 42, \"key1\", 5) # 3\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			k1, ok1 := asU64(a[0])
			k2, ok2 := asU64(a[1])
			key, ok3 := a[2].(string)
			n, ok4 := asU64(a[3])
			if !ok1 || !ok2 || !ok3 || !ok4 || n > 0xFFFFFFFF {
				return nil, ErrBadType
			}
			return jumpSlot(k1, k2, key, uint32(n))
		})
	def("chash::sorted_serialize", 1, true, "A value as JSON with record keys sorted, for stable hashing.",
		"Records are written with their keys in byte order, at every level; everything else as `json::encode` writes it.\n\n```tremor\nchash::sorted_serialize({\"b\": 1, \"a\": [2, 1]}) # \"{\\\"a\\\":[2,1],\\\"b\\\":1}\"\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) { return string(sortedJSON(nil, a[0])), nil })
}

func jumpSlot(k1, k2 uint64, key string, n uint32) (event.Value, error) {
	if n == 0 {
		return nil, rtErr("the slot count must be at least 1")
	}
	// Rust hashes a str as its bytes followed by 0xff.
	h := sip13(k1, k2, append([]byte(key), 0xff))
	b, j := int64(-1), int64(0)
	for j < int64(n) {
		b = j
		h = h*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(uint64(1)<<31) / float64((h>>33)+1)))
	}
	return b, nil
}

// sip13 is SipHash-1-3 (one compression round, three finalisation
// rounds) with the 128-bit key k0, k1.
func sip13(k0, k1 uint64, m []byte) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	n := len(m)
	for len(m) >= 8 {
		w := binary.LittleEndian.Uint64(m)
		v3 ^= w
		round()
		v0 ^= w
		m = m[8:]
	}
	last := uint64(n&0xff) << 56
	for i, c := range m {
		last |= uint64(c) << (8 * i)
	}
	v3 ^= last
	round()
	v0 ^= last
	v2 ^= 0xff
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}

func sortedJSON(dst []byte, v event.Value) []byte {
	switch t := v.(type) {
	case []event.Value:
		dst = append(dst, '[')
		for i, x := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = sortedJSON(dst, x)
		}
		return append(dst, ']')
	case *event.Record:
		keys := append([]string(nil), t.Keys()...)
		sort.Strings(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = event.AppendJSON(dst, k)
			dst = append(dst, ':')
			x, _ := t.Get(k)
			dst = sortedJSON(dst, x)
		}
		return append(dst, '}')
	}
	return event.AppendJSON(dst, v)
}
