package config

import (
	"fmt"
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
	src  *conf.Source // the file's text, for config sections and rendering
	errs diag.List
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Col: n.Column} }

func (d *decoder) errorf(n *yaml.Node, hint, format string, args ...any) {
	dg := d.pos(n).Diag(fmt.Sprintf(format, args...), hint)
	if d.src != nil {
		dg.Src = d.src.Text
	}
	d.errs = append(d.errs, dg)
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
