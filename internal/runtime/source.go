package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/connector"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lograte"
	"github.com/temblor-dev/temblor/internal/pipeline"
	"github.com/temblor-dev/temblor/internal/processor"
)

// sourceRunner runs one onramp instance: it decodes what the connector
// emits, stamps event IDs and feeds the linked pipelines. It is also the
// Upstream those pipelines send contraflow to.
type sourceRunner struct {
	url    string // /onramp/ID/INSTANCE
	id     event.SourceID
	src    connector.Source
	log    *slog.Logger
	codec  codec.Codec
	preSpc []processor.Spec
	m      *metrics

	mu      sync.Mutex // guards codec, streams, seq
	streams map[uint64]*processor.Chain
	seq     uint64

	outs     map[string][]*pipeline.Pipeline // port → pipelines
	outCount prometheus.Counter              // events on `out`, resolved once
	taken    atomic.Uint64                   // events on `out` that every linked pipeline took

	cbMu    sync.Mutex
	open    map[string]string // breakers currently open: who → reason
	resume  chan struct{}     // closed while no breaker is open
	pausedT time.Time

	// txn: the source is connector.Transactional; its events are tracked
	// per stream until answered (see Settle).
	txn  bool
	txMu sync.Mutex
	tx   map[uint64]*streamTx

	// decodeLog rate-limits the log lines about undecodable input.
	decodeLog *lograte.Limiter
}

// streamTx is what a transactional stream is still owed.
type streamTx struct {
	owed    uint64        // answers not yet in: one per pipeline an event went to
	failed  string        // the reason of the first fail, until Settle reports it
	changed chan struct{} // closed (and replaced) whenever owed or failed changes
}

// decodeLogEvery is how often an onramp logs undecodable input; what comes
// in between is counted and summed up.
var decodeLogEvery = 10 * time.Second

var _ pipeline.Upstream = (*sourceRunner)(nil)
var _ connector.SourceOutput = (*sourceRunner)(nil)

func newSourceRunner(url string, src connector.Source, c codec.Codec, pre []processor.Spec, log *slog.Logger, m *metrics) *sourceRunner {
	r := &sourceRunner{
		url: url, id: event.NewSourceID(), src: src, log: log, codec: c, preSpc: pre, m: m,
		streams: map[uint64]*processor.Chain{},
		outs:    map[string][]*pipeline.Pipeline{},
		open:    map[string]string{},
		resume:  make(chan struct{}),
		tx:      map[uint64]*streamTx{},
	}
	_, r.txn = src.(connector.Transactional)
	close(r.resume)
	r.decodeLog = lograte.New(decodeLogEvery, func(n, total uint64) {
		log.Warn("more input could not be decoded", "inputs", n, "in", decodeLogEvery.String(), "total", total)
	})
	r.outCount = m.sourceEvents.WithLabelValues(url, "out")
	return r
}

// Contraflow handles insights from the pipelines this source feeds.
func (r *sourceRunner) Contraflow(in event.Insight) {
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
	case event.ActAck:
		r.answered(in)
		if a, ok := r.src.(connector.Acker); ok {
			a.Ack(in.ID)
		}
	case event.ActFail:
		r.answered(in)
		if a, ok := r.src.(connector.Acker); ok {
			a.Fail(in.ID)
		}
	}
}

// owe counts answers a transactional stream is owed for an event sent to
// n pipelines.
func (r *sourceRunner) owe(stream uint64, n int) {
	r.txMu.Lock()
	defer r.txMu.Unlock()
	st := r.tx[stream]
	if st == nil {
		st = &streamTx{changed: make(chan struct{})}
		r.tx[stream] = st
	}
	st.owed += uint64(n)
}

