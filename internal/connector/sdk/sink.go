package sdk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/processor"
)

// Sink is an offramp's connection to its peer, driven by a SinkRunner
// from one goroutine.
type Sink interface {
	// Connect establishes the connection; while it fails, the runner
	// keeps the circuit breaker open and retries with backoff. ctx bounds
	// the attempt.
	Connect(ctx context.Context) error
	// Write sends a batch over the connection. nil means delivered — or,
	// for a Confirmer, written and awaiting Confirm. An error means the
	// connection is unusable: the runner fails every unconfirmed batch,
	// disconnects and reconnects; wrap it with Rejected when only this
	// batch was refused and the connection is fine.
	Write(ctx context.Context, b *Batch) error
	// Disconnect closes the connection (after an error, and at the end).
	Disconnect() error
}

// Confirmer is a sink whose peer confirms what it received later than the
// write (the websocket offramp pings behind the data). Confirm returns nil
// once the peer confirmed everything written before the call.
type Confirmer interface {
	Confirm(ctx context.Context) error
}

// Shutdowner is a sink that closes its connection cleanly (a close
// handshake) at the end of a run; Disconnect is used after errors.
type Shutdowner interface {
	Shutdown(ctx context.Context) error
}

// Peer is a sink that can say where it delivers, for logs.
type Peer interface {
	Peer() string
}

// Upstream receives contraflow: acks and fails of the events a pipeline
// sent, and circuit-breaker changes. It must never block. (A pipeline is
// one.)
type Upstream = event.Upstream

// Message is one event on its way out, encoded.
type Message struct {
	// Payloads are the event encoded by the codec and postprocessors:
	// usually one, several when a postprocessor splits.
	Payloads [][]byte
	// Meta is the event's metadata ($), for sinks that read it.
	Meta event.Value
	// Data is the event's value before encoding, for sinks that read
	// values (exit, kv, postgres, cb) or encode it otherwise too (rest: by
	// the Content-Type an event asks for, through its Encoder); do not
	// modify it.
	Data event.Value
	// IngestNS is when the event entered the engine (the blackhole's
	// latency histogram).
	IngestNS uint64

	id    event.IDs // set when tx
	tx    bool      // the event is transactional
	batch bool      // Data is a batch (generic::batch): see Parts
}

// Part is one value a message carries, with its own metadata.
type Part struct {
	Data event.Value
	Meta event.Value
}

// Parts are the values of the message for sinks that read values
// (NoEncode): the event's data and meta, or, for an event made by
// generic::batch, each batched value with the meta it had — as the
// encoding sinks write a batch value by value. The message is still
// answered as a whole.
func (m *Message) Parts() []Part {
	if !m.batch {
		return []Part{{Data: m.Data, Meta: m.Meta}}
	}
	arr, _ := m.Data.([]event.Value)
	out := make([]Part, 0, len(arr))
	for _, el := range arr {
		r, ok := el.(*event.Record)
		if !ok {
			continue
		}
		d, _ := r.Get("data")
		dr, ok := d.(*event.Record)
		if !ok {
			continue
		}
		v, _ := dr.Get("value")
		meta, _ := dr.Get("meta")
		out = append(out, Part{Data: v, Meta: meta})
	}
	return out
}

// ID is the message's event ID (a linked offramp's response carries it).
func (m *Message) ID() event.IDs { return m.id }

// Batch is what a sink writes at once.
type Batch struct {
	Messages []Message

	back  Upstream  // where the answers go
	ids   event.IDs // of the transactional events
	plain int       // messages of events that are not transactional

	settleMu sync.Mutex
	settled  []settled // per message, once a sink settled one (nil: none)
}

// settled is the outcome a sink gave one message of a batch.
type settled struct {
	done   bool   // the sink settled it
	reason string // "" delivered, else why not
}

// Fail marks message i as not delivered, for a reason, while the rest of
// the batch follows the batch's outcome (a kv command that could not run,
// a cb offramp told to fail one event): Settle with an error.
func (b *Batch) Fail(i int, reason string) {
	if reason == "" {
		reason = "not delivered"
	}
	b.Settle(i, errors.New(reason))
}

