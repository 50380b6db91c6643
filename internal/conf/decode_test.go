package conf

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
)

type tls struct {
	Cert string `conf:"cert,required" doc:"PEM file."`
	Key  string `conf:"key"`
}

type sample struct {
	URL     string            `conf:"url,required" doc:"Where to connect." example:"ws://localhost:8080/"`
	Timeout uint64            `conf:"timeout_ms" default:"5000" min:"1" doc:"How long to wait."`
	Sync    string            `conf:"sync" default:"always" enum:"always,interval,none"`
	Binary  bool              `conf:"binary"`
	Ratio   float64           `conf:"ratio" default:"0.5" max:"1"`
	Offset  int8              `conf:"offset"`
	Port    *uint16           `conf:"port"`
	Hosts   []string          `conf:"hosts"`
	Headers map[string]string `conf:"headers"`
	TLS     *tls              `conf:"tls"`
	Extra   event.Value       `conf:"extra"`
	private int
}

var sampleSchema = MustSchemaOf(sample{})

func decodeYAML(t *testing.T, text string, mode Mode) (sample, At, diag.List) {
	t.Helper()
	var y yaml.Node
	if err := yaml.Unmarshal([]byte(text), &y); err != nil {
		t.Fatal(err)
	}
	src := &Source{File: "x.yaml", Text: []byte(text)}
	var n *Node
	if len(y.Content) > 0 {
		n = FromYAML(src, y.Content[0])
	}
	var c sample
	at, errs := sampleSchema.Decode(n, &c, Options{What: "offramp `ws` config", Mode: mode,
		Owner: Where{Src: src, Span: diag.At(1, 1)}})
	return c, at, errs
}

func messages(l diag.List) []string {
	var out []string
	for _, d := range l {
		out = append(out, d.Error())
	}
	return out
}

func TestDecodeYAML(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string
	}{
		{"ok", "url: ws://a/\n", nil},
		{"unknown with suggestion", "url: x\ntimeout: 3\n",
			[]string{"x.yaml:2:1: offramp `ws` config: unknown field `timeout`\n  hint: did you mean `timeout_ms`? (accepted: url, timeout_ms, sync, binary, ratio, offset, port, hosts, headers, tls, extra)"}},
		{"unknown without suggestion", "url: x\nretry: 3\n",
			[]string{"x.yaml:2:1: offramp `ws` config: unknown field `retry`\n  hint: accepted: url, timeout_ms, sync, binary, ratio, offset, port, hosts, headers, tls, extra"}},
		{"wrong type", "url: x\ntimeout_ms: every second\n",
			[]string{`x.yaml:2:13: offramp ` + "`ws`" + ` config: ` + "`timeout_ms`" + ` must be a non-negative integer, got the string "every second"`}},
		{"negative unsigned", "url: x\ntimeout_ms: -3\n",
			[]string{"x.yaml:2:13: offramp `ws` config: `timeout_ms` must be a non-negative integer, got the integer -3"}},
		{"below min", "url: x\ntimeout_ms: 0\n",
			[]string{"x.yaml:2:13: offramp `ws` config: `timeout_ms` must be at least 1, got 0\n  hint: How long to wait."}},
		{"above max", "url: x\nratio: 1.5\n",
			[]string{"x.yaml:2:8: offramp `ws` config: `ratio` must be at most 1, got 1.5"}},
		{"overflow", "url: x\noffset: 300\nport: 70000\n",
			[]string{"x.yaml:2:9: offramp `ws` config: `offset` is out of range: 300",
				"x.yaml:3:7: offramp `ws` config: `port` is too large: 70000 (at most 65535)"}},
		{"enum", "url: x\nsync: alway\n",
			[]string{`x.yaml:2:7: offramp ` + "`ws`" + ` config: ` + "`sync`" + ` must be one of "always", "interval", "none", got "alway"` + "\n  hint: did you mean \"always\"?"}},
		{"missing required", "timeout_ms: 3\n",
			[]string{"x.yaml:1:1: offramp `ws` config: `url` is required\n  hint: Where to connect. For example: `url: ws://localhost:8080/`"}},
		{"infinite", "url: x\nratio: 1e999\n",
			[]string{"x.yaml:2:8: offramp `ws` config: `ratio` must be a number, got the string \"1e999\""}},
		{"a YAML number read as a string", "url: 2\n", nil},
		{"not a mapping", "[1, 2]\n",
			[]string{"x.yaml:1:1: offramp `ws` config: the section must be a mapping (key: value lines), got a list"}},
		{"nested", "url: x\ntls:\n  cert: c\n  kye: k\n",
			[]string{"x.yaml:4:3: offramp `ws` config: unknown field `kye` in `tls`\n  hint: did you mean `key`? (accepted: cert, key)"}},
		{"nested required", "url: x\ntls: {key: k}\n",
			[]string{"x.yaml:2:6: offramp `ws` config: `tls.cert` is required\n  hint: PEM file."}},
		{"list and map types", "url: x\nhosts: a\nheaders: [1]\n",
			[]string{"x.yaml:2:8: offramp `ws` config: `hosts` must be a list, got the string \"a\"",
				"x.yaml:3:10: offramp `ws` config: `headers` must be a mapping, got a list"}},
		{"list element", "url: x\nhosts: [a, [b]]\n",
			[]string{"x.yaml:2:12: offramp `ws` config: `hosts[1]` must be a string, got a list"}},
		{"bool", "url: x\nbinary: yes please\n",
			[]string{"x.yaml:2:9: offramp `ws` config: `binary` must be true or false, got the string \"yes please\""}},
		{"every problem at once", "timeout_ms: x\nsnyc: none\n",
			[]string{"x.yaml:1:1: offramp `ws` config: `url` is required\n  hint: Where to connect. For example: `url: ws://localhost:8080/`",
				"x.yaml:1:13: offramp `ws` config: `timeout_ms` must be a non-negative integer, got the string \"x\"",
				"x.yaml:2:1: offramp `ws` config: unknown field `snyc`\n  hint: did you mean `sync`? (accepted: url, timeout_ms, sync, binary, ratio, offset, port, hosts, headers, tls, extra)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, errs := decodeYAML(t, c.in, Strict)
			if diff := cmp.Diff(c.want, messages(errs)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			for _, d := range errs {
				if len(d.Src) == 0 || d.File != "x.yaml" {
					t.Errorf("diagnostic without its source: %+v", d)
				}
			}
		})
	}
}

