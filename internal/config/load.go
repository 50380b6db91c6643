package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/diag"
)

var artefactExts = []string{".yaml", ".yml", ".trickle"}

func sortStrings(s []string) { sort.Strings(s) }

// Collect expands `server run` arguments into files: files as given,
// directories to their *.yaml, *.yml and *.trickle files (sorted, not
// recursive), and quoted glob patterns.
func Collect(args []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	var errs []error
	for _, a := range args {
		if strings.ContainsAny(a, "*?[") {
			matches, err := filepath.Glob(a)
			if err != nil {
				errs = append(errs, fmt.Errorf("bad pattern %q: %w", a, err))
				continue
			}
			if len(matches) == 0 {
				errs = append(errs, fmt.Errorf("%s: no file matches", a))
			}
			for _, m := range matches {
				if fi, err := os.Stat(m); err == nil && !fi.IsDir() && hasArtefactExt(m) {
					add(m)
				}
			}
			continue
		}
		fi, err := os.Stat(a)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: no such file or directory", a))
			continue
		}
		if fi.IsDir() {
			ents, err := os.ReadDir(a)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			n := 0
			for _, e := range ents {
				if !e.IsDir() && hasArtefactExt(e.Name()) {
					add(filepath.Join(a, e.Name()))
					n++
				}
			}
			if n == 0 {
				errs = append(errs, fmt.Errorf("%s: directory holds no %s files", a, strings.Join(artefactExts, ", ")))
			}
			continue
		}
		if !hasArtefactExt(a) {
			errs = append(errs, fmt.Errorf("%s: not an artefact file; accepted extensions are %s", a, strings.Join(artefactExts, ", ")))
			continue
		}
		add(a)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, errors.New("no files given: pass artefact files or directories, e.g. -f etc/tremor/config/")
	}
	return out, nil
}

func hasArtefactExt(f string) bool {
	ext := strings.ToLower(filepath.Ext(f))
	for _, e := range artefactExts {
		if ext == e {
			return true
		}
	}
	return false
}

// Load reads and validates every file. The error, if any, is a diag.List
// holding every problem found.
func Load(files []string) (*Deployment, error) {
	l := &loader{dep: &Deployment{}, onramps: map[string]*Onramp{}, offramps: map[string]*Offramp{},
		bindings: map[string]*Binding{}, pipelines: map[string]*Pipeline{}, mapped: map[string]Pos{}}
	for _, f := range files {
		if strings.ToLower(filepath.Ext(f)) == ".trickle" {
			l.addPipeline(f)
			continue
		}
		l.loadFile(f)
	}
	l.builtins()
	l.validate()
	if len(l.errs) > 0 {
		l.errs.Sort()
		return nil, l.errs
	}
	return l.dep, nil
}

// builtins adds the artefacts every Tremor 0.11 deployment could link to
// without loading them: the pipeline system::passthrough (`select event
// from in into out;`) and the offramps system::stdout and system::stderr.
func (l *loader) builtins() {
	used := map[string]bool{} // kind/id linked to
	for _, b := range l.dep.Bindings {
		for _, link := range b.Links {
			for _, u := range append([]PortURL{link.From}, link.To...) {
				used[u.Kind+"/"+u.ID] = true
			}
		}
	}
	if _, ok := l.pipelines["system::passthrough"]; !ok && used["pipeline/system::passthrough"] {
		p := &Pipeline{ID: "system::passthrough", File: "<system::passthrough>", Text: []byte("select event from in into out;\n")}
		l.pipelines[p.ID] = p
		l.dep.Pipelines = append(l.dep.Pipelines, p)
	}
	for _, typ := range []string{"stdout", "stderr"} {
		id := "system::" + typ
		if _, ok := l.offramps[id]; ok || !used["offramp/"+id] {
			continue
		}
		o := &Offramp{Artefact: Artefact{ID: id, Type: typ, Pos: Pos{File: "<" + id + ">"}}}
		l.offramps[id] = o
		l.dep.Offramps = append(l.dep.Offramps, o)
	}
}

type loader struct {
	dep       *Deployment
	errs      diag.List
	onramps   map[string]*Onramp
	offramps  map[string]*Offramp
	bindings  map[string]*Binding
	pipelines map[string]*Pipeline
	mapped    map[string]Pos
}

