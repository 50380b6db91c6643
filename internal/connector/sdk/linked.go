package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/processor"
)

// Linked transports (Tremor's `linked: true`): a linked onramp answers its
// peers with what a pipeline sends to the onramp's `in` port (rest: the
// HTTP response to a request; ws: messages back on the connection), and a
// linked offramp sends what its peer answers to the pipelines linked to
// its `out` port (rest: the HTTP response; ws: the reply message) and
// errors to `err`.

// Replier is a source that can answer its peers (a linked onramp).
type Replier interface {
	// Reply delivers ev, a pipeline's answer to an event made from an
	// Input whose ReplyTo was to, to that peer. enc encodes ev's data with
	// the onramp's codec (or the one its codec map names for a content
	// type) and postprocessors. An error fails ev (the peer did not get
	// it); ErrNoPeer means the peer is gone and nothing can be done.
	Reply(ctx context.Context, to any, ev *event.Event, enc *Encoder) error
}

// ErrNoPeer is a Reply error: the peer the reply was for is gone (the
// request timed out, the connection closed). The reply is dropped, not
// failed: re-sending it could not reach anyone either.
var ErrNoPeer = errors.New("the peer to reply to is gone")

// BadInputReporter is an Acks that also wants to hear which frames could
// not be decoded (a rest request answered 400).
type BadInputReporter interface {
	BadInput(idx int, err error)
}

// Encoder encodes replies: with the codec the content type names in the
// codec map, else the default codec, then the postprocessors. It is safe
// for concurrent use.
type Encoder struct {
	mu     sync.Mutex
	def    string
	codecs codec.MimeMap
	byName map[string]codec.Codec
	post   []processor.Spec
}

// NewEncoder encodes with codec def by default, the codec map's entry for
// a content type when there is one, then the postprocessors.
func NewEncoder(def string, codecs codec.MimeMap, post []processor.Spec) *Encoder {
	return &Encoder{def: def, codecs: codecs, byName: map[string]codec.Codec{}, post: post}
}

