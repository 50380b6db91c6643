package stdlib

import (
	"regexp"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

// The examples in the docs are checked: each `path(args) # result` line
// whose arguments and result are plain JSON is called and compared.
func TestDocExamples(t *testing.T) {
	line := regexp.MustCompile(`^([a-z_:0-9]+)\((.*)\) # (.*)$`)
	checked := 0
	for _, f := range All() {
		if !f.Pure {
			continue
		}
		for _, l := range strings.Split(f.Doc, "\n") {
			m := line.FindStringSubmatch(l)
			if m == nil || m[1] != f.Path {
				continue
			}
			args, err1 := event.ParseJSON([]byte("[" + m[2] + "]"))
			want, err2 := event.ParseJSON([]byte(m[3]))
			if err1 != nil || err2 != nil {
				continue // binary literals and the like
			}
			got, err := Call(nil, f.Path, args.([]event.Value)...)
			if err != nil || !event.Equal(got, want) {
				t.Errorf("%s: example %q gives %s, %v", f.Path, l, event.MarshalJSON(got), err)
			}
			checked++
		}
	}
	if checked < 80 {
		t.Errorf("only %d examples could be checked", checked)
	}
	t.Logf("%d doc examples checked", checked)
}