// Failed says whether message i was settled as not delivered, and why.
func (b *Batch) Failed(i int) (reason string, failed bool) {
	b.settleMu.Lock()
	defer b.settleMu.Unlock()
	if b.settled == nil || !b.settled[i].done || b.settled[i].reason == "" {
		return "", false
	}
	return b.settled[i].reason, true
}

// Settle records the outcome of message i alone, for a sink that learns
// it per message (an HTTP response per event): nil delivered, else not.
// What the runner does with the batch then spares it: a message settled
// as delivered is acked even if the rest of the batch fails, one settled
// as not delivered is failed (with its reason) even if the rest is acked.
// Safe for concurrent use.
func (b *Batch) Settle(i int, err error) {
	b.settleMu.Lock()
	defer b.settleMu.Unlock()
	if b.settled == nil {
		b.settled = make([]settled, len(b.Messages))
	}
	b.settled[i] = settled{done: true}
	if err != nil {
		b.settled[i].reason = err.Error()
		if b.settled[i].reason == "" {
			b.settled[i].reason = "not delivered"
		}
	}
}

// IDs are the IDs of the batch's transactional events (for tests and
// logs).
func (b *Batch) IDs() event.IDs { return b.ids }

type rejected struct{ err error }

func (r *rejected) Error() string { return r.err.Error() }
func (r *rejected) Unwrap() error { return r.err }

// Rejected marks a Write error as concerning only that batch: it is
// failed, and the connection is kept.
func Rejected(err error) error { return &rejected{err} }

// SinkOptions tune the runner for one offramp.
type SinkOptions struct {
	// MaxUnconfirmed bounds the messages written and not yet confirmed
	// (default 256); a Confirmer is asked to confirm at the latest then.
	MaxUnconfirmed int
	// ConfirmTimeout bounds Connect, Write and Confirm (default 5s).
	ConfirmTimeout time.Duration
	// BackoffInitial and BackoffMax bound the wait between connection
	// attempts (defaults 100ms and 5s).
	BackoffInitial, BackoffMax time.Duration
	// Queue is how many batches may wait for the sink (default 4).
	Queue int
	// NoEncode: the sink reads Message.Data itself (exit, kv, postgres),
	// so the runner does not run the codec and postprocessors and
	// Message.Payloads is nil.
	NoEncode bool
}

func (o *SinkOptions) defaults() {
	if o.MaxUnconfirmed <= 0 {
		o.MaxUnconfirmed = 256
	}
	if o.ConfirmTimeout <= 0 {
		o.ConfirmTimeout = 5 * time.Second
	}
	if o.BackoffInitial <= 0 {
		o.BackoffInitial = 100 * time.Millisecond
	}
	if o.BackoffMax < o.BackoffInitial {
		o.BackoffMax = max(5*time.Second, o.BackoffInitial)
	}
	if o.Queue <= 0 {
		o.Queue = 4
	}
}

// stillDownEvery is how often a lasting outage is logged again.
const stillDownEvery = 30 * time.Second

// ErrClosed is returned by Send once the offramp is draining.
var ErrClosed = errors.New("offramp is shutting down")

// SinkRunner runs one offramp instance: it encodes the batches pipelines
// send, hands them to the sink, and turns the sink's outcome into
// contraflow. Send, AddUpstream and CloseInput may be called from any
// goroutine; Run from one.
type SinkRunner struct {
	url, typ string
	sink     Sink
	confirm  Confirmer // nil unless the sink confirms later
	opts     SinkOptions
	log      *slog.Logger
	m        *sinkMetrics

	encMu sync.Mutex // guards codec and post (several pipelines may share a sink); held by Send
	codec codec.Codec
	post  *processor.Chain // nil without postprocessors

	in      chan *Batch
	closing chan struct{}
	sendMu  sync.RWMutex // Send holds R while sending; CloseInput takes W
	closed  bool

	upMu sync.Mutex
	ups  map[Upstream]struct{}

	ctl control    // replies, engine stop
	rsp *responses // set by EnableResponses (a linked offramp)

	// owned by the Run goroutine
	connected    bool
	unconfirmed  []*Batch
	nUnconfirmed int
	tripped      bool
	downSince    time.Time
	lastNag      time.Time
	attempts     int
}