// Encode encodes v. contentType, when given, picks the codec; the media
// type returned is the one to declare (contentType, or the codec's own).
// The postprocessors' frames are joined.
func (e *Encoder) Encode(v event.Value, contentType string, ingestNS uint64) (body []byte, mediaType string, err error) {
	name := e.def
	if contentType != "" {
		if n, ok := e.codecs.Lookup(contentType); ok {
			name = n
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.codecLocked(name)
	if err != nil {
		return nil, "", err
	}
	b, err := c.Encode(v)
	if err != nil {
		return nil, "", fmt.Errorf("encoding with codec %s: %w", name, err)
	}
	if len(e.post) > 0 {
		frames, errs := processor.NewChain(e.post).Process(processor.Frame{Data: b, Meta: processor.Meta{IngestNS: ingestNS}})
		if len(errs) > 0 {
			return nil, "", fmt.Errorf("postprocessor %w", errs[0])
		}
		b = nil
		for _, f := range frames {
			b = append(b, f.Data...)
		}
	}
	mediaType = contentType
	if mediaType == "" {
		mediaType = codec.MimeOf(name)
	}
	return b, mediaType, nil
}

// MediaType is the Content-Type of what Encode makes for contentType
// ("" asks for the default codec's).
func (e *Encoder) MediaType(contentType string) string {
	if contentType != "" {
		return contentType
	}
	return codec.MimeOf(e.def)
}

func (e *Encoder) codecLocked(name string) (codec.Codec, error) {
	if c, ok := e.byName[name]; ok {
		return c, nil
	}
	s, err := codec.Registry.Get(name)
	if err != nil {
		return nil, err
	}
	c := s.New()
	e.byName[name] = c
	return c, nil
}

// replies is a linked onramp's memory of where replies go: a ReplyTo per
// stream (a request, a connection).
type replies struct {
	enc *Encoder
	mu  sync.Mutex
	to  map[uint64]any
}

// EnableReplies makes the onramp linked: its source must be a Replier, and
// replies are encoded with the codec defName (the onramp's), the codec
// map codecs and the postprocessors post. Call before Run.
func (r *SourceRunner) EnableReplies(defName string, codecs codec.MimeMap, post []processor.Spec) error {
	if _, ok := r.src.(Replier); !ok {
		return fmt.Errorf("onramp %s (%s) cannot be linked: it does not answer its peers; linked onramps are rest and ws", r.url, r.typ)
	}
	if codecs == nil {
		codecs = codec.BuiltinMimeMap()
	}
	r.replies = &replies{enc: NewEncoder(defName, codecs, post), to: map[uint64]any{}}
	return nil
}

// Linked reports whether the onramp answers its peers (EnableReplies).
func (r *SourceRunner) Linked() bool { return r.replies != nil }

// SetCodecMap lets inputs with a ContentType be decoded by the codec the
// map names for it (Tremor's codec_map for rest). Call before Run.
func (r *SourceRunner) SetCodecMap(m codec.MimeMap) {
	r.codecMap, r.decs = m, map[string]codec.Codec{}
}

// decoderLocked is the codec for a content type (the onramp's when the
// map names none).
func (r *SourceRunner) decoderLocked(contentType string) codec.Codec {
	name, ok := r.codecMap.Lookup(contentType)
	if !ok {
		return r.codec
	}
	if c, ok := r.decs[name]; ok {
		return c
	}
	s, err := codec.Registry.Get(name)
	if err != nil {
		return r.codec
	}
	c := s.New()
	r.decs[name] = c
	return c
}

// ReplyStreams is implemented by the Output of every runner: a linked
// source calls ForgetReplies when a stream's peer is gone (a request was
// answered, a connection closed), so that later replies to it are
// dropped.
type ReplyStreams interface {
	ForgetReplies(stream uint64)
}

// ForgetReplies implements ReplyStreams.
func (r *SourceRunner) ForgetReplies(stream uint64) {
	if r.replies == nil {
		return
	}
	r.replies.mu.Lock()
	delete(r.replies.to, stream)
	r.replies.mu.Unlock()
}

func (rp *replies) remember(stream uint64, to any) {
	rp.mu.Lock()
	rp.to[stream] = to
	rp.mu.Unlock()
}

// lookup finds where a reply with these IDs goes: the newest of the
// onramp's own streams it names that still has a peer.
func (rp *replies) lookup(own event.IDs) (any, bool) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	for i := own.Len() - 1; i >= 0; i-- {
		if to, ok := rp.to[own.At(i).Stream]; ok {
			return to, true
		}
	}
	return nil, false
}

// ReplyTarget is the onramp's `in` port: what a pipeline sends there goes
// back to the peer the event's IDs lead to. A reply is acked once the
// source delivered it, failed when it could not; one whose peer is gone
// (or that names no request of this onramp) is dropped, counted and acked.
func (r *SourceRunner) ReplyTarget() Target { return replyTarget{r} }

type replyTarget struct{ r *SourceRunner }

func (t replyTarget) Send(ctx context.Context, b *event.Batch, from Upstream) error {
	r := t.r
	if r.replies == nil {
		return fmt.Errorf("onramp %s is not linked: set `linked: true` on it to send replies to its `in` port", r.url)
	}
	src := r.src.(Replier)
	for i := range b.Events {
		ev := &b.Events[i]
		own, _ := ev.ID.Split(r.id)
		err := ErrNoPeer
		if to, ok := r.replies.lookup(own); ok {
			err = src.Reply(ctx, to, ev, r.replies.enc)
		}
		switch {
		case err == nil:
			r.m.replies.WithLabelValues(r.url, "sent").Inc()
		case errors.Is(err, ErrNoPeer):
			r.m.replies.WithLabelValues(r.url, "no_peer").Inc()
			r.log.Debug("reply dropped: no peer waits for it", "onramp", r.url, "id", ev.ID.String())
		default:
			r.m.replies.WithLabelValues(r.url, "failed").Inc()
			if ev.Transactional && from != nil {
				from.Contraflow(event.Insight{Action: event.ActFail, IDs: ev.ID, Reason: err.Error()})
			}
			continue
		}
		if ev.Transactional && from != nil {
			from.Contraflow(event.Insight{Action: event.ActAck, IDs: ev.ID})
		}
	}
	return nil
}
