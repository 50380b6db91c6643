package compiler

import (
	"errors"
	"fmt"
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
	"github.com/temblor-dev/temblor/internal/lang/vm"
)

func isLit(x vm.Expr) bool { _, ok := x.(*vm.Literal); return ok }

func litOf(x vm.Expr) vm.Value { return x.(*vm.Literal).V }

// stmt compiles a statement-level expression. tail marks the last
// expression of a function body (where `recur` may stand).
func (u *unit) stmt(sc *scope, e ast.Expr, tail bool) vm.Stmt {
	switch s := e.(type) {
	case *ast.Let:
		return u.let(sc, s)
	case *ast.Drop:
		if !sc.canEmit {
			u.fail(expandLines(s.Span, 2), s.Span, "Can not drop from this location", "")
		}
		return &vm.Drop{At: u.at(s.Span)}
	case *ast.Emit:
		if !sc.canEmit {
			u.fail(expandLines(s.Span, 2), s.Span, "Can not emit from this location", "")
		}
		em := &vm.Emit{At: u.at(s.Span)}
		if s.Port != nil {
			em.Port = u.expr(sc, s.Port, false)
		}
		if s.Value != nil {
			v := u.expr(sc, s.Value, false)
			if p, ok := v.(*vm.Path); !ok || p.Root != vm.RootEvent || len(p.Segs) > 0 {
				em.Value = v
			}
		}
		return em
	case *ast.Match:
		if !s.Imut {
			return u.matchStmt(sc, s, tail)
		}
	case *ast.For:
		if !s.Imut {
			return u.forExpr(sc, s)
		}
	case *ast.Const, *ast.FnDecl, *ast.ModDecl, *ast.Use:
		u.fail(expandLines(e.Extent(), 2), e.Extent(), "Can't declare this here", "")
	}
	return &vm.Imut{X: u.expr(sc, e, tail)}
}

// let compiles `let PATH = VALUE`. An assignment that can never succeed
// (to `$` itself, to a constant, into an array) is, as in Tremor, an error
// of every event that reaches it; it is also warned about when compiled.
func (u *unit) let(sc *scope, s *ast.Let) vm.Stmt {
	target := u.path(sc, s.Path)
	var tp *vm.Path
	switch t := target.(type) {
	case *vm.Path:
		tp = t
		switch {
		case tp.Root == vm.RootConst, tp.Root == vm.RootArgs, tp.Root == vm.RootWindow, tp.Root == vm.RootGroup:
			u.warnAssign(expandLines(s.Span, 2), s.Span, fmt.Sprintf("Can't assign to the `%s` constant", tp.Name))
		case tp.Root == vm.RootMeta && len(tp.Segs) == 0:
			u.warnAssign(expandLines(s.Span, 2), s.Span, "You are trying to assign to a value that isn't valid")
		}
		for _, sg := range tp.Segs {
			if sg.Kind == vm.SegIndex || sg.Kind == vm.SegRange {
				u.warnAssign(s.Span, sg.Span, "It is not supported to assign value into an array")
				break
			}
		}
	case *vm.Local:
		tp = &vm.Path{At: t.At, Root: vm.RootLocal, Slot: t.Slot, Name: t.Name}
	default:
		// A constant's value (folded).
		name := s.Path.Segments[0].Name()
		u.warnAssign(expandLines(s.Span, 2), s.Span, fmt.Sprintf("Can't assign to the `%s` constant", name))
		tp = &vm.Path{At: u.at(s.Path.Span), Root: vm.RootConst, Name: name}
	}
	return &vm.Let{At: u.at(s.Span), Target: tp, Value: u.stmt(sc, s.Value, false)}
}

// warnAssign warns of an assignment that fails for every event.
func (u *unit) warnAssign(outer, inner diag.Span, msg string) {
	u.warn(outer, inner, msg+" (this fails for every event)")
}

