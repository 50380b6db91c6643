package interp

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// Env is what an expression can see.
type Env struct {
	File   string
	Src    []byte       // source text for caret errors; may be nil
	Event  *event.Event // nil in constant contexts
	State  *event.Value
	Args   event.Value
	Locals map[string]event.Value
	Group  event.Value
}

// flow stops a script: emit or drop.
type flow struct {
	drop  bool
	value event.Value
	hasV  bool
	port  string
}

func (f *flow) Error() string { return "emit/drop" }

func (env *Env) errf(pos lang.Pos, format string, args ...any) error {
	return &lang.Error{File: env.File, Pos: pos, End: pos, Msg: fmt.Sprintf(format, args...), Src: env.Src}
}

// EvalSelect evaluates a select for ev: the `where` filter on the incoming
// event, the target expression, then `having` on the result.
func EvalSelect(sel *ast.Select, ev *event.Event) (out event.Value, keep bool, err error) {
	env := &Env{File: sel.File, Src: sel.Src, Event: ev}
	if sel.Where != nil {
		ok, err := env.cond(sel.Where, "where")
		if err != nil || !ok {
			return nil, false, err
		}
	}
	out, err = env.Eval(sel.Target)
	if err != nil {
		return nil, false, err
	}
	if sel.Having != nil {
		saved := ev.Data
		ev.Data = out
		ok, err := env.cond(sel.Having, "having")
		ev.Data = saved
		if err != nil || !ok {
			return nil, false, err
		}
	}
	return out, true, nil
}

func (env *Env) cond(e ast.Expr, what string) (bool, error) {
	v, err := env.Eval(e)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, env.errf(e.Position(), "`%s` must be true or false, got %s", what, event.TypeName(v))
	}
	return b, nil
}

// RunScript runs a script body against ev (which it may change) and returns
// the port to emit on ("out" unless `emit => "port"`), or drop.
func RunScript(s *ast.ScriptDefn, args event.Value, ev *event.Event, state *event.Value) (port string, drop bool, err error) {
	env := &Env{File: s.File, Src: s.Src, Event: ev, State: state, Args: args, Locals: map[string]event.Value{}}
	var last event.Value
	lastIsLet := true
	for _, x := range s.Body {
		v, err := env.Eval(x)
		var f *flow
		if errors.As(err, &f) {
			if f.drop {
				return "", true, nil
			}
			if f.hasV {
				ev.Data = f.value
			}
			if f.port == "" {
				f.port = "out"
			}
			return f.port, false, nil
		}
		if err != nil {
			return "", false, err
		}
		last = v
		_, lastIsLet = x.(*ast.Let)
	}
	if !lastIsLet {
		ev.Data = last
	}
	return "out", false, nil
}

// EvalConst evaluates an expression with no event in scope (operator
// parameters).
func EvalConst(e ast.Expr) (event.Value, error) {
	env := &Env{}
	return env.Eval(e)
}

