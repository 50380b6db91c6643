package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/processor"
)

// Responder is a sink whose peer answers what it is sent (a linked
// offramp: rest, ws; and dns, whose lookups always answer): the runner
// gives it where responses go before it connects.
type Responder interface {
	SetResponses(out Responses)
}

// AlwaysResponds marks a Responder whose responses need no `linked: true`
// (dns: a lookup's answer is what it is for, as in Tremor 0.11).
type AlwaysResponds interface {
	Responder
	AlwaysResponds()
}

// Responses takes an offramp's responses to the pipelines linked to its
// `out` and `err` ports.
type Responses interface {
	// Respond decodes rsp and sends its events to the pipelines linked to
	// port ("out" or "err"); responses to a port nothing is linked to are
	// dropped. It blocks while those pipelines do not take input.
	Respond(ctx context.Context, port string, rsp *Response) error
	// Linked reports whether anything is linked to port.
	Linked(port string) bool
}

// Response is what a peer answered to one message.
type Response struct {
	// Request is the message answered: the response events carry its
	// event ID (so that a linked onramp further on finds its own request)
	// and its $correlation.
	Request *Message
	// Frames are the raw response, decoded by the offramp's preprocessors
	// and codec (or the codec its codec map names for ContentType).
	Frames      [][]byte
	ContentType string
	// Values are a response that needs no codec: one event each.
	Values []event.Value
	// Meta is the response events' $ ($correlation is added).
	Meta *event.Record
}

// responses is a SinkRunner's response output.
type responses struct {
	r      *SinkRunner
	src    event.SourceID // for responses to no request
	pre    []processor.Spec
	mu     sync.Mutex // guards codecs, seq
	codecs codec.MimeMap
	def    string
	byName map[string]codec.Codec
	seq    uint64
}

// EnableResponses makes the offramp's `out` and `err` ports carry its
// peer's responses, decoded with codec defName (the offramp's), the codec
// map and the preprocessors pre. Call before Run; Link the ports after.
func (r *SinkRunner) EnableResponses(defName string, codecs codec.MimeMap, pre []processor.Spec) error {
	if _, ok := r.sink.(Responder); !ok {
		return fmt.Errorf("offramp %s (%s) has no responses: its peer does not answer; linked offramps are rest, ws, dns and kv", r.url, r.typ)
	}
	if codecs == nil {
		codecs = codec.BuiltinMimeMap()
	}
	r.rsp = &responses{r: r, src: event.NewSourceID(), pre: pre, codecs: codecs, def: defName, byName: map[string]codec.Codec{}}
	r.sink.(Responder).SetResponses(r.rsp)
	return nil
}

// targets are the pipelines linked to port (SinkRunner.Link).
func (rs *responses) targets(port string) []Target {
	rs.r.ctl.mu.Lock()
	defer rs.r.ctl.mu.Unlock()
	return rs.r.ctl.outs[port]
}

func (rs *responses) Linked(port string) bool { return len(rs.targets(port)) > 0 }

// Contraflow: responses are not transactional; the answers of the
// pipelines they reach are not needed (as in Tremor, which sent none back
// to linked offramps).
func (rs *responses) Contraflow(event.Insight) {}

func (rs *responses) codecLocked(contentType string) (codec.Codec, string, error) {
	name := rs.def
	if contentType != "" {
		if n, ok := rs.codecs.Lookup(contentType); ok {
			name = n
		}
	}
	if c, ok := rs.byName[name]; ok {
		return c, name, nil
	}
	s, err := codec.Registry.Get(name)
	if err != nil {
		return nil, name, err
	}
	c := s.New()
	rs.byName[name] = c
	return c, name, nil
}

func (rs *responses) Respond(ctx context.Context, port string, rsp *Response) error {
	ts := rs.targets(port)
	if len(ts) == 0 {
		return nil
	}
	now := uint64(time.Now().UnixNano())
	meta := rsp.Meta
	if meta == nil {
		meta = event.NewRecord(2)
	}
	var id event.IDs
	if rsp.Request != nil {
		if c, ok := MetaGet(rsp.Request.Meta, "correlation"); ok && !meta.Has("correlation") {
			meta.Set("correlation", event.DeepCopy(c))
		}
		id = rsp.Request.id
	}
	b := &event.Batch{}
	add := func(v event.Value, m *event.Record) {
		evID := id
		if evID.IsZero() {
			rs.mu.Lock()
			evID = event.One(rs.src, 0, rs.seq)
			rs.seq++
			rs.mu.Unlock()
		}
		b.Events = append(b.Events, event.Event{ID: evID, IngestNS: now, Data: v, Meta: m, Origin: rs.r.url + "/" + port})
	}
	for _, v := range rsp.Values {
		add(v, meta.Clone())
	}
	if len(rsp.Frames) > 0 {
		var errs []error
		frames := rsp.Frames
		if len(rs.pre) > 0 {
			chain := processor.NewChain(rs.pre)
			var fs []processor.Frame
			for _, f := range rsp.Frames {
				out, perrs := chain.Process(processor.Frame{Data: f, Meta: processor.Meta{IngestNS: now}})
				fs = append(fs, out...)
				errs = append(errs, perrs...)
			}
			out, perrs := chain.Finish(processor.Meta{IngestNS: now})
			fs = append(fs, out...)
			errs = append(errs, perrs...)
			frames = frames[:0:0]
			for _, f := range fs {
				frames = append(frames, f.Data)
			}
		}
		rs.mu.Lock()
		c, name, err := rs.codecLocked(rsp.ContentType)
		if err != nil {
			errs = append(errs, err)
		} else {
			for _, f := range frames {
				v, err := codec.Decode(c, f, now)
				switch {
				case errors.Is(err, codec.ErrSkip):
				case err != nil:
					errs = append(errs, fmt.Errorf("decoding the response with codec %s: %w", name, err))
				default:
					add(v, meta.Clone())
				}
			}
		}
		rs.mu.Unlock()
		if len(errs) > 0 && port == "out" {
			for _, e := range errs {
				if err := rs.Respond(ctx, "err", &Response{Request: rsp.Request, Values: []event.Value{event.RecordOf("error", e.Error())},
					Meta: event.RecordOf("error", e.Error())}); err != nil {
					return err
				}
			}
		}
	}
	if len(b.Events) == 0 {
		return nil
	}
	for i, t := range ts {
		bb := b
		if i < len(ts)-1 {
			bb = b.Clone()
		}
		if err := t.Send(ctx, bb, rs); err != nil {
			return err
		}
	}
	return nil
}

// EncoderUser is a sink that encodes some events itself, by a content
// type they ask for (rest): the runner gives it an Encoder with the
// offramp's codec, codec map and postprocessors.
type EncoderUser interface {
	SetEncoder(enc *Encoder)
}

// SetCodecMap gives an EncoderUser sink the offramp's codec (by name), its
// codec map and its postprocessors; other sinks ignore it. Call before Run.
func (r *SinkRunner) SetCodecMap(defName string, codecs codec.MimeMap, post []processor.Spec) {
	if u, ok := r.sink.(EncoderUser); ok {
		if codecs == nil {
			codecs = codec.BuiltinMimeMap()
		}
		u.SetEncoder(NewEncoder(defName, codecs, post))
	}
}
