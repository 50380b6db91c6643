package aggr

import (
	"math"
	"math/bits"

	"github.com/temblor-dev/temblor/internal/event"
)

// aggr::stats::hdr: percentiles from an HDR histogram with two significant
// digits, as Tremor computed them (values are truncated to non-negative
// integers; negative values are ignored). Up to 8192 values are kept as
// they are and moved into the histogram when it is needed, as in Tremor;
// the results do not depend on when that happens.

func init() {
	Register(&Spec{Module: "stats", Name: "hdr", Min: 1, Max: 2, Signature: `aggr::stats::hdr(n[, ["0.5", "0.99"]])`,
		Summary: "Count, min, max, mean, stdev, var and percentiles of a number over the window, from an HDR histogram (2 significant digits).",
		Doc: "The percentiles are named by strings (default `0.5`, `0.9`, `0.95`, `0.99`, `0.999`, `0.9999`, `0.99999`); " +
			"each is the highest value equivalent to the one at that rank.",
		New: func() Aggregate { return &hdr{} }})
}

// The histogram's layout for 2 significant digits and a lowest value of 1.
const (
	hdrSubBuckets     = 256 // 2^ceil(log2(2*10^2))
	hdrHalfMagnitude  = 7
	hdrHalf           = 128
	hdrSubBucketMask  = hdrSubBuckets - 1
	hdrLeadingZeroBas = 64 - hdrHalfMagnitude - 1
)

type histogram struct {
	counts   []uint64
	total    uint64
	min, max uint64 // min non-zero; 0 when none
	hasZero  bool
}

func hdrBucket(v uint64) int { return hdrLeadingZeroBas - bits.LeadingZeros64(v|hdrSubBucketMask) }

func hdrIndex(v uint64) int {
	b := hdrBucket(v)
	sub := int(v >> uint(b))
	return (b+1)<<hdrHalfMagnitude + sub - hdrHalf
}

func hdrValueFor(i int) uint64 {
	b := i>>hdrHalfMagnitude - 1
	sub := i&(hdrHalf-1) + hdrHalf
	if b < 0 {
		sub -= hdrHalf
		b = 0
	}
	return uint64(sub) << uint(b)
}

func hdrRange(v uint64) uint64 {
	b := hdrBucket(v)
	sub := int(v >> uint(b))
	if sub >= hdrSubBuckets {
		b++
	}
	return 1 << uint(b)
}

func hdrLowest(v uint64) uint64 {
	b := hdrBucket(v)
	return (v >> uint(b)) << uint(b)
}

func hdrHighest(v uint64) uint64 { return hdrLowest(v) + hdrRange(v) - 1 }
func hdrMedian(v uint64) uint64  { return hdrLowest(v) + hdrRange(v)>>1 }

func (h *histogram) record(v uint64) {
	i := hdrIndex(v)
	if i >= len(h.counts) {
		h.counts = append(h.counts, make([]uint64, i+1-len(h.counts))...)
	}
	h.counts[i]++
	h.total++
	if v == 0 {
		h.hasZero = true
	} else if h.min == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
}

func (h *histogram) valueAtQuantile(q float64) uint64 {
	q = min(q, 1)
	want := uint64(math.Ceil(q * float64(h.total)))
	if want == 0 {
		want = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= want {
			v := hdrValueFor(i)
			if q == 0 {
				return hdrLowest(v)
			}
			return hdrHighest(v)
		}
	}
	return 0
}

func (h *histogram) mean() float64 {
	if h.total == 0 {
		return 0
	}
	m := 0.0
	for i, c := range h.counts {
		if c > 0 {
			m += float64(hdrMedian(hdrHighest(hdrValueFor(i)))) * float64(c) / float64(h.total)
		}
	}
	return m
}

func (h *histogram) stdev() float64 {
	if h.total == 0 {
		return 0
	}
	m := h.mean()
	dev := 0.0
	for i, c := range h.counts {
		if c > 0 {
			d := float64(hdrMedian(hdrHighest(hdrValueFor(i)))) - m
			dev += d * d * float64(c)
		}
	}
	return math.Sqrt(dev / float64(h.total))
}

type hdr struct {
	pcts  []pct
	set   bool
	cache []uint64
	h     *histogram
}

const histMaxCache = 8192

func (a *hdr) Accumulate(args []event.Value) error {
	if !a.set {
		p, err := percentiles("stats::hdr", args)
		if err != nil {
			return err
		}
		a.pcts, a.set = p, true
	}
	v, ok := asFloat(args)
	if !ok || v < 0 {
		return nil
	}
	u := uint64(v) // truncated, saturating as Rust's cast
	if v >= math.MaxUint64 {
		u = math.MaxUint64
	}
	if a.h != nil {
		a.h.record(u)
		return nil
	}
	a.cache = append(a.cache, u)
	if len(a.cache) == histMaxCache {
		a.flush()
	}
	return nil
}

func (a *hdr) flush() {
	if a.h == nil {
		a.h = &histogram{}
	}
	for _, v := range a.cache {
		a.h.record(v)
	}
	a.cache = a.cache[:0]
}

func (a *hdr) Emit() (event.Value, error) {
	a.flush()
	h := a.h
	pcts := a.pcts
	if pcts == nil {
		pcts = defaultPercentiles
	}
	p := event.NewRecord(len(pcts))
	for _, x := range pcts {
		p.Set(x.name, h.valueAtQuantile(x.p*100/100))
	}
	var lo, hi uint64
	if h.total > 0 {
		if !h.hasZero {
			lo = hdrLowest(h.min)
		}
		hi = hdrHighest(h.max)
	}
	sd := h.stdev()
	return event.RecordOf("count", h.total, "min", lo, "max", hi, "mean", h.mean(), "stdev", sd,
		"var", math.Pow(sd, 2), "percentiles", p), nil
}

func (a *hdr) Init() { a.h, a.cache = nil, a.cache[:0] }

func (a *hdr) Merge(o Aggregate) error {
	b := o.(*hdr)
	if !a.set {
		a.pcts, a.set = b.pcts, true
	}
	if b.h != nil {
		a.flush()
		for i, c := range b.h.counts {
			for ; c > 0; c-- {
				a.h.record(hdrValueFor(i))
			}
		}
		// min/max of b are exact values, keep them exact.
		if b.h.min != 0 && (a.h.min == 0 || b.h.min < a.h.min) {
			a.h.min = b.h.min
		}
		a.h.max = max(a.h.max, b.h.max)
	}
	a.cache = append(a.cache, b.cache...)
	if a.h != nil || len(a.cache) > histMaxCache {
		a.flush()
	}
	return nil
}

func (a *hdr) Clone() Aggregate {
	c := &hdr{pcts: a.pcts, set: a.set, cache: append([]uint64(nil), a.cache...)}
	if a.h != nil {
		h := *a.h
		h.counts = append([]uint64(nil), a.h.counts...)
		c.h = &h
	}
	return c
}
