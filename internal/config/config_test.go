package config

import (
	"fmt"
	_ "github.com/temblor-dev/temblor/internal/builtin"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePortURL(t *testing.T) {
	cases := []struct {
		in      string
		want    PortURL
		wantErr string
	}{
		{"/onramp/metronome/{instance}/out", PortURL{Kind: "onramp", ID: "metronome", Instance: "{instance}", Port: "out", Raw: "/onramp/metronome/{instance}/out"}, ""},
		{"/pipeline/main/01/in", PortURL{Kind: "pipeline", ID: "main", Instance: "01", Port: "in", Raw: "/pipeline/main/01/in"}, ""},
		{"onramp/x/01/out", PortURL{}, "must start with `/`"},
		{"/onramp/x/out", PortURL{}, "four parts"},
		{"/sink/x/01/in", PortURL{}, "names kind \"sink\""},
		{"/onramp//01/out", PortURL{}, "empty part"},
	}
	for _, c := range cases {
		got, err := ParsePortURL(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: error %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s: %s", c.in, diff)
		}
	}
}

func TestSubstitute(t *testing.T) {
	u, _ := ParsePortURL("/pipeline/{app}-main/{instance}/out")
	got, err := u.Substitute(map[string]string{"app": "logs", "instance": "01"})
	if err != nil || got.Raw != "/pipeline/logs-main/01/out" || got.ID != "logs-main" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := u.Substitute(map[string]string{"instance": "01"}); err == nil || !strings.Contains(err.Error(), "{app}") {
		t.Fatalf("missing param: %v", err)
	}
}

func TestCollect(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.yaml", "b.trickle", "c.txt"} {
		_ = os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o644)
	}
	got, err := Collect([]string{dir, filepath.Join(dir, "a.yaml")})
	if err != nil || len(got) != 2 {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := Collect([]string{filepath.Join(dir, "c.txt")}); err == nil || !strings.Contains(err.Error(), "accepted extensions") {
		t.Fatalf("txt: %v", err)
	}
	if _, err := Collect([]string{filepath.Join(dir, "*.nothing")}); err == nil {
		t.Fatal("empty glob accepted")
	}
	got, err = Collect([]string{filepath.Join(dir, "*")})
	if err != nil || len(got) != 2 {
		t.Fatalf("glob: %v %v", got, err)
	}
}

func TestLoadTutorial(t *testing.T) {
	files, err := Collect([]string{"../../examples/tutorial/etc/tremor/config"})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := Load(files)
	if err != nil {
		t.Fatal(err)
	}
	if len(dep.Onramps) != 1 || dep.Onramps[0].Type != "metronome" || len(dep.Pipelines) != 1 || dep.Pipelines[0].ID != "main" ||
		len(dep.Bindings) != 1 || len(dep.Bindings[0].Links) != 2 || len(dep.Mappings) != 1 || dep.Mappings[0].Instance != "01" {
		t.Fatalf("%+v", dep)
	}
	if n, ok := dep.Onramps[0].Config.Get("interval"); !ok || n.Value != int64(1000) {
		t.Fatalf("config interval: %+v", n)
	}
}

// FuzzLoad feeds arbitrary YAML to Load: it must never panic.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"onramp:\n  - id: m\n    type: metronome\n    config:\n      interval: 1\n",
		"binding:\n  - id: b\n    links:\n      \"/onramp/m/{instance}/out\": [\"/pipeline/p/{instance}/in\"]\nmapping:\n  /binding/b/01:\n    instance: \"01\"\n",
		"offramp: [{id: x, type: ws, config: {url: ws://h/}}]\n",
		"&a [*a]", "- -", "onramp: {}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		dep, err := Load([]string{p})
		if err == nil && dep == nil {
			t.Fatal("nil deployment without error")
		}
	})
}

// TestYAMLErrorLineInALargeFile: yaml.v3 blames line 1 (where the list
// starts) for a mis-indented key on the last of 4,802 lines; the error must
// name the last line. (The search bisects; a line-by-line one took 26 s.)
func TestYAMLErrorLineInALargeFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("onramp:\n")
	for i := 0; i < 2400; i++ {
		fmt.Fprintf(&b, "  - id: m%d\n    type: metronome\n", i)
	}
	b.WriteString("   type: metronome\n")
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load([]string{path})
	if err == nil || !strings.Contains(err.Error(), "big.yaml:4802:4: invalid YAML") {
		t.Fatalf("got %v, want the error at 4802:4", err)
	}
}
