// Package registry is the small name → spec table that every kind of
// component (connector, codec, processor, operator) registers itself in from
// init(). The config layer looks names up there, so an unknown name is an
// error that lists the known ones and suggests the closest.
//
// It must never know about any particular component.
package registry

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Table maps names to specs of one kind.
type Table[T any] struct {
	kind  string // e.g. "onramp type", used in messages
	mu    sync.RWMutex
	specs map[string]T
}

// New returns an empty table for a kind such as "codec".
func New[T any](kind string) *Table[T] {
	return &Table[T]{kind: kind, specs: map[string]T{}}
}

// Register adds a spec. Registering a name twice is a programming error and
// panics at init time.
func (t *Table[T]) Register(name string, spec T) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, dup := t.specs[name]; dup {
		panic(fmt.Sprintf("registry: %s %q registered twice", t.kind, name))
	}
	t.specs[name] = spec
}

// Lookup returns the spec for name.
func (t *Table[T]) Lookup(name string) (T, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	s, ok := t.specs[name]
	return s, ok
}

// Names lists the registered names, sorted.
func (t *Table[T]) Names() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	names := make([]string, 0, len(t.specs))
	for n := range t.specs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Kind is the human name of what this table holds.
func (t *Table[T]) Kind() string { return t.kind }

// UnknownError reports a name that is not registered.
type UnknownError struct {
	Kind    string
	Name    string
	Known   []string
	Suggest string // closest known name, "" if none is close
}

func (e *UnknownError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown %s %q", e.Kind, e.Name)
	if e.Suggest != "" {
		fmt.Fprintf(&b, " (did you mean %q?)", e.Suggest)
	}
	fmt.Fprintf(&b, "; known: %s", strings.Join(e.Known, ", "))
	return b.String()
}

// Get returns the spec or an *UnknownError listing the known names.
func (t *Table[T]) Get(name string) (T, error) {
	if s, ok := t.Lookup(name); ok {
		return s, nil
	}
	var zero T
	known := t.Names()
	return zero, &UnknownError{Kind: t.kind, Name: name, Known: known, Suggest: Closest(name, known)}
}

// Closest returns the candidate nearest to name by edit distance when it is
// close enough to be a plausible typo, else "".
func Closest(name string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(name), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := len(name) / 3
	if limit < 2 {
		limit = 2
	}
	if bestD >= 0 && bestD <= limit {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
