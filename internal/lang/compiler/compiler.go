// Package compiler checks a parsed tremor-script (or the expressions of a
// trickle query) and turns it into a vm program before anything runs:
// names are resolved (locals to slots, constants to values, functions and
// modules bound with their arity checked), constants are folded, `use`
// loads module files from the module path, and every error is reported
// with Tremor's message and span. Warnings (a match without default, ...)
// are collected.
//
// It must never evaluate per-event data; only constant expressions are
// evaluated, at compile time.
package compiler

import (
	"fmt"
	"sort"
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/source"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
	"github.com/temblor-dev/temblor/internal/lang/vm"
)

// Options configure a compilation.
type Options struct {
	// Path is where `use` finds module files.
	Path *ModulePath
	// Extractor compiles `kind|pattern|`; nil: every extractor is an
	// error.
	Extractor func(kind, pattern string) (vm.Extractor, error)
	// Natives finds a native function by path; nil: stdlib.Lookup.
	Natives func(path string) (*stdlib.Func, bool)
	// Query marks module files as trickle (they may define operators).
	Query bool
}

// Program is a compiled script.
type Program struct {
	Src    *source.Source
	Body   []vm.Stmt
	Locals int
	// Warnings are problems that do not stop the script (sorted).
	Warnings diag.List
}

type bailout struct{ err error }

// Compiler holds the state of one compilation.
type Compiler struct {
	opts     Options
	warnings []warning
	loader   *loader
	root     *Module
	// scripts are the `define script` bodies compiled so far: a
	// definition created several times (or in several instances of a
	// pipeline) is compiled once, since compiling it again would load its
	// `use`d modules and define its functions a second time in its scope.
	scripts map[*ast.Script]*Program
}

type warning struct {
	outer, inner diag.Span
	msg          string
	src          *source.Source
}

// New is a compiler for one source (and the modules it uses).
func New(opts Options) *Compiler {
	if opts.Natives == nil {
		opts.Natives = stdlib.Lookup
	}
	if opts.Path == nil {
		opts.Path = &ModulePath{}
	}
	c := &Compiler{opts: opts, root: newModule(nil, nil), scripts: map[*ast.Script]*Program{}}
	c.loader = &loader{path: opts.Path, parsed: map[string]*parsedModule{}}
	return c
}

// Root is the top-level module (the script's or query's own names).
func (c *Compiler) Root() *Module { return c.root }

// Warnings are the warnings so far, as diagnostics in Tremor's order.
func (c *Compiler) Warnings() diag.List {
	ws := append([]warning(nil), c.warnings...)
	sort.SliceStable(ws, func(i, j int) bool {
		a, b := ws[i], ws[j]
		if x := cmpSpan(a.outer, b.outer); x != 0 {
			return x < 0
		}
		if x := cmpSpan(a.inner, b.inner); x != 0 {
			return x < 0
		}
		return a.msg < b.msg
	})
	var out diag.List
	for i, w := range ws {
		if i > 0 && w == ws[i-1] {
			continue
		}
		out = append(out, w.src.Warning(w.outer, w.inner, w.msg))
	}
	return out
}

func cmpPos(a, b diag.Pos) int {
	switch {
	case a.Line != b.Line:
		return a.Line - b.Line
	case a.Col != b.Col:
		return a.Col - b.Col
	}
	return a.Offset - b.Offset
}

func cmpSpan(a, b diag.Span) int {
	if x := cmpPos(a.Start, b.Start); x != 0 {
		return x
	}
	return cmpPos(a.End, b.End)
}

// run calls fn, turning a bailout into an error.
func (c *Compiler) run(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	fn()
	return nil
}

// CompileScript compiles a whole script.
func (c *Compiler) CompileScript(s *ast.Script) (*Program, error) {
	var p *Program
	err := c.run(func() {
		u := c.unit(s.Source, c.root)
		sc := newScope(true)
		body := u.body(sc, s.Stmts, true)
		p = &Program{Src: s.Source, Body: body, Locals: sc.n}
	})
	if err != nil {
		return nil, err
	}
	p.Warnings = c.Warnings()
	return p, nil
}

// unit is the compilation of one source file: the module its top-level
// names go into.
type unit struct {
	c   *Compiler
	src *source.Source
	mod *Module
	sel *selCtx // set while compiling a select statement
}

func (c *Compiler) unit(src *source.Source, mod *Module) *unit {
	return &unit{c: c, src: src, mod: mod}
}

func expandLines(s diag.Span, n int) diag.Span {
	s.Start.Line = max(s.Start.Line-n, 0)
	s.End.Line += n
	return s
}

// fail stops the compilation with an error located in this unit.
func (u *unit) fail(outer, inner diag.Span, msg, hint string) {
	panic(bailout{u.src.Diag(outer, inner, msg, hint)})
}

