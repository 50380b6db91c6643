// Package codec turns bytes into event values and back, one file per codec,
// each registering itself by name from init(). Names and behaviour follow
// Tremor 0.11; where temblor differs on purpose the codec's Doc says so.
//
// A codec never does I/O and never panics on bad input: Decode returns an
// error, which the runtime sends to the onramp's err port or logs. Values
// keep exact integers and record key order (see package event).
package codec

import (
	"errors"

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

// Appender is implemented by codecs that can encode into a buffer the
// caller owns, so that a sink that writes a frame before encoding the next
// reuses one buffer instead of allocating a frame per event.
type Appender interface {
	// AppendEncode appends the encoding of v to dst and returns the
	// extended buffer.
	AppendEncode(dst []byte, v event.Value) ([]byte, error)
}

// AppendEncode appends v encoded by c to dst: without a copy when c is an
// Appender, else by appending what Encode returns.
func AppendEncode(c Codec, dst []byte, v event.Value) ([]byte, error) {
	if a, ok := c.(Appender); ok {
		return a.AppendEncode(dst, v)
	}
	b, err := c.Encode(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// ErrSkip is returned by Decode when the input holds no event, though it is
// not wrong either (a blank or comment line in influx). The runtime drops
// such a frame without an error, as Tremor did.
var ErrSkip = errors.New("codec: input holds no event")

// IngestDecoder is implemented by codecs whose output depends on the
// event's ingest time: influx uses it as the timestamp of a line that has
// none, as Tremor did.
type IngestDecoder interface {
	DecodeAt(data []byte, ingestNS uint64) (event.Value, error)
}

// Decode decodes data with c, giving ingestNS to codecs that use it.
func Decode(c Codec, data []byte, ingestNS uint64) (event.Value, error) {
	if d, ok := c.(IngestDecoder); ok {
		return d.DecodeAt(data, ingestNS)
	}
	return c.Decode(data)
}

// Spec describes a codec.
type Spec struct {
	Name string
	Doc  string
	// Mimes are the media types this codec is the default for (Tremor's
	// builtin codec map), used by connectors that speak HTTP.
	Mimes []string
	New   func() Codec
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
