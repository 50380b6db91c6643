package parser

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/ast"
)

var update = flag.Bool("update", false, "rewrite testdata/lang/*/expected.txt from the current output")

// TestGolden parses testdata/lang/<case>/input.trickle and compares the
// caret-rendered error (or a statement summary when it parses) with
// expected.txt. Regenerate with: go test ./internal/lang/parser -run Golden -update
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("../../../testdata/lang/*/input.trickle")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, in := range dirs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := golden(filepath.Base(dir)+".trickle", src)
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

func golden(file string, src []byte) string {
	q, err := ParseQuery(file, src)
	if err != nil {
		var le *lang.Error
		if !errors.As(err, &le) {
			return fmt.Sprintf("non-positioned error %T: %v\n", err, err)
		}
		return le.Pretty(src)
	}
	var b strings.Builder
	for _, s := range q.Stmts {
		p := s.Position()
		switch s := s.(type) {
		case *ast.UseStmt:
			fmt.Fprintf(&b, "%d:%d use %s as %q\n", p.Line, p.Col, strings.Join(s.Path, "::"), s.Alias)
		case *ast.OperatorDefn:
			fmt.Fprintf(&b, "%d:%d define %s operator %s", p.Line, p.Col, s.KindString(), s.ID)
			for _, pr := range s.Params {
				fmt.Fprintf(&b, " %s@%d:%d", pr.Name, pr.P.Line, pr.P.Col)
			}
			b.WriteString("\n")
		case *ast.OperatorCreate:
			fmt.Fprintf(&b, "%d:%d create operator %s from %q\n", p.Line, p.Col, s.ID, s.Target)
		case *ast.ScriptDefn:
			fmt.Fprintf(&b, "%d:%d define script %s (%d exprs)\n", p.Line, p.Col, s.ID, len(s.Body))
		case *ast.ScriptCreate:
			fmt.Fprintf(&b, "%d:%d create script %s from %q\n", p.Line, p.Col, s.ID, s.Target)
		case *ast.StreamCreate:
			fmt.Fprintf(&b, "%d:%d create stream %s\n", p.Line, p.Col, s.ID)
		case *ast.Select:
			fmt.Fprintf(&b, "%d:%d select %T from %s/%s into %s/%s where=%v having=%v\n", p.Line, p.Col, s.Target,
				s.From.Stream, s.From.Port, s.Into.Stream, s.Into.Port, s.Where != nil, s.Having != nil)
		default:
			fmt.Fprintf(&b, "%d:%d %T\n", p.Line, p.Col, s)
		}
	}
	return b.String()
}
