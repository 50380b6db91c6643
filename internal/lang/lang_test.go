package lang

import "testing"

func TestError(t *testing.T) {
	src := []byte("use tremor::system;\nselect event fron in into out;\n")
	cases := []struct {
		name       string
		err        Error
		msg, extra string
	}{
		{"full", Error{File: "q.trickle", Pos: Pos{2, 14, 33}, End: Pos{2, 18, 37}, Msg: "unexpected `fron`, expected `from`", Hint: "did you mean `from`?"},
			"q.trickle:2:14: unexpected `fron`, expected `from`\n  hint: did you mean `from`?",
			"q.trickle:2:14: error: unexpected `fron`, expected `from`\n 2 | select event fron in into out;\n   |              ^^^^\nhint: did you mean `from`?\n"},
		{"no end", Error{File: "q.trickle", Pos: Pos{1, 1, 0}, End: Pos{1, 1, 0}, Msg: "m"},
			"q.trickle:1:1: m", "q.trickle:1:1: error: m\n 1 | use tremor::system;\n   | ^\n"},
		{"no position", Error{File: "q.trickle", Msg: "too big"}, "q.trickle: too big", "q.trickle: error: too big\n"},
		{"no file", Error{Pos: Pos{3, 2, 0}, Msg: "m"}, "3:2: m", "3:2: error: m\n 3 | \n   |  ^\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.err.Error(); got != c.msg {
				t.Errorf("Error() = %q, want %q", got, c.msg)
			}
			if got := c.err.Pretty(src); got != c.extra {
				t.Errorf("Pretty =\n%s\nwant\n%s", got, c.extra)
			}
		})
	}
}