// NewSinkRunner wraps sink for the offramp instance url of type typ, with
// its codec and postprocessors. It opens nothing.
func NewSinkRunner(url, typ string, sink Sink, c codec.Codec, post []processor.Spec, o SinkOptions) *SinkRunner {
	o.defaults()
	r := &SinkRunner{url: url, typ: typ, sink: sink, opts: o, codec: c,
		in: make(chan *Batch, o.Queue), closing: make(chan struct{}), ups: map[Upstream]struct{}{},
		log: slog.Default(), m: newSinkMetrics(nil, url)}
	r.confirm, _ = sink.(Confirmer)
	if c, ok := sink.(Controlled); ok {
		c.SetControl(runnerControl{r})
	}
	if len(post) > 0 {
		r.post = processor.NewChain(post)
	}
	return r
}

// Name is the offramp instance URL.
func (r *SinkRunner) Name() string { return r.url }

// AddUpstream registers u to hear the circuit breaker's changes even
// before it sent anything (so that a sink that is down at start pauses
// it).
func (r *SinkRunner) AddUpstream(u Upstream) {
	r.upMu.Lock()
	r.ups[u] = struct{}{}
	r.upMu.Unlock()
}

// Open registers the metrics and opens the sink (if it is an Opener).
func (r *SinkRunner) Open(ctx context.Context, env component.Env) error {
	if env.Logger != nil {
		r.log = env.Logger
	}
	r.m = newSinkMetrics(env.Metrics, r.url)
	if o, ok := r.sink.(component.Opener); ok {
		return o.Open(ctx, env)
	}
	return nil
}

// Close closes the sink (if it is a Closer). Call it after Run returned.
func (r *SinkRunner) Close() error {
	if c, ok := r.sink.(component.Closer); ok {
		return c.Close()
	}
	return nil
}

// encodeLocked encodes ev; one1 is a slot for the single payload of the
// common case (no postprocessor), so that it costs no slice of its own.
func (r *SinkRunner) encodeLocked(ev *event.Event, one1 [][]byte, egress uint64) ([][]byte, error) {
	if ev.Batch {
		return r.encodeBatchLocked(ev, egress)
	}
	b, err := r.codec.Encode(ev.Data)
	if err != nil {
		return nil, fmt.Errorf("encoding for %s: %w", r.url, err)
	}
	if r.post == nil {
		one1[0] = b
		return one1[:1:1], nil
	}
	frames, errs := r.post.Process(processor.Frame{Data: b, Meta: processor.Meta{IngestNS: ev.IngestNS, EgressNS: egress}})
	if len(errs) > 0 {
		// One event is one message to the sink: a part that failed fails
		// it all.
		return nil, fmt.Errorf("postprocessor on %s: %w", r.url, errors.Join(errs...))
	}
	out := make([][]byte, len(frames))
	for i, f := range frames {
		out[i] = f.Data
	}
	return out, nil
}

// encodeBatchLocked encodes a batch event (generic::batch) value by value:
// each value is a payload of its own, and the batch is one message to the
// sink (acked or failed as a whole).
func (r *SinkRunner) encodeBatchLocked(ev *event.Event, egress uint64) ([][]byte, error) {
	var out [][]byte
	for _, v := range ev.BatchValues() {
		b, err := r.codec.Encode(v)
		if err != nil {
			return nil, fmt.Errorf("encoding for %s: %w", r.url, err)
		}
		if r.post == nil {
			out = append(out, b)
			continue
		}
		frames, errs := r.post.Process(processor.Frame{Data: b, Meta: processor.Meta{IngestNS: ev.IngestNS, EgressNS: egress}})
		if len(errs) > 0 {
			return nil, fmt.Errorf("postprocessor on %s: %w", r.url, errors.Join(errs...))
		}
		for _, f := range frames {
			out = append(out, f.Data)
		}
	}
	return out, nil
}

