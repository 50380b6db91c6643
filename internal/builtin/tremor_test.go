package builtin_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	_ "github.com/temblor-dev/temblor/internal/builtin"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

// network is the connectors whose Tremor configs this test loads.
var network = []string{"tcp", "udp", "unix-socket", "ws", "rest", "otel", "dns"}

// refused are Tremor configs of those connectors that temblor refuses on
// purpose, with what the error says (docs/conformance.md lists them).
var refused = map[string]string{
	// Tremor parsed the URL, then could never connect with its scheme.
	"tremor-cli/tests/api/data/linked/ws-linked-offramp.yaml#ws-linked": "must be a websocket URL",
}

// Every onramp and offramp of the network connectors in Tremor 0.11.12's
// test, bench and demo deployments builds from its config as written
// (lenient: fields Tremor ignored are warnings), except the refused ones.
func TestTremorConfigsLoad(t *testing.T) {
	src := os.Getenv("TREMOR_SRC")
	if src == "" {
		t.Skip("TREMOR_SRC is not set: set it to a Tremor 0.11.12 checkout (e.g. /work/ref/tremor) to load its deployments")
	}
	var files []string
	for _, dir := range []string{"tremor-cli/tests", "bench", "demo"} {
		_ = filepath.WalkDir(filepath.Join(src, dir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				files = append(files, p)
			}
			return nil
		})
	}
	loaded := 0
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(src, f)
		var doc yaml.Node
		if err := yaml.Unmarshal(text, &doc); err != nil || len(doc.Content) == 0 {
			continue
		}
		root := conf.FromYAML(&conf.Source{File: rel, Text: text}, &doc)
		var items []*conf.Node
		kinds := map[*conf.Node]string{}
		for _, kind := range []string{"onramp", "offramp"} {
			if list, ok := root.Get(kind); ok && list.Kind == conf.List {
				for _, it := range list.Items {
					items = append(items, it)
					kinds[it] = kind
				}
			}
		}
		if root.Kind == conf.Map && len(items) == 0 { // an artefact file of one (the API tests)
			if _, ok := root.Get("type"); ok {
				items = append(items, root)
				kinds[root] = "onramp"
				if strings.Contains(rel, "offramp") {
					kinds[root] = "offramp"
				}
			}
		}
		for _, it := range items {
			typ, _ := it.Get("type")
			id, _ := it.Get("id")
			if typ == nil || id == nil || !slices.Contains(network, typ.ToValue().(string)) {
				continue
			}
			cfg, _ := it.Get("config")
			key := rel + "#" + id.ToValue().(string)
			p := sdk.Params{ID: id.ToValue().(string), Instance: "01", URL: "/" + kinds[it] + "/" + key + "/01"}
			o := sdk.BuildOptions{Owner: conf.Where{Span: it.Span}, Mode: conf.Lenient}
			var errs interface {
				HasErrors() bool
				Error() string
			}
			if kinds[it] == "onramp" {
				_, e := sdk.NewSource(typ.ToValue().(string), cfg, p, o)
				errs = e
			} else {
				_, e := sdk.NewSink(typ.ToValue().(string), cfg, p, o)
				errs = e
			}
			want, isRefused := refused[key]
			switch {
			case isRefused && (!errs.HasErrors() || !strings.Contains(errs.Error(), want)):
				t.Errorf("%s (%s %s): want it refused with %q, got %v", key, kinds[it], typ.ToValue(), want, errs)
			case !isRefused && errs.HasErrors():
				t.Errorf("%s (%s %s) does not load:\n%v", key, kinds[it], typ.ToValue(), errs.Error())
			default:
				loaded++
			}
		}
	}
	if loaded < 15 {
		t.Errorf("only %d network onramps and offramps found under %s: wrong TREMOR_SRC?", loaded, src)
	}
	t.Logf("%d network onramps and offramps of Tremor's deployments load", loaded)
}
