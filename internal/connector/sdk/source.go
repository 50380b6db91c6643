package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/processor"
)

// Input is a batch of input from one stream of a source (a connection, a
// file, a partition).
type Input struct {
	Stream uint64
	// Frames are raw input: the onramp's preprocessors and codec turn each
	// into zero or more events. A source sets Frames or Values.
	Frames [][]byte
	// Values are structured input that needs no codec (the metronome's
	// records): one event each.
	Values []event.Value
	// Meta, when set, holds each frame's or value's metadata ($).
	Meta []*event.Record
	// End says the stream ended after this input: the preprocessors flush
	// what they buffered.
	End bool
	// Acks, when set, is told the fate of every frame or value: Ack once
	// every event made from it was acked downstream, Fail once one failed
	// (so the source can re-deliver it). Each index is answered exactly
	// once, in ranges, in any order; from any goroutine. A frame that made
	// no event is acked at once. Without Acks, events are not
	// transactional: nobody waits for their answers.
	Acks Acks
}

// Acks is a source's handle on the fate of one Input.
type Acks interface {
	// Ack: the frames or values [from, to) were delivered.
	Ack(from, to int)
	// Fail: the frames or values [from, to) were not delivered.
	Fail(from, to int, reason string)
}

// Output is how a PushSource hands over input.
type Output interface {
	// Push decodes in and hands its events to the linked pipelines. It
	// blocks while a downstream circuit breaker is open and until the
	// pipelines took the batch (back-pressure), and returns ctx.Err() once
	// the source must stop.
	Push(ctx context.Context, in *Input) error
}

// PushSource is a server: input arrives on its own goroutines.
type PushSource interface {
	// Run serves until ctx ends, then returns nil; any other return ends
	// the onramp with that error (ErrDone: finished, stop the engine).
	Run(ctx context.Context, out Output) error
}

// PullSource is a client the runner reads from.
type PullSource interface {
	// Read returns the next input, blocking until there is some or ctx
	// ends. io.EOF: finished (the engine keeps running); ErrDone: finished,
	// and the engine stops gracefully (close_on_done). Another error ends
	// the onramp, unless the source is a Reconnector: then the runner
	// reconnects with backoff.
	Read(ctx context.Context) (*Input, error)
}

// Reconnector is a PullSource with a connection the runner re-establishes
// (with backoff) when Read fails.
type Reconnector interface {
	Connect(ctx context.Context) error
	Disconnect() error
}

// ErrDone is returned by a source that finished its input and asks the
// engine to stop then (the file onramp's close_on_done): the runtime
// shuts down gracefully, delivering what is in flight, and exits 0.
var ErrDone = errors.New("onramp finished its input and asks the engine to stop (close_on_done)")

// Target receives a source's events: a pipeline linked to one of its
// ports.
type Target interface {
	Send(ctx context.Context, b *event.Batch, from Upstream) error
}

// SourceRunner runs one onramp instance. Push may be called from any
// goroutine; Contraflow never blocks.
type SourceRunner struct {
	url, typ string
	origin   string // url + "/out", stamped on every event
	id       event.SourceID
	src      Source
	log      *slog.Logger
	m        *sourceMetrics

	mu      sync.Mutex // guards codec, streams and seq: Push comes from many goroutines
	codec   codec.Codec
	pre     []processor.Spec
	streams map[uint64][]processor.Processor
	seq     uint64

	outs map[string][]Target // by port; set before Run

	cbMu    sync.Mutex
	open    map[string]string // breakers open: who → reason
	resume  chan struct{}     // closed while no breaker is open
	pausedT time.Time

	bookMu sync.Mutex
	book   []*pending // inputs with Acks awaiting answers, by first sequence

	waiting atomic.Int32 // goroutines held by an open breaker
}

// NewSourceRunner wraps src for the onramp instance url of type typ, with
// its codec and preprocessors. It opens nothing.
func NewSourceRunner(url, typ string, src Source, c codec.Codec, pre []processor.Spec) *SourceRunner {
	r := &SourceRunner{url: url, typ: typ, origin: url + "/out", id: event.NewSourceID(), src: src, codec: c, pre: pre,
		log: slog.Default(), m: newSourceMetrics(nil, url),
		streams: map[uint64][]processor.Processor{}, outs: map[string][]Target{},
		open: map[string]string{}, resume: make(chan struct{})}
	close(r.resume)
	return r
}

// ID is the source ID stamped on this onramp's events.
func (r *SourceRunner) ID() event.SourceID { return r.id }

// Link sends what leaves port ("out" or "err") to t. Call before Run.
func (r *SourceRunner) Link(port string, t Target) { r.outs[port] = append(r.outs[port], t) }

// Open registers the metrics and opens the source (if it is an Opener).
func (r *SourceRunner) Open(ctx context.Context, env component.Env) error {
	if env.Logger != nil {
		r.log = env.Logger
	}
	r.m = newSourceMetrics(env.Metrics, r.url)
	if o, ok := r.src.(component.Opener); ok {
		return o.Open(ctx, env)
	}
	return nil
}