// Eval evaluates e.
func (env *Env) Eval(e ast.Expr) (event.Value, error) {
	switch x := e.(type) {
	case *ast.Literal:
		return x.V, nil
	case *ast.Interp:
		var b strings.Builder
		for _, p := range x.Parts {
			v, err := env.Eval(p)
			if err != nil {
				return nil, err
			}
			b.WriteString(stdlib.ToString(v))
		}
		return b.String(), nil
	case *ast.ArrayLit:
		out := make([]event.Value, 0, len(x.Elems))
		for _, el := range x.Elems {
			v, err := env.Eval(el)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *ast.RecordLit:
		r := event.NewRecord(len(x.Fields))
		for _, f := range x.Fields {
			k, err := env.Eval(f.Key)
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, env.errf(f.Key.Position(), "record keys must be strings, got %s", event.TypeName(k))
			}
			v, err := env.Eval(f.Value)
			if err != nil {
				return nil, err
			}
			r.Set(ks, v)
		}
		return r, nil
	case *ast.Path:
		v, ok, err := env.get(x)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, env.errf(x.P, "%s does not exist", describePath(x))
		}
		return v, nil
	case *ast.Present:
		_, ok, err := env.get(x.Path)
		if err != nil {
			return nil, err
		}
		return ok != x.Negate, nil
	case *ast.Unary:
		return env.unary(x)
	case *ast.Binary:
		return env.binary(x)
	case *ast.Call:
		return env.call(x)
	case *ast.Patch:
		return env.patch(x)
	case *ast.Merge:
		t, err := env.Eval(x.Target)
		if err != nil {
			return nil, err
		}
		v, err := env.Eval(x.Value)
		if err != nil {
			return nil, err
		}
		if _, ok := t.(*event.Record); !ok {
			return nil, env.errf(x.P, "merge needs a record to merge into, got %s", event.TypeName(t))
		}
		if _, ok := v.(*event.Record); !ok {
			return nil, env.errf(x.Value.Position(), "merge needs a record to merge in, got %s", event.TypeName(v))
		}
		return mergeValues(t, v), nil
	case *ast.Let:
		v, err := env.Eval(x.Value)
		if err != nil {
			return nil, err
		}
		return v, env.set(x.Path, v)
	case *ast.Emit:
		f := &flow{}
		if x.Value != nil {
			v, err := env.Eval(x.Value)
			if err != nil {
				return nil, err
			}
			f.value, f.hasV = v, true
		}
		if x.Port != nil {
			pv, err := env.Eval(x.Port)
			if err != nil {
				return nil, err
			}
			ps, ok := pv.(string)
			if !ok {
				return nil, env.errf(x.Port.Position(), "emit port must be a string, got %s", event.TypeName(pv))
			}
			f.port = ps
		}
		return nil, f
	case *ast.Drop:
		return nil, &flow{drop: true}
	case *ast.Match:
		return env.match(x)
	}
	return nil, env.errf(e.Position(), "cannot evaluate %T", e)
}

func describePath(p *ast.Path) string {
	var b strings.Builder
	switch p.Root {
	case ast.RootLocal:
		b.WriteString(p.Local)
	case ast.RootMeta:
		b.WriteString("$")
	default:
		b.WriteString(p.Root)
	}
	for i, s := range p.Segs {
		if s.Index != nil {
			b.WriteString("[...]")
			continue
		}
		if p.Root == ast.RootMeta && i == 0 {
			b.WriteString(s.Field)
			continue
		}
		b.WriteString("." + s.Field)
	}
	return "`" + b.String() + "`"
}

func (env *Env) root(p *ast.Path) (event.Value, bool, error) {
	switch p.Root {
	case ast.RootEvent:
		if env.Event == nil {
			return nil, false, env.errf(p.P, "`event` is not available here (a constant is expected)")
		}
		return env.Event.Data, true, nil
	case ast.RootMeta:
		if env.Event == nil {
			return nil, false, env.errf(p.P, "`$` is not available here (a constant is expected)")
		}
		if env.Event.Meta == nil {
			return event.NewRecord(0), true, nil
		}
		return env.Event.Meta, true, nil
	case ast.RootState:
		if env.State == nil {
			return nil, false, env.errf(p.P, "`state` is not available here")
		}
		return *env.State, true, nil
	case ast.RootArgs:
		if env.Args == nil {
			return event.NewRecord(0), true, nil
		}
		return env.Args, true, nil
	case ast.RootGroup:
		if env.Group == nil {
			return nil, false, env.errf(p.P, "`group` is only available in grouped selects")
		}
		return env.Group, true, nil
	case ast.RootLocal:
		v, ok := env.Locals[p.Local]
		if !ok {
			return nil, false, env.errf(p.P, "unknown variable `%s` (define it with `let %s = ...`)", p.Local, p.Local)
		}
		return v, true, nil
	}
	return nil, false, env.errf(p.P, "unknown path root %q", p.Root)
}