// expr compiles an expression without effects; constant parts are folded.
func (u *unit) expr(sc *scope, e ast.Expr, tail bool) vm.Expr {
	if u.sel != nil {
		if g := u.groupRef(e); g != nil {
			return g
		}
	}
	switch x := e.(type) {
	case *ast.Literal:
		return &vm.Literal{At: u.at(x.Span), V: x.Value}
	case *ast.StringLit:
		return u.stringLit(sc, x)
	case *ast.Bytes:
		return u.bytes(sc, x)
	case *ast.Record:
		return u.record(sc, x)
	case *ast.List:
		l := &vm.List{At: u.at(x.Span)}
		all := true
		for _, el := range x.Elems {
			c := u.expr(sc, el, false)
			all = all && isLit(c)
			l.Elems = append(l.Elems, c)
		}
		if all {
			vals := make([]vm.Value, len(l.Elems))
			for i, c := range l.Elems {
				vals[i] = litOf(c)
			}
			return &vm.Literal{At: l.At, V: vals}
		}
		return l
	case *ast.Unary:
		inner := u.expr(sc, x.X, false)
		if isLit(inner) {
			v, ok := vm.Unary(x.Op, litOf(inner))
			if !ok {
				u.fail(expandLines(x.Span, 2), x.Span, vm.InvalidUnary(x.Op, litOf(inner)), "")
			}
			return &vm.Literal{At: u.at(x.Span), V: v}
		}
		return &vm.UnaryExpr{At: u.at(x.Span), Op: x.Op, X: inner}
	case *ast.Binary:
		return u.binary(sc, x)
	case *ast.Present:
		p := u.path(sc, x.Path)
		return &vm.Present{At: u.at(x.Span), Path: asPath(p)}
	case *ast.Path:
		return u.path(sc, x)
	case *ast.Invoke:
		return u.invoke(sc, x)
	case *ast.Recur:
		return u.recur(sc, x, tail)
	case *ast.Patch:
		return u.patch(sc, x)
	case *ast.Merge:
		return &vm.MergeExpr{At: u.at(x.Span), Target: u.expr(sc, x.Target, false), Value: u.expr(sc, x.Value, false)}
	case *ast.Match:
		return u.matchExpr(sc, x, tail)
	case *ast.For:
		return u.forExpr(sc, x)
	case *ast.Let, *ast.Drop, *ast.Emit:
		u.fail(expandLines(e.Extent(), 2), e.Extent(), "This can only be a statement", "")
	}
	u.fail(expandLines(e.Extent(), 2), e.Extent(), fmt.Sprintf("Can't use %T here", e), "")
	return nil
}

// asPath turns a compiled local read back into a path (for present).
func asPath(x vm.Expr) *vm.Path {
	switch p := x.(type) {
	case *vm.Path:
		return p
	case *vm.Local:
		return &vm.Path{At: p.At, Root: vm.RootLocal, Slot: p.Slot, Name: p.Name}
	case *vm.Literal:
		return &vm.Path{At: p.At, Root: vm.RootConst, Const: p.V}
	}
	return nil
}

func (u *unit) binary(sc *scope, x *ast.Binary) vm.Expr {
	l := u.expr(sc, x.L, false)
	r := u.expr(sc, x.R, false)
	if isLit(l) {
		if b, ok := litOf(l).(bool); ok && (x.Op == ast.And && !b || x.Op == ast.Or && b) {
			return &vm.Literal{At: u.at(x.Span), V: b}
		}
	}
	if isLit(l) && isLit(r) {
		v, err := u.foldBinary(x, litOf(l), litOf(r))
		if err != "" {
			u.fail(x.Span, x.Span, err, "")
		}
		return &vm.Literal{At: u.at(x.Span), V: v}
	}
	return &vm.BinaryExpr{At: u.at(x.Span), Op: x.Op, L: l, R: r}
}

func (u *unit) foldBinary(x *ast.Binary, l, r vm.Value) (vm.Value, string) {
	f := &vm.Frame{}
	be := &vm.BinaryExpr{At: u.at(x.Span), Op: x.Op, L: &vm.Literal{V: l}, R: &vm.Literal{V: r}}
	v, err := be.Eval(f)
	if err != nil {
		var d *diag.Diagnostic
		if errors.As(err, &d) {
			return nil, d.Msg
		}
		return nil, err.Error()
	}
	return v, ""
}

// stringLit compiles a string, folding constant interpolations.
func (u *unit) stringLit(sc *scope, x *ast.StringLit) vm.Expr {
	var parts []vm.StrPart
	addLit := func(s string) {
		if n := len(parts); n > 0 && parts[n-1].X == nil {
			parts[n-1].Lit += s
			return
		}
		parts = append(parts, vm.StrPart{Lit: s})
	}
	for _, p := range x.Parts {
		if p.Expr == nil {
			addLit(p.Lit)
			continue
		}
		c := u.expr(sc, p.Expr, false)
		if isLit(c) {
			if s, ok := litOf(c).(string); ok {
				addLit(s)
			} else {
				addLit(vm.Encode(litOf(c)))
			}
			continue
		}
		parts = append(parts, vm.StrPart{X: c})
	}
	switch {
	case len(parts) == 0:
		return &vm.Literal{At: u.at(x.Span), V: ""}
	case len(parts) == 1 && parts[0].X == nil:
		return &vm.Literal{At: u.at(x.Span), V: parts[0].Lit}
	}
	return &vm.String{At: u.at(x.Span), Parts: parts}
}

