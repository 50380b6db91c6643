// Package diag is the one diagnostic type of temblor: an error or warning
// with where it is (file, span), what is wrong and what to do. The config
// loader, the trickle/tremor-script compiler and the component decoder all
// report through it, so every user-facing problem reads the same way.
//
// It must never know about any particular component or language construct.
package diag

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Pos is a place in a source text. Line and Col start at 1 (0: unknown);
// Col counts characters (runes), Offset bytes from the start of the text.
type Pos struct {
	Line, Col int
	Offset    int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Known reports whether the position was set.
func (p Pos) Known() bool { return p.Line > 0 }

// Before reports whether p comes before q.
func (p Pos) Before(q Pos) bool {
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Span is a range of source text; End is exclusive (End == Start when only
// the start is known).
type Span struct {
	Start, End Pos
}

// At is a span of one character at line:col.
func At(line, col int) Span {
	p := Pos{Line: line, Col: col}
	return Span{Start: p, End: Pos{Line: line, Col: col + 1}}
}

// Severity tells an error from a warning.
type Severity uint8

const (
	// Error stops loading or evaluation.
	Error Severity = iota
	// Warning is reported and loading goes on.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one problem: where (File and Span, both optional), what
// (Msg) and what to do (Hint, optional).
type Diagnostic struct {
	Severity Severity
	File     string
	Span     Span
	// Outer, when set, is the enclosing construct shown as context around
	// Span when rendering (e.g. the whole match expression a bad case sits
	// in), as Tremor showed it.
	Outer Span
	Msg   string
	Hint  string
	// Src is the source text the spans point into, when known, so the
	// diagnostic can be rendered with its lines.
	Src []byte
	// Display, when set, is the source as it is shown (see Segment);
	// otherwise Src is shown line by line.
	Display []Segment
	// Token is the text of a token the lexer could not finish, shown where
	// the tokens stop (see Unfinished).
	Token *Unfinished
	// Included marks a problem located in a file other than the one being
	// loaded (a module found on the module path): Tremor headed those
	// "Error in FILE:LINE:COL".
	Included bool
}

// Errorf is a positioned error diagnostic.
func Errorf(file string, span Span, format string, args ...any) *Diagnostic {
	return &Diagnostic{File: file, Span: span, Msg: fmt.Sprintf(format, args...)}
}

// Warnf is a positioned warning diagnostic.
func Warnf(file string, span Span, format string, args ...any) *Diagnostic {
	return &Diagnostic{Severity: Warning, File: file, Span: span, Msg: fmt.Sprintf(format, args...)}
}

// WithHint sets the hint and returns d.
func (d *Diagnostic) WithHint(format string, args ...any) *Diagnostic {
	d.Hint = fmt.Sprintf(format, args...)
	return d
}

// WithSrc attaches the source text and returns d.
func (d *Diagnostic) WithSrc(src []byte) *Diagnostic {
	d.Src = src
	return d
}

// Where is "file:line:col" leaving out what is unknown ("" when nothing is).
func (d *Diagnostic) Where() string {
	p := d.Span.Start
	switch {
	case d.File == "" && p.Line == 0:
		return ""
	case d.File == "":
		return p.String()
	case p.Line == 0:
		return d.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", d.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", d.File, p.Line, p.Col)
}

// Error is the one-line form (plus the hint on its own line):
//
//	main.trickle:7:14: unexpected `fron`, expected `from`
//	  hint: ...
func (d *Diagnostic) Error() string {
	s := d.Msg
	if w := d.Where(); w != "" {
		s = w + ": " + s
	}
	if d.Severity == Warning {
		s = "warning: " + s
	}
	if d.Hint != "" {
		s += "\n  hint: " + d.Hint
	}
	return s
}

// List is every problem found; it is an error when it holds any.
type List []*Diagnostic

func (l List) Error() string {
	parts := make([]string, len(l))
	for i, d := range l {
		parts[i] = d.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap lets errors.As find each diagnostic.
func (l List) Unwrap() []error {
	errs := make([]error, len(l))
	for i, d := range l {
		errs[i] = d
	}
	return errs
}

// Sort orders the list by file, then position (stable).
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Span.Start.Before(b.Span.Start)
	})
}

// HasErrors reports whether any diagnostic is an error (not a warning).
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Err returns the list as an error, or nil when it holds no errors.
func (l List) Err() error {
	if !l.HasErrors() {
		return nil
	}
	return l
}

// As returns every *Diagnostic in err (a *Diagnostic, a List, or errors
// wrapping them), or nil.
func As(err error) List {
	if err == nil {
		return nil
	}
	var l List
	if errors.As(err, &l) {
		return l
	}
	var d *Diagnostic
	if errors.As(err, &d) {
		return List{d}
	}
	return nil
}
