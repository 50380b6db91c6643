// Package lib is temblor's standard library of tremor-script modules: what
// `use std::string;`, `use tremor::system;` and friends load. Each native
// function of package stdlib is declared (`intrinsic fn ... as ...`) in the
// module file of its module; modules with constants or functions written
// in tremor-script have a file of their own under files/, which the
// declarations are added to.
//
// It must never hold native function code (that is stdlib's).
package lib

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/temblor-dev/temblor/internal/lang/compiler"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

//go:embed files
var files embed.FS

// Name is how the library is shown in messages about the module path.
const Name = "<temblor standard library>"

// home maps a native module to the library module file declaring it
// (Tremor kept a few under tremor:: rather than std::).
var home = map[string]string{
	"chash":  "tremor/chash",
	"origin": "tremor/origin",
	"system": "tremor/system",
}

func libPath(native string) string {
	if h, ok := home[native]; ok {
		return h
	}
	if strings.HasPrefix(native, "cncf::") {
		return strings.ReplaceAll(native, "::", "/")
	}
	return "std/" + strings.ReplaceAll(native, "::", "/")
}

var (
	once  sync.Once
	built map[string]string
)

var declared = regexp.MustCompile(`(?m)^\s*(?:intrinsic\s+)?fn\s+` + "`?" + `([A-Za-z_][A-Za-z0-9_-]*)`)

// quoteName writes a function name, in backticks when it is a keyword.
func quoteName(n string) string {
	switch n {
	case "merge", "select", "default", "end", "match", "case", "of", "when", "patch", "for", "event",
		"state", "present", "absent", "let", "const", "fn", "mod", "use", "as", "with", "from", "into",
		"where", "group", "by", "having", "create", "define", "window", "stream", "operator", "script",
		"set", "each", "args", "and", "or", "xor", "not", "drop", "emit", "insert", "upsert", "update",
		"erase", "move", "copy", "recur", "intrinsic", "null", "true", "false", "tumbling", "sliding":
		return "`" + n + "`"
	}
	return n
}

func params(n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("a%d", i+1)
	}
	return strings.Join(ps, ", ")
}

// build assembles every module file: the hand-written ones plus the
// declarations of the native functions, plus a file per directory that
// uses each module in it (`use std;` gives std::string and so on).
func build() map[string]string {
	out := map[string]string{}
	_ = fs.WalkDir(files, "files", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".tremor") {
			b, _ := files.ReadFile(p)
			out[strings.TrimSuffix(strings.TrimPrefix(p, "files/"), ".tremor")] = string(b)
		}
		return nil
	})
	byFile := map[string][]*stdlib.Func{}
	for _, f := range stdlib.All() {
		i := strings.LastIndex(f.Path, "::")
		if i < 0 {
			continue
		}
		byFile[libPath(f.Path[:i])] = append(byFile[libPath(f.Path[:i])], f)
	}
	for file, fns := range byFile {
		text := out[file]
		have := map[string]bool{}
		for _, m := range declared.FindAllStringSubmatch(text, -1) {
			have[m[1]] = true
		}
		var b strings.Builder
		b.WriteString(text)
		if text != "" && !strings.HasSuffix(text, "\n") {
			b.WriteString("\n")
		}
		for _, f := range fns {
			name := f.Path[strings.LastIndex(f.Path, "::")+2:]
			if have[name] {
				continue
			}
			q := quoteName(name)
			target := f.Path[:strings.LastIndex(f.Path, "::")+2] + q
			switch {
			case f.Max < 0:
				sep := ""
				if f.Min > 0 {
					sep = ", "
				}
				fmt.Fprintf(&b, "intrinsic fn %s(%s%s...) as %s;\n", q, params(f.Min), sep, target)
			default:
				for n := f.Min; n <= f.Max; n++ {
					fmt.Fprintf(&b, "intrinsic fn %s(%s) as %s;\n", q, params(n), target)
				}
			}
		}
		out[file] = b.String()
	}
	// Index files: `use std;` brings every std module.
	dirs := map[string][]string{}
	seen := map[string]bool{}
	for file := range out {
		child := file
		for d := path.Dir(child); d != "."; child, d = d, path.Dir(d) {
			if !seen[child] {
				seen[child] = true
				dirs[d] = append(dirs[d], child)
			}
		}
	}
	for d, children := range dirs {
		if _, ok := out[d]; ok {
			continue
		}
		sort.Strings(children)
		var b strings.Builder
		for _, c := range children {
			fmt.Fprintf(&b, "use %s;\n", strings.ReplaceAll(c, "/", "::"))
		}
		out[d] = b.String()
	}
	return out
}

// Files is every module file of the library, by path without extension.
func Files() map[string]string {
	once.Do(func() { built = build() })
	return built
}

// Mount is the library as a module path entry, shown as name.
func Mount(name string) compiler.Mount {
	return compiler.Mount{Name: name, Read: func(rel string) (string, bool) {
		if !strings.HasSuffix(rel, ".tremor") {
			return "", false
		}
		t, ok := Files()[strings.TrimSuffix(rel, ".tremor")]
		return t, ok
	}}
}
