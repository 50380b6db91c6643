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
	"github.com/temblor-dev/temblor/internal/lograte"
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
	// Refused is input the source skipped (a line or a message over its
	// size limit): counted, and sent to the onramp's err port as
	// {"error": reason, ...info}. Logging it is the source's job (it knows
	// the line number or the connection).
	Refused []Refusal
	// ContentType, when set, picks the codec that decodes the frames from
	// the onramp's codec map (a request's Content-Type, for rest); the
	// onramp's codec decodes what the map does not name.
	ContentType string
	// ReplyTo, when set, is where replies to the events of this input's
	// stream go (a linked onramp's request or connection): events a
	// pipeline sends to the onramp's `in` port with one of the stream's
	// IDs reach the source's Reply with it, until the source calls
	// ForgetReplies for the stream.
	ReplyTo any
	// Acks, when set, is told the fate of every frame or value: Ack once
	// every event made from it was acked downstream, Fail once one failed
	// (so the source can re-deliver it). Each index is answered exactly
	// once, in ranges, in any order; from any goroutine. A frame that made
	// no event is acked at once. Without Acks, events are not
	// transactional: nobody waits for their answers.
	Acks Acks
}

// Refusal is one piece of input a source skipped.
type Refusal struct {
	Reason string
	Info   *event.Record
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

func isStop(err error) bool { _, ok := StopCode(err); return ok }

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
	streams map[uint64]*processor.Chain
	seq     uint64

	outs map[string][]Target // by port; set before Run

	cbMu    sync.Mutex
	open    map[string]string // breakers open: who → reason
	resume  chan struct{}     // closed while no breaker is open
	pausedT time.Time

	bookMu sync.Mutex
	book   []*pending // inputs with Acks awaiting answers, by first sequence

	waiting atomic.Int32  // goroutines held by an open breaker
	taken   atomic.Uint64 // events every pipeline on `out` took

	replies  *replies      // set by EnableReplies (a linked onramp)
	codecMap codec.MimeMap // set by SetCodecMap; decoders by name, under mu
	decs     map[string]codec.Codec

	decodeLog *lograte.Limiter // undecodable input: the first in full, then counts
}

// NewSourceRunner wraps src for the onramp instance url of type typ, with
// its codec and preprocessors. It opens nothing.
func NewSourceRunner(url, typ string, src Source, c codec.Codec, pre []processor.Spec) *SourceRunner {
	r := &SourceRunner{url: url, typ: typ, origin: url + "/out", id: event.NewSourceID(), src: src, codec: c, pre: pre,
		log: slog.Default(), m: newSourceMetrics(nil, url),
		streams: map[uint64]*processor.Chain{}, outs: map[string][]Target{},
		open: map[string]string{}, resume: make(chan struct{})}
	close(r.resume)
	r.decodeLog = lograte.New(decodeLogEvery, func(n, total uint64) {
		r.log.Warn("more input could not be decoded", "onramp", r.url, "inputs", n, "in", decodeLogEvery.String(), "total", total)
	})
	return r
}

