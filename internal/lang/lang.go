package lang

import (
	"fmt"
	"strings"
)

// Pos is a place in source text; Line and Col start at 1.
type Pos struct {
	Line, Col int
	Offset    int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Span is a range of source text; End is exclusive.
type Span struct {
	Start, End Pos
}

// Span returns the range the error points at.
func (e *Error) Span() Span { return Span{Start: e.Pos, End: e.End} }

// Error is a parse or runtime error at a place in a source file.
type Error struct {
	File string
	Pos  Pos
	End  Pos // exclusive end of the offending text (== Pos when unknown)
	Msg  string
	Hint string
	// Src is the source text, when known, for Pretty.
	Src []byte
}

// where is the `file:line:col` prefix, leaving out what is unknown.
func (e *Error) where() string {
	switch {
	case e.File == "" && e.Pos.Line == 0:
		return ""
	case e.File == "":
		return fmt.Sprintf("%d:%d: ", e.Pos.Line, e.Pos.Col)
	case e.Pos.Line == 0:
		return e.File + ": "
	}
	return fmt.Sprintf("%s:%d:%d: ", e.File, e.Pos.Line, e.Pos.Col)
}

func (e *Error) Error() string {
	s := e.where() + e.Msg
	if e.Hint != "" {
		s += "\n  hint: " + e.Hint
	}
	return s
}

// Pretty renders the error with the source line and a caret under the
// offending text:
//
//	main.trickle:7:14: error: unexpected `fron`, expected `from`
//	   7 | select event fron in into out;
//	     |              ^^^^
//	  hint: ...
func (e *Error) Pretty(src []byte) string {
	if src == nil {
		src = e.Src
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%serror: %s\n", e.where(), e.Msg)
	lines := strings.Split(string(src), "\n")
	if e.Pos.Line >= 1 && e.Pos.Line <= len(lines) {
		line := strings.TrimRight(lines[e.Pos.Line-1], "\r")
		num := fmt.Sprint(e.Pos.Line)
		pad := strings.Repeat(" ", len(num))
		fmt.Fprintf(&b, " %s | %s\n", num, strings.ReplaceAll(line, "\t", " "))
		width := 1
		if e.End.Line == e.Pos.Line && e.End.Col > e.Pos.Col {
			width = e.End.Col - e.Pos.Col
		}
		col := e.Pos.Col
		if col < 1 {
			col = 1
		}
		fmt.Fprintf(&b, " %s | %s%s\n", pad, strings.Repeat(" ", col-1), strings.Repeat("^", width))
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, "hint: %s\n", e.Hint)
	}
	return b.String()
}