func TestDecodeValuesAndDefaults(t *testing.T) {
	c, at, errs := decodeYAML(t, `
url: "ws://h/"
sync: none
binary: true
offset: -3
port: 0
hosts: [a, b]
headers: {x: "1", y: 2}
tls: {cert: c.pem}
extra: {b: 1, a: [true, 1.5, 18446744073709551615]}
`, Strict)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	port := uint16(0)
	want := sample{URL: "ws://h/", Timeout: 5000, Sync: "none", Binary: true, Ratio: 0.5, Offset: -3, Port: &port,
		Hosts: []string{"a", "b"}, Headers: map[string]string{"x": "1", "y": "2"}, TLS: &tls{Cert: "c.pem"},
		Extra: event.RecordOf("b", int64(1), "a", []event.Value{true, 1.5, uint64(18446744073709551615)})}
	if !event.Equal(want.Extra, c.Extra) {
		t.Errorf("extra: %v", c.Extra)
	}
	want.Extra, c.Extra = nil, nil
	if diff := cmp.Diff(want, c, cmp.AllowUnexported(sample{})); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
	if !at.Has("tls.cert") || at.Has("tls.key") || !at.Has("port") || at.Has("timeout_ms") {
		t.Error("At.Has is wrong")
	}
	d := at.Errorf("url", "`url` %q has no host", "ws://h/")
	if got := d.Error(); got != "x.yaml:2:6: offramp `ws` config: `url` \"ws://h/\" has no host" {
		t.Errorf("At.Errorf: %s", got)
	}
	if d.Span.End.Col != 15 {
		t.Errorf("the span should cover the quoted value: %+v", d.Span)
	}
	if got := at.Errorf("nothing", "x").Error(); !strings.HasPrefix(got, "x.yaml:2:1: ") {
		t.Errorf("At.Errorf of an absent field points at the section: %s", got)
	}
}

