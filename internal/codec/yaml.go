package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	Register(Spec{Name: "yaml", Doc: "YAML, one document per frame (more than one is an error, as in Tremor). Mapping order and exact integers are kept; keys must be scalars; anchors and aliases are expanded (within a budget), `<<` is an ordinary key as in Tremor. Encoding starts with `---` as Tremor's did; bytes are written as !!binary (Tremor wrote a list of numbers).",
		Mimes: []string{"application/yaml"}, New: func() Codec { return yamlCodec{} }})
}

// yamlNodeBudget bounds the nodes one document may expand to, aliases
// included, so a "billion laughs" document is an error, not an outage.
const yamlNodeBudget = 1 << 20

type yamlCodec struct{}

func (yamlCodec) Decode(data []byte) (event.Value, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("yaml: no document in input")
		}
		return nil, fmt.Errorf("yaml: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, fmt.Errorf("yaml: after the first document: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return nil, fmt.Errorf("yaml: more than one document in one frame (line %d); split them first", more.Line)
	}
	budget := yamlNodeBudget
	return yamlValue(&doc, 0, &budget)
}

func yamlValue(n *yaml.Node, depth int, budget *int) (event.Value, error) {
	if depth > event.MaxJSONDepth {
		return nil, fmt.Errorf("yaml: nested deeper than %d", event.MaxJSONDepth)
	}
	if *budget--; *budget < 0 {
		return nil, fmt.Errorf("yaml: document expands to more than %d nodes (aliases included)", yamlNodeBudget)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return yamlValue(n.Content[0], depth, budget)
	case yaml.AliasNode:
		return yamlValue(n.Alias, depth+1, budget)
	case yaml.SequenceNode:
		a := make([]event.Value, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	case yaml.MappingNode:
		r := event.NewRecord(len(n.Content) / 2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			for k.Kind == yaml.AliasNode {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("yaml: line %d: a mapping key must be a scalar", k.Line)
			}
			v, err := yamlValue(n.Content[i+1], depth+1, budget)
			if err != nil {
				return nil, err
			}
			r.Set(k.Value, v)
		}
		return r, nil
	case yaml.ScalarNode:
		return yamlScalar(n)
	}
	return nil, fmt.Errorf("yaml: line %d: unexpected node", n.Line)
}

func yamlScalar(n *yaml.Node) (event.Value, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("yaml: line %d: %w", n.Line, err)
		}
		return b, nil
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return i, nil
		}
		var u uint64
		if n.Decode(&u) == nil {
			return u, nil
		}
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f, nil // beyond 64 bits
		}
		return nil, fmt.Errorf("yaml: line %d: integer %q out of range", n.Line, n.Value)
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("yaml: line %d: %w", n.Line, err)
		}
		return f, nil
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(stripSpace(n.Value))
		if err != nil {
			return nil, fmt.Errorf("yaml: line %d: !!binary: %w", n.Line, err)
		}
		return b, nil
	}
	return n.Value, nil // strings, timestamps and custom tags stay text
}

func stripSpace(s string) string {
	return string(bytes.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, []byte(s)))
}

func (yamlCodec) Encode(v event.Value) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("---\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(yamlNode(v)); err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	return buf.Bytes(), nil
}

func yamlNode(v event.Value) *yaml.Node {
	scalar := func(tag, val string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: val} }
	switch t := v.(type) {
	case nil:
		return scalar("!!null", "~")
	case bool:
		return scalar("!!bool", strconv.FormatBool(t))
	case int64:
		return scalar("!!int", strconv.FormatInt(t, 10))
	case uint64:
		return scalar("!!int", strconv.FormatUint(t, 10))
	case float64:
		switch {
		case math.IsNaN(t):
			return scalar("!!float", ".nan")
		case math.IsInf(t, 1):
			return scalar("!!float", ".inf")
		case math.IsInf(t, -1):
			return scalar("!!float", "-.inf")
		}
		return scalar("!!float", string(event.MarshalJSON(t)))
	case string:
		return scalar("!!str", t)
	case []byte:
		return scalar("!!binary", base64.StdEncoding.EncodeToString(t))
	case []event.Value:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range t {
			n.Content = append(n.Content, yamlNode(e))
		}
		return n
	case *event.Record:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		t.Range(func(k string, e event.Value) bool {
			n.Content = append(n.Content, scalar("!!str", k), yamlNode(e))
			return true
		})
		return n
	}
	return yamlNode(event.Normalize(v))
}
