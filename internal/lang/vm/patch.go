package vm

import (
	"fmt"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/ast"
)

// PatchOp is one patch operation.
type PatchOp struct {
	Kind  ast.PatchKind
	Key   Expr
	To    Expr
	Value Expr
}

// PatchExpr is `patch TARGET of OPS end`.
type PatchExpr struct {
	At
	Target Expr
	Ops    []PatchOp
}

type evaluated struct {
	key, to string
	value   Value
}

func (e *PatchExpr) str(f *Frame, x Expr) (string, error) {
	v, err := x.Eval(f)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", e.typeConflict(x.Extent(), x.Extent(), v, "string")
	}
	return s, nil
}

// Eval evaluates the target and every operation first (so operations see
// the target as it was), then applies them to a copy of the target.
func (e *PatchExpr) Eval(f *Frame) (Value, error) {
	target, err := e.Target.Eval(f)
	if err != nil {
		return nil, err
	}
	var stack [8]evaluated
	ev := stack[:0]
	if len(e.Ops) > len(stack) {
		ev = make([]evaluated, 0, len(e.Ops))
	}
	ev = ev[:len(e.Ops)]
	for i, op := range e.Ops {
		if op.Key != nil {
			if ev[i].key, err = e.str(f, op.Key); err != nil {
				return nil, err
			}
		}
		if op.To != nil {
			if ev[i].to, err = e.str(f, op.To); err != nil {
				return nil, err
			}
		}
		if op.Value != nil {
			if ev[i].value, err = op.Value.Eval(f); err != nil {
				return nil, err
			}
		}
	}
	var out *event.Record
	for i, op := range e.Ops {
		if out == nil {
			r, ok := target.(*event.Record)
			if !ok {
				return nil, e.typeConflict(e.Span, e.Target.Extent(), target, "record")
			}
			out = r.CloneGrow(len(e.Ops))
		}
		x := ev[i]
		switch op.Kind {
		case ast.PatchInsert:
			if out.Has(x.key) {
				return nil, e.fail(e.Span, op.Key.Extent(),
					"The key that is supposed to be written to already exists: "+x.key, "")
			}
			out.Set(x.key, x.value)
		case ast.PatchUpdate:
			if !out.Has(x.key) {
				return nil, e.fail(e.Span, op.Key.Extent(),
					"The key that is supposed to be updated does not exists: "+x.key, "")
			}
			out.Set(x.key, x.value)
		case ast.PatchUpsert:
			out.Set(x.key, x.value)
		case ast.PatchErase:
			out.Delete(x.key)
		case ast.PatchCopy, ast.PatchMove:
			if out.Has(x.to) {
				return nil, e.fail(e.Span, e.Span, "The key that is supposed to be written to already exists: "+x.to, "")
			}
			if v, ok := out.Get(x.key); ok {
				if op.Kind == ast.PatchMove {
					out.Delete(x.key)
				}
				out.Set(x.to, v)
			}
		case ast.PatchMerge:
			old, ok := out.Get(x.key)
			switch {
			case !ok:
				out.Set(x.key, MergeValues(event.NewRecord(0), x.value))
			case isRecord(old):
				out.Set(x.key, MergeValues(old, x.value))
			default:
				return nil, e.fail(e.Span, op.Key.Extent(), fmt.Sprintf(
					"Merge can only be performed on keys that either do not exist or are records but the key '%s' has the type %s",
					x.key, TypeName(old)), "")
			}
		case ast.PatchMergeAll:
			m := MergeValues(out, x.value)
			r, ok := m.(*event.Record)
			if !ok {
				// Merging a non-record replaces the target, as Tremor did.
				target, out = m, nil
				continue
			}
			out = r
		}
	}
	if out == nil {
		return target, nil
	}
	return out, nil
}

func isRecord(v Value) bool { _, ok := v.(*event.Record); return ok }
