package aggr

import (
	"math"
	"sort"

	"github.com/temblor-dev/temblor/internal/event"
)

// aggr::stats::dds: percentiles from a DDSketch (relative accuracy 1%, at
// most 2048 bins, values below 1e-9 in the zero bin), as Tremor computed
// them; each percentile is rounded up to one decimal. Negative values are
// ignored.

func init() {
	Register(&Spec{Module: "stats", Name: "dds", Min: 1, Max: 2, Signature: `aggr::stats::dds(n[, ["0.5", "0.99"]])`,
		Summary: "Count, sum, min, max, mean and percentiles of a number over the window, from a DDSketch (1% relative accuracy).",
		Doc:     "The percentiles are named by strings (default `0.5`, `0.9`, `0.95`, `0.99`, `0.999`, `0.9999`, `0.99999`) and rounded up to one decimal.",
		New:     func() Aggregate { return &dds{} }})
}

const (
	ddsMaxBins = 2048
	ddsAlpha   = 0.01
	ddsMinVal  = 1e-9
)

var (
	ddsGamma   = 1 + 2*ddsAlpha/(1-ddsAlpha)
	ddsGammaLn = math.Log1p(2 * ddsAlpha / (1 - ddsAlpha))
	ddsOffset  = 1 - int32(math.Log(ddsMinVal)/ddsGammaLn)
)

func ddsKey(v float64) int32 {
	switch {
	case v < -ddsMinVal:
		return -int32(math.Ceil(math.Log(-v)/ddsGammaLn)) - ddsOffset
	case v > ddsMinVal:
		return int32(math.Ceil(math.Log(v)/ddsGammaLn)) + ddsOffset
	}
	return 0
}

// sketch keeps a count per key; once the keys span more than the bins
// allow, the lowest collapse into the lowest kept key.
type sketch struct {
	bins          map[int32]uint64
	count         uint64
	lo, hi, total float64
}

func newSketch() *sketch {
	return &sketch{bins: map[int32]uint64{}, lo: math.Inf(1), hi: math.Inf(-1)}
}

func (s *sketch) add(v float64) {
	s.addKey(ddsKey(v), 1)
	s.lo = min(s.lo, v)
	s.hi = max(s.hi, v)
	s.total += v
}

func (s *sketch) addKey(k int32, n uint64) {
	s.bins[k] += n
	s.count += n
	s.collapse()
}

func (s *sketch) collapse() {
	var top int32 = math.MinInt32
	for k := range s.bins {
		top = max(top, k)
	}
	floor := top - ddsMaxBins + 1
	var moved uint64
	for k, c := range s.bins {
		if k < floor {
			moved += c
			delete(s.bins, k)
		}
	}
	if moved > 0 {
		s.bins[floor] += moved
	}
}

func (s *sketch) keys() []int32 {
	ks := make([]int32, 0, len(s.bins))
	for k := range s.bins {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

func (s *sketch) quantile(q float64) float64 {
	switch q {
	case 0:
		return s.lo
	case 1:
		return s.hi
	}
	rank := uint64(q*float64(s.count-1) + 1)
	var key int32
	var seen uint64
	ks := s.keys()
	key = ks[len(ks)-1]
	for _, k := range ks {
		seen += s.bins[k]
		if seen >= rank {
			key = k
			break
		}
	}
	var v float64
	switch {
	case key < 0:
		key += ddsOffset
		v = -2 * math.Exp(float64(-key)*ddsGammaLn) / (1 + ddsGamma)
	case key > 0:
		key -= ddsOffset
		v = 2 * math.Exp(float64(key)*ddsGammaLn) / (1 + ddsGamma)
	}
	return min(max(v, s.lo), s.hi)
}

type dds struct {
	pcts  []pct
	set   bool
	cache []float64
	s     *sketch
}

func (a *dds) Accumulate(args []event.Value) error {
	if !a.set {
		p, err := percentiles("stats::dds", args)
		if err != nil {
			return err
		}
		a.pcts, a.set = p, true
	}
	v, ok := asFloat(args)
	if !ok || v < 0 {
		return nil
	}
	if a.s != nil {
		a.s.add(v)
		return nil
	}
	a.cache = append(a.cache, v)
	if len(a.cache) == histMaxCache {
		a.flush()
	}
	return nil
}

func (a *dds) flush() {
	if a.s == nil {
		a.s = newSketch()
	}
	for _, v := range a.cache {
		a.s.add(v)
	}
	a.cache = a.cache[:0]
}

func (a *dds) Emit() (event.Value, error) {
	a.flush()
	pcts := a.pcts
	if pcts == nil {
		pcts = defaultPercentiles
	}
	p := event.NewRecord(len(pcts))
	s := a.s
	if s.count == 0 {
		for _, x := range pcts {
			p.Set(x.name, 0.0)
		}
		return event.RecordOf("count", uint64(0), "sum", 0.0, "min", 0.0, "max", 0.0, "mean", 0.0, "percentiles", p), nil
	}
	for _, x := range pcts {
		if x.p < 0 || x.p > 1 {
			return nil, &Error{Path: "stats::dds", Arity: 2, Msg: "Invalid quantile, must be between 0 and 1 (inclusive)"}
		}
		p.Set(x.name, math.Ceil(s.quantile(x.p)*10)/10)
	}
	return event.RecordOf("count", s.count, "sum", s.total, "min", s.lo, "max", s.hi,
		"mean", s.total/float64(s.count), "percentiles", p), nil
}

func (a *dds) Init() { a.s, a.cache = nil, a.cache[:0] }

func (a *dds) Merge(o Aggregate) error {
	b := o.(*dds)
	if !a.set {
		a.pcts, a.set = b.pcts, true
	}
	if b.s != nil {
		a.flush()
		for k, c := range b.s.bins {
			a.s.addKey(k, c)
		}
		a.s.lo = min(a.s.lo, b.s.lo)
		a.s.hi = max(a.s.hi, b.s.hi)
		a.s.total += b.s.total
	}
	a.cache = append(a.cache, b.cache...)
	if a.s != nil || len(a.cache) > histMaxCache {
		a.flush()
	}
	return nil
}

func (a *dds) Clone() Aggregate {
	c := &dds{pcts: a.pcts, set: a.set, cache: append([]float64(nil), a.cache...)}
	if a.s != nil {
		s := *a.s
		s.bins = make(map[int32]uint64, len(a.s.bins))
		for k, v := range a.s.bins {
			s.bins[k] = v
		}
		c.s = &s
	}
	return c
}
