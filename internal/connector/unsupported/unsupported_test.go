package unsupported

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/diag"
)

// TestRefusedWithTheAlternative: loading one is a positioned error whose
// hint names what to use instead, whatever its config.
func TestRefusedWithTheAlternative(t *testing.T) {
	n := 0
	defer func() {
		if n != 7 {
			t.Errorf("%d connectors checked, want the 7 Tremor had that temblor does not run", n)
		}
	}()
	for _, kind := range []component.Kind{component.Onramp, component.Offramp} {
		for _, spec := range component.Specs(kind) {
			if spec.Status != component.NotSupported {
				continue
			}
			n++
			text := "endpoint: http://localhost:9200\nindex: x\n"
			var y yaml.Node
			if err := yaml.Unmarshal([]byte(text), &y); err != nil {
				t.Fatal(err)
			}
			src := &conf.Source{File: "a.yaml", Text: []byte(text)}
			owner := conf.Where{Src: src, Span: diag.At(1, 1)}
			var errs diag.List
			if kind == component.Onramp {
				_, errs = sdk.NewSource(spec.Name, conf.FromYAML(src, y.Content[0]), sdk.Params{ID: "x"}, sdk.BuildOptions{Owner: owner})
			} else {
				_, errs = sdk.NewSink(spec.Name, conf.FromYAML(src, y.Content[0]), sdk.Params{ID: "x"}, sdk.BuildOptions{Owner: owner})
			}
			if !errs.HasErrors() || len(errs) != 1 {
				t.Fatalf("%s %s: %v", kind, spec.Name, errs)
			}
			got := errs[0].Error()
			if !strings.HasPrefix(got, "a.yaml:1:1: ") || !strings.Contains(got, "is not supported by temblor") ||
				!strings.Contains(got, "use "+spec.Alternative+" instead") {
				t.Errorf("%s %s: %s", kind, spec.Name, got)
			}
		}
	}
}