// get walks a path; ok is false when a segment does not exist.
func (env *Env) get(p *ast.Path) (event.Value, bool, error) {
	v, ok, err := env.root(p)
	if err != nil || !ok {
		return nil, ok, err
	}
	for _, s := range p.Segs {
		if s.Index == nil {
			r, isRec := v.(*event.Record)
			if !isRec {
				return nil, false, nil
			}
			if v, ok = r.Get(s.Field); !ok {
				return nil, false, nil
			}
			continue
		}
		idx, err := env.Eval(s.Index)
		if err != nil {
			return nil, false, err
		}
		switch c := v.(type) {
		case *event.Record:
			k, isStr := idx.(string)
			if !isStr {
				return nil, false, env.errf(s.P, "a record is indexed by a string, got %s", event.TypeName(idx))
			}
			if v, ok = c.Get(k); !ok {
				return nil, false, nil
			}
		case []event.Value:
			i, isInt := idx.(int64)
			if !isInt {
				return nil, false, env.errf(s.P, "an array is indexed by an integer, got %s", event.TypeName(idx))
			}
			if i < 0 || i >= int64(len(c)) {
				return nil, false, nil
			}
			v = c[i]
		default:
			return nil, false, nil
		}
	}
	return v, true, nil
}

// set assigns v at path p, creating records along the way.
func (env *Env) set(p *ast.Path, v event.Value) error {
	rootV, _, err := env.root(p)
	if p.Root == ast.RootLocal {
		err = nil
	}
	if err != nil {
		return err
	}
	assignRoot := func(nv event.Value) error {
		switch p.Root {
		case ast.RootEvent:
			env.Event.Data = nv
		case ast.RootMeta:
			env.Event.Meta = nv
		case ast.RootState:
			*env.State = nv
		case ast.RootLocal:
			if env.Locals == nil {
				env.Locals = map[string]event.Value{}
			}
			env.Locals[p.Local] = nv
		default:
			return env.errf(p.P, "cannot assign to %s", describePath(p))
		}
		return nil
	}
	if len(p.Segs) == 0 {
		return assignRoot(v)
	}
	r, ok := rootV.(*event.Record)
	if !ok {
		r = event.NewRecord(1)
		if err := assignRoot(r); err != nil {
			return err
		}
	}
	cur := r
	for i, s := range p.Segs {
		var key string
		if s.Index != nil {
			idx, err := env.Eval(s.Index)
			if err != nil {
				return err
			}
			k, isStr := idx.(string)
			if !isStr {
				return env.errf(s.P, "can only assign to record fields, indexed by strings; got %s", event.TypeName(idx))
			}
			key = k
		} else {
			key = s.Field
		}
		if i == len(p.Segs)-1 {
			cur.Set(key, v)
			return nil
		}
		next, ok := cur.Get(key)
		nr, isRec := next.(*event.Record)
		if !ok || !isRec {
			nr = event.NewRecord(1)
			cur.Set(key, nr)
		}
		cur = nr
	}
	return nil
}

func (env *Env) unary(x *ast.Unary) (event.Value, error) {
	v, err := env.Eval(x.X)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "not", "!":
		b, ok := v.(bool)
		if !ok {
			return nil, env.errf(x.P, "`%s` needs a boolean, got %s", x.Op, event.TypeName(v))
		}
		return !b, nil
	case "+":
		if _, ok := stdlib.Compare(v, int64(0)); !ok || isString(v) {
			return nil, env.errf(x.P, "unary `+` needs a number, got %s", event.TypeName(v))
		}
		return v, nil
	case "-":
		switch n := v.(type) {
		case int64:
			if n == math.MinInt64 {
				return nil, env.errf(x.P, "integer overflow negating %d", n)
			}
			return -n, nil
		case uint64:
			if n == 1<<63 {
				return int64(math.MinInt64), nil
			}
			return nil, env.errf(x.P, "integer overflow negating %d", n)
		case float64:
			return -n, nil
		}
		return nil, env.errf(x.P, "unary `-` needs a number, got %s", event.TypeName(v))
	}
	return nil, env.errf(x.P, "unknown operator %s", x.Op)
}

func isString(v event.Value) bool { _, ok := v.(string); return ok }

