package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunScript(t *testing.T) {
	dir := t.TempDir()
	script := write(t, dir, "s.tremor", "use tremor::system;\n"+
		"let state = match state of case null => 1 default => state + 1 end;\n"+
		"match event of\n"+
		"  case %{ `drop` == true } => drop\n"+
		"  case %{ present port } => emit {\"n\": state} => \"#{event.port}\"\n"+
		"  default => {\"n\": state, \"at\": system::ingest_ns(), \"in\": event}\n"+
		"end\n")
	in := write(t, dir, "in.json", `{"a": 1}
{"drop": true}
{"port": "audit"}
{"b": [1, 2]}
`)
	code, out, errs := runCLI(t, "run", script, "-i", in, "--deterministic", "--ports")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := "out\t{\"n\":1,\"at\":0,\"in\":{\"a\":1}}\naudit\t{\"n\":3}\nout\t{\"n\":4,\"at\":3,\"in\":{\"b\":[1,2]}}\n"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	// -o writes to a file.
	outFile := filepath.Join(dir, "out.json")
	if code, _, errs := runCLI(t, "run", script, "-i", in, "-o", outFile, "--deterministic"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, _ := os.ReadFile(outFile)
	if !strings.HasPrefix(string(b), `{"n":1,"at":0`) || strings.Count(string(b), "\n") != 3 {
		t.Fatalf("out file:\n%s", b)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	in := write(t, dir, "in.json", "{\"a\": 1}\n{\"a\": \"x\"}\n{\"a\": 2}\n")
	bad := write(t, dir, "bad.tremor", "let x = event.a +;\n")
	code, _, errs := runCLI(t, "run", bad, "-i", in)
	if code != 2 || !strings.Contains(errs, "bad.tremor:1:18") || !strings.Contains(errs, "    1 | let x = event.a +;") {
		t.Fatalf("compile error: exit %d\n%s", code, errs)
	}
	rt := write(t, dir, "rt.tremor", "event.a + 1\n")
	code, out, errs := runCLI(t, "run", rt, "-i", in)
	if code != 1 || out != "2\n3\n" {
		t.Fatalf("runtime error: exit %d, out %q", code, out)
	}
	if !strings.Contains(errs, "The binary operation `+` is not defined for the type `string` and `integer`") ||
		!strings.Contains(errs, "1 of 3 events failed") {
		t.Fatalf("stderr:\n%s", errs)
	}
	if code, _, errs := runCLI(t, "run", filepath.Join(dir, "missing.tremor")); code != 2 || !strings.Contains(errs, "missing.tremor") {
		t.Fatalf("missing file: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "run", rt, "-i", in, "-d", "nope"); code != 2 || !strings.Contains(errs, "nope") {
		t.Fatalf("unknown codec: exit %d %s", code, errs)
	}
}

func TestRunModulePath(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "mods/greet/hello.tremor", "fn hi(name) with \"hi \" + name end;\n")
	script := write(t, dir, "s.tremor", "use greet::hello;\nhello::hi(event)\n")
	in := write(t, dir, "in.json", "\"you\"\n")
	code, out, errs := runCLI(t, "run", script, "-i", in, "--module-path", filepath.Join(dir, "mods"))
	if code != 0 || out != "\"hi you\"\n" {
		t.Fatalf("exit %d out %q err %s", code, out, errs)
	}
	t.Setenv("TREMOR_PATH", filepath.Join(dir, "mods"))
	code, out, errs = runCLI(t, "run", script, "-i", in)
	if code != 0 || out != "\"hi you\"\n" {
		t.Fatalf("TREMOR_PATH: exit %d out %q err %s", code, out, errs)
	}
	t.Setenv("TREMOR_PATH", "")
	code, _, errs = runCLI(t, "run", script, "-i", in)
	if code != 2 || !strings.Contains(errs, "Module `greet/hello` not found") {
		t.Fatalf("without a module path: exit %d %s", code, errs)
	}
}

// server run --validate compiles pipelines with the module path, so a
// module is found (and a missing one is a load-time error).
func TestServerRunModulePath(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "mods/tag.tremor", "fn label(e) with {\"tagged\": e} end;\n")
	cfg := t.TempDir()
	b, err := os.ReadFile("../../testdata/config/trickle_syntax/binding.yaml")
	if err != nil {
		t.Fatal(err)
	}
	write(t, cfg, "binding.yaml", string(b))
	for _, f := range []string{"metronome.yaml", "ws.yaml"} {
		b, err := os.ReadFile("../../testdata/config/trickle_syntax/" + f)
		if err != nil {
			t.Fatal(err)
		}
		write(t, cfg, f, string(b))
	}
	write(t, cfg, "main.trickle", "use tag;\nselect tag::label(event) from in into out;\n")
	code, out, errs := runCLI(t, "server", "run", "--validate", "--data-dir", t.TempDir(), "--module-path", filepath.Join(dir, "mods"), "-f", cfg)
	if code != 0 || !strings.HasPrefix(out, "ok:") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	code, _, errs = runCLI(t, "server", "run", "--validate", "--data-dir", t.TempDir(), "-f", cfg)
	if code != 2 || !strings.Contains(errs, "Module `tag` not found") {
		t.Fatalf("without --module-path: exit %d\n%s", code, errs)
	}
}

// TestRunQuery: `temblor run FILE.trickle` feeds the events into `in` and
// writes what every port emits, in order; --deterministic makes time
// windows reproducible (ingest time = index, no ticks); an event that
// fails reaches the err port and makes the exit status 1; a query that
// does not build exits 2 with the place marked.
func TestRunQuery(t *testing.T) {
	dir := t.TempDir()
	q := write(t, dir, "q.trickle", "define tumbling window two_ns with interval = 2 end;\n"+
		"select {\"g\": group[0], \"n\": aggr::stats::count()} from in[two_ns] group by set(event.g) into out;\n"+
		"select event.a + 1 from in where present event.a into out/plus;\n")
	in := write(t, dir, "in.json", "{\"g\":\"x\",\"a\":1}\n{\"g\":\"x\"}\n{\"g\":\"x\",\"a\":\"s\"}\n{\"g\":\"y\"}\n")
	code, out, errs := runCLI(t, "run", q, "-i", in, "--deterministic", "--ports")
	if code != 1 || !strings.Contains(errs, "1 of 4 events failed") {
		t.Fatalf("exit %d (want 1: one event failed):\n%s", code, errs)
	}
	want := "plus\t2\nout\t{\"g\":\"x\",\"n\":2}\nerr\t"
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "q.trickle:3:8") {
		t.Fatalf("got\n%s\nwant it to start with\n%s", out, want)
	}
	bad := write(t, dir, "bad.trickle", "select aggr::stats::count() from in into out;\n")
	if code, _, errs := runCLI(t, "run", bad, "-i", in); code != 2 || !strings.Contains(errs, "bad.trickle:1:8") {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
}
