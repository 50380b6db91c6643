package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/connector"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline"
	"github.com/temblor-dev/temblor/internal/processor"
)

// errSinkClosed is returned by Send once the sink is draining.
var errSinkClosed = errors.New("offramp is shutting down")

// sinkRunner runs one offramp instance: it encodes events from the pipelines
// linked to it, hands them to the connector, and turns the connector's
// replies into contraflow for those pipelines.
type sinkRunner struct {
	url  string
	sink connector.Sink
	log  *slog.Logger
	m    *metrics

	encMu sync.Mutex // guards codec and post (several pipelines may share a sink)
	codec codec.Codec
	post  *processor.Chain

	in      chan *connector.Message
	closing chan struct{}
	sendMu  sync.RWMutex // Send holds R while sending; close takes W
	closed  bool

	ackedCount, failedCount prometheus.Counter // resolved once

	upMu sync.Mutex
	ups  map[pipeline.Upstream]struct{} // pipelines feeding this sink
}

var _ pipeline.Output = (*sinkRunner)(nil)
var _ connector.Reply = (*sinkRunner)(nil)

func newSinkRunner(url string, s connector.Sink, c codec.Codec, post []processor.Spec, log *slog.Logger, m *metrics) *sinkRunner {
	r := &sinkRunner{url: url, sink: s, codec: c, log: log, m: m,
		in: make(chan *connector.Message, 64), closing: make(chan struct{}),
		ups: map[pipeline.Upstream]struct{}{}}
	r.ackedCount = m.sinkEvents.WithLabelValues(url, "acked")
	r.failedCount = m.sinkEvents.WithLabelValues(url, "failed")
	r.post = processor.NewChain(post)
	return r
}

// Name implements pipeline.Output.
func (r *sinkRunner) Name() string { return r.url }

func (r *sinkRunner) addUpstream(u pipeline.Upstream) {
	r.upMu.Lock()
	r.ups[u] = struct{}{}
	r.upMu.Unlock()
}

func (r *sinkRunner) encode(ev *event.Event) ([][]byte, error) {
	r.encMu.Lock()
	defer r.encMu.Unlock()
	var out [][]byte
	// A batch is written value by value; it is one message to the sink
	// (acked or failed as a whole).
	for _, v := range ev.BatchValues() {
		b, err := r.codec.Encode(v)
		if err != nil {
			return nil, fmt.Errorf("encoding for %s: %w", r.url, err)
		}
		frames, errs := r.post.Process(processor.Frame{Data: b, Meta: processor.Meta{IngestNS: ev.IngestNS, EgressNS: uint64(time.Now().UnixNano())}})
		if len(errs) > 0 {
			// One event is one message to the sink: a part that failed fails it all.
			return nil, fmt.Errorf("postprocessor on %s: %w", r.url, errors.Join(errs...))
		}
		for _, f := range frames {
			out = append(out, f.Data)
		}
	}
	return out, nil
}

// Send implements pipeline.Output.
func (r *sinkRunner) Send(ctx context.Context, ev *event.Event, back pipeline.Upstream) error {
	payloads, err := r.encode(ev)
	if err != nil {
		// Encoding it again would fail the same way: the pipeline counts
		// and logs it as dropped instead of failing it for a re-send.
		r.m.sinkEvents.WithLabelValues(r.url, "encode_error").Inc()
		return fmt.Errorf("%w: %w", pipeline.ErrUndeliverable, err)
	}
	r.sendMu.RLock()
	defer r.sendMu.RUnlock()
	if r.closed {
		return errSinkClosed
	}
	select {
	case r.in <- &connector.Message{Event: ev, Payloads: payloads, Route: back}:
		return nil
	case <-r.closing:
		return errSinkClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closeInput tells the connector to drain: no more messages.
func (r *sinkRunner) closeInput() {
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

// Ack implements connector.Reply.
func (r *sinkRunner) Ack(m *connector.Message) {
	r.ackedCount.Inc()
	if m.Event.Transactional {
		if u, ok := m.Route.(pipeline.Upstream); ok {
			u.Contraflow(event.Insight{Action: event.ActAck, ID: m.Event.ID})
		}
	}
}

// Fail implements connector.Reply.
func (r *sinkRunner) Fail(m *connector.Message, reason string) {
	r.failedCount.Inc()
	if m.Event.Transactional {
		if u, ok := m.Route.(pipeline.Upstream); ok {
			u.Contraflow(event.Insight{Action: event.ActFail, ID: m.Event.ID, Reason: reason})
		}
		return
	}
	r.log.Warn("event not delivered (not transactional, so not re-sent; put a qos::wal before this offramp to keep it)",
		"id", m.Event.ID.String(), "reason", reason)
}

// Trigger implements connector.Reply.
func (r *sinkRunner) Trigger(reason string) {
	r.m.breaker.WithLabelValues(r.url).Set(1)
	r.broadcast(event.Insight{Action: event.ActTrigger, Reason: reason, From: r.url})
}

// Restore implements connector.Reply.
func (r *sinkRunner) Restore() {
	r.m.breaker.WithLabelValues(r.url).Set(0)
	r.broadcast(event.Insight{Action: event.ActRestore, From: r.url})
}

func (r *sinkRunner) broadcast(in event.Insight) {
	r.upMu.Lock()
	ups := make([]pipeline.Upstream, 0, len(r.ups))
	for u := range r.ups {
		ups = append(ups, u)
	}
	r.upMu.Unlock()
	for _, u := range ups {
		u.Contraflow(in)
	}
}
