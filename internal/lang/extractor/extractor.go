package extractor

import (
	"fmt"
	"sort"
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
	"github.com/temblor-dev/temblor/internal/registry"
)

// Extractor is a compiled `kind|pattern|`.
type Extractor interface {
	// Extract runs on a value; ok=false means "did not match" (a pattern
	// miss, not an error); err is a runtime error (rare). A value that is
	// not a string never matches. Extractors that only test (glob) give
	// true as out.
	Extract(c *stdlib.Ctx, v event.Value) (out event.Value, ok bool, err error)
}

// constructors by kind; each file registers its own from init.
var kinds = map[string]func(pattern string) (Extractor, error){}

func register(kind string, f func(pattern string) (Extractor, error)) { kinds[kind] = f }

// New compiles `kind|pattern|`. The kind is matched case-insensitively, as
// Tremor did. An error is a compile error for the script; an unknown kind
// is an *UnknownKindError.
func New(kind, pattern string) (Extractor, error) {
	k := strings.ToLower(kind)
	f, ok := kinds[k]
	if !ok {
		return nil, &UnknownKindError{Kind: k, Suggestion: registry.Closest(k, Kinds())}
	}
	return f(pattern)
}

// UnknownKindError is an extractor kind that does not exist. Error() is
// Tremor's text; Hint() suggests the closest kind, for the diagnostic.
type UnknownKindError struct {
	Kind       string
	Suggestion string // "" when no kind is close
}

func (e *UnknownKindError) Error() string { return fmt.Sprintf("Unsupported extractor %s", e.Kind) }

// Hint is "Did you mean `json`?" or "".
func (e *UnknownKindError) Hint() string {
	if e.Suggestion == "" {
		return ""
	}
	return fmt.Sprintf("Did you mean `%s`?", e.Suggestion)
}

// Kinds returns the extractor kinds, sorted.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Tester is implemented by extractors whose match test, when the result is
// not needed (`~` in a predicate), differs from Extract's ok or is cheaper.
type Tester interface {
	Test(c *stdlib.Ctx, v event.Value) bool
}

// Test reports whether x matches v when the extracted value is not needed,
// as Tremor's `field ~ kind|...|` predicates did.
func Test(x Extractor, c *stdlib.Ctx, v event.Value) bool {
	if t, ok := x.(Tester); ok {
		return t.Test(c, v)
	}
	_, ok, err := x.Extract(c, v)
	return ok && err == nil
}