// decodeLogEvery is how often undecodable input is logged again.
const decodeLogEvery = 10 * time.Second

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
	defer r.decodeLog.Stop()
	defer r.failPending("onramp stopped")
	switch s := r.src.(type) {
	case PushSource:
		err := s.Run(ctx, r)
		if ctx.Err() != nil && !isStop(err) {
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
		case errors.Is(err, io.EOF):
			r.endAll(ctx)
			return nil
		case isStop(err):
			r.endAll(ctx)
			return err
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
		own, _ := in.IDs.Split(r.id)
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
	if in.ReplyTo != nil && r.replies != nil {
		r.replies.remember(in.Stream, in.ReplyTo)
	}
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
	var ids event.IDs
	n := len(b.Events)
	if port == "out" {
		ids = b.TransactionalIDs() // before handing b over
	}
	for i, t := range ts {
		bb := b
		if i < len(ts)-1 {
			bb = b.Clone()
		}
		if err := t.Send(ctx, bb, r); err != nil {
			// The pipelines from this one on never got the events: their
			// answers are fails.
			for range len(ts) - i {
				for j := range ids.Len() {
					rg := ids.At(j)
					r.answer(rg.Start, rg.End, true, "not taken by the pipeline: "+err.Error())
				}
			}
			return err
		}
	}
	if port == "out" {
		r.taken.Add(uint64(n))
	}
	return nil
}

// Taken is how many events every pipeline linked to `out` took so far.
func (r *SourceRunner) Taken() uint64 { return r.taken.Load() }

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
	emit := func(idx int, ingest uint64, v event.Value, m event.Value) {
		seq := r.seq
		ev := event.Event{ID: event.One(r.id, in.Stream, seq), IngestNS: ingest, Data: v, Meta: m,
			Transactional: transactional, Origin: origin}
		r.seq++
		if transactional && idx >= 0 {
			if spans[idx].n == 0 {
				spans[idx].first = seq
			}
			spans[idx].n++
		}
		out.Events = append(out.Events, ev)
	}
	bad := func(data []byte, m event.Value, err error) {
		r.m.decodeErrors.Inc()
		if ok, total := r.decodeLog.Allow(); ok {
			r.log.Warn("input could not be decoded", "err", err, "bytes", len(data), "stream", in.Stream, "total", total)
		}
		if len(r.outs["err"]) == 0 {
			return
		}
		errs.Events = append(errs.Events, event.Event{ID: event.One(r.id, in.Stream, r.seq), IngestNS: now,
			Data: event.RecordOf("error", err.Error(), "data", string(data)), Meta: m, Origin: origin})
		r.seq++
	}
	// decode turns one frame into an event; codec.ErrSkip (a blank or
	// comment line) makes none, without an error, as in Tremor.
	dec := r.codec
	if in.ContentType != "" && r.codecMap != nil {
		dec = r.decoderLocked(in.ContentType)
	}
	badInput, _ := in.Acks.(BadInputReporter)
	decode := func(idx int, data []byte, ingest uint64, m event.Value) {
		v, err := codec.Decode(dec, data, ingest)
		switch {
		case errors.Is(err, codec.ErrSkip):
		case err != nil:
			bad(data, m, err)
			if badInput != nil && idx >= 0 {
				badInput.BadInput(idx, err)
			}
		default:
			emit(idx, ingest, v, m)
		}
	}
	frames := func(idx int, fs []processor.Frame, perrs []error, m event.Value) {
		for _, e := range perrs {
			var pe *processor.Error
			var data []byte
			if errors.As(e, &pe) {
				data = pe.Data
			}
			bad(data, m, fmt.Errorf("preprocessor %w", e))
		}
		for i, f := range fs {
			mm := m
			if rec, ok := m.(*event.Record); ok && i < len(fs)-1 {
				mm = rec.Clone()
			}
			decode(idx, f.Data, f.Meta.IngestNS, mm)
		}
	}
	for i, f := range in.Frames {
		if len(r.pre) == 0 { // the common case: a frame is an event
			decode(i, f, now, meta(i))
			continue
		}
		fs, perrs := r.chainLocked(in.Stream).Process(processor.Frame{Data: f, Meta: processor.Meta{IngestNS: now}})
		frames(i, fs, perrs, meta(i))
	}
	for i, v := range in.Values {
		emit(len(in.Frames)+i, now, v, meta(len(in.Frames)+i))
	}
	for _, rf := range in.Refused {
		r.refuse(rf, now, in.Stream, origin, errs)
	}
	if in.End {
		if chain, ok := r.streams[in.Stream]; ok {
			delete(r.streams, in.Stream)
			fs, perrs := chain.Finish(processor.Meta{IngestNS: now})
			frames(n-1, fs, perrs, nil)
		}
	}
	return out, errs, spans
}

// chainLocked returns the stream's preprocessor chain.
func (r *SourceRunner) chainLocked(stream uint64) *processor.Chain {
	c, ok := r.streams[stream]
	if !ok {
		c = processor.NewChain(r.pre)
		r.streams[stream] = c
	}
	return c
}

// refuse counts input the source skipped (over a size limit) and sends
// {"error": reason, ...info} to the err port when one is linked.
func (r *SourceRunner) refuse(rf Refusal, now uint64, stream uint64, origin string, errs *event.Batch) {
	r.m.refused.Inc()
	if len(r.outs["err"]) == 0 {
		return
	}
	data := event.RecordOf("error", rf.Reason)
	if rf.Info != nil {
		for _, k := range rf.Info.Keys() {
			v, _ := rf.Info.Get(k)
			data.Set(k, v)
		}
	}
	errs.Events = append(errs.Events, event.Event{ID: event.One(r.id, stream, r.seq), IngestNS: now, Data: data, Origin: origin})
	r.seq++
}