func TestDecodeAbsentSection(t *testing.T) {
	c, at, errs := decodeYAML(t, "", Strict)
	want := []string{"x.yaml:1:1: offramp `ws` config: `url` is required\n  hint: Where to connect. For example: `url: ws://localhost:8080/`"}
	if diff := cmp.Diff(want, messages(errs)); diff != "" {
		t.Error(diff)
	}
	if c.Timeout != 5000 || c.Sync != "always" {
		t.Errorf("defaults not applied: %+v", c)
	}
	if got := at.Errorf("url", "x").Error(); got != "x.yaml:1:1: offramp `ws` config: x" {
		t.Errorf("At on an absent section points at the owner: %s", got)
	}
}

func TestDecodeLenient(t *testing.T) {
	_, _, errs := decodeYAML(t, "url: x\nretry: 3\n", Lenient)
	if errs.HasErrors() || len(errs) != 1 || errs[0].Severity != diag.Warning {
		t.Fatalf("want one warning, got %v", errs)
	}
	if got := errs[0].Error(); got != "warning: x.yaml:2:1: offramp `ws` config: unknown field `retry` is ignored\n  hint: accepted: url, timeout_ms, sync, binary, ratio, offset, port, hosts, headers, tls, extra" {
		t.Errorf("got %s", got)
	}
	_, _, errs = decodeYAML(t, "url: x\nretry: 3\ntimeout_ms: no\n", Lenient)
	if !errs.HasErrors() {
		t.Error("a wrong type is an error in lenient mode too")
	}
}

// TestDecodeTrickle: the same decoder reads a trickle `with` record:
// evaluated values plus the position of each parameter.
func TestDecodeTrickle(t *testing.T) {
	text := "define qos::wal operator w\nwith\n  timeout_ms = \"soon\",\n  snyc = \"none\"\nend;\n"
	src := &Source{File: "main.trickle", Text: []byte(text), Flavor: Trickle}
	param := func(name string, line, col int, v event.Value) Entry {
		key := diag.Span{Start: diag.Pos{Line: line, Col: col}, End: diag.Pos{Line: line, Col: col + len(name)}}
		val := diag.At(line, col+len(name)+3)
		return Entry{Key: name, KeySpan: key, Value: FromValue(src, val, v)}
	}
	n := NewMap(src, diag.At(1, 1), param("timeout_ms", 3, 3, "soon"), param("snyc", 4, 3, "none"))
	var c sample
	_, errs := sampleSchema.Decode(n, &c, Options{What: "qos::wal operator w", Noun: "parameter"})
	want := []string{
		"main.trickle:1:1: qos::wal operator w: `url` is required\n  hint: Where to connect. For example: `url = \"ws://localhost:8080/\"`",
		"main.trickle:3:16: qos::wal operator w: `timeout_ms` must be a non-negative integer, got the string \"soon\"",
		"main.trickle:4:3: qos::wal operator w: unknown parameter `snyc`\n  hint: did you mean `sync`? (accepted: url, timeout_ms, sync, binary, ratio, offset, port, hosts, headers, tls, extra)",
	}
	if diff := cmp.Diff(want, messages(errs)); diff != "" {
		t.Error(diff)
	}
	if got := errs[2].Render(); !strings.Contains(got, "    4 |   snyc = \"none\"\n      |   ^^^^ ") {
		t.Errorf("rendered with the line and a caret under the name:\n%s", got)
	}
	rec := event.RecordOf("cert", "c", "key", "k")
	n = NewMap(src, diag.At(1, 1), param("url", 3, 3, "x"), param("tls", 4, 3, rec), param("hosts", 4, 3, []event.Value{"a", int64(1)}))
	_, errs = sampleSchema.Decode(n, &c, Options{What: "w", Noun: "parameter"})
	if diff := cmp.Diff([]string{"main.trickle:4:11: w: `hosts[1]` must be a string, got the integer 1"}, messages(errs)); diff != "" {
		t.Error(diff)
	}
	if c.TLS == nil || c.TLS.Key != "k" {
		t.Errorf("nested record not decoded: %+v", c.TLS)
	}
}

