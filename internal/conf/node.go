package conf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
)

// Flavor is the syntax a config was written in; it only changes how
// messages quote values and examples.
type Flavor uint8

const (
	// YAML: `name: value`, mappings and lists.
	YAML Flavor = iota
	// Trickle: `name = value` in a `with` block, records and arrays.
	Trickle
)

// Source is the text a tree of nodes was read from.
type Source struct {
	File   string
	Text   []byte
	Flavor Flavor
}

// Kind is the type of a node's value.
type Kind uint8

// The kinds of node.
const (
	Null Kind = iota
	Bool
	Int // Value is int64, or uint64 above math.MaxInt64
	Float
	String
	Bytes
	List
	Map
)

// Node is one configuration value and where it was written.
type Node struct {
	Kind Kind
	// Value holds a scalar: nil, bool, int64, uint64, float64, string or
	// []byte.
	Value   event.Value
	Items   []*Node // List
	Entries []Entry // Map, in the order written
	Span    diag.Span
	Src     *Source
	// Text is how a scalar was written (YAML), for messages; "" when
	// the value was computed (trickle).
	Text string
}

// Entry is one key and its value in a Map node.
type Entry struct {
	Key     string
	KeySpan diag.Span
	Value   *Node
}

// Get returns the value under key (the last one written, if repeated).
func (n *Node) Get(key string) (*Node, bool) {
	if n == nil || n.Kind != Map {
		return nil, false
	}
	for i := len(n.Entries) - 1; i >= 0; i-- {
		if n.Entries[i].Key == key {
			return n.Entries[i].Value, true
		}
	}
	return nil, false
}

// entry returns the entry under key (the last one written).
func (n *Node) entry(key string) (Entry, bool) {
	if n != nil && n.Kind == List { // a list item by its index, for At paths such as "entries.2.expr"
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n.Items) {
			return Entry{Key: key, KeySpan: n.Items[i].Span, Value: n.Items[i]}, true
		}
		return Entry{}, false
	}
	if n == nil || n.Kind != Map {
		return Entry{}, false
	}
	for i := len(n.Entries) - 1; i >= 0; i-- {
		if n.Entries[i].Key == key {
			return n.Entries[i], true
		}
	}
	return Entry{}, false
}

// maxDepth bounds nesting (and YAML alias expansion) so that no input can
// exhaust the stack.
const maxDepth = 64

// FromYAML converts a YAML node (aliases resolved) read from src.
func FromYAML(src *Source, y *yaml.Node) *Node {
	return fromYAML(src, y, 0)
}

func fromYAML(src *Source, y *yaml.Node, depth int) *Node {
	for i := 0; y != nil && y.Kind == yaml.AliasNode && i < maxDepth; i++ {
		y = y.Alias
	}
	if y == nil {
		return &Node{Kind: Null, Src: src}
	}
	if y.Kind == yaml.DocumentNode {
		if len(y.Content) == 0 {
			return &Node{Kind: Null, Src: src, Span: diag.At(y.Line, y.Column)}
		}
		return fromYAML(src, y.Content[0], depth)
	}
	n := &Node{Src: src, Span: yamlSpan(y)}
	if depth > maxDepth {
		n.Kind, n.Value, n.Text = String, "", "a value nested too deeply"
		return n
	}
	switch y.Kind {
	case yaml.SequenceNode:
		n.Kind = List
		n.Items = make([]*Node, 0, len(y.Content))
		for _, c := range y.Content {
			n.Items = append(n.Items, fromYAML(src, c, depth+1))
		}
	case yaml.MappingNode:
		n.Kind = Map
		n.Entries = make([]Entry, 0, len(y.Content)/2)
		for i := 0; i+1 < len(y.Content); i += 2 {
			k := y.Content[i]
			for j := 0; k.Kind == yaml.AliasNode && k.Alias != nil && j < maxDepth; j++ {
				k = k.Alias
			}
			n.Entries = append(n.Entries, Entry{Key: k.Value, KeySpan: yamlSpan(k), Value: fromYAML(src, y.Content[i+1], depth+1)})
		}
	default:
		n.Text = y.Value
		scalarFromYAML(n, y)
	}
	return n
}

