package config

import (
	"fmt"
	"strings"

	"github.com/temblor-dev/temblor/internal/conf"
)

// Deployment is everything loaded from the files given to `server run`.
type Deployment struct {
	Onramps   []*Onramp
	Offramps  []*Offramp
	Bindings  []*Binding
	Mappings  []*Mapping
	Pipelines []*Pipeline
}

// Artefact holds the fields onramps and offramps share (Tremor 0.11).
type Artefact struct {
	ID               string
	Type             string
	Description      string
	Codec            string            // "" means the connector's default
	CodecMap         map[string]string // mime type → codec
	Preprocessors    []string          // offramps: for replies of linked ones
	Postprocessors   []string          // onramps: for replies of linked ones
	Linked           bool
	MetricsIntervalS uint64
	// Config is the `config:` section (nil when absent), decoded by the
	// connector's spec when it is built; Owner is the artefact, where a
	// problem with an absent section is reported.
	Config *conf.Node
	Owner  conf.Where
	Pos    Pos
}

// Onramp is a Tremor 0.11 onramp artefact.
type Onramp struct {
	Artefact
	ErrRequired bool
}

// Offramp is a Tremor 0.11 offramp artefact.
type Offramp struct {
	Artefact
}

// Binding connects ports by URL.
type Binding struct {
	ID          string
	Description string
	Links       []Link
	Pos         Pos
}

// Link sends what leaves From to every port in To.
type Link struct {
	From PortURL
	To   []PortURL
	Pos  Pos
}

// Mapping instantiates a binding with parameters such as `instance`.
type Mapping struct {
	Binding  string // binding id
	Instance string // from the mapping's URL, /binding/ID/INSTANCE
	Params   map[string]string
	Pos      Pos
}

// Pipeline is a trickle file; its id is the file's stem.
type Pipeline struct {
	ID   string
	File string
	// Text, when set, is the trickle itself (a built-in pipeline such as
	// system::passthrough); File names it in messages.
	Text []byte
}

// PortURL is /KIND/ID/INSTANCE/PORT, e.g. /onramp/metronome/{instance}/out.
type PortURL struct {
	Kind     string // onramp, offramp, pipeline or binding
	ID       string
	Instance string
	Port     string
	Raw      string
	Pos      Pos
}

var portKinds = []string{"onramp", "offramp", "pipeline"}

// ParsePortURL parses a link endpoint.
func ParsePortURL(s string) (PortURL, error) {
	u := PortURL{Raw: s}
	if !strings.HasPrefix(s, "/") {
		return u, fmt.Errorf("port URL %q must start with `/`, as in /onramp/ID/INSTANCE/PORT", s)
	}
	parts := strings.Split(strings.TrimPrefix(s, "/"), "/")
	if len(parts) != 4 {
		return u, fmt.Errorf("port URL %q must have four parts, /KIND/ID/INSTANCE/PORT (e.g. /pipeline/main/{instance}/in)", s)
	}
	for i, p := range parts {
		if p == "" {
			return u, fmt.Errorf("port URL %q has an empty part %d", s, i+1)
		}
	}
	u.Kind, u.ID, u.Instance, u.Port = parts[0], parts[1], parts[2], parts[3]
	known := false
	for _, k := range portKinds {
		known = known || k == u.Kind
	}
	if !known {
		return u, fmt.Errorf("port URL %q names kind %q; links connect onramp, pipeline and offramp ports", s, u.Kind)
	}
	return u, nil
}

// Substitute replaces {key} placeholders in every part with params[key].
func (u PortURL) Substitute(params map[string]string) (PortURL, error) {
	var err error
	sub := func(s string) string {
		for {
			i := strings.IndexByte(s, '{')
			if i < 0 {
				return s
			}
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				err = fmt.Errorf("port URL %q has an unclosed `{`", u.Raw)
				return s
			}
			key := s[i+1 : i+j]
			v, ok := params[key]
			if !ok {
				err = fmt.Errorf("port URL %q uses {%s}, which the mapping does not define (it defines: %s)", u.Raw, key, keys(params))
				return s
			}
			s = s[:i] + v + s[i+j+1:]
		}
	}
	out := u
	out.ID, out.Instance, out.Port = sub(u.ID), sub(u.Instance), sub(u.Port)
	out.Raw = "/" + out.Kind + "/" + out.ID + "/" + out.Instance + "/" + out.Port
	return out, err
}

// placeholders lists the {keys} the URL uses.
func (u PortURL) placeholders() []string {
	var out []string
	for _, s := range []string{u.ID, u.Instance, u.Port} {
		for {
			i := strings.IndexByte(s, '{')
			if i < 0 {
				break
			}
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				break
			}
			out = append(out, s[i+1:i+j])
			s = s[i+j+1:]
		}
	}
	return out
}

func keys(m map[string]string) string {
	if len(m) == 0 {
		return "nothing"
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return strings.Join(ks, ", ")
}
