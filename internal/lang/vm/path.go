package vm

import (
	"fmt"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
)

// Root is where a compiled path starts.
type Root uint8

// Path roots.
const (
	RootLocal Root = iota
	RootConst
	RootEvent
	RootState
	RootMeta
	RootArgs
	RootWindow
	RootGroup
)

// SegKind is a kind of path step.
type SegKind uint8

// Path steps.
const (
	SegField SegKind = iota // .name or ["name"]
	SegIndex                // [3]
	SegExpr                 // [expr]
	SegRange                // [lo:hi]
)

// Seg is one step of a path.
type Seg struct {
	At
	Kind   SegKind
	Key    string
	Index  int
	X      Expr // SegExpr key; SegRange lower bound
	Hi     Expr // SegRange upper bound
	keyVal Value
}

// Path reads a value: a root and steps into it.
type Path struct {
	At
	Root  Root
	Slot  int    // RootLocal
	Name  string // RootLocal, RootConst, RootArgs...: the name, for messages
	Const Value  // RootConst
	Segs  []*Seg
}

func (p *Path) kind() rootKind {
	switch p.Root {
	case RootMeta:
		return kindGlobal
	case RootEvent:
		return kindEvent
	case RootState:
		return kindState
	}
	return kindLocal
}

// base is the root value; ok false for an unset local.
func (p *Path) base(f *Frame) (Value, bool) {
	switch p.Root {
	case RootLocal:
		v := f.Locals[p.Slot]
		return v, v != unset
	case RootConst:
		return p.Const, true
	case RootEvent:
		return *f.Event, true
	case RootState:
		return *f.State, true
	case RootMeta:
		return *f.Meta, true
	case RootArgs:
		return f.Args, true
	case RootWindow:
		return f.Window, true
	case RootGroup:
		return f.Group, true
	}
	return nil, false
}

// Eval resolves the path; errors say which step failed.
func (p *Path) Eval(f *Frame) (Value, error) {
	v, ok := p.base(f)
	if !ok {
		msg, hint := badKeyMsg(kindLocal, p.Name, nil)
		return nil, p.fail(p.Span, p.Span, msg, hint)
	}
	if len(p.Segs) == 0 {
		return v, nil
	}
	return p.walk(f, &p.At, v)
}

// walk applies the steps to base; errors are positioned with outer as the
// whole expression and the failing step underlined.
func (p *Path) walk(f *Frame, outer *At, cur Value) (Value, error) {
	var sub []Value
	inRange := false
	for _, s := range p.Segs {
		switch s.Kind {
		case SegField:
			if r, ok := cur.(*event.Record); ok {
				if v, ok := r.Get(s.Key); ok {
					cur, inRange = v, false
					continue
				}
				msg, hint := badKeyMsg(p.kind(), s.Key, r.Keys())
				return nil, outer.fail(outer.Span, s.Span, msg, hint)
			}
			return nil, outer.typeConflict(outer.Span, s.Span, cur, "record")
		case SegIndex:
			a, ok := cur.([]Value)
			if !ok {
				return nil, outer.typeConflict(outer.Span, s.Span, cur, "array")
			}
			if !inRange {
				sub = a
			}
			if s.Index < len(sub) {
				cur, inRange = sub[s.Index], false
				continue
			}
			return nil, outer.fail(outer.Span, s.Span, outOfRangeMsg(s.Index, s.Index, len(sub)), "")
		case SegRange:
			a, ok := cur.([]Value)
			if !ok {
				return nil, outer.typeConflict(outer.Span, s.Span, cur, "array")
			}
			if !inRange {
				sub = a
			}
			lo, err := toIndex(f, outer, s.X, s.X.Extent(), sub)
			if err != nil {
				return nil, err
			}
			hi, err := toIndex(f, outer, s.Hi, s.Hi.Extent(), sub)
			if err != nil {
				return nil, err
			}
			if hi < lo {
				return nil, outer.fail(outer.Span, s.Span,
					fmt.Sprintf("A range's end cannot be smaller than its start, %d:%d is invalid", lo, hi), "")
			}
			if hi > len(sub) {
				return nil, outer.fail(outer.Span, s.Span, outOfRangeMsg(lo, hi, len(sub)), "")
			}
			sub, inRange = sub[lo:hi], true
		case SegExpr:
			k, err := s.X.Eval(f)
			if err != nil {
				return nil, err
			}
			switch c := cur.(type) {
			case *event.Record:
				key, ok := k.(string)
				if !ok {
					return nil, outer.typeConflict(outer.Span, s.Span, k, "string")
				}
				if v, ok := c.Get(key); ok {
					cur, inRange = v, false
					continue
				}
				msg, hint := badKeyMsg(p.kind(), key, c.Keys())
				return nil, outer.fail(outer.Span, s.Span, msg, hint)
			case []Value:
				if !inRange {
					sub = c
				}
				i, err := indexOf(outer, s.Span, k, sub)
				if err != nil {
					return nil, err
				}
				if i < len(sub) {
					cur, inRange = sub[i], false
					continue
				}
				return nil, outer.fail(outer.Span, s.Span, outOfRangeMsg(i, i, len(sub)), "")
			default:
				if _, ok := k.(string); ok {
					return nil, outer.typeConflict(outer.Span, s.Span, cur, "record")
				}
				if _, ok := asU64(k); ok {
					return nil, outer.typeConflict(outer.Span, s.Span, cur, "array")
				}
				return nil, outer.fail(outer.Span, outer.Span,
					"Something went wrong and we're not sure what it was: Bad path segments", "")
			}
		}
	}
	if inRange {
		return append([]Value(nil), sub...), nil
	}
	return cur, nil
}

