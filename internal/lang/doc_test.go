package lang

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

// TestLanguageDoc compiles every ```tremor block of docs/language.md and
// runs it on a small event, so that the reference's examples stay true.
func TestLanguageDoc(t *testing.T) {
	b, err := os.ReadFile("../../docs/language.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```tremor\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	if len(blocks) < 15 {
		t.Fatalf("only %d tremor blocks in docs/language.md", len(blocks))
	}
	for i, m := range blocks {
		src := m[1]
		s, err := Compile("language.md", src, Options{})
		if err != nil {
			t.Errorf("block %d does not compile:\n%s\n%s", i+1, src, renderAll(err))
			continue
		}
		data := event.Value(event.RecordOf("a", int64(1), "level", "info", "k", "x", "m", "y", "r", event.RecordOf("x", int64(1)),
			"host", "h", "msg", "info all good"))
		meta := event.Value(event.NewRecord(0))
		if _, err := s.Run(Env{Data: &data, Meta: &meta}); err != nil && !strings.Contains(src, "error") {
			t.Errorf("block %d fails:\n%s\n%s", i+1, src, renderAll(err))
		}
	}
}