func TestSchemaErrors(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{struct {
			A int `conf:"a" default:"x"`
		}{}, "default \"x\""},
		{struct {
			A int `conf:"a,required" default:"1"`
		}{}, "a required field has no default"},
		{struct {
			A int `conf:"a" enum:"1,2"`
		}{}, "enum on a non-string"},
		{struct {
			A string `conf:"a" default:"c" enum:"a,b"`
		}{}, "not in the enum"},
		{struct {
			A int `conf:"a" default:"0" min:"1"`
		}{}, "out of range"},
		{struct{ A int }{}, "has no `conf` tag"},
		{struct {
			A int `conf:"a"`
			B int `conf:"a"`
		}{}, "used twice"},
		{struct {
			A chan int `conf:"a"`
		}{}, "unsupported type"},
		{struct {
			A map[int]string `conf:"a"`
		}{}, "map keys must be strings"},
		{struct {
			A string `conf:"a,requird"`
		}{}, "unknown tag option"},
		{5, "must be a struct"},
	} {
		_, err := SchemaOf(c.v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SchemaOf(%T): %v, want %q", c.v, err, c.want)
		}
	}
}

func TestFieldDocs(t *testing.T) {
	var got []string
	for _, f := range sampleSchema.Fields {
		got = append(got, f.Name+": "+f.Type())
	}
	want := []string{"url: string", "timeout_ms: non-negative integer", "sync: string", "binary: boolean", "ratio: number",
		"offset: integer", "port: non-negative integer", "hosts: list of strings", "headers: mapping of names to strings",
		"tls: mapping", "extra: any value"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	f, _ := sampleSchema.Field("url")
	if Example(f, YAML) != "`url: ws://localhost:8080/`" || Example(f, Trickle) != "`url = \"ws://localhost:8080/\"`" {
		t.Error("examples")
	}
}

type Endpoint struct {
	Host string `conf:"host,required" doc:"The host."`
	Port uint16 `conf:"port" default:"80"`
}

type withInline struct {
	Endpoint `conf:",inline"`
	Table    string    `conf:"table"`
	Items    []sample2 `conf:"items"`
}

type sample2 struct {
	Name string `conf:"name"`
}

// TestDecodeInlineAndListPaths: an embedded struct tagged inline adds its
// fields to the config's own; At paths reach list items by index.
func TestDecodeInlineAndListPaths(t *testing.T) {
	schema := MustSchemaOf(withInline{})
	if names := []string{schema.Fields[0].Name, schema.Fields[1].Name, schema.Fields[2].Name}; strings.Join(names, ",") != "host,port,table" {
		t.Fatalf("fields %v", names)
	}
	text := "host: h\ntable: t\nitems:\n  - name: a\n  - name: b\n"
	var y yaml.Node
	if err := yaml.Unmarshal([]byte(text), &y); err != nil {
		t.Fatal(err)
	}
	src := &Source{File: "x.yaml", Text: []byte(text)}
	var c withInline
	at, errs := schema.Decode(FromYAML(src, y.Content[0]), &c, Options{Mode: Strict})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if c.Host != "h" || c.Port != 80 || c.Table != "t" || len(c.Items) != 2 {
		t.Errorf("decoded %+v", c)
	}
	if got := at.Errorf("items.1.name", "bad").Error(); !strings.HasPrefix(got, "x.yaml:5:11: ") {
		t.Errorf("At into a list item: %s", got)
	}
	_, errs = schema.Decode(FromYAML(src, y.Content[0]).Entries[1].Value, &c, Options{Mode: Strict})
	if !errs.HasErrors() {
		t.Error("a string for the config is refused")
	}
}

// A key may hold dots (rdkafka options are named so): At finds it.
func TestAtFindsKeysWithDots(t *testing.T) {
	_, at, errs := decodeYAML(t, `
url: "ws://h/"
headers:
  session.timeout.ms: "6000"
  x: "1"
`, Strict)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := at.Errorf("headers.session.timeout.ms", "bad").Error(); !strings.HasPrefix(got, "x.yaml:4:23: ") {
		t.Errorf("a dotted key inside a map: %s", got)
	}
	if got := at.Errorf("headers.x", "bad").Error(); !strings.HasPrefix(got, "x.yaml:5:6: ") {
		t.Errorf("a plain key inside a map: %s", got)
	}
	if at.Has("headers.session.timeout") || at.Has("headers.session") || !at.Has("headers.session.timeout.ms") {
		t.Error("At.Has of a dotted key is wrong")
	}
}
