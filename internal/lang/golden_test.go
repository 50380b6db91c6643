package lang

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/compiler"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

var update = flag.Bool("update", false, "rewrite testdata/lang/*/expected.txt from the current output")

// TestGolden runs every testdata/lang/<case>/ folder: script.tremor is
// compiled (its warnings or error shown) and run on each JSON line of `in`
// (state kept between events), input.trickle is parsed and its statements
// listed. The output is compared with expected.txt; regenerate with
// go test ./internal/lang -run Golden -update
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/lang/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := goldenCase(t, dir)
			exp := filepath.Join(dir, "expected.txt")
			if *update {
				if err := os.WriteFile(exp, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(exp)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", exp, got, want)
			}
		})
	}
}

func renderErr(err error) string {
	if l := diag.As(err); len(l) > 0 {
		var b strings.Builder
		for _, d := range l {
			b.WriteString(strings.TrimRight(d.Render(), "\n") + "\n")
		}
		return b.String()
	}
	return "error: " + err.Error() + "\n"
}

func goldenCase(t *testing.T, dir string) string {
	name := filepath.Base(dir)
	if src, err := os.ReadFile(filepath.Join(dir, "input.trickle")); err == nil {
		return goldenQuery(name+".trickle", src)
	}
	src, err := os.ReadFile(filepath.Join(dir, "script.tremor"))
	if err != nil {
		t.Fatalf("%s has neither script.tremor nor input.trickle", dir)
	}
	var b strings.Builder
	opts := Options{ModulePath: []compiler.Mount{compiler.DirMount(dir)}}
	s, err := Compile(name+".tremor", string(src), opts)
	if err != nil {
		b.WriteString("compile error:\n" + renderErr(err))
		return b.String()
	}
	for _, w := range s.Warnings() {
		b.WriteString(strings.TrimRight(w.Render(), "\n") + "\n")
	}
	in, err := os.ReadFile(filepath.Join(dir, "in"))
	if err != nil {
		in = []byte("null\n")
	}
	origin, _ := url.Parse("tremor-file://localhost/in")
	var state event.Value
	sc := bufio.NewScanner(bytes.NewReader(in))
	for i := 0; sc.Scan(); i++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		data, err := event.ParseJSON([]byte(line))
		if err != nil {
			t.Fatalf("in line %d: %v", i+1, err)
		}
		meta := event.Value(event.NewRecord(0))
		r, err := s.Run(Env{Data: &data, Meta: &meta, State: &state, Ctx: &stdlib.Ctx{IngestNS: uint64(i), Origin: origin}})
		switch {
		case err != nil:
			b.WriteString("runtime error:\n" + renderErr(err))
		case r.Drop:
			b.WriteString("drop\n")
		default:
			v := r.Value
			if r.Event {
				v = data
			}
			if r.Port != "" {
				fmt.Fprintf(&b, "%s: ", r.Port)
			}
			b.Write(event.AppendJSON(nil, v))
			b.WriteString("\n")
		}
	}
	return b.String()
}

func goldenQuery(file string, src []byte) string {
	q, err := ParseQuery(file, src, Options{})
	if err != nil {
		return renderErr(err)
	}
	var b strings.Builder
	for _, st := range q.AST.Stmts {
		p := st.Extent().Start
		fmt.Fprintf(&b, "%d:%d ", p.Line, p.Col)
		switch s := st.(type) {
		case *ast.Use:
			var parts []string
			for _, x := range s.Path {
				parts = append(parts, x.Name)
			}
			fmt.Fprintf(&b, "use %s as %s\n", strings.Join(parts, "::"), s.AliasName())
		case *ast.DefineOperator:
			fmt.Fprintf(&b, "define %s operator %s", s.KindString(), s.ID.Name)
			for _, pr := range s.Params {
				fmt.Fprintf(&b, " %s@%d:%d", pr.Name.Name, pr.Name.Span.Start.Line, pr.Name.Span.Start.Col)
			}
			b.WriteString("\n")
		case *ast.CreateOperator:
			fmt.Fprintf(&b, "create operator %s from %s\n", s.ID.Name, s.Target.Name)
		case *ast.DefineScript:
			fmt.Fprintf(&b, "define script %s (%d statements)\n", s.ID.Name, len(s.Script.Stmts))
		case *ast.CreateScript:
			fmt.Fprintf(&b, "create script %s from %s\n", s.ID.Name, s.Target.Name)
		case *ast.CreateStream:
			fmt.Fprintf(&b, "create stream %s\n", s.ID.Name)
		case *ast.DefineWindow:
			fmt.Fprintf(&b, "define window %s (%d params)\n", s.ID.Name, len(s.Params))
		case *ast.Select:
			fmt.Fprintf(&b, "select %T from %s/%s", s.Target, s.From.Stream.Name, s.From.PortName())
			for _, w := range s.Windows {
				fmt.Fprintf(&b, " [%s]", w.Name())
			}
			fmt.Fprintf(&b, " into %s/%s where=%v group=%v having=%v\n", s.Into.Stream.Name, s.Into.PortName(),
				s.Where != nil, s.GroupBy != nil, s.Having != nil)
		default:
			fmt.Fprintf(&b, "%T\n", s)
		}
	}
	return b.String()
}
