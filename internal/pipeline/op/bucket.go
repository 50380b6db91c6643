package op

import (
	"container/list"

	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

// grouper::bucket rate-limits events per class and dimension, as Tremor's
// bucket grouper did: the metadata of each event names its class
// ($class), its dimensions ($dimensions, any value), its rate ($rate:
// events allowed per time range), $time_range (ms, default 1000),
// $windows (slots of the time range, default 100) and $cardinality (the
// dimensions remembered per class, least recently used forgotten first,
// default 1000). Events within the rate leave through `out`, those over it
// through `overflow`; events without $class (or a new dimension without
// $rate) through `err`.

type bucketConfig struct{}

var bucketSchema = conf.MustSchemaOf(bucketConfig{})

func init() {
	pipeline.RegisterOperator(pipeline.OperatorSpec{
		Name: "grouper::bucket",
		Doc: "Rate-limits events by `$class` and `$dimensions` at `$rate` events per `$time_range` ms (default 1000, in `$windows` slots, " +
			"default 100), remembering `$cardinality` dimensions per class (default 1000, least recently used first out). " +
			"Ports: `out` (within the rate), `overflow` (over it), `err` (no `$class`, or no `$rate` for a new dimension). Takes no parameters.",
		Config: bucketSchema,
		New: func(_ pipeline.OpEnv, p *pipeline.Params) (pipeline.Operator, error) {
			var cfg bucketConfig
			if _, err := p.Decode(bucketSchema, &cfg); err != nil {
				return nil, err
			}
			return &bucket{classes: map[string]*bucketClass{}}, nil
		},
	})
}

type bucket struct {
	classes map[string]*bucketClass
}

// bucketClass is an LRU of the dimensions of one class.
type bucketClass struct {
	cap      int
	byKey    map[string]*list.Element
	lru      *list.List // front: most recently used
	pass     uint64
	overflow uint64
}

type bucketEntry struct {
	key string
	w   *timeWindow
}

func metaUint(m *event.Record, k string) (uint64, bool) {
	v, ok := m.Get(k)
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return uint64(n), n >= 0
	case uint64:
		return n, true
	}
	return 0, false
}

func (o *bucket) OnEvent(c *pipeline.Context, _ string, ev *event.Event) error {
	meta := ev.MetaRecord()
	cv, _ := meta.Get("class")
	class, ok := cv.(string)
	if !ok {
		c.Emit("err", ev)
		return nil
	}
	cl := o.classes[class]
	if cl == nil {
		card := uint64(1000)
		if n, ok := metaUint(meta, "cardinality"); ok {
			card = n
		}
		cl = &bucketClass{cap: int(min(card, 1<<30)), byKey: map[string]*list.Element{}, lru: list.New()}
		o.classes[class] = cl
	}
	dims, _ := meta.Get("dimensions")
	key := string(event.AppendJSON(nil, dims))
	var w *timeWindow
	if el, ok := cl.byKey[key]; ok {
		cl.lru.MoveToFront(el)
		w = el.Value.(*bucketEntry).w
	} else {
		rate, ok := metaUint(meta, "rate")
		if !ok {
			c.Emit("err", ev)
			return nil
		}
		tr, windows := uint64(1000), uint64(100)
		if n, ok := metaUint(meta, "time_range"); ok {
			tr = n
		}
		if n, ok := metaUint(meta, "windows"); ok {
			windows = n
		}
		if windows == 0 {
			c.Emit("err", ev)
			return nil
		}
		w = newTimeWindow(int(min(windows, 1<<20)), tr/windows, rate)
		if cl.cap <= 0 {
			// A cache of no entries keeps nothing: the window is new
			// for every event.
		} else {
			if cl.lru.Len() >= cl.cap {
				last := cl.lru.Back()
				cl.lru.Remove(last)
				delete(cl.byKey, last.Value.(*bucketEntry).key)
			}
			cl.byKey[key] = cl.lru.PushFront(&bucketEntry{key: key, w: w})
		}
	}
	if w.inc(ev.IngestNS) {
		cl.pass++
		c.Emit("out", ev)
		return nil
	}
	cl.overflow++
	c.Emit("overflow", ev)
	return nil
}

// timeWindow counts events over a sliding time range made of slots (the
// time in ms), refusing an increment that would go over max.
type timeWindow struct {
	slots      []uint64
	sum, max   uint64
	pos        int
	slotTime   uint64 // ms
	windowTime uint64 // ms
	lastTick   uint64 // ns
}

func newTimeWindow(n int, slotTime, max uint64) *timeWindow {
	return &timeWindow{slots: make([]uint64, n), max: max, slotTime: slotTime, windowTime: slotTime * uint64(n)}
}

func (w *timeWindow) inc(now uint64) bool {
	var delta uint64
	if now > w.lastTick {
		delta = (now - w.lastTick) / 1_000_000
	}
	switch {
	case delta > w.windowTime:
		clear(w.slots)
		w.sum, w.pos = 0, 0
		w.lastTick = now
	case delta > w.slotTime:
		for delta > w.slotTime {
			delta -= w.slotTime
			last := w.slots[w.pos]
			w.pos = (w.pos + 1) % len(w.slots)
			w.sum = w.sum - w.slots[w.pos] + last
			w.slots[w.pos] = 0
		}
		w.lastTick = now
	}
	if w.sum+w.slots[w.pos]+1 <= w.max {
		w.slots[w.pos]++
		return true
	}
	return false
}
