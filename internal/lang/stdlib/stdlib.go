package stdlib

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/registry"
)

// Ctx is what a call may read from the event being processed. A zero Ctx
// (or a nil *Ctx) is valid: the compiler passes one when it folds a pure
// call with constant arguments.
type Ctx struct {
	// IngestNS is the event's ingest time in nanoseconds since the epoch.
	IngestNS uint64
	// Origin is the URI of the onramp the event entered at (origin::*);
	// nil when unknown.
	Origin *url.URL
	// PanicOnAssert makes test::assert fail with a runtime error instead of
	// returning false, as Tremor's test harness does.
	PanicOnAssert bool
}

// Func is one native function: its spec and its implementation.
type Func struct {
	Path    string // full path, e.g. "string::len"
	Summary string // one line
	Doc     string // markdown: details and an example
	// Min and Max bound the number of arguments; Max == -1 is variadic.
	Min, Max int
	// Pure functions give the same value for the same arguments and read
	// nothing from Ctx: a call with constant arguments may be folded.
	Pure bool
	// Fn runs the function. The caller has checked the arity. It returns
	// ErrBadType, a *RuntimeError, or another error (treated as a runtime
	// error), and never panics. args is lent for the call: Fn may keep
	// its values but never the slice (the interpreter reuses it).
	Fn func(c *Ctx, args []event.Value) (event.Value, error)
}

// Module is the part of Path before the last "::".
func (f *Func) Module() string {
	i := strings.LastIndex(f.Path, "::")
	if i < 0 {
		return ""
	}
	return f.Path[:i]
}

// Name is the part of Path after the last "::".
func (f *Func) Name() string { return f.Path[strings.LastIndex(f.Path, "::")+2:] }

// ArityOK reports whether n arguments are acceptable.
func (f *Func) ArityOK(n int) bool { return n >= f.Min && (f.Max < 0 || n <= f.Max) }

// ErrBadType is returned by a function given an argument of the wrong type;
// it renders as "Bad type passed to function <path>/<arity>".
var ErrBadType = errors.New("bad type")

// RuntimeError is a function's failure on well-typed arguments; it renders
// as "Runtime error in function <path>/<arity>: <Msg>".
type RuntimeError struct {
	Msg string
	// Arity, when non-zero, replaces the call's arity in the rendered
	// message (Tremor named a few functions with a fixed arity there).
	Arity int
}

func (e *RuntimeError) Error() string { return e.Msg }

func rtErr(format string, args ...any) error {
	return &RuntimeError{Msg: fmt.Sprintf(format, args...)}
}

// Message renders err, returned by the function at path called with nargs
// arguments, as Tremor worded it.
func Message(path string, nargs int, err error) string {
	if errors.Is(err, ErrBadType) {
		return fmt.Sprintf("Bad type passed to function %s/%d", path, nargs)
	}
	var re *RuntimeError
	if errors.As(err, &re) {
		a := nargs
		if re.Arity != 0 {
			a = re.Arity
		}
		return fmt.Sprintf("Runtime error in function %s/%d: %s", path, a, re.Msg)
	}
	return fmt.Sprintf("Runtime error in function %s/%d: %s", path, nargs, err.Error())
}

// called records the paths Call ran, so the tests can check that every
// function is exercised.
var called sync.Map

var (
	mu     sync.RWMutex
	funcs  = map[string]*Func{}
	sorted []*Func
)

// register adds f; a duplicate path is a programming error.
func register(f *Func) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := funcs[f.Path]; dup {
		panic("stdlib: duplicate function " + f.Path)
	}
	if f.Fn == nil || f.Min < 0 || (f.Max >= 0 && f.Max < f.Min) || f.Summary == "" {
		panic("stdlib: incomplete spec for " + f.Path)
	}
	funcs[f.Path] = f
	sorted = nil
}

// Lookup finds a function by its full path ("string::len").
func Lookup(path string) (*Func, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := funcs[path]
	return f, ok
}

// All returns every function, sorted by path.
func All() []*Func {
	mu.Lock()
	defer mu.Unlock()
	if sorted == nil {
		sorted = make([]*Func, 0, len(funcs))
		for _, f := range funcs {
			sorted = append(sorted, f)
		}
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	}
	return append([]*Func(nil), sorted...)
}

// Modules returns the module paths that have at least one function, sorted.
func Modules() []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range All() {
		if m := f.Module(); !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// Suggest returns the known path closest to path, or "" when none is close.
func Suggest(path string) string {
	all := All()
	names := make([]string, len(all))
	for i, f := range all {
		names[i] = f.Path
	}
	return registry.Closest(path, names)
}

// Call looks path up, checks the arity and runs it, returning the error as
// Tremor rendered it. It is for tests and tools; the compiler resolves
// functions once and calls Fn itself.
func Call(c *Ctx, path string, args ...event.Value) (event.Value, error) {
	f, ok := Lookup(path)
	if !ok {
		if s := Suggest(path); s != "" {
			return nil, fmt.Errorf("Call to undefined function %s (did you mean `%s`?)", path, s)
		}
		return nil, fmt.Errorf("Call to undefined function %s", path)
	}
	if !f.ArityOK(len(args)) {
		return nil, fmt.Errorf("Bad arity for function %s/%s but was called with %d arguments", path, f.ArityString(), len(args))
	}
	if c == nil {
		c = &Ctx{}
	}
	called.Store(path, true)
	v, err := f.Fn(c, args)
	if err != nil {
		return nil, errors.New(Message(path, len(args), err))
	}
	return v, nil
}

// ArityString is the accepted arity as Tremor printed it in "Bad arity"
// messages: "1..=1", and for variadic functions "1..=18446744073709551615".
func (f *Func) ArityString() string {
	if f.Max < 0 {
		return fmt.Sprintf("%d..=18446744073709551615", f.Min)
	}
	return fmt.Sprintf("%d..=%d", f.Min, f.Max)
}