// Close closes the source (if it is a Closer). Call it after Run returned.
func (r *SourceRunner) Close() error {
	if c, ok := r.src.(component.Closer); ok {
		return c.Close()
	}
	return nil
}

// Run runs the source until ctx ends (nil), it finishes (nil, or ErrDone)
// or fails. Whatever is still owed an answer then is failed to the
// source's Acks.
func (r *SourceRunner) Run(ctx context.Context) error {
	defer r.failPending("onramp stopped")
	switch s := r.src.(type) {
	case PushSource:
		err := s.Run(ctx, r)
		if ctx.Err() != nil && !errors.Is(err, ErrDone) {
			return nil
		}
		return err
	case PullSource:
		return r.pull(ctx, s)
	}
	return fmt.Errorf("onramp %s: %T is neither a push nor a pull source", r.url, r.src)
}

func (r *SourceRunner) pull(ctx context.Context, s PullSource) error {
	rc, _ := s.(Reconnector)
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = 100*time.Millisecond, 5*time.Second
	if rc != nil && !r.reconnect(ctx, rc, bo, nil) {
		return nil
	}
	for {
		if err := r.waitClosed(ctx); err != nil {
			return nil
		}
		in, err := s.Read(ctx)
		switch {
		case err == nil:
			if in == nil {
				continue
			}
			if err := r.Push(ctx, in); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, io.EOF), errors.Is(err, ErrDone):
			r.endAll(ctx)
			if errors.Is(err, ErrDone) {
				return ErrDone
			}
			return nil
		case rc != nil:
			_ = rc.Disconnect()
			if !r.reconnect(ctx, rc, bo, err) {
				return nil
			}
		default:
			return err
		}
	}
}