func (u *unit) record(sc *scope, x *ast.Record) vm.Expr {
	r := &vm.Record{At: u.at(x.Span)}
	all := true
	for _, f := range x.Fields {
		n := u.stringLit(sc, f.Name)
		v := u.expr(sc, f.Value, false)
		all = all && isLit(n) && isLit(v)
		r.Names = append(r.Names, n)
		r.Vals = append(r.Vals, v)
	}
	if all {
		rec := event.NewRecord(len(r.Vals))
		for i := range r.Vals {
			rec.Set(litOf(r.Names[i]).(string), litOf(r.Vals[i]))
		}
		return &vm.Literal{At: r.At, V: rec}
	}
	return r
}

// bytes compiles a binary literal `<< ... >>`.
func (u *unit) bytes(sc *scope, x *ast.Bytes) vm.Expr {
	b := &vm.BytesExpr{At: u.at(x.Span)}
	all := true
	for _, p := range x.Parts {
		bp := &vm.BytesPart{At: u.at(p.Span)}
		kind := strings.Split(p.Type.Name, "-")
		switch strings.Join(kind, "-") {
		case "binary":
			bp.Type = vm.BytesBinary
		case "", "integer", "big", "unsigned", "unsigned-integer", "big-integer", "big-unsigned-integer":
			bp.Type = vm.BytesUnsigned
		case "signed-integer", "big-signed-integer":
			bp.Type = vm.BytesSigned
		case "little", "little-integer", "little-unsigned-integer":
			bp.Type, bp.Little = vm.BytesUnsigned, true
		case "little-signed-integer":
			bp.Type, bp.Little = vm.BytesSigned, true
		default:
			u.fail(p.Span, p.Span, fmt.Sprintf("Not a valid data type: '%s'", p.Type.Name), "")
		}
		switch {
		case p.HasBits:
			if p.Bits <= 0 || p.Bits > 64 {
				u.fail(p.Span, p.Span, fmt.Sprintf("negative bits or bits > 64 are are not allowed: %d", p.Bits), "")
			}
			bp.Bits = uint64(p.Bits)
		case bp.Type != vm.BytesBinary:
			bp.Bits = 8
		}
		bp.Data = u.expr(sc, p.Data, false)
		all = all && isLit(bp.Data)
		b.Parts = append(b.Parts, bp)
	}
	if all {
		v, err := b.Eval(&vm.Frame{})
		if err != nil {
			panic(bailout{err})
		}
		return &vm.Literal{At: b.At, V: v}
	}
	return b
}

// path compiles a path; a constant without steps folds to its value, a
// local without steps to a slot read.
func (u *unit) path(sc *scope, p *ast.Path) vm.Expr {
	u.checkEventRef(p)
	vp := &vm.Path{At: u.at(p.Span)}
	segs := p.Segments
	switch p.Root {
	case ast.RootLocal:
		name := segs[0].Name()
		segs = segs[1:]
		if c, ok := u.mod.consts[name]; ok {
			vp.Root, vp.Const, vp.Name = vm.RootConst, c.value, name
		} else {
			vp.Root, vp.Slot, vp.Name = vm.RootLocal, sc.slot(name), name
		}
	case ast.RootConst:
		name := segs[0].Name()
		segs = segs[1:]
		rel := make([]string, len(p.Module))
		for i, m := range p.Module {
			rel[i] = m.Name
		}
		var c *constant
		if m := u.mod.sub(rel); m != nil {
			c = m.consts[name]
		}
		if c == nil {
			full := append(append(append([]string(nil), u.mod.Path...), rel...), name)
			u.fail(p.Span, p.Span, fmt.Sprintf("The constant %s (absolute path) is not defined.", strings.Join(full, "::")), "")
		}
		vp.Root, vp.Const, vp.Name = vm.RootConst, c.value, strings.Join(append(rel, name), "::")
	case ast.RootEvent:
		vp.Root = vm.RootEvent
	case ast.RootState:
		vp.Root = vm.RootState
	case ast.RootMeta:
		vp.Root = vm.RootMeta
	case ast.RootArgs:
		vp.Root, vp.Name = vm.RootArgs, "args"
	case ast.RootWindow:
		vp.Root, vp.Name = vm.RootWindow, "window"
	case ast.RootGroup:
		vp.Root, vp.Name = vm.RootGroup, "group"
	}
	for _, s := range segs {
		vp.Segs = append(vp.Segs, u.segment(sc, s))
	}
	if len(vp.Segs) == 0 {
		switch vp.Root {
		case vm.RootConst:
			return &vm.Literal{At: vp.At, V: vp.Const}
		case vm.RootLocal:
			return &vm.Local{At: vp.At, Slot: vp.Slot, Name: vp.Name}
		}
	}
	if vp.Root == vm.RootConst && staticSegs(vp.Segs) {
		// A constant's part (`a[a.key][0]`) is itself constant; one that
		// does not exist stays an error of the run.
		if v, err := vp.Eval(&vm.Frame{}); err == nil {
			return &vm.Literal{At: vp.At, V: v}
		}
	}
	return vp
}