// indexOf converts an index value (errors as Tremor worded them); an
// index past the end is an error here.
func indexOf(outer *At, inner diag.Span, v Value, arr []Value) (int, error) {
	if u, ok := asU64(v); ok {
		if u >= uint64(len(arr)) {
			return 0, outer.fail(outer.Span, inner, fmt.Sprintf(
				"Array index out of bounds, got index %d but expected an index in the range 0:%d", u, len(arr)), "")
		}
		return int(u), nil
	}
	if i, ok := v.(int64); ok {
		return 0, outer.fail(outer.Span, inner,
			fmt.Sprintf("Bad array index, got `%d` but expected an index in the range 0:%d", i, len(arr)), "")
	}
	return 0, outer.typeConflict(outer.Span, inner, v, "integer")
}

func toIndex(f *Frame, outer *At, x Expr, inner diag.Span, arr []Value) (int, error) {
	v, err := x.Eval(f)
	if err != nil {
		return 0, err
	}
	u, ok := asU64(v)
	if ok {
		if u > 1<<40 {
			return 1 << 40, nil
		}
		return int(u), nil
	}
	return indexOf(outer, inner, v, arr)
}

// Present is `present PATH`.
type Present struct {
	At
	Path *Path
}

// Eval reports whether the path leads to a value.
func (e *Present) Eval(f *Frame) (Value, error) {
	p := e.Path
	cur, ok := p.base(f)
	if !ok {
		return false, nil
	}
	var sub []Value
	inRange := false
	for _, s := range p.Segs {
		switch s.Kind {
		case SegField:
			r, ok := cur.(*event.Record)
			if !ok {
				return false, nil
			}
			v, ok := r.Get(s.Key)
			if !ok {
				return false, nil
			}
			cur, inRange = v, false
		case SegIndex:
			a, ok := cur.([]Value)
			if !ok {
				return false, nil
			}
			if !inRange {
				sub = a
			}
			if s.Index >= len(sub) {
				return false, nil
			}
			cur, inRange = sub[s.Index], false
		case SegRange:
			a, ok := cur.([]Value)
			if !ok {
				return false, nil
			}
			if !inRange {
				sub = a
			}
			lo, err := toIndex(f, &e.At, s.X, s.X.Extent(), sub)
			if err != nil {
				return nil, err
			}
			hi, err := toIndex(f, &e.At, s.Hi, s.Hi.Extent(), sub)
			if err != nil {
				return nil, err
			}
			if hi < lo {
				return nil, e.fail(e.Span, s.Span,
					fmt.Sprintf("A range's end cannot be smaller than its start, %d:%d is invalid", lo, hi), "")
			}
			if hi > len(sub) {
				return false, nil
			}
			sub, inRange = sub[lo:hi], true
		case SegExpr:
			k, err := s.X.Eval(f)
			if err != nil {
				return nil, err
			}
			switch c := cur.(type) {
			case *event.Record:
				key, ok := k.(string)
				if !ok {
					return false, nil
				}
				v, ok := c.Get(key)
				if !ok {
					return false, nil
				}
				cur, inRange = v, false
			case []Value:
				if !inRange {
					sub = c
				}
				if u, ok := asU64(k); ok && u >= uint64(len(sub)) {
					return false, nil
				}
				i, err := indexOf(&e.At, s.Span, k, sub)
				if err != nil {
					return nil, err
				}
				cur, inRange = sub[i], false
			default:
				return false, nil
			}
		}
	}
	return true, nil
}