// reconnect connects rc with backoff until it succeeds (true) or ctx ends.
func (r *SourceRunner) reconnect(ctx context.Context, rc Reconnector, bo *backoff.ExponentialBackOff, cause error) bool {
	if cause != nil {
		r.log.Warn("onramp lost its connection; reconnecting with backoff", "type", r.typ, "err", cause)
	}
	since, attempts, nag := time.Now(), 0, time.Now()
	for {
		err := rc.Connect(ctx)
		if err == nil {
			bo.Reset()
			if attempts > 0 || cause != nil {
				r.log.Info("onramp connected", "type", r.typ, "after", time.Since(since).Round(time.Millisecond).String())
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		attempts++
		if attempts == 1 || time.Since(nag) >= stillDownEvery {
			nag = time.Now()
			r.log.Warn("onramp cannot connect; retrying with backoff", "type", r.typ, "attempts", attempts,
				"down_for", time.Since(since).Round(time.Second).String(), "err", err)
		}
		t := time.NewTimer(bo.NextBackOff())
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// Contraflow handles insights from the pipelines this onramp feeds.
func (r *SourceRunner) Contraflow(in event.Insight) {
	switch in.Action {
	case event.ActTrigger:
		r.cbMu.Lock()
		if len(r.open) == 0 {
			r.resume = make(chan struct{})
			r.pausedT = time.Now()
			r.log.Info("circuit breaker open: pausing source", "by", in.From, "reason", in.Reason)
		}
		r.open[in.From] = in.Reason
		r.cbMu.Unlock()
	case event.ActRestore:
		r.cbMu.Lock()
		if _, ok := r.open[in.From]; ok {
			delete(r.open, in.From)
			if len(r.open) == 0 {
				close(r.resume)
				r.log.Info("circuit breaker closed: resuming source", "by", in.From, "paused", time.Since(r.pausedT).Round(time.Millisecond).String())
			}
		}
		r.cbMu.Unlock()
	case event.ActAck, event.ActFail:
		ids := in.IDs
		if ids.IsZero() {
			ids = event.Of(event.Range(in.ID))
		}
		own, _ := ids.Split(r.id)
		for i := range own.Len() {
			rg := own.At(i)
			r.answer(rg.Start, rg.End, in.Action == event.ActFail, in.Reason)
		}
	}
}

// waitClosed blocks while any downstream breaker is open.
func (r *SourceRunner) waitClosed(ctx context.Context) error {
	for {
		r.cbMu.Lock()
		ch := r.resume
		r.cbMu.Unlock()
		select {
		case <-ch:
			return nil
		default:
		}
		r.waiting.Add(1)
		select {
		case <-ch:
			r.waiting.Add(-1)
		case <-ctx.Done():
			r.waiting.Add(-1)
			return ctx.Err()
		}
	}
}

// Held is how many of the source's goroutines an open circuit breaker
// holds right now (for tests: a paused source is held, not busy).
func (r *SourceRunner) Held() int { return int(r.waiting.Load()) }

// Push implements Output.
func (r *SourceRunner) Push(ctx context.Context, in *Input) error {
	if err := r.waitClosed(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	out, errs, spans := r.decodeLocked(in)
	r.mu.Unlock()
	if in.Acks != nil {
		r.track(in.Acks, spans, len(r.outs["out"]))
	}
	if len(errs.Events) > 0 {
		r.m.errPort.Add(float64(len(errs.Events)))
		if err := r.send(ctx, "err", errs); err != nil {
			return err
		}
	}
	if len(out.Events) == 0 {
		return nil
	}
	r.m.out.Add(float64(len(out.Events)))
	return r.send(ctx, "out", out)
}

func (r *SourceRunner) send(ctx context.Context, port string, b *event.Batch) error {
	ts := r.outs[port]
	for i, t := range ts {
		bb := b
		if i < len(ts)-1 {
			bb = b.Clone()
		}
		if err := t.Send(ctx, bb, r); err != nil {
			return err
		}
	}
	return nil
}

// endAll flushes the preprocessors of every stream (the source finished).
func (r *SourceRunner) endAll(ctx context.Context) {
	r.mu.Lock()
	streams := make([]uint64, 0, len(r.streams))
	for s := range r.streams {
		streams = append(streams, s)
	}
	r.mu.Unlock()
	sort.Slice(streams, func(i, j int) bool { return streams[i] < streams[j] })
	for _, s := range streams {
		_ = r.Push(ctx, &Input{Stream: s, End: true})
	}
}

// span is the run of sequence numbers the events of one input index got.
type span struct {
	first uint64
	n     uint32
}

// decodeLocked turns in into events: the batch for `out`, error events
// for `err`, and the sequence span of each input index.
func (r *SourceRunner) decodeLocked(in *Input) (out, errs *event.Batch, spans []span) {
	n := len(in.Frames) + len(in.Values)
	out, errs = &event.Batch{Events: make([]event.Event, 0, n)}, &event.Batch{}
	now := uint64(time.Now().UnixNano())
	transactional := in.Acks != nil
	origin := r.origin
	if transactional {
		spans = make([]span, n)
	}
	meta := func(i int) event.Value {
		if i < len(in.Meta) && in.Meta[i] != nil {
			return in.Meta[i]
		}
		return nil
	}
	emit := func(idx int, v event.Value, m event.Value) {
		ev := event.Event{ID: event.NewEventID(r.id, in.Stream, r.seq), IngestNS: now, Data: v, Meta: m,
			Transactional: transactional, Origin: origin}
		r.seq++
		if transactional && idx >= 0 {
			if spans[idx].n == 0 {
				spans[idx].first = ev.ID.Start
			}
			spans[idx].n++
		}
		out.Events = append(out.Events, ev)
	}
	bad := func(data []byte, m event.Value, err error) {
		r.m.decodeErrors.Inc()
		r.log.Warn("input could not be decoded", "err", err, "bytes", len(data), "stream", in.Stream)
		if len(r.outs["err"]) == 0 {
			return
		}
		errs.Events = append(errs.Events, event.Event{ID: event.NewEventID(r.id, in.Stream, r.seq), IngestNS: now,
			Data: event.RecordOf("error", err.Error(), "data", string(data)), Meta: m, Origin: origin})
		r.seq++
	}
	decode := func(idx int, frames [][]byte, m event.Value) {
		for i, f := range frames {
			v, err := r.codec.Decode(f)
			if err != nil {
				bad(f, m, err)
				continue
			}
			mm := m
			if rec, ok := m.(*event.Record); ok && i < len(frames)-1 {
				mm = rec.Clone()
			}
			emit(idx, v, mm)
		}
	}
	for i, f := range in.Frames {
		if len(r.pre) == 0 { // the common case: a frame is an event
			v, err := r.codec.Decode(f)
			if err != nil {
				bad(f, meta(i), err)
				continue
			}
			emit(i, v, meta(i))
			continue
		}
		frames, err := r.preprocessLocked(in.Stream, f, false)
		if err != nil {
			bad(f, meta(i), err)
		}
		decode(i, frames, meta(i))
	}
	for i, v := range in.Values {
		emit(len(in.Frames)+i, v, meta(len(in.Frames)+i))
	}
	if in.End {
		frames, err := r.preprocessLocked(in.Stream, nil, true)
		if err != nil {
			bad(nil, nil, err)
		}
		decode(n-1, frames, nil)
	}
	return out, errs, spans
}

// preprocessLocked runs the stream's preprocessors over data (or flushes
// them at the end of the stream). Frames made before an error are kept.
func (r *SourceRunner) preprocessLocked(stream uint64, data []byte, finish bool) ([][]byte, error) {
	if len(r.pre) == 0 {
		if finish {
			return nil, nil
		}
		return [][]byte{data}, nil
	}
	chain, ok := r.streams[stream]
	if !ok {
		if finish {
			return nil, nil
		}
		chain = make([]processor.Processor, len(r.pre))
		for i, s := range r.pre {
			chain[i] = s.New()
		}
		r.streams[stream] = chain
	}
	if finish {
		delete(r.streams, stream)
	}
	frames := [][]byte{data}
	if finish {
		frames = nil
	}
	var firstErr error
	for i, p := range chain {
		var next [][]byte
		for _, f := range frames {
			out, err := p.Process(f)
			next = append(next, out...)
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("preprocessor %s: %w", r.pre[i].Name, err)
			}
		}
		if finish {
			out, err := p.Finish()
			next = append(next, out...)
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("preprocessor %s: %w", r.pre[i].Name, err)
			}
		}
		frames = next
	}
	return frames, firstErr
}
