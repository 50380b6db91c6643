// Package conformance runs Tremor 0.11.12's own tremor-script test suites
// (tests/scripts, script_errors, script_runtime_errors, script_warnings)
// against temblor's implementation, case by case as Tremor's harness did,
// and reports what passes. The suites are read from a Tremor source tree
// (TREMOR_SRC); nothing of them is part of temblor.
//
// It must never change what it checks to make a case pass.
package conformance

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/ulikunitz/xz"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/compiler"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// Suite names, as directories under tests/ and harness files.
const (
	Scripts       = "scripts"
	Errors        = "script_errors"
	RuntimeErrors = "script_runtime_errors"
	Warnings      = "script_warnings"
)

// harness maps each suite to the Rust file listing its cases.
var harness = map[string]string{
	Scripts:       "script.rs",
	Errors:        "script_error.rs",
	RuntimeErrors: "script_runtime_error.rs",
	Warnings:      "script_warning.rs",
}

// ScriptSuites are the tremor-script suites.
var ScriptSuites = []string{Scripts, Errors, RuntimeErrors, Warnings}

// Suites in report order: tremor-script's, then trickle's.
var Suites = []string{Scripts, Errors, RuntimeErrors, Warnings, Queries, QueryErrors, QueryWarnings}

// Result is the outcome of one case.
type Result struct {
	Suite, Case string
	Pass        bool
	// Detail says what differed.
	Detail string
}

// Cases lists the cases Tremor's harness file runs for a suite (the
// `test_cases!` list, not the ignored ones).
func Cases(root, suite string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(root, "tests", harness[suite]))
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`(?s)\ntest_cases!\((.*?)\);`).FindSubmatch(b)
	if m == nil {
		return nil, fmt.Errorf("%s: no test_cases! list", harness[suite])
	}
	var out []string
	for _, line := range strings.Split(string(m[1]), "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		for _, n := range strings.Split(line, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// Run runs one case of a suite in the Tremor tree at root.
func Run(root, suite, name string) Result {
	r := Result{Suite: suite, Case: name}
	rel := "tests/" + suite + "/" + name + "/"
	dir := filepath.Join(root, filepath.FromSlash(rel))
	script, err := os.ReadFile(filepath.Join(dir, "script.tremor"))
	if err != nil {
		r.Detail = err.Error()
		return r
	}
	opts := lang.Options{
		ModulePath: []compiler.Mount{{Name: rel, Dir: dir}},
		LibName:    "tremor-script/lib",
	}
	s, cerr := lang.Compile(rel+"script.tremor", string(script), opts)
	switch suite {
	case Errors:
		if cerr == nil {
			r.Detail = "expected a compile error, compiled fine"
			return r
		}
		return compare(r, dir, "error.txt", render(cerr))
	case Warnings:
		if cerr != nil {
			r.Detail = "compile error:\n" + render(cerr)
			return r
		}
		var parts []string
		for _, w := range s.Warnings() {
			parts = append(parts, w.RenderTremor())
		}
		return compare(r, dir, "warning.txt", strings.Join(parts, "\n"))
	}
	if cerr != nil {
		r.Detail = "compile error:\n" + render(cerr)
		return r
	}
	in, err := loadEvents(filepath.Join(dir, "in"))
	if err != nil {
		r.Detail = err.Error()
		return r
	}
	if suite == RuntimeErrors {
		if len(in) == 0 {
			r.Detail = "no input event"
			return r
		}
		data := in[len(in)-1]
		meta := event.Value(event.NewRecord(0))
		var state event.Value
		_, rerr := s.Run(lang.Env{Data: &data, Meta: &meta, State: &state, Ctx: &stdlib.Ctx{}})
		if rerr == nil {
			r.Detail = "expected a runtime error, ran fine"
			return r
		}
		return compare(r, dir, "error.txt", render(rerr))
	}
	want, err := loadEvents(filepath.Join(dir, "out"))
	if err != nil {
		r.Detail = err.Error()
		return r
	}
	origin, _ := url.Parse("snot://test:23/snot")
	var state event.Value
	var got []event.Value
	for i, data := range in {
		meta := event.Value(event.NewRecord(0))
		res, rerr := s.Run(lang.Env{Data: &data, Meta: &meta, State: &state,
			Ctx: &stdlib.Ctx{IngestNS: uint64(i), Origin: origin}})
		if rerr != nil {
			r.Detail = fmt.Sprintf("event %d: runtime error:\n%s", i, render(rerr))
			return r
		}
		switch {
		case res.Drop:
		case res.Event:
			got = append(got, data)
		default:
			got = append(got, res.Value)
		}
	}
	if len(got) != len(want) {
		r.Detail = fmt.Sprintf("%d results, expected %d", len(got), len(want))
		return r
	}
	for i := range got {
		g, w := Sorted(got[i]), Sorted(want[i])
		if g != w {
			r.Detail = fmt.Sprintf("event %d:\n got  %s\n want %s", i, g, w)
			return r
		}
	}
	r.Pass = true
	return r
}

func render(err error) string {
	if l := diag.As(err); len(l) > 0 {
		var parts []string
		for _, d := range l {
			parts = append(parts, d.RenderTremor())
		}
		return strings.Join(parts, "\n")
	}
	return "Error: " + err.Error()
}

func compare(r Result, dir, file, got string) Result {
	want, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		r.Detail = err.Error()
		return r
	}
	g, w := strings.TrimSpace(got), strings.TrimSpace(string(want))
	if g == w {
		r.Pass = true
		return r
	}
	r.Detail = "--- got\n" + g + "\n--- want\n" + w
	return r
}

// loadEvents reads JSON lines from base or base.xz.
func loadEvents(base string) ([]event.Value, error) {
	var rd io.Reader
	if f, err := os.Open(base + ".xz"); err == nil {
		defer f.Close()
		x, err := xz.NewReader(f)
		if err != nil {
			return nil, err
		}
		rd = x
	} else if f, err := os.Open(base); err == nil {
		defer f.Close()
		rd = f
	} else {
		return nil, fmt.Errorf("File not found or not readable: %s", base)
	}
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var out []event.Value
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		v, err := event.ParseJSON(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", base, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// Sorted is v as JSON with record keys sorted (how Tremor's harness
// compared values).
func Sorted(v event.Value) string { return string(appendSorted(nil, v)) }

func appendSorted(b []byte, v event.Value) []byte {
	switch x := v.(type) {
	case *event.Record:
		keys := append([]string(nil), x.Keys()...)
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = event.AppendJSON(b, k)
			b = append(b, ':')
			val, _ := x.Get(k)
			b = appendSorted(b, val)
		}
		return append(b, '}')
	case []event.Value:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSorted(b, e)
		}
		return append(b, ']')
	}
	return event.AppendJSON(b, v)
}

// Report is the outcome of every case of the given suites.
type Report struct {
	Results []Result
}

// RunAll runs every listed case of the suites.
func RunAll(root string, suites ...string) (*Report, error) {
	rep := &Report{}
	for _, s := range suites {
		cases, err := Cases(root, s)
		if err != nil {
			return nil, err
		}
		run := Run
		if isQuerySuite(s) {
			run = RunQuery
		}
		for _, c := range cases {
			rep.Results = append(rep.Results, run(root, s, c))
		}
	}
	return rep, nil
}

// Counts is passed and total per suite.
func (r *Report) Counts(suite string) (pass, total int) {
	for _, x := range r.Results {
		if x.Suite == suite {
			total++
			if x.Pass {
				pass++
			}
		}
	}
	return
}
