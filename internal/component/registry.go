package component

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/diag"
)

// Kind is a namespace of component names.
type Kind string

// The kinds. A name is unique within its kind only: `lines` is both a
// preprocessor and a postprocessor, `ws` both an onramp and an offramp.
const (
	Onramp        Kind = "onramp"
	Offramp       Kind = "offramp"
	Codec         Kind = "codec"
	Preprocessor  Kind = "preprocessor"
	Postprocessor Kind = "postprocessor"
	Operator      Kind = "operator"
	Window        Kind = "window"
	Aggregate     Kind = "aggregate"
	Function      Kind = "function"
)

// Kinds lists every kind in the order the reference docs use.
func Kinds() []Kind {
	return []Kind{Onramp, Offramp, Codec, Preprocessor, Postprocessor, Operator, Window, Aggregate, Function}
}

// Noun is how messages name a component of the kind: "onramp type",
// "codec", "operator".
func (k Kind) Noun() string {
	switch k {
	case Onramp, Offramp:
		return string(k) + " type"
	case Operator:
		return "operator kind"
	}
	return string(k)
}

// Status says whether temblor runs a component.
type Status uint8

const (
	// Stable components run.
	Stable Status = iota
	// NotSupported components are known (Tremor 0.11 had them) but do
	// not run; loading one is an error that names Spec.Alternative.
	NotSupported
)

func (s Status) String() string {
	if s == NotSupported {
		return "not supported"
	}
	return "stable"
}

// Spec describes one component.
type Spec struct {
	Kind Kind
	Name string
	// Summary is one line, without a final period in tables.
	Summary string
	// Docs is markdown: what it does, what an ack means, its limits.
	Docs   string
	Status Status
	// Alternative is what to use instead of a NotSupported component.
	Alternative string
	// Config is the schema of its typed config (nil: it takes none).
	Config *conf.Schema
	// Facts are kind-specific lines for the docs, e.g. the default codec.
	Facts []Fact
	// Signature shows how a function is called, e.g. `string::len(s)`.
	Signature string
	// Impl is the kind-specific part (the typed constructor), set and
	// read only by the kind's own package.
	Impl any
}

// Fact is one labelled line of a spec's docs.
type Fact struct{ Label, Value string }

// registry holds the specs. It is the one piece of package-global state
// the engine keeps: written from init(), read afterwards.
var registry = struct {
	mu     sync.RWMutex
	byKind map[Kind]map[string]*Spec
}{byKind: map[Kind]map[string]*Spec{}}

// Register adds a spec. A malformed spec or a name registered twice is a
// programming error and panics at init.
func Register(s *Spec) {
	if err := check(s); err != nil {
		panic("component: " + err.Error())
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	m := registry.byKind[s.Kind]
	if m == nil {
		m = map[string]*Spec{}
		registry.byKind[s.Kind] = m
	}
	if _, dup := m[s.Name]; dup {
		panic(fmt.Sprintf("component: %s %q registered twice", s.Kind, s.Name))
	}
	m[s.Name] = s
}

func check(s *Spec) error {
	known := false
	for _, k := range Kinds() {
		known = known || k == s.Kind
	}
	switch {
	case !known:
		return fmt.Errorf("spec %q has unknown kind %q", s.Name, s.Kind)
	case s.Name == "":
		return fmt.Errorf("a %s spec has no name", s.Kind)
	case strings.TrimSpace(s.Summary) == "":
		return fmt.Errorf("%s %q has no summary", s.Kind, s.Name)
	case strings.Contains(s.Summary, "\n"):
		return fmt.Errorf("%s %q: the summary is one line", s.Kind, s.Name)
	case s.Status == NotSupported && s.Alternative == "":
		return fmt.Errorf("%s %q is not supported but names no alternative", s.Kind, s.Name)
	}
	return nil
}

// Lookup returns the spec of kind k called name.
func Lookup(k Kind, name string) (*Spec, bool) {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	s, ok := registry.byKind[k][name]
	return s, ok
}

// Specs lists the specs of kind k, sorted by name.
func Specs(k Kind) []*Spec {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	out := make([]*Spec, 0, len(registry.byKind[k]))
	for _, s := range registry.byKind[k] {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names lists the names of kind k that temblor runs (stable), sorted.
func Names(k Kind) []string {
	var out []string
	for _, s := range Specs(k) {
		if s.Status == Stable {
			out = append(out, s.Name)
		}
	}
	return out
}

// UnknownError is a name that no spec of the kind has.
type UnknownError struct {
	Kind    Kind
	Name    string
	Known   []string
	Suggest string // the closest known name, "" when none is close
}

func (e *UnknownError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown %s `%s`", e.Kind.Noun(), e.Name)
	if e.Suggest != "" {
		fmt.Fprintf(&b, " (did you mean `%s`?)", e.Suggest)
	}
	fmt.Fprintf(&b, "; known: %s", strings.Join(e.Known, ", "))
	return b.String()
}

// Hint is the "did you mean" and the known names, for a diagnostic.
func (e *UnknownError) Hint() string {
	h := "known: " + strings.Join(e.Known, ", ")
	if e.Suggest != "" {
		h = fmt.Sprintf("did you mean `%s`? (%s)", e.Suggest, h)
	}
	return h
}

// NotSupportedError is a component temblor knows but does not run.
type NotSupportedError struct{ Spec *Spec }

func (e *NotSupportedError) Error() string {
	return fmt.Sprintf("%s `%s` is not supported by temblor", e.Spec.Kind.Noun(), e.Spec.Name)
}

// Hint names what to use instead.
func (e *NotSupportedError) Hint() string { return "use " + e.Spec.Alternative + " instead" }

// Get returns the spec of kind k called name, or an *UnknownError (with
// the closest name) or a *NotSupportedError (with the alternative).
func Get(k Kind, name string) (*Spec, error) {
	s, ok := Lookup(k, name)
	if !ok {
		known := Names(k)
		return nil, &UnknownError{Kind: k, Name: name, Known: known, Suggest: diag.Closest(name, known)}
	}
	if s.Status == NotSupported {
		return nil, &NotSupportedError{Spec: s}
	}
	return s, nil
}

// SplitDoc splits a doc string into its first sentence (the summary) and
// the rest, for kinds whose specs carry one Doc.
func SplitDoc(doc string) (summary, rest string) {
	doc = strings.TrimSpace(doc)
	cut := len(doc)
	if i := strings.IndexByte(doc, '\n'); i >= 0 {
		cut = i
	}
	if i := strings.Index(doc[:cut], ". "); i >= 0 {
		cut = i + 1
	}
	return strings.TrimSpace(doc[:cut]), strings.TrimSpace(doc[cut:])
}