func (env *Env) binary(x *ast.Binary) (event.Value, error) {
	l, err := env.Eval(x.L)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "and", "or":
		lb, ok := l.(bool)
		if !ok {
			return nil, env.errf(x.L.Position(), "`%s` needs booleans, got %s", x.Op, event.TypeName(l))
		}
		if (x.Op == "and" && !lb) || (x.Op == "or" && lb) {
			return lb, nil
		}
		r, err := env.Eval(x.R)
		if err != nil {
			return nil, err
		}
		rb, ok := r.(bool)
		if !ok {
			return nil, env.errf(x.R.Position(), "`%s` needs booleans, got %s", x.Op, event.TypeName(r))
		}
		return rb, nil
	}
	r, err := env.Eval(x.R)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "==":
		return event.Equal(l, r), nil
	case "!=":
		return !event.Equal(l, r), nil
	case "xor":
		lb, ok1 := l.(bool)
		rb, ok2 := r.(bool)
		if !ok1 || !ok2 {
			return nil, env.errf(x.P, "`xor` needs booleans, got %s and %s", event.TypeName(l), event.TypeName(r))
		}
		return lb != rb, nil
	case "<", "<=", ">", ">=":
		c, ok := stdlib.Compare(l, r)
		if !ok {
			return nil, env.errf(x.P, "cannot compare %s with %s", event.TypeName(l), event.TypeName(r))
		}
		switch x.Op {
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	case "+":
		switch lv := l.(type) {
		case string:
			if rv, ok := r.(string); ok {
				return lv + rv, nil
			}
		case []event.Value:
			if rv, ok := r.([]event.Value); ok {
				return append(append([]event.Value(nil), lv...), rv...), nil
			}
		}
	}
	return env.arith(x, l, r)
}

func toInt(v event.Value) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	}
	return 0, false
}

func toFloat(v event.Value) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func (env *Env) arith(x *ast.Binary, l, r event.Value) (event.Value, error) {
	li, lInt := toInt(l)
	ri, rInt := toInt(r)
	if lInt && rInt {
		switch x.Op {
		case "+":
			s := li + ri
			if (s > li) != (ri > 0) {
				return env.bigArith(x, l, r)
			}
			return s, nil
		case "-":
			s := li - ri
			if (s < li) != (ri > 0) {
				return env.bigArith(x, l, r)
			}
			return s, nil
		case "*":
			if li == math.MinInt64 || ri == math.MinInt64 {
				return env.bigArith(x, l, r)
			}
			hi, lo := bits.Mul64(uint64(abs(li)), uint64(abs(ri)))
			if hi != 0 || lo > math.MaxInt64 {
				return env.bigArith(x, l, r)
			}
			return li * ri, nil
		case "/":
			if ri == 0 {
				return nil, env.errf(x.P, "division by zero")
			}
			return float64(li) / float64(ri), nil
		case "%":
			if ri == 0 {
				return nil, env.errf(x.P, "modulo by zero")
			}
			return li % ri, nil
		case "&":
			return li & ri, nil
		case "|":
			return li | ri, nil
		case "^":
			return li ^ ri, nil
		case "<<", ">>", ">>>":
			if ri < 0 || ri > 63 {
				return nil, env.errf(x.P, "shift by %d is out of range 0..63", ri)
			}
			switch x.Op {
			case "<<":
				return li << ri, nil
			case ">>":
				return li >> ri, nil
			}
			return int64(uint64(li) >> ri), nil
		}
	}
	if isInt(l) && isInt(r) && (x.Op == "+" || x.Op == "-" || x.Op == "*" || x.Op == "%") {
		// One side is a uint64 above MaxInt64: stay exact.
		return env.bigArith(x, l, r)
	}
	lf, lok := toFloat(l)
	rf, rok := toFloat(r)
	if lok && rok {
		switch x.Op {
		case "+":
			return lf + rf, nil
		case "-":
			return lf - rf, nil
		case "*":
			return lf * rf, nil
		case "/":
			if rf == 0 {
				return nil, env.errf(x.P, "division by zero")
			}
			return lf / rf, nil
		case "%":
			if rf == 0 {
				return nil, env.errf(x.P, "modulo by zero")
			}
			return math.Mod(lf, rf), nil
		}
	}
	return nil, env.errf(x.P, "cannot apply `%s` to %s and %s", x.Op, event.TypeName(l), event.TypeName(r))
}

func abs(i int64) int64 {
	if i < 0 {
		return -i
	}
	return i
}