func scalarFromYAML(n *Node, y *yaml.Node) {
	switch y.ShortTag() {
	case "!!null":
		n.Kind = Null
	case "!!bool":
		var b bool
		if y.Decode(&b) == nil {
			n.Kind, n.Value = Bool, b
			return
		}
		n.Kind, n.Value = String, y.Value
	case "!!int":
		var i int64
		if y.Decode(&i) == nil {
			n.Kind, n.Value = Int, i
			return
		}
		var u uint64
		if y.Decode(&u) == nil {
			n.Kind, n.Value = Int, u
			return
		}
		// Beyond 64 bits: keep it as a number so that messages say so.
		f, _ := strconv.ParseFloat(strings.ReplaceAll(y.Value, "_", ""), 64)
		n.Kind, n.Value = Float, f
	case "!!float":
		var f float64
		if y.Decode(&f) == nil {
			n.Kind, n.Value = Float, f
			return
		}
		if f, err := strconv.ParseFloat(strings.ReplaceAll(y.Value, "_", ""), 64); err == nil || math.IsInf(f, 0) {
			n.Kind, n.Value = Float, f // beyond float64: ±Inf, refused by number fields
			return
		}
		n.Kind, n.Value = String, y.Value
	case "!!binary":
		var b []byte
		if y.Decode(&b) == nil {
			n.Kind, n.Value = Bytes, b
			return
		}
		n.Kind, n.Value = String, y.Value
	default: // !!str, !!timestamp and custom tags: the text as written
		n.Kind, n.Value = String, y.Value
	}
}

// yamlSpan covers a scalar as written on its line (quotes included), or
// the first character of anything else.
func yamlSpan(y *yaml.Node) diag.Span {
	sp := diag.At(y.Line, y.Column)
	if y.Kind != yaml.ScalarNode || strings.ContainsAny(y.Value, "\n") || y.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return sp
	}
	w := utf8.RuneCountInString(y.Value)
	if y.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		w += 2
	}
	sp.End.Col = sp.Start.Col + max(w, 1)
	return sp
}

// FromValue converts an evaluated value (a trickle `with` parameter) read
// at span of src. Nested values share the span.
func FromValue(src *Source, span diag.Span, v event.Value) *Node {
	return fromValue(src, span, v, 0)
}

func fromValue(src *Source, span diag.Span, v event.Value, depth int) *Node {
	n := &Node{Src: src, Span: span, Value: v}
	if depth > maxDepth {
		n.Kind, n.Value = String, ""
		return n
	}
	switch t := v.(type) {
	case nil:
		n.Kind = Null
	case bool:
		n.Kind = Bool
	case int64, uint64:
		n.Kind = Int
	case float64:
		n.Kind = Float
	case string:
		n.Kind = String
	case []byte:
		n.Kind = Bytes
	case []event.Value:
		n.Kind, n.Value = List, nil
		n.Items = make([]*Node, len(t))
		for i, e := range t {
			n.Items[i] = fromValue(src, span, e, depth+1)
		}
	case *event.Record:
		n.Kind, n.Value = Map, nil
		n.Entries = make([]Entry, 0, t.Len())
		t.Range(func(k string, e event.Value) bool {
			n.Entries = append(n.Entries, Entry{Key: k, KeySpan: span, Value: fromValue(src, span, e, depth+1)})
			return true
		})
	default:
		n.Kind, n.Value = String, fmt.Sprint(v)
	}
	return n
}

// NewMap builds a Map node (e.g. of trickle `with` parameters) spanning
// span, where a missing field is reported.
func NewMap(src *Source, span diag.Span, entries ...Entry) *Node {
	return &Node{Kind: Map, Src: src, Span: span, Entries: entries}
}

// ToValue converts the node to an event value (records keep their order).
func (n *Node) ToValue() event.Value {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case List:
		out := make([]event.Value, len(n.Items))
		for i, c := range n.Items {
			out[i] = c.ToValue()
		}
		return out
	case Map:
		r := event.NewRecord(len(n.Entries))
		for _, e := range n.Entries {
			r.Set(e.Key, e.Value.ToValue())
		}
		return r
	}
	return n.Value
}

func (n *Node) flavor() Flavor {
	if n == nil || n.Src == nil {
		return YAML
	}
	return n.Src.Flavor
}

// Describe says what the node is, for messages: `the string "x"`, `the
// integer 5`, `a mapping`.
func (n *Node) Describe() string {
	if n == nil {
		return "nothing"
	}
	trickle := n.flavor() == Trickle
	switch n.Kind {
	case Null:
		return "nothing (null)"
	case Bool:
		return fmt.Sprint(n.Value)
	case Int:
		return "the integer " + n.text()
	case Float:
		return "the number " + n.text()
	case String:
		if n.Text == "a value nested too deeply" {
			return n.Text
		}
		return fmt.Sprintf("the string %q", n.Value)
	case Bytes:
		return "binary data"
	case List:
		if trickle {
			return "an array"
		}
		return "a list"
	case Map:
		if trickle {
			return "a record"
		}
		return "a mapping"
	}
	return "an unexpected value"
}

func (n *Node) text() string {
	if n.Text != "" {
		return n.Text
	}
	if f, ok := n.Value.(float64); ok {
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Sprint(f)
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return fmt.Sprint(n.Value)
}
