package sdk

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func readAll(t *testing.T, text string, maxLine int, keepNewline bool) (lines []string, refused []string) {
	l := NewLineInput(strings.NewReader(text), "in.txt", maxLine, keepNewline, quiet.Logger)
	defer l.Close()
	for {
		in, err := l.Next(3)
		if in != nil {
			for _, f := range in.Frames {
				lines = append(lines, string(f))
			}
			for _, r := range in.Refused {
				line, _ := r.Info.Get("line")
				bytes, _ := r.Info.Get("bytes")
				refused = append(refused, fmt.Sprintf("%v:%v", line, bytes))
				if want := fmt.Sprintf("line %v of in.txt is %v bytes, over max_line_bytes (%d); skipped", line, bytes, maxLine); r.Reason != want {
					t.Errorf("reason %q, want %q", r.Reason, want)
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestLineInput(t *testing.T) {
	for _, c := range []struct {
		name, in     string
		max          int
		keep         bool
		lines, skips string
	}{
		{"plain", "a\nbb\nccc\n", 10, false, "[a bb ccc]", "[]"},
		{"last line without newline", "a\nb", 10, false, "[a b]", "[]"},
		{"crlf", "a\r\nb\r\n", 10, false, "[a b]", "[]"},
		{"empty lines", "\n\na\n", 10, false, "[  a]", "[]"},
		{"exact limit", "12345\n123456\n", 5, false, "[12345]", "[2:6]"},
		{"limit with crlf", "12345\r\n", 5, false, "[12345]", "[]"},
		{"long line in the middle", "a\n" + strings.Repeat("x", 200000) + "\nb\n", 1000, false, "[a b]", "[2:200000]"},
		{"long last line", "a\n" + strings.Repeat("y", 70000), 1000, false, "[a]", "[2:70000]"},
		{"keep newline", "a\nb", 10, true, "[a\n b\n]", "[]"},
		{"nothing", "", 10, false, "[]", "[]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines, skips := readAll(t, c.in, c.max, c.keep)
			if got := fmt.Sprint(lines); got != c.lines && !(got == "[]" && c.lines == "[]") {
				t.Errorf("lines %q, want %q", got, c.lines)
			}
			if got := fmt.Sprint(skips); got != c.skips {
				t.Errorf("skipped %s, want %s", got, c.skips)
			}
		})
	}
}