func (l *loader) add(d *decoder) { l.errs = append(l.errs, d.errs...); d.errs = nil }

func (l *loader) addPipeline(f string) {
	id := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
	if prev, dup := l.pipelines[id]; dup {
		l.errs = append(l.errs, Pos{File: f}.Diag(fmt.Sprintf("pipeline id `%s` is taken by %s (a pipeline's id is its file's stem)", id, prev.File),
			"rename one of the files"))
		return
	}
	p := &Pipeline{ID: id, File: f}
	l.pipelines[id] = p
	l.dep.Pipelines = append(l.dep.Pipelines, p)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlProblemLine finds a line at which src stops being valid YAML: k such
// that the first k-1 lines parse and the first k do not, searched by
// bisection between line from (yaml.v3 reports the start of the enclosing
// block, which for a mis-indented key is often far above the mistake) and
// the end. It returns from when the lines before it do not parse either.
func yamlProblemLine(src []byte, from int) int {
	lines := bytes.SplitAfter(src, []byte("\n"))
	prefix := func(k int) []byte { return bytes.Join(lines[:k], nil) }
	if from < 1 || from > len(lines) || !yamlValid(prefix(from-1)) {
		return from
	}
	lo, hi := from-1, len(lines) // prefix(lo) parses, prefix(hi) (all of src) does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if yamlValid(prefix(mid)) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

func yamlValid(src []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
	}
}

func (l *loader) loadFile(f string) {
	src, err := os.ReadFile(f)
	if err != nil {
		l.errs = append(l.errs, Pos{File: f}.Diag(err.Error(), ""))
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			msg := err.Error()
			pos := Pos{File: f}
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				pos.Line, _ = strconv.Atoi(m[1])
				msg = m[2]
				// yaml.v3 names the line where the enclosing block
				// starts; point at the line that breaks it instead.
				if at := yamlProblemLine(src, pos.Line); at != pos.Line {
					msg += fmt.Sprintf(" (in the block that starts at line %d)", pos.Line)
					pos.Line = at
				}
				// yaml.v3 gives no column: point at the start of the line's text.
				lines := strings.Split(string(src), "\n")
				if pos.Line >= 1 && pos.Line <= len(lines) {
					pos.Col = len(lines[pos.Line-1]) - len(strings.TrimLeft(lines[pos.Line-1], " \t")) + 1
				}
			} else {
				msg = strings.TrimPrefix(msg, "yaml: ")
			}
			l.errs = append(l.errs, pos.Diag("invalid YAML: "+msg, "check indentation and quoting around that line").WithSrc(src))
			return
		}
		if len(doc.Content) == 0 {
			continue
		}
		d := &decoder{file: f, src: &conf.Source{File: f, Text: src}}
		d.duplicateKeys(&doc, map[*yaml.Node]bool{})
		l.loadDoc(d, resolve(doc.Content[0]))
	}
}

// duplicateKeys reports every key that appears twice in one mapping, with
// both places: YAML keeps the last value without a word, so a config that
// sets a field twice would silently lose the first. Merge keys (`<<`) are
// not keys of their own; an alias is checked where its anchor is defined.
func (d *decoder) duplicateKeys(n *yaml.Node, seen map[*yaml.Node]bool) {
	if n == nil || seen[n] {
		return
	}
	seen[n] = true
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			d.duplicateKeys(c, seen)
		}
	case yaml.MappingNode:
		first := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.ShortTag() != "!!merge" {
				if prev, dup := first[k.Value]; dup {
					d.errorf(k, "remove one of them (or, for a list of links, merge their targets into one list)",
						"key `%s` appears twice in this mapping (first at %s); YAML would silently keep only this last one", k.Value, d.pos(prev))
				} else {
					first[k.Value] = k
				}
			}
			d.duplicateKeys(n.Content[i+1], seen)
		}
	}
}

var topLevel = []string{"onramp", "offramp", "binding", "mapping"}