// failNoContext stops with an error Tremor reported without a location.
func (u *unit) failNoContext(msg string) {
	panic(bailout{u.src.NoContext(msg)})
}

func (u *unit) warn(outer, inner diag.Span, msg string) {
	u.c.warnings = append(u.c.warnings, warning{outer: outer, inner: inner, msg: msg, src: u.src})
}

func (u *unit) at(s diag.Span) vm.At { return vm.At{Src: u.src, Span: s} }

// ---- scopes: local variables of a script or function body ----

// scope maps the local names of one body to slots. Names bound by a
// pattern (`case x = ...`) or a comprehension shadow others inside their
// case, through slots named for the shadowing depth.
type scope struct {
	slots   map[string]int
	n       int
	shadows []string
	top     bool // the script's own body (not a function)
	// function context
	inFn    bool
	argc    int
	open    bool
	canEmit bool
}

func newScope(top bool) *scope {
	return &scope{slots: map[string]int{}, top: top, canEmit: top}
}

const shadowPrefix = " __SHADOW "

func shadowName(i int) string { return fmt.Sprintf("%s%d__ ", shadowPrefix, i) }

// slot is the slot of a local name (allocated on first mention).
func (s *scope) slot(name string) int {
	for i := len(s.shadows) - 1; i >= 0; i-- {
		if s.shadows[i] == name {
			name = shadowName(i)
			break
		}
	}
	if i, ok := s.slots[name]; ok {
		return i
	}
	s.slots[name] = s.n
	s.n++
	return s.n - 1
}

// has reports whether name already is a local (mentioned before).
func (s *scope) has(name string) bool {
	for i := len(s.shadows) - 1; i >= 0; i-- {
		if s.shadows[i] == name {
			return true
		}
	}
	_, ok := s.slots[name]
	return ok
}

// pushShadow binds name to the next shadow slot.
func (s *scope) pushShadow(name string) int {
	i := s.slot(shadowName(len(s.shadows)))
	s.shadows = append(s.shadows, name)
	return i
}

func (s *scope) popShadow() { s.shadows = s.shadows[:len(s.shadows)-1] }

// reserveShadows reserves the next two shadow slots (a comprehension's key
// and value).
func (s *scope) reserveShadows() (int, int) {
	l := len(s.shadows)
	return s.slot(shadowName(l)), s.slot(shadowName(l + 1))
}

// ---- modules ----

// Module is a namespace of constants, functions and modules.
type Module struct {
	Path   []string
	parent *Module
	consts map[string]*constant
	fns    map[string]*fnGroup
	mods   map[string]*Module
	// Items holds what a trickle module defines (operators, scripts,
	// windows), for the query layer.
	Items map[string]any
}

type constant struct {
	value vm.Value
}

func newModule(parent *Module, path []string) *Module {
	return &Module{Path: path, parent: parent, consts: map[string]*constant{}, fns: map[string]*fnGroup{},
		mods: map[string]*Module{}, Items: map[string]any{}}
}

// Name is the module's path joined with "::".
func (m *Module) Name() string { return strings.Join(m.Path, "::") }

// sub is the module at rel below m (nil if none).
func (m *Module) sub(rel []string) *Module {
	cur := m
	for _, n := range rel {
		next, ok := cur.mods[n]
		if !ok {
			return nil
		}
		cur = next
	}
	return cur
}

// Sub is the module at rel below m, or nil.
func (m *Module) Sub(rel []string) *Module { return m.sub(rel) }

// child creates (or returns) the module name below m.
func (m *Module) child(name string) *Module {
	if c, ok := m.mods[name]; ok {
		return c
	}
	c := newModule(m, append(append([]string(nil), m.Path...), name))
	m.mods[name] = c
	return c
}

// fnGroup is the functions of one name (overloaded by arity).
type fnGroup struct {
	byArity map[int]*fnSym
	open    []*fnSym
}

type fnSym struct {
	name   string
	params int
	open   bool
	// native: an intrinsic bound to a native function (calls are inlined)
	native *stdlib.Func
	// fn: a function in tremor-script
	fn *vm.Function
	// forward: the function only calls another with its own arguments
	// in order (calls are inlined to that call)
	forward *fnSym
}

func (g *fnGroup) find(n int) *fnSym {
	if s, ok := g.byArity[n]; ok {
		return s
	}
	var best *fnSym
	for _, s := range g.open {
		if n >= s.params && (best == nil || s.params > best.params) {
			best = s
		}
	}
	return best
}

// arities lists what the group accepts, for messages.
func (g *fnGroup) arities() string {
	var parts []string
	var ns []int
	for n := range g.byArity {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	for _, n := range ns {
		parts = append(parts, fmt.Sprint(n))
	}
	for _, s := range g.open {
		parts = append(parts, fmt.Sprintf("%d..", s.params))
	}
	return strings.Join(parts, ", ")
}
