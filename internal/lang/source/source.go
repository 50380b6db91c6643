// Package source is a tremor-script or trickle source text as the
// language's stages share it: its name, its text, and the diagnostics
// positioned in it (rendered the way Tremor rendered them).
//
// It must never parse or evaluate anything.
package source

import (
	"sync"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/lang/lexer"
)

// Source is one file (or one inline text) of tremor-script or trickle.
type Source struct {
	// Name is how the file is named in messages (as given: a path relative
	// to the working directory or to a module path entry).
	Name string
	// Text is the content.
	Text string
	// Included marks a module file loaded by `use` (errors in it are
	// headed "Error in FILE:LINE:COL").
	Included bool

	once    sync.Once
	display []diag.Segment
}

// New is a source named name with the given text.
func New(name, text string) *Source { return &Source{Name: name, Text: text} }

// Display is the text as the error highlighter shows it (cached).
func (s *Source) Display() []diag.Segment {
	s.once.Do(func() { s.display = lexer.Display(s.Text) })
	return s.display
}

// Diag is an error diagnostic underlining inner, showing the lines of outer.
func (s *Source) Diag(outer, inner diag.Span, msg, hint string) *diag.Diagnostic {
	d := &diag.Diagnostic{
		Span:  inner,
		Outer: outer,
		Msg:   msg,
		Hint:  hint,
	}
	if s != nil {
		d.File = s.Name
		d.Src = []byte(s.Text)
		d.Display = s.Display()
		d.Included = s.Included
	}
	return d
}

// Warning is a warning diagnostic underlining inner, showing outer.
func (s *Source) Warning(outer, inner diag.Span, msg string) *diag.Diagnostic {
	d := s.Diag(outer, inner, msg, "")
	d.Severity = diag.Warning
	return d
}

// NoContext is an error Tremor reported without a place in the source.
func (s *Source) NoContext(msg string) *diag.Diagnostic {
	d := s.Diag(diag.Span{}, diag.Span{}, msg, "")
	// Tremor attributed these to the file being loaded, whichever module
	// file they arose in.
	d.Included = false
	return d
}

// Lex converts a lexical error into a diagnostic.
func (s *Source) Lex(e *lexer.Error) *diag.Diagnostic {
	if e.NoContext {
		return s.NoContext(e.Msg)
	}
	d := s.Diag(e.Outer, e.Inner, e.Msg, e.Hint)
	d.Token = e.Token
	return d
}