func (l *loader) loadDoc(d *decoder, n *yaml.Node) {
	defer l.add(d)
	if n.ShortTag() == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "a Tremor artefact file is a mapping with any of: "+strings.Join(topLevel, ", "), "expected a mapping at the top of the file, got %s", describe(n))
		return
	}
	pairs, _ := d.mappingPairs(n, "the file")
	for _, p := range pairs {
		k, v := p[0], p[1]
		switch k.Value {
		case "onramp":
			l.eachItem(d, v, "onramp", func(item *yaml.Node) { l.onramp(d, item) })
		case "offramp":
			l.eachItem(d, v, "offramp", func(item *yaml.Node) { l.offramp(d, item) })
		case "binding":
			l.eachItem(d, v, "binding", func(item *yaml.Node) { l.binding(d, item) })
		case "mapping":
			l.mapping(d, v)
		default:
			d.unknownKey(k, "the top level", topLevel)
		}
	}
}

func (l *loader) eachItem(d *decoder, n *yaml.Node, kind string, fn func(*yaml.Node)) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, fmt.Sprintf("write `%s:` followed by a list of items, each starting with `- id: ...`", kind), "`%s` must be a list, got %s", kind, describe(n))
		return
	}
	for _, item := range n.Content {
		fn(resolve(item))
	}
}

// field is one accepted artefact field and where to put it.
type field struct {
	name string
	set  func(v *yaml.Node)
}

func (l *loader) fields(d *decoder, n *yaml.Node, what string, fs []field, required ...string) bool {
	pairs, ok := d.mappingPairs(n, what)
	if !ok {
		return false
	}
	byName := map[string]field{}
	var known []string
	for _, f := range fs {
		byName[f.name] = f
		known = append(known, f.name)
	}
	seen := map[string]bool{}
	for _, p := range pairs {
		f, ok := byName[p[0].Value]
		if !ok {
			d.unknownKey(p[0], what, known)
			continue
		}
		seen[p[0].Value] = true
		f.set(p[1])
	}
	good := true
	for _, r := range required {
		if !seen[r] {
			d.errorf(n, "", "%s lacks the required field `%s`", what, r)
			good = false
		}
	}
	return good
}

// artefact decodes the fields onramps and offramps share, plus extra, and
// checks the names it refers to; lookup resolves the connector type.
func (l *loader) artefact(d *decoder, n *yaml.Node, kind string, lookup func(string) error, extra ...field) (*Artefact, bool) {
	a := &Artefact{Pos: d.pos(n)}
	var cfg *yaml.Node
	strF := func(name string, dst *string) field {
		return field{name, func(v *yaml.Node) { *dst, _ = d.str(v, name) }}
	}
	fs := append([]field{
		strF("id", &a.ID), strF("type", &a.Type), strF("description", &a.Description), strF("codec", &a.Codec),
		{"codec_map", func(v *yaml.Node) { l.codecMap(d, v, &a.CodecMap) }},
		{"preprocessors", func(v *yaml.Node) { a.Preprocessors, _ = d.strList(v, "preprocessors") }},
		{"postprocessors", func(v *yaml.Node) { a.Postprocessors, _ = d.strList(v, "postprocessors") }},
		{"linked", func(v *yaml.Node) { a.Linked, _ = d.boolean(v, "linked") }},
		{"metrics_interval_s", func(v *yaml.Node) { a.MetricsIntervalS, _ = d.uint(v, "metrics_interval_s") }},
	}, extra...)
	fs = append(fs, field{"config", func(v *yaml.Node) { cfg = v }})
	if ok := l.fields(d, n, kind, fs, "id", "type"); !ok || a.ID == "" {
		return nil, false
	}
	if cfg != nil {
		a.Config = conf.FromYAML(d.src, cfg)
	}
	a.Owner = conf.Where{Src: d.src, Span: a.Pos.Span()}
	if err := lookup(a.Type); err != nil {
		l.unknownName(d, n, "type", err)
	}
	l.checkCodec(d, n, a.Codec)
	l.checkProcessors(d, n, component.Preprocessor, a.Preprocessors)
	l.checkProcessors(d, n, component.Postprocessor, a.Postprocessors)
	return a, true
}

func (l *loader) onramp(d *decoder, n *yaml.Node) {
	var errRequired bool
	a, ok := l.artefact(d, n, "onramp", func(t string) error { _, err := component.Get(component.Onramp, t); return err },
		field{"err_required", func(v *yaml.Node) { errRequired, _ = d.boolean(v, "err_required") }})
	if !ok {
		return
	}
	if prev, dup := l.onramps[a.ID]; dup {
		d.errorf(n, "give each onramp its own id", "duplicate onramp id `%s` (first defined at %s)", a.ID, prev.Pos)
		return
	}
	o := &Onramp{Artefact: *a, ErrRequired: errRequired}
	l.onramps[o.ID] = o
	l.dep.Onramps = append(l.dep.Onramps, o)
}