func (env *Env) call(x *ast.Call) (event.Value, error) {
	f, ok := stdlib.Lookup(x.Name())
	if !ok {
		if s := stdlib.Suggest(x.Name()); s != "" {
			return nil, env.errf(x.P, "unknown function %s, did you mean %s?", x.Name(), s)
		}
		return nil, env.errf(x.P, "unknown function %s", x.Name())
	}
	if !f.ArityOK(len(x.Args)) {
		want := fmt.Sprint(f.Min)
		if f.Max != f.Min {
			want = fmt.Sprintf("%d to %d", f.Min, f.Max)
			if f.Max < 0 {
				want = fmt.Sprintf("at least %d", f.Min)
			}
		}
		return nil, env.errf(x.P, "%s takes %s arguments, got %d", f.Path, want, len(x.Args))
	}
	args := make([]event.Value, len(x.Args))
	for i, a := range x.Args {
		v, err := env.Eval(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	c := &stdlib.Ctx{}
	if env.Event != nil {
		c.IngestNS = env.Event.IngestNS
	}
	v, err := f.Fn(c, args)
	if err != nil {
		return nil, env.errf(x.P, "%s", stdlib.Message(f.Path, len(args), err))
	}
	return v, nil
}

func (env *Env) patch(x *ast.Patch) (event.Value, error) {
	t, err := env.Eval(x.Target)
	if err != nil {
		return nil, err
	}
	rec, ok := t.(*event.Record)
	if !ok {
		return nil, env.errf(x.P, "patch needs a record, got %s", event.TypeName(t))
	}
	rec = rec.Clone()
	for _, op := range x.Ops {
		var key string
		if op.Key != nil {
			kv, err := env.Eval(op.Key)
			if err != nil {
				return nil, err
			}
			k, ok := kv.(string)
			if !ok {
				return nil, env.errf(op.Key.Position(), "patch keys must be strings, got %s", event.TypeName(kv))
			}
			key = k
		}
		var val event.Value
		if op.Value != nil {
			if val, err = env.Eval(op.Value); err != nil {
				return nil, err
			}
		}
		switch op.Op {
		case "insert":
			if rec.Has(key) {
				return nil, env.errf(op.P, "patch insert: key %q already exists (use upsert to replace it)", key)
			}
			rec.Set(key, val)
		case "upsert":
			rec.Set(key, val)
		case "update":
			if !rec.Has(key) {
				return nil, env.errf(op.P, "patch update: key %q does not exist (use upsert to create it)", key)
			}
			rec.Set(key, val)
		case "erase":
			rec.Delete(key)
		case "merge":
			if op.Key == nil {
				if _, ok := val.(*event.Record); !ok {
					return nil, env.errf(op.P, "patch merge => needs a record, got %s", event.TypeName(val))
				}
				rec = mergeValues(rec, val).(*event.Record)
				continue
			}
			old, _ := rec.Get(key)
			rec.Set(key, mergeValues(old, val))
		case "default":
			if op.Key == nil {
				dr, ok := val.(*event.Record)
				if !ok {
					return nil, env.errf(op.P, "patch default => needs a record, got %s", event.TypeName(val))
				}
				dr.Range(func(k string, v event.Value) bool {
					if !rec.Has(k) {
						rec.Set(k, v)
					}
					return true
				})
				continue
			}
			if !rec.Has(key) {
				rec.Set(key, val)
			}
		}
	}
	return rec, nil
}

// mergeValues is JSON merge-patch: records merge key by key, null deletes,
// anything else replaces.
func mergeValues(target, patch event.Value) event.Value {
	pr, ok := patch.(*event.Record)
	if !ok {
		return patch
	}
	tr, ok := target.(*event.Record)
	if !ok {
		tr = event.NewRecord(pr.Len())
	} else {
		tr = tr.Clone()
	}
	pr.Range(func(k string, v event.Value) bool {
		if v == nil {
			tr.Delete(k)
			return true
		}
		old, _ := tr.Get(k)
		tr.Set(k, mergeValues(old, v))
		return true
	})
	return tr
}

func (env *Env) match(x *ast.Match) (event.Value, error) {
	t, err := env.Eval(x.Target)
	if err != nil {
		return nil, err
	}
	for _, c := range x.Cases {
		ok, err := env.matches(c.Pattern, t)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if c.Bind != "" {
			if env.Locals == nil {
				env.Locals = map[string]event.Value{}
			}
			env.Locals[c.Bind] = t
		}
		if c.Guard != nil {
			g, err := env.cond(c.Guard, "when")
			if err != nil {
				return nil, err
			}
			if !g {
				continue
			}
		}
		return env.body(c.Body)
	}
	if x.Default != nil {
		return env.body(x.Default)
	}
	return nil, env.errf(x.P, "no case matched %s and there is no `default`", event.TypeName(t))
}

func (env *Env) body(xs []ast.Expr) (event.Value, error) {
	var v event.Value
	for _, x := range xs {
		var err error
		if v, err = env.Eval(x); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (env *Env) matches(p ast.Pattern, v event.Value) (bool, error) {
	switch pt := p.(type) {
	case *ast.AnyPattern:
		return true, nil
	case *ast.ExprPattern:
		want, err := env.Eval(pt.X)
		if err != nil {
			return false, err
		}
		return event.Equal(v, want), nil
	case *ast.RecordPattern:
		r, ok := v.(*event.Record)
		if !ok {
			return false, nil
		}
		for _, t := range pt.Tests {
			fv, present := r.Get(t.Key)
			switch t.Op {
			case "present":
				if !present {
					return false, nil
				}
				continue
			case "absent":
				if present {
					return false, nil
				}
				continue
			}
			if !present {
				return false, nil
			}
			want, err := env.Eval(t.Value)
			if err != nil {
				return false, err
			}
			switch t.Op {
			case "==":
				if !event.Equal(fv, want) {
					return false, nil
				}
			case "!=":
				if event.Equal(fv, want) {
					return false, nil
				}
			default:
				c, ok := stdlib.Compare(fv, want)
				if !ok {
					return false, nil
				}
				if !((t.Op == "<" && c < 0) || (t.Op == "<=" && c <= 0) || (t.Op == ">" && c > 0) || (t.Op == ">=" && c >= 0)) {
					return false, nil
				}
			}
		}
		return true, nil
	case *ast.ArrayPattern:
		a, ok := v.([]event.Value)
		if !ok {
			return false, nil
		}
		for _, e := range pt.Elems {
			want, err := env.Eval(e)
			if err != nil {
				return false, err
			}
			found := false
			for _, el := range a {
				found = found || event.Equal(el, want)
			}
			if !found {
				return false, nil
			}
		}
		return true, nil
	}
	return false, env.errf(p.Position(), "unsupported pattern %T", p)
}

func isInt(v event.Value) bool {
	switch v.(type) {
	case int64, uint64:
		return true
	}
	return false
}

func toBig(v event.Value) *big.Int {
	switch n := v.(type) {
	case int64:
		return big.NewInt(n)
	case uint64:
		return new(big.Int).SetUint64(n)
	}
	return nil
}

// bigArith computes + - * % exactly when an operand is a uint64 above
// MaxInt64 or an int64 result would overflow. The result is an int64, or a
// uint64 when an operand was one; anything else is an overflow error,
// never a silent float.
func (env *Env) bigArith(x *ast.Binary, l, r event.Value) (event.Value, error) {
	a, b := toBig(l), toBig(r)
	z := new(big.Int)
	switch x.Op {
	case "+":
		z.Add(a, b)
	case "-":
		z.Sub(a, b)
	case "*":
		z.Mul(a, b)
	case "%":
		if b.Sign() == 0 {
			return nil, env.errf(x.P, "modulo by zero")
		}
		z.Rem(a, b) // truncated, like Go's and Rust's %
	default:
		return nil, env.errf(x.P, "cannot apply `%s` to %s and %s", x.Op, event.TypeName(l), event.TypeName(r))
	}
	_, lu := l.(uint64)
	_, ru := r.(uint64)
	switch {
	case z.IsInt64():
		return z.Int64(), nil
	case z.IsUint64() && (lu || ru):
		// Signed operands overflow past MaxInt64 as in Tremor; only
		// arithmetic that already involves a u64 may produce one.
		return z.Uint64(), nil
	}
	return nil, env.errf(x.P, "integer overflow in %s %s %s", a, x.Op, b)
}
