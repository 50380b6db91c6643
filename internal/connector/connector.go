// Package connector holds temblor's onramps (sources) and offramps (sinks),
// one file per kind, each registering itself by name from init().
//
// A connector moves bytes or values between the outside world and the
// runtime. It never decodes with a codec or runs a pre/postprocessor itself
// (the runtime does that around it) and it never acks an event the peer has
// not confirmed.
package connector

import (
	"context"
	"errors"
	"log/slog"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/registry"
)

// Config is an artefact's `config:` section as the config layer hands it
// over.
type Config interface {
	// Decode fills v, a pointer to a struct with `yaml` tags, strictly:
	// unknown keys and wrong types are errors that name file:line:col. An
	// absent section leaves v unchanged (defaults stay).
	Decode(v any) error
	// Errorf returns an error positioned at the section (or at the field
	// named by key, when present), for validation after decoding, e.g.
	// cfg.Errorf("url", "url %q has no host; use ws://host:port/", u).
	Errorf(key string, format string, args ...any) error
}

// Params is what a connector's constructor receives.
type Params struct {
	ID       string // artefact id, e.g. "metronome"
	Instance string // instance from the mapping, e.g. "01"
	URL      string // artefact instance URL, e.g. "/onramp/metronome/01"
	Config   Config
	Logger   *slog.Logger
	DataDir  string // the server's --data-dir, for connectors that keep state
	// Preprocessors are the onramp's, which the runtime runs on what the
	// source emits (a source that frames its input may need to know).
	Preprocessors []string
}

// Source is an onramp. Run produces input until ctx is cancelled, then
// returns nil; any other return ends the source with that error.
type Source interface {
	Run(ctx context.Context, out SourceOutput) error
}

// SourceOutput is how a source hands input to the runtime. Both Emit calls
// block while downstream circuit breakers are open (back-pressure) and
// return ctx.Err() once the source must stop. They return the ID given to
// the first event produced, for sources that track acks.
type SourceOutput interface {
	// EmitValue hands over structured data (no codec involved), e.g. the
	// metronome's records.
	EmitValue(ctx context.Context, data event.Value, meta *event.Record) (event.EventID, error)
	// EmitBytes hands over raw input from stream (a connection, a file);
	// the runtime runs the onramp's preprocessors and codec on it.
	EmitBytes(ctx context.Context, stream uint64, data []byte, meta *event.Record) (event.EventID, error)
	// EndStream tells the runtime that a stream ended, so preprocessors
	// (e.g. lines) flush what they buffered.
	EndStream(ctx context.Context, stream uint64) error
	// Refuse reports input that cannot become an event (a line or a
	// message over the source's size limit): the runtime counts it and
	// sends {"error": reason, ...info} to the onramp's err port when one is
	// linked. The source goes on reading; logging it is the source's job
	// (it knows the line number or the connection).
	Refuse(ctx context.Context, stream uint64, reason string, info *event.Record) error
	// Settle, for a Transactional source, waits until every event emitted
	// on stream so far was answered downstream: nil when all were acked
	// (delivered, or dead-lettered as permanently undeliverable), an error
	// wrapping ErrNotDelivered as soon as one failed (the source must get
	// its peer to send it again), ctx.Err() when ctx ends first.
	Settle(ctx context.Context, stream uint64) error
}

// Transactional is implemented by sources whose peer re-sends what the
// source did not confirm (the websocket onramp: a temblor sending to it
// acks its events only on the pong behind them). Their events are
// transactional: tracked through the pipelines until every sink (or a WAL,
// once it stored them) answered, which SourceOutput.Settle waits for.
type Transactional interface {
	Source
	Transactional()
}

// ErrNotDelivered is what Settle returns (wrapped, with the reason) when an
// event of the stream failed downstream.
var ErrNotDelivered = errors.New("an event was not delivered downstream")

// Acker is implemented by sources that can re-deliver: the runtime forwards
// acks and fails of the events they emitted.
type Acker interface {
	Ack(id event.EventID)
	Fail(id event.EventID)
}

// Message is one event on its way out of an offramp.
type Message struct {
	Event *event.Event
	// Payloads are the event encoded by the offramp's codec and
	// postprocessors: usually one, several when a postprocessor splits.
	Payloads [][]byte
	// Route is the runtime's bookkeeping for contraflow; sinks leave it be.
	Route any
}

// Reply is how a sink reports back. Each message is acked or failed exactly
// once; the runtime ignores replies for non-transactional events.
type Reply interface {
	// Ack: the peer confirmed the message.
	Ack(m *Message)
	// Fail: the message was not (or not provably) delivered.
	Fail(m *Message, reason string)
	// Trigger: the sink cannot deliver (e.g. disconnected); upstream
	// should stop sending until Restore.
	Trigger(reason string)
	// Restore: the sink can deliver again.
	Restore()
}

// Sink is an offramp. Run delivers messages from in. When in is closed the
// sink drains: it finishes or fails what is in flight within its own
// timeouts, then returns nil. When ctx is cancelled it stops at once,
// failing whatever is unconfirmed.
type Sink interface {
	Run(ctx context.Context, in <-chan *Message, reply Reply) error
}

// SourceSpec describes an onramp kind.
type SourceSpec struct {
	Name         string
	Doc          string
	DefaultCodec string // codec used when the artefact names none
	New          func(p Params) (Source, error)
}

// SinkSpec describes an offramp kind.
type SinkSpec struct {
	Name         string
	Doc          string
	DefaultCodec string
	New          func(p Params) (Sink, error)
}

// ErrDone is returned by a source's Run when it finished its input and its
// config asks the engine to stop then (the file onramp's close_on_done): the
// runtime shuts down gracefully, delivering what is in flight, and exits 0.
var ErrDone = errors.New("onramp finished its input and asks the engine to stop (close_on_done)")

// Sources and Sinks are the registries of onramp and offramp kinds.
var (
	Sources = registry.New[SourceSpec]("onramp type")
	Sinks   = registry.New[SinkSpec]("offramp type")
)

// RegisterSource registers an onramp kind; call it from init().
func RegisterSource(s SourceSpec) { Sources.Register(s.Name, s) }

// RegisterSink registers an offramp kind; call it from init().
func RegisterSink(s SinkSpec) { Sinks.Register(s.Name, s) }