func (l *loader) offramp(d *decoder, n *yaml.Node) {
	a, ok := l.artefact(d, n, "offramp", func(t string) error { _, err := component.Get(component.Offramp, t); return err })
	if !ok {
		return
	}
	if prev, dup := l.offramps[a.ID]; dup {
		d.errorf(n, "give each offramp its own id", "duplicate offramp id `%s` (first defined at %s)", a.ID, prev.Pos)
		return
	}
	o := &Offramp{Artefact: *a}
	l.offramps[o.ID] = o
	l.dep.Offramps = append(l.dep.Offramps, o)
}

// valueNode finds the value node of key in mapping n (n itself if absent).
func valueNode(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return n
}

// unknownName reports a name the component registry does not have (with
// the closest one and those it has), or one temblor knows but does not run
// (with what to use instead), at the value of key.
func (l *loader) unknownName(d *decoder, n *yaml.Node, key string, err error) {
	var ue *component.UnknownError
	var ns *component.NotSupportedError
	hint := ""
	switch {
	case errors.As(err, &ue):
		hint = ue.Hint()
		err = fmt.Errorf("unknown %s `%s`", ue.Kind.Noun(), ue.Name)
	case errors.As(err, &ns):
		hint = ns.Hint()
	}
	d.errorf(valueNode(n, key), hint, "%v", err)
}

func (l *loader) checkCodec(d *decoder, n *yaml.Node, name string) {
	if name == "" {
		return
	}
	if _, err := component.Get(component.Codec, name); err != nil {
		l.unknownName(d, n, "codec", err)
	}
}

func (l *loader) checkProcessors(d *decoder, n *yaml.Node, kind component.Kind, names []string) {
	for _, name := range names {
		if _, err := component.Get(kind, name); err != nil {
			key := "preprocessors"
			if kind == component.Postprocessor {
				key = "postprocessors"
			}
			l.unknownName(d, n, key, err)
		}
	}
}

// codecMap reads `codec_map` (media type → codec name, Tremor's override of
// its builtin map) and checks each key and codec where it is written.
func (l *loader) codecMap(d *decoder, n *yaml.Node, dst *map[string]string) {
	l.strMap(d, n, "codec_map", dst)
	if *dst == nil {
		return
	}
	for i := 0; i+1 < len(resolve(n).Content); i += 2 {
		k, v := resolve(n).Content[i], resolve(resolve(n).Content[i+1])
		if t, _, err := mime.ParseMediaType(k.Value); err != nil || !strings.Contains(t, "/") {
			d.errorf(k, `a media type such as "application/json"`, "`codec_map` key `%s` is not a media type", k.Value)
		}
		name, ok := (*dst)[k.Value]
		if !ok {
			continue
		}
		if _, err := component.Get(component.Codec, name); err != nil {
			var ue *component.UnknownError
			hint := ""
			if errors.As(err, &ue) {
				hint = ue.Hint()
			}
			d.errorf(v, hint, "unknown codec `%s` in `codec_map`", name)
		}
	}
}

func (l *loader) strMap(d *decoder, n *yaml.Node, what string, dst *map[string]string) {
	pairs, ok := d.mappingPairs(n, "`"+what+"`")
	if !ok {
		return
	}
	m := map[string]string{}
	for _, p := range pairs {
		if s, ok := d.str(p[1], what+"."+p[0].Value); ok {
			m[p[0].Value] = s
		}
	}
	*dst = m
}

