package config

import (
	"fmt"

	"github.com/temblor-dev/temblor/internal/diag"
)

// Pos is a place in a file; Line and Col start at 1 (0 when unknown).
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Span is the position as a diagnostic span (one character).
func (p Pos) Span() diag.Span {
	if p.Line == 0 {
		return diag.Span{}
	}
	if p.Col == 0 {
		return diag.Span{Start: diag.Pos{Line: p.Line}, End: diag.Pos{Line: p.Line}}
	}
	return diag.At(p.Line, p.Col)
}

// Diag is a problem at p: the one diagnostic type every part of temblor
// reports through (printed as `file:line:col: msg` and the hint).
func (p Pos) Diag(msg, hint string) *diag.Diagnostic {
	return &diag.Diagnostic{File: p.File, Span: p.Span(), Msg: msg, Hint: hint}
}