// Send encodes b and queues it for the sink; it blocks while the queue is
// full (back-pressure). The events are answered to back when the sink's
// outcome is known. Events that cannot be encoded are not queued: Send
// reports them with an *event.UndeliverableError (permanent: encoding
// again fails the same way) after queueing the rest. Any other error (the
// offramp is draining, or ctx ended) means none of b was taken.
func (r *SinkRunner) Send(ctx context.Context, b *event.Batch, back Upstream) error {
	out := &Batch{Messages: make([]Message, 0, len(b.Events)), back: back}
	var bad *event.UndeliverableError
	slots := make([][]byte, len(b.Events))
	egress := uint64(time.Now().UnixNano())
	r.encMu.Lock()
	defer r.encMu.Unlock()
	for i := range b.Events {
		ev := &b.Events[i]
		var payloads [][]byte
		var err error
		if !r.opts.NoEncode {
			payloads, err = r.encodeLocked(ev, slots[i:], egress)
		}
		if err != nil {
			r.m.encodeErrors.Inc()
			if bad == nil {
				bad = &event.UndeliverableError{Err: err}
			}
			bad.Events++
			if ev.Transactional {
				bad.IDs.AddAll(ev.ID)
			}
			continue
		}
		out.Messages = append(out.Messages, Message{Payloads: payloads, Meta: ev.Meta, IngestNS: ev.IngestNS, Data: ev.Data, id: ev.ID, tx: ev.Transactional, batch: ev.Batch})
		if ev.Transactional {
			out.ids.AddAll(ev.ID)
		} else {
			out.plain++
		}
	}
	if len(out.Messages) > 0 {
		if err := r.queue(ctx, out); err != nil {
			return err
		}
	}
	if bad != nil {
		return bad
	}
	return nil
}