func (l *loader) binding(d *decoder, n *yaml.Node) {
	b := &Binding{Pos: d.pos(n)}
	var links *yaml.Node
	ok := l.fields(d, n, "binding", []field{
		{"id", func(v *yaml.Node) { b.ID, _ = d.str(v, "id") }},
		{"description", func(v *yaml.Node) { b.Description, _ = d.str(v, "description") }},
		{"links", func(v *yaml.Node) { links = v }},
	}, "id", "links")
	if !ok || b.ID == "" {
		return
	}
	if prev, dup := l.bindings[b.ID]; dup {
		d.errorf(n, "give each binding its own id", "duplicate binding id `%s` (first defined at %s)", b.ID, prev.Pos)
		return
	}
	pairs, ok := d.mappingPairs(links, "`links`")
	if !ok {
		return
	}
	for _, p := range pairs {
		from, err := ParsePortURL(p[0].Value)
		if err != nil {
			d.errorf(p[0], "", "%v", err)
			continue
		}
		from.Pos = d.pos(p[0])
		link := Link{From: from, Pos: d.pos(p[0])}
		tos := p[1]
		if tos.Kind == yaml.ScalarNode {
			tos = &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{tos}, Line: tos.Line, Column: tos.Column}
		}
		if tos.Kind != yaml.SequenceNode {
			d.errorf(tos, `write the targets as a list: "/onramp/x/{instance}/out": ["/pipeline/main/{instance}/in"]`, "link targets must be a list of port URLs, got %s", describe(tos))
			continue
		}
		for _, t := range tos.Content {
			t = resolve(t)
			s, ok := d.str(t, "link target")
			if !ok {
				continue
			}
			to, err := ParsePortURL(s)
			if err != nil {
				d.errorf(t, "", "%v", err)
				continue
			}
			to.Pos = d.pos(t)
			link.To = append(link.To, to)
		}
		b.Links = append(b.Links, link)
	}
	l.bindings[b.ID] = b
	l.dep.Bindings = append(l.dep.Bindings, b)
}

func (l *loader) mapping(d *decoder, n *yaml.Node) {
	pairs, ok := d.mappingPairs(n, "`mapping`")
	if !ok {
		return
	}
	for _, p := range pairs {
		k := p[0]
		parts := strings.Split(strings.TrimPrefix(k.Value, "/"), "/")
		if !strings.HasPrefix(k.Value, "/") || len(parts) != 3 || parts[0] != "binding" || parts[1] == "" || parts[2] == "" {
			d.errorf(k, "write it as /binding/ID/INSTANCE, e.g. /binding/default/01", "mapping key %q is not a binding instance URL", k.Value)
			continue
		}
		m := &Mapping{Binding: parts[1], Instance: parts[2], Params: map[string]string{}, Pos: d.pos(k)}
		if prev, dup := l.mapped[k.Value]; dup {
			d.errorf(k, "merge the two", "binding instance %s is mapped twice (first at %s)", k.Value, prev)
			continue
		}
		l.mapped[k.Value] = m.Pos
		if p[1].ShortTag() != "!!null" {
			params, ok := d.mappingPairs(p[1], "mapping "+k.Value)
			if !ok {
				continue
			}
			for _, pp := range params {
				v := pp[1]
				if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
					d.errorf(v, "", "mapping parameter `%s` must be a string, got %s", pp[0].Value, describe(v))
					continue
				}
				m.Params[pp[0].Value] = v.Value
			}
		}
		l.dep.Mappings = append(l.dep.Mappings, m)
	}
}

// validate checks what spans files: mappings name loaded bindings, links
// name loaded artefacts and use only parameters their mappings define.
func (l *loader) validate() {
	for _, m := range l.dep.Mappings {
		b, ok := l.bindings[m.Binding]
		if !ok {
			l.errs = append(l.errs, m.Pos.Diag(fmt.Sprintf("mapping names binding `%s`, which was not loaded", m.Binding),
				"loaded bindings: "+l.listBindings()))
			continue
		}
		params := map[string]string{"instance": m.Instance}
		for k, v := range m.Params {
			params[k] = v
		}
		for _, link := range b.Links {
			for _, u := range append([]PortURL{link.From}, link.To...) {
				if _, err := u.Substitute(params); err != nil {
					l.errs = append(l.errs, u.Pos.Diag(err.Error(), fmt.Sprintf("add it to the mapping at %s", m.Pos)))
				}
			}
		}
	}
	for _, b := range l.dep.Bindings {
		for _, link := range b.Links {
			l.checkLinkEnds(link)
		}
	}
}

