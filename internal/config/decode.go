package config

import (
	"fmt"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/registry"
)

// decoder turns YAML nodes into Go values strictly, recording every problem
// with its position instead of stopping at the first.
type decoder struct {
	file string
	errs Errors
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Col: n.Column} }

func (d *decoder) errorf(n *yaml.Node, hint, format string, args ...any) {
	d.errs = append(d.errs, &Error{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return n.Value
		case "!!null":
			return "nothing (null)"
		}
		return n.Value
	}
	return "an unexpected value"
}

// mappingPairs returns the key/value nodes of a mapping, or reports that n
// is not one.
func (d *decoder) mappingPairs(n *yaml.Node, what string) ([][2]*yaml.Node, bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "", "%s must be a mapping (key: value lines), got %s", what, describe(n))
		return nil, false
	}
	pairs := make([][2]*yaml.Node, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		pairs = append(pairs, [2]*yaml.Node{n.Content[i], resolve(n.Content[i+1])})
	}
	return pairs, true
}

// unknownKey reports a key that is not among known.
func (d *decoder) unknownKey(k *yaml.Node, where string, known []string) {
	hint := "accepted: " + strings.Join(known, ", ")
	if s := registry.Closest(k.Value, known); s != "" {
		hint = fmt.Sprintf("did you mean `%s`? (accepted: %s)", s, strings.Join(known, ", "))
	}
	d.errorf(k, hint, "unknown field `%s` in %s", k.Value, where)
}

func (d *decoder) str(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.errorf(n, "", "`%s` must be a string, got %s", field, describe(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) boolean(n *yaml.Node, field string) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	}
	d.errorf(n, "", "`%s` must be true or false, got %s", field, describe(n))
	return false, false
}

func (d *decoder) uint(n *yaml.Node, field string) (uint64, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		if u, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return u, true
		}
	}
	d.errorf(n, "", "`%s` must be a non-negative integer, got %s", field, describe(n))
	return 0, false
}

func (d *decoder) strList(n *yaml.Node, field string) ([]string, bool) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "write it as a list, e.g. [lines]", "`%s` must be a list of names, got %s", field, describe(n))
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for _, e := range n.Content {
		s, good := d.str(resolve(e), field+" entry")
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

// decodeInto fills the Go value v from n following `yaml` struct tags,
// strictly. path names the field for messages.
func (d *decoder) decodeInto(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	if v.Kind() == reflect.Pointer {
		if n.ShortTag() == "!!null" {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decodeInto(n, v.Elem(), path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.String:
		if s, ok := d.str(n, path); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if b, ok := d.boolean(n, path); ok {
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
			if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil && !v.OverflowInt(i) {
				v.SetInt(i)
				return
			}
		}
		d.errorf(n, "", "`%s` must be an integer, got %s", path, describe(n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if u, ok := d.uint(n, path); ok {
			if v.OverflowUint(u) {
				d.errorf(n, "", "`%s` is too large: %d", path, u)
				return
			}
			v.SetUint(u)
		}
	case reflect.Float32, reflect.Float64:
		if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
			if f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil && !math.IsInf(f, 0) {
				v.SetFloat(f)
				return
			}
		}
		d.errorf(n, "", "`%s` must be a number, got %s", path, describe(n))
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, "", "`%s` must be a list, got %s", path, describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			d.decodeInto(e, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		pairs, ok := d.mappingPairs(n, "`"+path+"`")
		if !ok {
			return
		}
		if v.Type().Key().Kind() != reflect.String {
			d.errorf(n, "", "`%s`: unsupported map key type", path)
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(pairs))
		for _, p := range pairs {
			ev := reflect.New(v.Type().Elem()).Elem()
			d.decodeInto(p[1], ev, path+"."+p[0].Value)
			m.SetMapIndex(reflect.ValueOf(p[0].Value).Convert(v.Type().Key()), ev)
		}
		v.Set(m)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			d.errorf(n, "", "`%s`: %v", path, err)
			return
		}
		v.Set(reflect.ValueOf(&x).Elem())
	default:
		d.errorf(n, "", "`%s`: unsupported field type %s", path, v.Type())
	}
}

func fieldName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("yaml")
	if tag == "-" {
		return "", false
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, true
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	what := "`" + path + "`"
	if path == "" {
		what = "the section"
	}
	if n.ShortTag() == "!!null" {
		return // an empty section keeps the defaults
	}
	pairs, ok := d.mappingPairs(n, what)
	if !ok {
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var known []string
	for i := 0; i < t.NumField(); i++ {
		if name, ok := fieldName(t.Field(i)); ok {
			fields[name] = i
			known = append(known, name)
		}
	}
	for _, p := range pairs {
		i, ok := fields[p[0].Value]
		if !ok {
			d.unknownKey(p[0], what, known)
			continue
		}
		sub := p[0].Value
		if path != "" {
			sub = path + "." + sub
		}
		d.decodeInto(p[1], v.Field(i), sub)
	}
}

// Section is an artefact's `config:` section. It implements
// connector.Config.
type Section struct {
	file  string
	node  *yaml.Node // nil when the artefact has no config section
	owner Pos        // the artefact, for errors about a missing section
	what  string     // e.g. "onramp `metronome` config"
}

// Node is the section as a conf node with its file's text (for the
// connector SDK's decoder), and where the artefact is, for problems with a
// section that is absent (nil node).
func (s *Section) Node() (*conf.Node, conf.Where, error) {
	if s == nil {
		return nil, conf.Where{}, nil
	}
	if s.file == "" { // a built-in artefact
		return nil, conf.Where{Span: diag.At(s.owner.Line, s.owner.Col)}, nil
	}
	text, err := os.ReadFile(s.file)
	if err != nil {
		return nil, conf.Where{}, err
	}
	src := &conf.Source{File: s.file, Text: text}
	owner := conf.Where{Src: src, Span: diag.At(s.owner.Line, s.owner.Col)}
	if s.node == nil {
		return nil, owner, nil
	}
	return conf.FromYAML(src, s.node), owner, nil
}

// Decode fills v (a pointer to a struct with `yaml` tags) strictly.
func (s *Section) Decode(v any) error {
	if s == nil || s.node == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("config.Section.Decode needs a non-nil pointer, got %T", v)
	}
	d := &decoder{file: s.file}
	d.decodeInto(s.node, rv.Elem(), "")
	if len(d.errs) > 0 {
		for _, e := range d.errs {
			e.Msg = s.what + ": " + e.Msg
		}
		return d.errs.sorted()
	}
	return nil
}

// Errorf returns an error positioned at key within the section (or at the
// section, or the artefact when there is none).
func (s *Section) Errorf(key, format string, args ...any) error {
	if s == nil {
		return &Error{Msg: fmt.Sprintf(format, args...)}
	}
	pos := s.owner
	if s.node != nil {
		pos = Pos{File: s.file, Line: s.node.Line, Col: s.node.Column}
		if n := resolve(s.node); n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					pos = Pos{File: s.file, Line: n.Content[i+1].Line, Col: n.Content[i+1].Column}
				}
			}
		}
	}
	return &Error{Pos: pos, Msg: s.what + ": " + fmt.Sprintf(format, args...)}
}
