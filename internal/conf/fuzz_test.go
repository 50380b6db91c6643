package conf

import (
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/diag"
)

// FuzzDecodeYAML: any YAML document decodes into the sample schema
// without panicking, and every diagnostic is positioned inside the text.
func FuzzDecodeYAML(f *testing.F) {
	f.Add("url: ws://a/\ntimeout_ms: 3\n")
	f.Fuzz(func(t *testing.T, text string) {
		var y yaml.Node
		if yaml.Unmarshal([]byte(text), &y) != nil || len(y.Content) == 0 {
			return
		}
		src := &Source{File: "f.yaml", Text: []byte(text)}
		n := FromYAML(src, y.Content[0])
		var c sample
		at, errs := sampleSchema.Decode(n, &c, Options{Owner: Where{Src: src, Span: diag.At(1, 1)}})
		for _, d := range errs {
			if d.Span.Start.Line < 1 || d.Msg == "" {
				t.Fatalf("unpositioned diagnostic %+v", d)
			}
			_ = d.Render()
		}
		_ = at.Errorf("tls.cert", "x").Render()
		_ = n.ToValue()
	})
}