// staticSegs reports whether every segment of a path is known at compile
// time.
func staticSegs(segs []*vm.Seg) bool {
	for _, s := range segs {
		switch s.Kind {
		case vm.SegField, vm.SegIndex:
		case vm.SegRange:
			_, lo := s.X.(*vm.Literal)
			_, hi := s.Hi.(*vm.Literal)
			if !lo || !hi {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func (u *unit) segment(sc *scope, s *ast.Segment) *vm.Seg {
	seg := &vm.Seg{At: u.at(s.Span)}
	if s.End != nil {
		seg.Kind = vm.SegRange
		seg.X = u.expr(sc, s.Expr, false)
		seg.Hi = u.expr(sc, s.End, false)
		return seg
	}
	x := u.expr(sc, s.Expr, false)
	if l, ok := x.(*vm.Literal); ok {
		switch v := l.V.(type) {
		case string:
			seg.Kind, seg.Key = vm.SegField, v
			return seg
		case int64:
			if v >= 0 {
				seg.Kind, seg.Index = vm.SegIndex, int(min(v, 1<<40))
				return seg
			}
		case uint64:
			seg.Kind, seg.Index = vm.SegIndex, 1<<40
			return seg
		}
		r := x.Extent()
		msg, hint := vm.TypeConflict(l.V, "integer", "string")
		u.fail(expandLines(r, 2), r, msg, hint)
	}
	seg.Kind, seg.X = vm.SegExpr, x
	return seg
}

// missingNative fails for a `core::` call or intrinsic that names no
// native function.
func (u *unit) missingNative(s diag.Span, mod []string, fn string) {
	m := strings.Join(mod, "::")
	known := false
	for _, f := range stdlib.All() {
		if strings.HasPrefix(f.Path, m+"::") {
			known = true
			break
		}
	}
	if !known {
		u.fail(s, s, "Call to undefined module "+m, "")
	}
	u.fail(s, s, fmt.Sprintf("Call to undefined function %s::%s", m, fn), "")
}

// invoke compiles a call: a native function (`core::m::f`, or through an
// intrinsic declaration), a function in tremor-script, or — when nothing
// of that name is in scope — the standard library function of that path.
func (u *unit) invoke(sc *scope, x *ast.Invoke) vm.Expr {
	if a := u.aggregate(sc, x); a != nil {
		return a
	}
	args := make([]vm.Expr, len(x.Args))
	compileArgs := func() {
		for i, a := range x.Args {
			args[i] = u.expr(sc, a, false)
		}
	}
	if len(x.Module) == 2 && x.Module[0] == "core" {
		path := x.Module[1] + "::" + x.Fn
		nf, ok := u.c.opts.Natives(path)
		if !ok {
			u.missingNative(x.Span, x.Module[1:], x.Fn)
		}
		compileArgs()
		return u.native(x, nf, args)
	}
	var g *fnGroup
	if m := u.mod.sub(x.Module); m != nil {
		g = m.fns[x.Fn]
	}
	if g == nil {
		if len(x.Module) > 0 {
			if nf, ok := u.c.opts.Natives(strings.Join(x.Module, "::") + "::" + x.Fn); ok {
				compileArgs()
				return u.native(x, nf, args)
			}
		}
		hint := ""
		if len(x.Module) > 0 {
			if s := u.suggestFn(x.Module, x.Fn); s != "" {
				hint = fmt.Sprintf("Did you mean `%s`?", s)
			}
		}
		u.fail(expandLines(x.Span, 3), x.Span, fmt.Sprintf("Call to undefined function %s::%s",
			strings.Join(x.Module, "::"), x.Fn), hint)
	}
	sym := g.find(len(x.Args))
	if sym == nil {
		name := strings.Join(append(append([]string(nil), x.Module...), x.Fn), "::")
		u.fail(expandLines(x.Span, 2), x.Span, fmt.Sprintf("Bad arity for function %s/%s but was called with %d arguments",
			name, g.arities(), len(x.Args)), "")
	}
	compileArgs()
	for sym.forward != nil && sym.native == nil {
		sym = sym.forward
	}
	if sym.native != nil {
		return u.native(x, sym.native, args)
	}
	return &vm.Call{At: u.at(x.Span), Fn: sym.fn, Args: args}
}

// suggestFn is the closest known function to mod::fn in the standard
// library, for a hint.
func (u *unit) suggestFn(mod []string, fn string) string {
	want := strings.Join(mod, "::") + "::" + fn
	best, bestD := "", 3
	for _, f := range stdlib.All() {
		if d := distance(want, f.Path); d < bestD {
			best, bestD = f.Path, d
		}
	}
	return best
}

// native is a call of a native function; a pure one with constant
// arguments is evaluated now.
func (u *unit) native(x *ast.Invoke, nf *stdlib.Func, args []vm.Expr) vm.Expr {
	if len(args) < nf.Min || nf.Max >= 0 && len(args) > nf.Max {
		u.fail(expandLines(x.Span, 2), x.Span, fmt.Sprintf("Bad arity for function %s/%s but was called with %d arguments",
			nf.Path, arityText(nf.Min, nf.Max), len(args)), "")
	}
	call := &vm.Native{At: u.at(x.Span), Fn: nf, Args: args}
	if !nf.Pure {
		return call
	}
	for _, a := range args {
		if !isLit(a) {
			return call
		}
	}
	vals := make([]vm.Value, len(args))
	for i, a := range args {
		vals[i] = litOf(a)
	}
	v, err := nf.Fn(&stdlib.Ctx{}, vals)
	if err != nil {
		u.fail(x.Span, x.Span, vm.NativeErrorMsg(nf.Path, len(args), err), "")
	}
	return &vm.Literal{At: call.At, V: v}
}

func (u *unit) recur(sc *scope, x *ast.Recur, tail bool) vm.Expr {
	if !tail || !sc.inFn {
		u.fail(expandLines(x.Span, 2), x.Span, "Can not recur from this location", "")
	}
	if sc.open && sc.argc < len(x.Args) || !sc.open && sc.argc != len(x.Args) {
		u.fail(x.Span, x.Span, fmt.Sprintf("Wrong number of arguments expected %d but got %d", sc.argc, len(x.Args)), "")
	}
	r := &vm.Recur{At: u.at(x.Span), Argc: sc.argc}
	for _, a := range x.Args {
		r.Args = append(r.Args, u.expr(sc, a, false))
	}
	return r
}

// patchKey compiles a patch operation's key. A bare name that is not a
// local variable (nor a constant) at this point is the field's name:
// Tremor wanted `insert "hostname" => ...`, but its WAL tutorial wrote
// `insert hostname = ...`, which temblor runs as written.
func (u *unit) patchKey(sc *scope, k ast.Expr) vm.Expr {
	if p, ok := k.(*ast.Path); ok && p.Root == ast.RootLocal && len(p.Segments) == 1 {
		name := p.Segments[0].Name()
		if _, isConst := u.mod.consts[name]; !isConst && !sc.has(name) {
			return &vm.Literal{At: u.at(p.Span), V: name}
		}
	}
	return u.expr(sc, k, false)
}

func (u *unit) patch(sc *scope, x *ast.Patch) vm.Expr {
	p := &vm.PatchExpr{At: u.at(x.Span)}
	for _, op := range x.Ops {
		o := vm.PatchOp{Kind: op.Kind}
		if op.Key != nil {
			o.Key = u.patchKey(sc, op.Key)
		}
		if op.To != nil {
			o.To = u.patchKey(sc, op.To)
		}
		if op.Value != nil {
			o.Value = u.expr(sc, op.Value, false)
		}
		p.Ops = append(p.Ops, o)
	}
	p.Target = u.expr(sc, x.Target, false)
	return p
}

// distance is the edit distance used for "did you mean" hints.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