func (r *SinkRunner) queue(ctx context.Context, out *Batch) error {
	r.sendMu.RLock()
	defer r.sendMu.RUnlock()
	if r.closed {
		return ErrClosed
	}
	select {
	case r.in <- out:
		return nil
	case <-r.closing:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CloseInput tells the runner to drain: no more batches; what is queued
// and in flight is delivered or failed, then Run returns.
func (r *SinkRunner) CloseInput() {
	select {
	case <-r.closing:
		return
	default:
	}
	close(r.closing)
	r.sendMu.Lock()
	r.closed = true
	close(r.in)
	r.sendMu.Unlock()
}

func (r *SinkRunner) ack(b *Batch) {
	if r.answerSettled(b, "") {
		return
	}
	r.m.acked.Add(float64(len(b.Messages)))
	if !b.ids.IsZero() && b.back != nil {
		b.back.Contraflow(event.Insight{Action: event.ActAck, IDs: b.ids})
	}
}

// answerSettled answers a batch some of whose messages a sink settled
// one by one: those as the sink said, the others acked (reason "") or
// failed with reason. It reports false when no message was settled.
func (r *SinkRunner) answerSettled(b *Batch, reason string) bool {
	b.settleMu.Lock()
	st := b.settled
	b.settleMu.Unlock()
	if st == nil {
		return false
	}
	var ok event.IDs
	fails := map[string]*event.IDs{}
	var order []string
	plainFailed := 0
	for i := range b.Messages {
		m := &b.Messages[i]
		why := reason
		if st[i].done {
			why = st[i].reason
		}
		if why == "" {
			r.m.acked.Inc()
			if m.tx {
				ok.AddAll(m.id)
			}
			continue
		}
		r.m.failed.Inc()
		if !m.tx {
			plainFailed++
			continue
		}
		ids, seen := fails[why]
		if !seen {
			ids = &event.IDs{}
			fails[why] = ids
			order = append(order, why)
		}
		ids.AddAll(m.id)
	}
	if b.back != nil {
		if !ok.IsZero() {
			b.back.Contraflow(event.Insight{Action: event.ActAck, IDs: ok})
		}
		for _, why := range order {
			b.back.Contraflow(event.Insight{Action: event.ActFail, IDs: *fails[why], Reason: why})
		}
	}
	if plainFailed > 0 {
		r.log.Warn("events not delivered (not transactional, so not re-sent; put a qos::wal before this offramp to keep them)",
			"events", plainFailed, "reason", order)
	}
	return true
}

func (r *SinkRunner) fail(b *Batch, reason string) {
	if r.answerSettled(b, reason) {
		return
	}
	r.m.failed.Add(float64(len(b.Messages)))
	if !b.ids.IsZero() && b.back != nil {
		b.back.Contraflow(event.Insight{Action: event.ActFail, IDs: b.ids, Reason: reason})
	}
	if b.plain > 0 {
		r.log.Warn("events not delivered (not transactional, so not re-sent; put a qos::wal before this offramp to keep them)",
			"events", b.plain, "reason", reason)
	}
}

func (r *SinkRunner) broadcast(in event.Insight) {
	r.upMu.Lock()
	ups := make([]Upstream, 0, len(r.ups))
	for u := range r.ups {
		ups = append(ups, u)
	}
	r.upMu.Unlock()
	for _, u := range ups {
		u.Contraflow(in)
	}
}

func (r *SinkRunner) peer() string {
	if p, ok := r.sink.(Peer); ok {
		return p.Peer()
	}
	return r.typ
}

// trip opens the circuit breaker upstream.
func (r *SinkRunner) trip(msg, reason string, args ...any) {
	r.tripped = true
	r.downSince, r.lastNag, r.attempts = time.Now(), time.Now(), 0
	r.log.Warn(msg, append([]any{"type", r.typ, "peer", r.peer()}, args...)...)
	r.m.breaker.Set(1)
	r.broadcast(event.Insight{Action: event.ActTrigger, Reason: reason, From: r.url})
}

// failUnconfirmed fails every batch written and not confirmed.
func (r *SinkRunner) failUnconfirmed(reason string) {
	for _, b := range r.unconfirmed {
		r.fail(b, reason)
	}
	clear(r.unconfirmed)
	r.unconfirmed = r.unconfirmed[:0]
	r.nUnconfirmed = 0
	r.m.inflight.Set(0)
}

// drop fails the unconfirmed, disconnects and trips the breaker.
//
// The breaker opens first, so that a qos::wal upstream that re-sends what
// fails holds it until the offramp is back; the sink disconnects before
// the fails, so that what it settled meanwhile (a request answered) is
// answered as it settled.
func (r *SinkRunner) drop(reason string) {
	if !r.tripped {
		r.trip("offramp disconnected: circuit breaker open; reconnecting with backoff", reason, "reason", reason)
	}
	if r.connected {
		_ = r.sink.Disconnect()
		r.connected = false
	}
	r.failUnconfirmed(reason)
}

// write hands b to the sink; false when the connection dropped.
func (r *SinkRunner) write(ctx context.Context, b *Batch) bool {
	wctx, cancel := context.WithTimeout(ctx, r.opts.ConfirmTimeout)
	err := r.sink.Write(wctx, b)
	cancel()
	var rej *rejected
	switch {
	case err == nil && r.confirm == nil:
		r.ack(b)
		return true
	case err == nil:
		r.unconfirmed = append(r.unconfirmed, b)
		r.nUnconfirmed += len(b.Messages)
		r.m.inflight.Set(float64(r.nUnconfirmed))
		return true
	case errors.As(err, &rej):
		r.fail(b, rej.Error())
		return true
	}
	r.unconfirmed = append(r.unconfirmed, b)
	reason := "write failed: " + err.Error()
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		reason = fmt.Sprintf("write did not complete within %v", r.opts.ConfirmTimeout)
	}
	r.drop(reason)
	return false
}

// confirmAll asks a Confirmer to confirm what is unconfirmed and acks it,
// or fails it and drops the connection.
func (r *SinkRunner) confirmAll(ctx context.Context) {
	if r.confirm == nil || len(r.unconfirmed) == 0 || !r.connected {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, r.opts.ConfirmTimeout)
	err := r.confirm.Confirm(cctx)
	cancel()
	if err != nil {
		reason := "no confirmation from the peer: " + err.Error()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			reason = fmt.Sprintf("the peer did not confirm within %v", r.opts.ConfirmTimeout)
		}
		r.drop(reason)
		return
	}
	for _, b := range r.unconfirmed {
		r.ack(b)
	}
	clear(r.unconfirmed)
	r.unconfirmed = r.unconfirmed[:0]
	r.nUnconfirmed = 0
	r.m.inflight.Set(0)
}