// Let is `let PATH = VALUE`.
type Let struct {
	At
	Target *Path
	Value  Stmt
}

// Exec assigns; a nested path copies the records along it.
func (s *Let) Exec(f *Frame, need bool) (Value, Flow, error) {
	v, fl, err := s.Value.Exec(f, true)
	if err != nil || fl != Next {
		return v, fl, err
	}
	p := s.Target
	if len(p.Segs) == 0 {
		switch p.Root {
		case RootLocal:
			f.Locals[p.Slot] = v
		case RootEvent:
			*f.Event = v
		case RootState:
			*f.State = v
		case RootMeta:
			return nil, Next, s.fail(outerLines(s.Span, 2), s.Span, msgInvalidAssign, "")
		default:
			return nil, Next, s.fail(outerLines(s.Span, 2), s.Span, fmt.Sprintf("Can't assign to the `%s` constant", p.Name), "")
		}
		return v, Next, nil
	}
	var root *Value
	switch p.Root {
	case RootLocal:
		if f.Locals[p.Slot] == unset {
			msg, hint := badKeyMsg(kindLocal, p.Name, nil)
			return nil, Next, s.fail(s.Span, p.Span, msg, hint)
		}
		root = &f.Locals[p.Slot]
	case RootEvent:
		root = f.Event
	case RootState:
		root = f.State
	case RootMeta:
		root = f.Meta
	default:
		return nil, Next, s.fail(outerLines(s.Span, 2), s.Span, fmt.Sprintf("Can't assign to the `%s` constant", p.Name), "")
	}
	nv, err := s.set(f, *root, p.Segs, v)
	if err != nil {
		return nil, Next, err
	}
	*root = nv
	if !need {
		return nil, Next, nil
	}
	return v, Next, nil
}

// set is cur with segs set to v, copying each record on the way.
func (s *Let) set(f *Frame, cur Value, segs []*Seg, v Value) (Value, error) {
	if len(segs) == 0 {
		return v, nil
	}
	seg := segs[0]
	var key string
	switch seg.Kind {
	case SegField:
		key = seg.Key
	case SegExpr:
		k, err := seg.X.Eval(f)
		if err != nil {
			return nil, err
		}
		ks, ok := k.(string)
		if !ok {
			return nil, s.typeConflict(seg.X.Extent(), seg.X.Extent(), k, "string")
		}
		key = ks
	default:
		return nil, s.fail(s.Span, seg.Span, msgAssignIntoArr, "")
	}
	r, ok := cur.(*event.Record)
	if !ok {
		return nil, s.typeConflict(s.Span, seg.Span, cur, "record")
	}
	child, ok := r.Get(key)
	if !ok {
		child = event.NewRecord(0)
	}
	nc, err := s.set(f, child, segs[1:], v)
	if err != nil {
		return nil, err
	}
	c := r.CloneGrow(1)
	c.Set(key, nc)
	return c, nil
}
