// Package processor holds preprocessors (bytes → frames, before the codec on
// an onramp) and postprocessors (frames → bytes, after the codec on an
// offramp), one file per processor, each registering itself from init().
package processor

import (
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/registry"
)

// Processor transforms one input frame into zero or more output frames.
// Finish flushes what it buffered at the end of a stream. A Processor keeps
// per-stream state and is used by one goroutine.
type Processor interface {
	Process(data []byte) ([][]byte, error)
	Finish() ([][]byte, error)
}

// Spec describes a processor.
type Spec struct {
	Name string
	Doc  string
	New  func() Processor
}

// Pre and Post are the registries of pre- and postprocessors.
var (
	Pre  = registry.New[Spec]("preprocessor")
	Post = registry.New[Spec]("postprocessor")
)

// RegisterPre adds a preprocessor; call it from init(). Doc is the one-line
// summary of its spec in the component registry.
func RegisterPre(s Spec) {
	Pre.Register(s.Name, s)
	sum, rest := component.SplitDoc(s.Doc)
	component.Register(&component.Spec{Kind: component.Preprocessor, Name: s.Name, Summary: sum, Docs: rest, Impl: s})
}

// RegisterPost adds a postprocessor; call it from init().
func RegisterPost(s Spec) {
	Post.Register(s.Name, s)
	sum, rest := component.SplitDoc(s.Doc)
	component.Register(&component.Spec{Kind: component.Postprocessor, Name: s.Name, Summary: sum, Docs: rest, Impl: s})
}
