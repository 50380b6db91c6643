// Package processor holds preprocessors (bytes → frames, before the codec on
// an onramp) and postprocessors (frames → bytes, after the codec on an
// offramp), one file per processor, each registering itself from init().
// Names and behaviour follow Tremor 0.11; where temblor differs on purpose
// the processor's Doc says so.
//
// A processor never does I/O, never panics on bad input (it returns an
// error), and bounds what it buffers or inflates by MaxFrame.
package processor

import (
	"fmt"
	"io"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/registry"
)

// Processor transforms one input frame into zero or more output frames.
// Finish flushes what it buffered at the end of a stream. A Processor keeps
// per-stream state and is used by one goroutine.
//
// Process may return good frames together with an error (for example the
// lines before an over-long one); the caller uses the frames and reports the
// error. After an error the processor is ready for more input.
type Processor interface {
	Process(data []byte) ([][]byte, error)
	Finish() ([][]byte, error)
}

// Meta is what a processor may see or change besides the bytes, as in
// Tremor: the event's ingest time in nanoseconds (the ingest-ns preprocessor
// sets it from the frame, gelf-chunking expires partial messages by it, the
// ingest-ns postprocessor writes it) and, after the codec, the egress time.
type Meta struct {
	IngestNS uint64
	EgressNS uint64
}

// MetaProcessor is a Processor that reads or changes Meta. Process on such a
// processor behaves as ProcessMeta with a zero Meta whose changes are lost.
type MetaProcessor interface {
	Processor
	ProcessMeta(m *Meta, data []byte) ([][]byte, error)
}

// Run runs p on data, through ProcessMeta when p implements it.
func Run(p Processor, m *Meta, data []byte) ([][]byte, error) {
	if mp, ok := p.(MetaProcessor); ok {
		return mp.ProcessMeta(m, data)
	}
	return p.Process(data)
}

// MaxFrame bounds what one processor holds or produces for one frame: a
// length prefix announcing more, a decompressed frame growing past it, or a
// chunked message reassembling past it is an error, so that hostile or
// corrupt input cannot exhaust memory.
const MaxFrame = 64 << 20

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

// limit bounds what a decompressing processor yields for one frame; zero
// means MaxFrame (tests set a smaller one).
type limit int

func (l limit) bytes() int {
	if l == 0 {
		return MaxFrame
	}
	return int(l)
}

// readAll reads what a decompressor yields, up to the limit.
func (l limit) readAll(what string, r io.Reader) ([]byte, error) {
	n := l.bytes()
	out, err := io.ReadAll(io.LimitReader(r, int64(n)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(out) > n {
		return nil, fmt.Errorf("%s: decompressed frame is larger than %d bytes; dropped", what, n)
	}
	return out, nil
}

// noFinish is embedded by processors that buffer nothing across frames.
type noFinish struct{}

func (noFinish) Finish() ([][]byte, error) { return nil, nil }