// connect tries to connect until it succeeds (true) or the runner must
// stop (false: ctx ended, or the input closed while disconnected). What
// arrives meanwhile is failed at once (a qos::wal upstream re-sends it
// after the restore).
func (r *SinkRunner) connect(ctx context.Context, bo *backoff.ExponentialBackOff) bool {
	for {
		cctx, cancel := context.WithTimeout(ctx, r.opts.ConfirmTimeout)
		err := r.sink.Connect(cctx)
		cancel()
		if err == nil {
			r.connected = true
			r.m.connects.Inc()
			bo.Reset()
			if r.tripped {
				r.log.Info("offramp connected", "type", r.typ, "peer", r.peer(), "after_outage_of", time.Since(r.downSince).Round(time.Millisecond).String())
				r.tripped = false
				r.m.breaker.Set(0)
				r.broadcast(event.Insight{Action: event.ActRestore, From: r.url})
			} else {
				r.log.Info("offramp connected", "type", r.typ, "peer", r.peer())
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		r.attempts++
		if !r.tripped {
			r.trip("offramp cannot connect: circuit breaker open; retrying with backoff", "cannot connect to "+r.peer()+": "+err.Error(), "err", err)
		} else if time.Since(r.lastNag) >= stillDownEvery {
			r.lastNag = time.Now()
			r.log.Warn("offramp still cannot connect", "type", r.typ, "peer", r.peer(),
				"down_for", time.Since(r.downSince).Round(time.Second).String(), "attempts", r.attempts, "err", err)
		}
		t := time.NewTimer(bo.NextBackOff())
	wait:
		for {
			select {
			case <-ctx.Done():
				t.Stop()
				return false
			case <-t.C:
				break wait
			case b, ok := <-r.in:
				if !ok {
					t.Stop()
					return false
				}
				r.fail(b, "not connected to "+r.peer())
			}
		}
	}
}

// Run delivers batches until the input is closed (then it drains: what is
// in flight is confirmed or failed) or ctx ends (then it fails what is
// unconfirmed at once). It returns nil in both cases.
func (r *SinkRunner) Run(ctx context.Context) error {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = r.opts.BackoffInitial, r.opts.BackoffMax
	defer func() {
		r.failUnconfirmed("offramp stopped")
		if !r.connected {
			return
		}
		r.connected = false
		if sd, ok := r.sink.(Shutdowner); ok && ctx.Err() == nil {
			sctx, cancel := context.WithTimeout(ctx, r.opts.ConfirmTimeout)
			defer cancel()
			if sd.Shutdown(sctx) == nil {
				return
			}
		}
		_ = r.sink.Disconnect()
	}()
	for {
		if !r.connected {
			if !r.connect(ctx, bo) {
				return nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case b, ok := <-r.in:
			if !ok {
				r.confirmAll(ctx)
				return nil
			}
			if !r.write(ctx, b) {
				continue
			}
			// Keep writing what is queued, then confirm it all at once.
		burst:
			for r.connected && r.nUnconfirmed < r.opts.MaxUnconfirmed {
				select {
				case b, ok := <-r.in:
					if !ok {
						r.confirmAll(ctx)
						return nil
					}
					if !r.write(ctx, b) {
						break burst
					}
				default:
					break burst
				}
			}
			r.confirmAll(ctx)
		}
	}
}
