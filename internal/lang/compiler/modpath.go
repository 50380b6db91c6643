package compiler

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/parser"
	"github.com/temblor-dev/temblor/internal/lang/source"
)

// Mount is one entry of the module path: a directory (or the built-in
// standard library) that `use a::b` looks into for a/b.tremor.
type Mount struct {
	// Name is how the entry is shown in messages (the directory as given).
	Name string
	// Dir is the directory on disk (when Read is nil).
	Dir string
	// Read, when set, serves the files instead of Dir.
	Read func(rel string) (string, bool)
}

// ModulePath lists the mounts `use` searches, in order.
type ModulePath struct {
	Mounts []Mount
}

// DirMount is a mount of directory dir, shown as given.
func DirMount(dir string) Mount { return Mount{Name: dir, Dir: dir} }

// FSMount serves files from an fs.FS (e.g. an embedded library).
func FSMount(name string, fsys fs.FS) Mount {
	return Mount{Name: name, Read: func(rel string) (string, bool) {
		b, err := fs.ReadFile(fsys, rel)
		return string(b), err == nil
	}}
}

// SplitPath splits a TREMOR_PATH-style list (colon separated) into mounts.
func SplitPath(list string) []Mount {
	var out []Mount
	for _, d := range filepath.SplitList(list) {
		if d != "" {
			out = append(out, DirMount(d))
		}
	}
	return out
}

func (m Mount) read(rel string) (string, bool) {
	if m.Read != nil {
		return m.Read(rel)
	}
	p := filepath.Join(m.Dir, filepath.FromSlash(rel))
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() {
		return "", false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// resolve finds rel (without extension) as .tremor, then .trickle.
func (mp *ModulePath) resolve(rel string) (name, text string, ok bool) {
	for _, ext := range []string{".tremor", ".trickle"} {
		for _, m := range mp.Mounts {
			if t, ok := m.read(rel + ext); ok {
				return path.Join(m.Name, rel+ext), t, true
			}
		}
	}
	return "", "", false
}

type parsedModule struct {
	src   *source.Source
	doc   []string
	stmts []ast.Node
}

// loader finds, parses (once) and tracks module files being included.
type loader struct {
	path   *ModulePath
	parsed map[string]*parsedModule
	stack  []string
}

// use loads the module `use` names and defines it in u's module (or the
// module given) under its alias.
func (u *unit) use(s *ast.Use, into *Module) {
	l := u.c.loader
	parts := make([]string, len(s.Path))
	for i, p := range s.Path {
		parts[i] = p.Name
	}
	rel := strings.Join(parts, "/")
	name, text, ok := l.path.resolve(rel)
	if !ok {
		var b strings.Builder
		b.WriteString("Module `" + rel + "` not found or not readable error in module path: ")
		for _, m := range l.path.Mounts {
			b.WriteString("\n                         - " + m.Name)
		}
		outer := expandLines(diag.Span{Start: s.Span.Start, End: s.Span.End}, 2)
		u.fail(outer, s.After, b.String(), "")
	}
	stack := l.stack
	if len(stack) == 0 {
		stack = []string{u.src.Name}
	}
	for _, f := range stack {
		if path.Clean(f) == path.Clean(name) {
			u.failNoContext("Cyclic dependency detected: " + strings.Join(stack, " -> ") + " -> " + name)
		}
	}
	pm, ok := l.parsed[name]
	if !ok {
		src := &source.Source{Name: name, Text: text, Included: true}
		doc, stmts, d := parser.ParseModule(src, u.c.opts.Query)
		if d != nil {
			panic(bailout{d})
		}
		pm = &parsedModule{src: src, doc: doc, stmts: stmts}
		l.parsed[name] = pm
	}
	saved := l.stack
	l.stack = append(append([]string(nil), stack...), name)
	defer func() { l.stack = saved }()
	mod := into.child(s.AliasName())
	mu := u.c.unit(pm.src, mod)
	mu.moduleBody(pm.stmts)
}

// errUnreadable marks a module file that exists but cannot be read.
var errUnreadable = errors.New("unreadable")
