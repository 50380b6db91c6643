package stdlib

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// prng reproduces the generator Tremor's random::* and cncf::otel::gen_*
// used: Rust rand 0.8's SmallRng (xoshiro256++) seeded from the event's
// ingest_ns through rand_core's default seed_from_u64 (a PCG32 stream
// filling the 32-byte seed), with rand's sampling algorithms on top. The
// same ingest_ns therefore gives the same values as in Tremor.
type prng struct{ s [4]uint64 }

func newPRNG(seed uint64) *prng {
	var b [32]byte
	state := seed
	for i := 0; i < 32; i += 4 {
		state = state*6364136223846793005 + 11634580027462260723
		x := uint32(((state >> 18) ^ state) >> 27)
		x = bits.RotateLeft32(x, -int(state>>59))
		binary.LittleEndian.PutUint32(b[i:], x)
	}
	return prngFromSeed(b)
}

func prngFromSeed(b [32]byte) *prng {
	var zero [32]byte
	if b == zero {
		// xoshiro cannot run from an all-zero state: seed via SplitMix64
		state := uint64(0)
		for i := 0; i < 32; i += 8 {
			state += 0x9e3779b97f4a7c15
			z := state
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
			z = (z ^ (z >> 27)) * 0x94d049bb133111eb
			binary.LittleEndian.PutUint64(b[i:], z^(z>>31))
		}
	}
	p := &prng{}
	for i := range p.s {
		p.s[i] = binary.LittleEndian.Uint64(b[i*8:])
	}
	return p
}

func (p *prng) next64() uint64 {
	s := &p.s
	r := bits.RotateLeft64(s[0]+s[3], 23) + s[0]
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return r
}

func (p *prng) next32() uint32 { return uint32(p.next64() >> 32) }

// uniform64 samples low + [0, span) where span = high-low+1 as unsigned
// (0 meaning the whole 64-bit range), by widening multiplication with
// rejection, as rand's UniformInt::sample_single_inclusive.
func (p *prng) uniform64(span uint64) uint64 {
	if span == 0 {
		return p.next64()
	}
	zone := (span << bits.LeadingZeros64(span)) - 1
	for {
		hi, lo := bits.Mul64(p.next64(), span)
		if lo <= zone {
			return hi
		}
	}
}

// byte samples 0..=255 as rand's gen_range(0u8..=255u8) does.
func (p *prng) byte() byte {
	hi, _ := bits.Mul32(p.next32(), 256)
	return byte(hi)
}

// unitFloat is rand's Standard f64 in [0, 1).
func (p *prng) unitFloat() float64 {
	return float64(p.next64()>>11) * (1.0 / (1 << 53))
}

// floatRange samples [low, high) as rand's UniformFloat::sample_single;
// ok is false where rand panicked (a bound not finite).
func (p *prng) floatRange(low, high float64) (float64, bool) {
	scale := high - low
	for {
		v := math.Float64frombits(p.next64()>>12|1023<<52) - 1.0
		res := v*scale + low
		if res < high {
			return res, true
		}
		if math.IsInf(scale, 0) || math.IsNaN(scale) {
			if math.IsInf(low, 0) || math.IsInf(high, 0) || math.IsNaN(low) || math.IsNaN(high) {
				return 0, false
			}
			scale = math.Float64frombits(math.Float64bits(scale) - 1)
		}
	}
}