// answered counts an ack or fail of a transactional event. Answers for a
// stream that ended are ignored: nobody waits for them.
func (r *sourceRunner) answered(in event.Insight) {
	if !r.txn {
		return
	}
	r.txMu.Lock()
	defer r.txMu.Unlock()
	st := r.tx[in.ID.Stream]
	if st == nil {
		return
	}
	n := in.ID.End - in.ID.Start + 1
	st.owed -= min(n, st.owed)
	if in.Action == event.ActFail && st.failed == "" {
		st.failed = in.Reason
		if st.failed == "" {
			st.failed = "failed downstream"
		}
	}
	close(st.changed)
	st.changed = make(chan struct{})
}

// Settle implements connector.SourceOutput.
func (r *sourceRunner) Settle(ctx context.Context, stream uint64) error {
	if !r.txn {
		return fmt.Errorf("onramp %s is not transactional: nothing tracks its events", r.url)
	}
	for {
		r.txMu.Lock()
		st := r.tx[stream]
		if st == nil {
			r.txMu.Unlock()
			return nil // nothing emitted, or everything answered and the stream ended
		}
		if st.failed != "" {
			reason := st.failed
			st.failed = ""
			r.txMu.Unlock()
			return fmt.Errorf("%w: %s", connector.ErrNotDelivered, reason)
		}
		if st.owed == 0 {
			r.txMu.Unlock()
			return nil
		}
		ch := st.changed
		r.txMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitClosed blocks while any downstream breaker is open.
func (r *sourceRunner) waitClosed(ctx context.Context) error {
	for {
		r.cbMu.Lock()
		ch := r.resume
		r.cbMu.Unlock()
		select {
		case <-ch:
			return nil
		default:
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (r *sourceRunner) nextID(stream uint64) event.EventID {
	r.mu.Lock()
	seq := r.seq
	r.seq++
	r.mu.Unlock()
	return event.NewEventID(r.id, stream, seq)
}

// EmitValue implements connector.SourceOutput.
func (r *sourceRunner) EmitValue(ctx context.Context, data event.Value, meta *event.Record) (event.EventID, error) {
	if err := r.waitClosed(ctx); err != nil {
		return event.EventID{}, err
	}
	ev := r.newEvent(0, data, meta)
	return ev.ID, r.send(ctx, "out", ev)
}

func (r *sourceRunner) newEvent(stream uint64, data event.Value, meta *event.Record) *event.Event {
	return r.newEventAt(stream, uint64(time.Now().UnixNano()), data, meta)
}

func (r *sourceRunner) newEventAt(stream, ingestNS uint64, data event.Value, meta *event.Record) *event.Event {
	ev := &event.Event{ID: r.nextID(stream), IngestNS: ingestNS, Data: data, Origin: r.url + "/out", Transactional: r.txn}
	if meta != nil {
		ev.Meta = meta
	}
	return ev
}

// EmitBytes implements connector.SourceOutput: preprocessors, then codec.
// A preprocessor or codec error costs only the frame it was given: it goes
// to the err port (or the log) and the other frames go on.
func (r *sourceRunner) EmitBytes(ctx context.Context, stream uint64, data []byte, meta *event.Record) (event.EventID, error) {
	if err := r.waitClosed(ctx); err != nil {
		return event.EventID{}, err
	}
	frames, errs := r.preprocess(stream, processor.Frame{Data: data, Meta: processor.Meta{IngestNS: uint64(time.Now().UnixNano())}}, false)
	for _, err := range errs {
		bad := data
		if pe := (*processor.Error)(nil); errors.As(err, &pe) && pe.Data != nil {
			bad = pe.Data
		}
		r.decodeError(ctx, stream, bad, meta, err)
	}
	return r.emitFrames(ctx, stream, frames, meta)
}

// EndStream implements connector.SourceOutput: flush the stream's
// preprocessors, and stop tracking its answers (its peer is gone, so
// nobody waits for them).
func (r *sourceRunner) EndStream(ctx context.Context, stream uint64) error {
	defer func() {
		r.txMu.Lock()
		delete(r.tx, stream)
		r.txMu.Unlock()
	}()
	frames, errs := r.preprocess(stream, processor.Frame{Meta: processor.Meta{IngestNS: uint64(time.Now().UnixNano())}}, true)
	for _, err := range errs {
		r.decodeError(ctx, stream, nil, nil, err)
	}
	_, err := r.emitFrames(ctx, stream, frames, nil)
	return err
}

// Refuse implements connector.SourceOutput.
func (r *sourceRunner) Refuse(ctx context.Context, stream uint64, reason string, info *event.Record) error {
	r.m.refused.WithLabelValues(r.url).Inc()
	if len(r.outs["err"]) == 0 {
		return nil
	}
	data := event.RecordOf("error", reason)
	if info != nil {
		for _, k := range info.Keys() {
			v, _ := info.Get(k)
			data.Set(k, v)
		}
	}
	return r.send(ctx, "err", r.newEvent(stream, data, nil))
}

// stop reports what the rate-limited logs still hold.
func (r *sourceRunner) stop() { r.decodeLog.Stop() }

func (r *sourceRunner) emitFrames(ctx context.Context, stream uint64, frames []processor.Frame, meta *event.Record) (event.EventID, error) {
	var first event.EventID
	for i, f := range frames {
		r.mu.Lock()
		v, err := codec.Decode(r.codec, f.Data, f.Meta.IngestNS)
		r.mu.Unlock()
		if errors.Is(err, codec.ErrSkip) {
			continue // a blank or comment line: no event, no error (as Tremor)
		}
		if err != nil {
			r.decodeError(ctx, stream, f.Data, meta, err)
			continue
		}
		m := meta
		if m != nil && i < len(frames)-1 {
			m = m.Clone()
		}
		ev := r.newEventAt(stream, f.Meta.IngestNS, v, m)
		if first.IsZero() {
			first = ev.ID
		}
		if err := r.send(ctx, "out", ev); err != nil {
			return first, err
		}
	}
	return first, nil
}

// preprocess runs in through the stream's preprocessors; finish flushes and
// forgets them.
func (r *sourceRunner) preprocess(stream uint64, in processor.Frame, finish bool) ([]processor.Frame, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	chain, ok := r.streams[stream]
	if !ok {
		if finish {
			return nil, nil
		}
		chain = processor.NewChain(r.preSpc)
		r.streams[stream] = chain
	}
	if finish {
		delete(r.streams, stream)
		return chain.Finish(in.Meta)
	}
	return chain.Process(in)
}

// decodeError sends undecodable input to the onramp's err port when linked
// (as Tremor did) and logs it either way: input is never dropped silently.
func (r *sourceRunner) decodeError(ctx context.Context, stream uint64, data []byte, meta *event.Record, err error) {
	r.m.decodeErrors.WithLabelValues(r.url).Inc()
	if ok, total := r.decodeLog.Allow(); ok {
		r.log.Warn("input could not be decoded", "err", err, "bytes", len(data), "stream", stream, "total", total)
	}
	if len(r.outs["err"]) == 0 {
		return
	}
	ev := r.newEvent(stream, event.RecordOf("error", err.Error(), "data", string(data)), meta)
	_ = r.send(ctx, "err", ev)
}

func (r *sourceRunner) send(ctx context.Context, port string, ev *event.Event) error {
	ps := r.outs[port]
	if port == "out" {
		r.outCount.Inc()
	} else {
		r.m.sourceEvents.WithLabelValues(r.url, port).Inc()
	}
	for i, p := range ps {
		e := ev
		if i < len(ps)-1 {
			e = ev.Clone()
		}
		if ev.Transactional {
			r.owe(ev.ID.Stream, 1)
		}
		if err := p.SendPort(ctx, "in", e, r); err != nil {
			if ev.Transactional {
				r.answered(event.Insight{Action: event.ActFail, ID: ev.ID, Reason: "not taken by " + p.URL() + ": " + err.Error()})
			}
			return err
		}
	}
	if port == "out" {
		r.taken.Add(1)
	}
	return nil
}
