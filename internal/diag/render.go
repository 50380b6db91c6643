package diag

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Render prints the diagnostic the way Tremor 0.11 printed its errors: a
// heading, the source lines with a gutter, a caret line under the span
// with the message beside it, and the hint as a NOTE below:
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

// RenderTremor is Render without the location after the heading, exactly
// as Tremor's own test suites expect it ("Error: " then the lines).
func (d *Diagnostic) RenderTremor() string {
	return d.render(false)
}

func (d *Diagnostic) render(withWhere bool) string {
	if len(d.Src) == 0 || !d.Span.Start.Known() {
		return d.Error() + "\n"
	}
	lines := strings.Split(string(d.Src), "\n")
	start, end := d.Span.Start, d.Span.End
	if !end.Known() || end.Before(start) {
		end = start
	}
	first, last := start.Line, end.Line
	// An end at column 1 of a later line covers nothing of that line.
	if last > first && end.Col <= 1 {
		last--
	}
	ctxFirst, ctxLast := first, last
	if d.Outer.Start.Known() {
		if d.Outer.Start.Line < ctxFirst {
			ctxFirst = d.Outer.Start.Line
		}
		if d.Outer.End.Line > ctxLast {
			ctxLast = d.Outer.End.Line
		}
	}
	if ctxFirst < 1 {
		ctxFirst = 1
	}
	if ctxLast > len(lines) {
		ctxLast = len(lines)
	}
	if first > len(lines) {
		return d.Error() + "\n"
	}

	var b strings.Builder
	if d.Severity == Warning {
		b.WriteString("Warning: ")
	} else {
		b.WriteString("Error: ")
	}
	if withWhere {
		b.WriteString(d.Where())
	}
	b.WriteByte('\n')
	const blank = "      | "
	for ln := ctxFirst; ln <= ctxLast; ln++ {
		text := strings.TrimRight(lines[ln-1], "\r")
		fmt.Fprintf(&b, "%5d | %s\n", ln, strings.ReplaceAll(text, "\t", " "))
		if ln != last {
			continue
		}
		// The caret line goes under the span's last line; a span over
		// several lines is underlined from its start column on the first
		// line it covers here.
		col := 1
		if ln == start.Line {
			col = max(start.Col, 1)
		}
		width := utf8.RuneCountInString(text) - (col - 1)
		if ln == end.Line {
			width = end.Col - col
		}
		if width < 1 {
			width = 1
		}
		pad := strings.Repeat(" ", col-1)
		fmt.Fprintf(&b, "%s%s%s %s\n", blank, pad, strings.Repeat("^", width), d.Msg)
		if d.Hint != "" {
			fmt.Fprintf(&b, "%s%s%s NOTE: %s\n", blank, pad, strings.Repeat(" ", width), d.Hint)
		}
	}
	return b.String()
}
