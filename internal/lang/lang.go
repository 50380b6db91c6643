// Package lang is temblor's tremor-script and trickle implementation, as
// the rest of temblor uses it: compile a script (or the expressions of a
// query) once, with every name resolved and every error found before
// anything runs, then run it per event.
//
// The stages live in subpackages, one each: lexer → parser (building ast)
// → compiler (checking and resolving) → vm (running), with source (files
// and their diagnostics), stdlib (native functions), extractor and lib
// (the standard library's module files). This package must stay a thin
// layer over them.
package lang

import (
	"os"
	"sync"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/compiler"
	"github.com/temblor-dev/temblor/internal/lang/lib"
	"github.com/temblor-dev/temblor/internal/lang/parser"
	"github.com/temblor-dev/temblor/internal/lang/source"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
	"github.com/temblor-dev/temblor/internal/lang/vm"
)

// Options configure compiling.
type Options struct {
	// ModulePath lists the directories `use` searches before the standard
	// library (TREMOR_PATH and --module-path).
	ModulePath []compiler.Mount
	// LibName is how the standard library is named in "module not found"
	// messages (default: lib.Name).
	LibName string
}

// EnvModulePath is the module path from $TREMOR_PATH (colon separated).
func EnvModulePath() []compiler.Mount { return compiler.SplitPath(os.Getenv("TREMOR_PATH")) }

// ModulePath is the full module path: the given mounts, then the library.
func (o Options) modulePath() *compiler.ModulePath {
	name := o.LibName
	if name == "" {
		name = lib.Name
	}
	mounts := append(append([]compiler.Mount(nil), o.ModulePath...), lib.Mount(name))
	return &compiler.ModulePath{Mounts: mounts}
}

// CompilerOptions are the compiler's options for o.
func (o Options) CompilerOptions(query bool) compiler.Options {
	return compiler.Options{Path: o.modulePath(), Extractor: newExtractor, Query: query}
}

// Script is a compiled tremor-script, safe for concurrent Runs.
type Script struct {
	Src  *source.Source
	prog *compiler.Program
	pool sync.Pool // of *runState
}

// runState is what one run needs besides the event: reused between runs.
type runState struct {
	frame           vm.Frame
	ctx             stdlib.Ctx
	nullMeta, state event.Value
}

// Compile parses and compiles a script named name (errors are
// *diag.Diagnostic, rendered the way Tremor rendered them).
func Compile(name, text string, opts Options) (*Script, error) {
	src := source.New(name, text)
	s, d := parser.ParseScript(src)
	if d != nil {
		return nil, d
	}
	return CompileAST(s, opts)
}

// CompileAST compiles a parsed script.
func CompileAST(s *ast.Script, opts Options) (*Script, error) {
	c := compiler.New(opts.CompilerOptions(false))
	p, err := c.CompileScript(s)
	if err != nil {
		return nil, err
	}
	return &Script{Src: s.Source, prog: p}, nil
}

// Warnings are the script's warnings.
func (s *Script) Warnings() diag.List { return s.prog.Warnings }

// Env is what one run sees: the event's data and metadata (which the
// script may replace), the state kept between runs, the script's
// arguments and what functions may read from the event.
type Env struct {
	Data  *event.Value
	Meta  *event.Value
	State *event.Value
	Args  event.Value
	Ctx   *stdlib.Ctx
	// Window and Group are the `window` and `group` of a select (nil
	// elsewhere); Aggrs answers its aggregate calls while a window closes.
	Window, Group event.Value
	Aggrs         vm.Aggregates
}

// Result is how a run ended (see vm.Result).
type Result = vm.Result

// Run runs the script once.
func (s *Script) Run(env Env) (Result, error) { return s.run(env, nil) }

// RunBudget runs the script with at most budget steps (calls, recursions,
// comprehension items); running out is an error.
func (s *Script) RunBudget(env Env, budget int64) (Result, error) { return s.run(env, &budget) }

func (s *Script) run(env Env, budget *int64) (Result, error) {
	rs, _ := s.pool.Get().(*runState)
	if rs == nil {
		rs = &runState{}
		rs.frame.Locals = vm.NewLocals(s.prog.Locals)
	}
	if env.Meta == nil {
		rs.nullMeta = nil
		env.Meta = &rs.nullMeta
	}
	if env.State == nil {
		rs.state = nil
		env.State = &rs.state
	}
	if env.Ctx == nil {
		rs.ctx = stdlib.Ctx{}
		env.Ctx = &rs.ctx
	}
	locals := rs.frame.Locals
	rs.frame = vm.Frame{Event: env.Data, Meta: env.Meta, State: env.State, Args: env.Args, Locals: locals, Scratch: rs.frame.Scratch[:0], Ctx: env.Ctx,
		Budget: budget}
	r, err := vm.RunBody(&rs.frame, s.prog.Body)
	vm.ResetLocals(locals)
	rs.frame = vm.Frame{Locals: locals, Scratch: rs.frame.Scratch[:0]}
	s.pool.Put(rs)
	return r, err
}

// JSON is v as JSON text (for messages and tests).
func JSON(v event.Value) string { return string(event.AppendJSON(nil, v)) }

// renderAll renders every diagnostic in err (the way Tremor showed them).
func renderAll(err error) string {
	l := diag.As(err)
	if len(l) == 0 {
		return err.Error()
	}
	out := ""
	for _, d := range l {
		out += d.RenderTremor() + d.Render()
	}
	return out
}
