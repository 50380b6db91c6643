package diag

import (
	"fmt"
	"strings"
)

// Segment is one piece of source as it is shown: a token (or a whole line
// for sources that are not tokenised) that starts on Line and ends on
// EndLine. Tremor did not print the source verbatim but re-rendered its
// tokens (a comment `#x` shows as `# x`, `0x10` as `16`); the language
// fills Diagnostic.Display with such segments so that the layout matches.
type Segment struct {
	Line, EndLine int
	Text          string
	// Advance is how many lines the text moves on without a gutter of
	// their own (Tremor wrote a heredoc's opening `"""` and its newline
	// as one token and counted the line without printing a gutter).
	Advance int
}

// Unfinished is the text of a token the lexer could not finish (an
// unterminated string, say); it is shown in place of the rest of its
// line(s), starting on Line.
type Unfinished struct {
	Line int
	Text string
}

// Render prints the diagnostic the way Tremor 0.11 printed its errors: a
// heading with the location, the source lines with a gutter, a caret line
// under the span with the message beside it, and the hint as a NOTE below:
//
//	Error: main.trickle:2:1
//	    1 | const one = 1;
//	    2 | const one = "two";
//	      | ^^^^^^^^^^^^^^^^^ Can't declare the constant `one` twice
//	      |                   NOTE: ...
//
// Without the source text (or a position) it falls back to Error().
func (d *Diagnostic) Render() string {
	return d.render(true)
}

// RenderTremor is the layout exactly as Tremor's own test suites expect
// it: "Error: " (or "Error in FILE:L:C " for a problem inside an included
// module file, "Warning: " for a warning), then the lines.
func (d *Diagnostic) RenderTremor() string {
	return d.render(false)
}

// lineSegments cuts raw source text into one segment per line.
func lineSegments(src []byte, tabs bool) []Segment {
	text := string(src)
	segs := make([]Segment, 0, strings.Count(text, "\n")+1)
	for ln := 1; text != ""; ln++ {
		i := strings.IndexByte(text, '\n')
		var line string
		if i < 0 {
			line, text = text, ""
		} else {
			line, text = text[:i+1], text[i+1:]
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if tabs {
			line = strings.ReplaceAll(line, "\t", " ")
		}
		if i >= 0 {
			line += "\n"
		}
		segs = append(segs, Segment{Line: ln, EndLine: ln, Text: line})
	}
	return segs
}

func (d *Diagnostic) render(user bool) string {
	segs := d.Display
	if segs == nil {
		if len(d.Src) == 0 || !d.Span.Start.Known() {
			return d.Error() + "\n"
		}
		segs = lineSegments(d.Src, user)
	} else if user {
		// Shown to a person: a tab is one column, so it is shown as one,
		// and a carriage return would move the cursor.
		c := make([]Segment, len(segs))
		for i, s := range segs {
			s.Text = strings.ReplaceAll(strings.ReplaceAll(s.Text, "\t", " "), "\r", "")
			c[i] = s
		}
		segs = c
	}
	var b strings.Builder
	switch {
	case d.Severity == Warning:
		b.WriteString("Warning: ")
		if user {
			b.WriteString(d.Where())
		}
		b.WriteByte('\n')
	case user:
		b.WriteString("Error: ")
		b.WriteString(d.Where())
		b.WriteByte('\n')
	case d.Included:
		fmt.Fprintf(&b, "Error in %s:%d:%d \n", d.File, d.Span.Start.Line, d.Span.Start.Col)
	default:
		b.WriteString("Error: \n")
	}
	outer := d.Outer
	if !outer.Start.Known() && !outer.End.Known() {
		outer = d.Span
	}
	highlight(&b, segs, outer.Start.Line, outer.End.Line, d)
	return b.String()
}

// highlight writes the segments whose last line lies within [first, last]
// with line numbers, and the caret line (and hint) after the line the span
// ends on. It follows the order of Tremor's highlighter exactly, including
// where an unfinished token is written.
func highlight(b *strings.Builder, segs []Segment, first, last int, d *Diagnostic) {
	start, end := d.Span.Start, d.Span.End
	if !end.Known() || end.Before(start) {
		end = start
	}
	prefix := func(line int) { fmt.Fprintf(b, "%5d | ", line) }
	ensureNewline := func() {
		s := b.String()
		if s == "" || s[len(s)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	column := func() (int, int) {
		if start.Line == end.Line {
			return start.Col, max(end.Col-start.Col, 1)
		}
		// A span over several lines is underlined on its last line.
		return 1, max(end.Col-1, 0)
	}
	callout := func() {
		col, n := column()
		ensureNewline()
		fmt.Fprintf(b, "      | %s%s %s\n", strings.Repeat(" ", max(col-1, 0)), strings.Repeat("^", n), d.Msg)
		if d.Hint != "" {
			fmt.Fprintf(b, "      | %sNOTE: %s\n", strings.Repeat(" ", col+n), d.Hint)
		}
	}
	line := 0
	printed := false
	unfinished := func() {
		tok := d.Token
		if tok == nil {
			return
		}
		if line == 0 {
			line = tok.Line
			prefix(line)
		}
		lines := textLines(tok.Text)
		if len(lines) > 0 {
			b.WriteString(lines[0])
			b.WriteByte('\n')
			lines = lines[1:]
		}
		for end.Line >= line && len(lines) > 0 {
			line++
			prefix(line)
			b.WriteString(lines[0])
			b.WriteByte('\n')
			lines = lines[1:]
		}
		if end.Line > line && strings.HasSuffix(tok.Text, "\n") {
			line++
			prefix(line)
			b.WriteByte('\n')
		}
	}
	i := 0
	for i < len(segs) && segs[i].EndLine < first {
		i++
	}
	for ; i < len(segs) && segs[i].EndLine <= last; i++ {
		s := segs[i]
		if s.Line != line {
			line = s.Line
			if !printed && end.Line == line-1 {
				printed = true
				unfinished()
				callout()
			}
			prefix(line)
		}
		b.WriteString(s.Text)
		line += s.Advance
	}
	if !printed || start.Line == line {
		unfinished()
		callout()
	}
}

// textLines splits like Rust's str::lines: on "\n", dropping one trailing
// empty line and a "\r" before each "\n".
func textLines(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, "\n")
	if parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	for i, p := range parts {
		parts[i] = strings.TrimSuffix(p, "\r")
	}
	return parts
}