func (l *loader) checkLinkEnds(link Link) {
	from := link.From
	const flow = "links go onramp → pipeline → offramp (or pipeline → pipeline); with linked transports also pipeline → onramp `in` and offramp `out`/`err` → pipeline"
	if from.Kind == "offramp" && from.Port != "out" && from.Port != "err" && !strings.Contains(from.Port, "{") {
		l.errs = append(l.errs, from.Pos.Diag(fmt.Sprintf("a link cannot start at offramp port `%s` (%s)", from.Port, from.Raw),
			"a linked offramp's responses leave by `out` and its errors by `err`; "+flow))
	}
	l.checkExists(from)
	for _, to := range link.To {
		switch {
		case to.Kind == "onramp" && from.Kind != "pipeline":
			l.errs = append(l.errs, to.Pos.Diag(fmt.Sprintf("%s links straight to onramp %s", from.Raw, to.Raw),
				"put a pipeline between them; "+flow))
		case to.Kind == "onramp" && to.Port != "in" && !strings.Contains(to.Port, "{"):
			l.errs = append(l.errs, to.Pos.Diag(fmt.Sprintf("a link cannot end at onramp port `%s` (%s)", to.Port, to.Raw),
				"a linked onramp takes the replies to its requests at `in`"))
		case to.Kind == "onramp":
			if o, ok := l.onramps[to.ID]; ok && !o.Linked {
				l.errs = append(l.errs, to.Pos.Diag(fmt.Sprintf("a link ends at onramp %s, but onramp `%s` is not linked", to.Raw, to.ID),
					fmt.Sprintf("set `linked: true` on onramp `%s` (%s) to send replies to its `in` port", to.ID, o.Pos)))
			}
		case from.Kind == "onramp" && to.Kind == "offramp", from.Kind == "offramp" && to.Kind == "offramp":
			l.errs = append(l.errs, to.Pos.Diag(fmt.Sprintf("%s %s links straight to offramp %s", from.Kind, from.Raw, to.Raw),
				"put a pipeline between them, e.g. one holding `select event from in into out;`"))
		}
		l.checkExists(to)
	}
}

func (l *loader) checkExists(u PortURL) {
	if strings.Contains(u.ID, "{") {
		return // resolved per mapping at run time
	}
	missing := func(kind string, loaded []*Artefact) {
		var ids, plain []string
		for _, a := range loaded {
			ids = append(ids, fmt.Sprintf("`%s` (%s)", a.ID, a.Pos.File))
			plain = append(plain, a.ID)
		}
		l.errs = append(l.errs, u.Pos.Diag(fmt.Sprintf("link names %s `%s`, which was not loaded", kind, u.ID),
			"loaded "+kind+"s: "+orNone(ids)+l.suggest(u.ID, plain)))
	}
	switch u.Kind {
	case "onramp":
		if _, ok := l.onramps[u.ID]; !ok {
			var as []*Artefact
			for _, o := range l.dep.Onramps {
				as = append(as, &o.Artefact)
			}
			missing("onramp", as)
		}
	case "offramp":
		if _, ok := l.offramps[u.ID]; !ok && BuiltinOfframps[u.ID] == "" {
			var as []*Artefact
			for _, o := range l.dep.Offramps {
				as = append(as, &o.Artefact)
			}
			missing("offramp", as)
		}
	case "pipeline":
		if _, ok := l.pipelines[u.ID]; !ok && BuiltinPipelines[u.ID] == "" {
			var ids []string
			for _, p := range l.dep.Pipelines {
				ids = append(ids, fmt.Sprintf("`%s` (%s)", p.ID, p.File))
			}
			hint := "loaded pipelines: " + orNone(ids) + ". A pipeline's id is its file's stem"
			if len(l.dep.Pipelines) == 1 {
				p := l.dep.Pipelines[0]
				hint += fmt.Sprintf(": rename %s to %s.trickle, or link to /pipeline/%s/%s/%s",
					filepath.Base(p.File), u.ID, p.ID, u.Instance, u.Port)
			} else {
				hint += fmt.Sprintf(": load a file named %s.trickle, or link to one of the loaded pipelines", u.ID)
			}
			l.errs = append(l.errs, u.Pos.Diag(fmt.Sprintf("link names pipeline `%s`, but no pipeline `%s` was loaded", u.ID, u.ID), hint))
		}
	}
}

func (l *loader) suggest(id string, known []string) string {
	if s := diag.Closest(id, known); s != "" {
		return fmt.Sprintf("; did you mean `%s`?", s)
	}
	return ""
}

func (l *loader) listBindings() string {
	var ids []string
	for _, b := range l.dep.Bindings {
		ids = append(ids, fmt.Sprintf("`%s` (%s)", b.ID, b.Pos.File))
	}
	return orNone(ids)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
