// Package codec turns bytes into event values and back, one file per codec,
// each registering itself by name from init(). A codec never does I/O.
package codec

import (
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/registry"
)

// Codec decodes input frames into values and encodes values into frames.
// A Codec value may keep scratch state and is used by one goroutine.
type Codec interface {
	Decode(data []byte) (event.Value, error)
	Encode(v event.Value) ([]byte, error)
}

// Spec describes a codec.
type Spec struct {
	Name string
	Doc  string
	New  func() Codec
}

// Registry holds the codecs by name.
var Registry = registry.New[Spec]("codec")

// Register adds a codec; call it from init(). Doc is the one-line summary
// of its spec in the component registry.
func Register(s Spec) {
	Registry.Register(s.Name, s)
	sum, rest := component.SplitDoc(s.Doc)
	component.Register(&component.Spec{Kind: component.Codec, Name: s.Name, Summary: sum, Docs: rest, Impl: s})
}
