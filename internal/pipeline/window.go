package pipeline

import (
	"fmt"
	"math"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// Tumbling windows: the definitions (`define tumbling window`) and the
// state of one window for one group.

// windowConfig is the `with` block of a tumbling window.
type windowConfig struct {
	Interval         *uint64 `conf:"interval" doc:"Close the window once an event (or a tick) comes this many nanoseconds after the window opened; by the event's ingest time, or by the value the window's script gives."`
	Size             *uint64 `conf:"size" doc:"Close the window after this many events (or, with a script, once the numbers the script gives for the events add up to it)."`
	EvictionPeriod   *uint64 `conf:"eviction_period" doc:"Forget groups that saw no event for this many nanoseconds (their open window is dropped; its events are acked)."`
	MaxGroups        uint64  `conf:"max_groups" default:"18446744073709551615" doc:"The most groups the window keeps at once; an event of a further group goes to the err port."`
	EmitEmptyWindows bool    `conf:"emit_empty_windows" doc:"Emit (on ticks) time windows that saw no event."`
}

var windowSchema = conf.MustSchemaOf(windowConfig{})

func init() {
	component.Register(&component.Spec{Kind: component.Window, Name: "tumbling", Config: windowSchema,
		Summary: "A tumbling window: consecutive windows of a number of events (size) or of a time span (interval), per group.",
		Docs: "Defined with `define tumbling window NAME with size = N end;` or `with interval = NANOSECONDS end;` (exactly one of them), " +
			"optionally followed by `script EXPR end` giving each event's weight (size) or time (interval). Used as `from in[NAME]`; " +
			"several windows (`from in[w1, w2]`) chain: each closing window passes its aggregate state on to the next."})
}

// windowDef is a tumbling window definition.
type windowDef struct {
	name      string // as `window` reads it: the window's own name
	byTime    bool
	size      uint64 // events, or nanoseconds when byTime
	maxGroups uint64
	evict     uint64 // eviction period in ns; 0: none
	emitEmpty bool
	script    *lang.Expr
	src       diag.Span
}

// window resolves a window reference of a select.
func (b *builder) window(ref *ast.WindowRef) (*windowDef, error) {
	key := ref.Name()
	if w, ok := b.windows[key]; ok {
		return w, nil
	}
	d, err := b.lookup("window", ref.Module, ref.ID)
	if err != nil {
		return nil, err
	}
	dw := d.Node.(*ast.DefineWindow)
	if dw.Kind == ast.Sliding {
		return nil, d.Src.Diag(dw.Span, dw.ID.Span, "Sliding windows are not yet implemented", "use a tumbling window")
	}
	vals := map[string]event.Value{}
	pos := map[string]diag.Span{}
	for _, prm := range dw.Params {
		v, err := d.Const(prm.Value)
		if err != nil {
			return nil, err
		}
		vals[prm.Name.Name] = v
		pos[prm.Name.Name] = prm.Name.Span
	}
	prm := NewParams(dw.ID.Name, "tumbling window", d.Src, dw.ID.Span, vals, pos)
	prm.what = "tumbling window " + dw.ID.Name
	var cfg windowConfig
	if _, err := prm.Decode(windowSchema, &cfg); err != nil {
		return nil, err
	}
	w := &windowDef{name: dw.ID.Name, maxGroups: cfg.MaxGroups, emitEmpty: cfg.EmitEmptyWindows, src: dw.Span}
	switch {
	case cfg.Interval != nil && cfg.Size != nil:
		return nil, d.Src.Diag(dw.Span, dw.ID.Span, "Bad window configuration, only one of `size` or `interval` is allowed.", "")
	case cfg.Interval != nil:
		w.byTime, w.size = true, *cfg.Interval
	case cfg.Size != nil:
		w.size = *cfg.Size
	default:
		return nil, d.Src.Diag(dw.Span, dw.ID.Span, "Bad window configuration, either `size` or `interval` is required.", "")
	}
	if cfg.EvictionPeriod != nil {
		w.evict = *cfg.EvictionPeriod
	}
	if dw.Script != nil {
		if w.script, err = d.Expr(dw.Script, dw.Span); err != nil {
			return nil, err
		}
	}
	b.windows[key] = w
	return w, nil
}

// checkWindowWarning warns, as Tremor did, about empty windows emitted
// without a bound on the groups kept.
func (b *builder) checkWindowWarning(dw *ast.DefineWindow) {
	var emitEmpty, guarded bool
	for _, prm := range dw.Params {
		v, err := b.q.Const(prm.Value)
		if err != nil {
			continue
		}
		switch prm.Name.Name {
		case "emit_empty_windows":
			emitEmpty = v == true
		case "eviction_period":
			guarded = true
		case "max_groups":
			if n, ok := asUint(v); ok && n < math.MaxUint64 {
				guarded = true
			}
		}
	}
	if emitEmpty && !guarded {
		b.q.Warn(dw.Span, dw.Span, "Using `emit_empty_windows` without guard is potentially dangerous. Consider limiting the amount of groups maintained internally by using `max_groups` and/or `eviction_period`.")
	}
}

// winEvent is what an event or a tick does to a window: opened a new one,
// emits the current one, and whether the event belongs to the emitted one.
type winEvent struct{ opened, include, emit bool }

// winState is one window's progress for one group.
type winState struct {
	def     *windowDef
	count   uint64 // size windows: weight so far
	next    uint64 // time windows: when the current window ends
	started bool
	events  uint64 // time windows: events in the current window
}

func (w *winState) weight(ev *event.Event) (uint64, error) {
	if w.def.script == nil {
		if w.def.byTime {
			return ev.IngestNS, nil
		}
		return 1, nil
	}
	env := eventEnv(ev)
	null := event.Value(nil)
	env.State = &null
	v, err := w.def.script.Eval(env)
	if err != nil {
		return 0, &langError{err}
	}
	if n, ok := asUint(v); ok {
		return n, nil
	}
	return 0, fmt.Errorf("Data based window didn't provide a valid value")
}

func (w *winState) timeEvent(t uint64) winEvent {
	if !w.started {
		w.started, w.next = true, t+w.def.size
		return winEvent{opened: true}
	}
	if w.next <= t {
		emit := w.events > 0 || w.def.emitEmpty
		w.next, w.events = t+w.def.size, 0
		return winEvent{opened: true, emit: emit}
	}
	return winEvent{}
}

func (w *winState) onEvent(ev *event.Event) (winEvent, error) {
	n, err := w.weight(ev)
	if err != nil {
		return winEvent{}, err
	}
	if w.def.byTime {
		w.events++
		return w.timeEvent(n), nil
	}
	// A count window emits on the event that completes it, including it.
	if c := w.count + n; c >= w.def.size {
		w.count = c - w.def.size
		return winEvent{opened: true, include: true, emit: true}, nil
	}
	w.count += n
	return winEvent{}, nil
}

func (w *winState) onTick(ns uint64) winEvent {
	if !w.def.byTime || w.def.script != nil {
		// A window timed by its script ignores the clock.
		return winEvent{}
	}
	return w.timeEvent(ns)
}

var _ = stdlib.Ctx{}
