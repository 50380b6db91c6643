package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/temblor-dev/temblor/internal/answer"
	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
)

// Upstream receives contraflow from a pipeline: a source, or the pipeline
// feeding this one. Contraflow must never block.
type Upstream = event.Upstream

// Output receives the batches leaving a pipeline port: a sink, or another
// pipeline. Send may block for back-pressure. It may keep b (the pipeline
// never touches a batch again once handed over). An
// *event.UndeliverableError says that some events can never be delivered
// there (they are dead-lettered) and the rest were taken; any other error
// means none was taken (the batch counts as failed). The output reports
// the fate of transactional events to back.
type Output interface {
	Send(ctx context.Context, b *event.Batch, back Upstream) error
	// Name is the output's URL, for logs.
	Name() string
}

// ErrStopped is returned by Send after the pipeline stopped.
var ErrStopped = errors.New("pipeline stopped")

// ErrUndeliverable marks an error as permanent for the events it concerns
// (e.g. a codec cannot encode them): sending them again would fail the
// same way, so they are dead-lettered (counted, logged, answered as
// handled) instead of failed for a re-send.
var ErrUndeliverable = errors.New("the event can never be delivered to this output")

type nodeKind int

const (
	nodeStream   nodeKind = iota // in, created streams: pass-through
	nodeOutput                   // out, err and other pipeline output ports
	nodeOperator                 // operators, selects, scripts
)

type target struct {
	n    *node
	port string
}

// portBatch is what an operator emitted on one port during one call.
type portBatch struct {
	port string
	b    *event.Batch
}

type node struct {
	id      string
	port    string    // nodeOutput: the pipeline's output port it is
	where   string    // file:line:col of what created it, for messages
	span    diag.Span // selects: the statement
	url     string
	kind    nodeKind
	op      Operator
	bop     BatchOperator // op, when it takes batches
	cf      ContraflowHandler
	sig     SignalHandler
	answers bool // op is an Answerer
	outs    map[string][]target
	order   int // topological position; contraflow visits higher orders first
	log     *slog.Logger
	ctx     *Context
	// emitted collects Context.Emit calls until the call into the
	// operator returns; then it is flushed downstream as batches.
	emitted []portBatch
	// released are kept IDs to let go of once emitted is flushed.
	released []event.IDs
	woken    bool // guarded by Pipeline.wakeMu
	// counts of events per port, kept only with metrics_interval_s
	ins, outs2 map[string]uint64
}

type inbound struct {
	port    string
	b       *event.Batch
	from    Upstream
	barrier chan struct{}
	quiesce bool // with barrier: stop emitting once it is reached
}

// Pipeline is a running pipeline instance. One goroutine (Run) owns its
// graph and every operator; Send, Contraflow and Context.Wake hand work to
// it from other goroutines.
type Pipeline struct {
	closed sync.Once // operators are closed once (Run, Close or both)
	url    string
	log    *slog.Logger
	nodes  map[string]*node
	order  []*node // topological
	// outputs maps a pipeline output port to where its events go; set by
	// Connect before Run.
	outputs map[string][]Output

	input chan inbound

	cfMu    sync.Mutex
	cfQueue []event.Insight
	cfSpare []event.Insight // the queue's previous backing array, reused
	cfReady chan struct{}

	wakeMu  sync.Mutex
	wakeSet []*node
	wakeCh  chan struct{}

	tick    time.Duration
	noTicks bool
	clock   func() uint64

	// Owned by the run goroutine: the upstreams, by the source that
	// stamped the IDs they forward; the answers transactional events are
	// owed.
	upstreams   map[event.SourceID]Upstream
	allUpstream map[Upstream]struct{}
	track       *answer.Tracker
	outcomes    []answer.Outcome // scratch for settle
	quiesced    bool
	runCtx      context.Context
	stopped     chan struct{}

	warnedPorts map[string]bool
	errs        *errorLog

	id              string // `#!config id`
	metricsInterval uint64 // `#!config metrics_interval_s`, in ns (0: none)
	lastMetrics     uint64
	warnings        diag.List // found while building
}

// Options tune a pipeline instance.
type Options struct {
	// Tick is how often signal handlers run (default 100ms).
	Tick time.Duration
	// InputBuffer is the capacity of the input queue in batches (default
	// 0: unbuffered, so that a tripped circuit breaker stops sources
	// within one batch).
	InputBuffer int
	Logger      *slog.Logger
	// NoTicks turns the ticks off: time windows then close only on
	// events (reproducible runs, Tremor's test harness).
	NoTicks bool
	// Clock is the time ticks are at, in ns since the epoch (default: the
	// wall clock).
	Clock func() uint64
}

func newPipeline(url string, opts Options) *Pipeline {
	if opts.Tick <= 0 {
		opts.Tick = 100 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Pipeline{
		url:         url,
		log:         opts.Logger.With("pipeline", url),
		nodes:       map[string]*node{},
		outputs:     map[string][]Output{},
		input:       make(chan inbound, opts.InputBuffer),
		cfReady:     make(chan struct{}, 1),
		wakeCh:      make(chan struct{}, 1),
		tick:        opts.Tick,
		noTicks:     opts.NoTicks,
		clock:       opts.Clock,
		upstreams:   map[event.SourceID]Upstream{},
		allUpstream: map[Upstream]struct{}{},
		track:       answer.New(),
		runCtx:      context.Background(),
		stopped:     make(chan struct{}),
		warnedPorts: map[string]bool{},
		errs:        newErrorLog(url, opts.Logger),
	}
}

// URL is the pipeline instance's URL, e.g. "/pipeline/main/01".
func (p *Pipeline) URL() string { return p.url }

// Name implements Output, so that pipelines can feed pipelines.
func (p *Pipeline) Name() string { return p.url }

// Ports lists the pipeline's output ports.
func (p *Pipeline) Ports() []string {
	var ports []string
	for _, n := range p.order {
		if n.kind == nodeOutput {
			ports = append(ports, n.port)
		}
	}
	sort.Strings(ports)
	return ports
}

// HasOutput reports whether port is an output port of the pipeline.
func (p *Pipeline) HasOutput(port string) bool {
	return p.outputNode(port) != nil
}

func (p *Pipeline) outputNode(port string) *node {
	for _, n := range p.order {
		if n.kind == nodeOutput && n.port == port {
			return n
		}
	}
	return nil
}

// UnlinkedPorts lists the named output ports (other than out, err and
// metrics) that no Connect linked, each with where the query writes to
// it: events sent there would go nowhere. Call after linking.
func (p *Pipeline) UnlinkedPorts() [][2]string {
	var out [][2]string
	for _, n := range p.order {
		if n.kind != nodeOutput || n.port == "out" || n.port == "err" || n.port == "metrics" {
			continue
		}
		if len(p.outputs[n.port]) == 0 {
			out = append(out, [2]string{n.port, n.where})
		}
	}
	return out
}

// Connect sends the events of output port to o. Call before Run.
func (p *Pipeline) Connect(port string, o Output) error {
	if !p.HasOutput(port) {
		return fmt.Errorf("pipeline %s has no output port %q (ports: %v)", p.url, port, p.Ports())
	}
	p.outputs[port] = append(p.outputs[port], o)
	return nil
}

// Send hands batch b to the input port `in`; it blocks until the pipeline
// takes it (back-pressure) and fails once the pipeline stopped or ctx
// ended. The pipeline owns b from then on. from receives the contraflow
// for b's events.
func (p *Pipeline) Send(ctx context.Context, b *event.Batch, from Upstream) error {
	return p.SendPort(ctx, "in", b, from)
}

// SendPort is Send to a named input port.
func (p *Pipeline) SendPort(ctx context.Context, port string, b *event.Batch, from Upstream) error {
	select {
	case p.input <- inbound{port: port, b: b, from: from}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.stopped:
		return ErrStopped
	}
}

// Contraflow queues an insight coming back from an output; it never blocks.
func (p *Pipeline) Contraflow(in event.Insight) {
	p.cfMu.Lock()
	p.cfQueue = append(p.cfQueue, in)
	p.cfMu.Unlock()
	select {
	case p.cfReady <- struct{}{}:
	default:
	}
}

func (p *Pipeline) wake(n *node) {
	p.wakeMu.Lock()
	if !n.woken {
		n.woken = true
		p.wakeSet = append(p.wakeSet, n)
	}
	p.wakeMu.Unlock()
	select {
	case p.wakeCh <- struct{}{}:
	default:
	}
}

// Quiesce waits until every batch sent so far has been processed, then
// stops the pipeline's own emissions (signals and wakes): from then on it
// only processes contraflow, so sinks can drain and their acks still reach
// the operators. Sources must have stopped before.
func (p *Pipeline) Quiesce(ctx context.Context) error { return p.barrier(ctx, true) }

// Sync waits until every batch sent so far has been processed (stored, in
// the case of a WAL); the pipeline goes on as before.
func (p *Pipeline) Sync(ctx context.Context) error { return p.barrier(ctx, false) }

func (p *Pipeline) barrier(ctx context.Context, quiesce bool) error {
	done := make(chan struct{})
	select {
	case p.input <- inbound{barrier: done, quiesce: quiesce}:
	case <-ctx.Done():
		return ctx.Err()
	case <-p.stopped:
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.stopped:
		return nil
	}
}

// Run processes batches, contraflow and signals until ctx is cancelled,
// then closes the operators. It must be called exactly once.
func (p *Pipeline) Run(ctx context.Context) error {
	defer close(p.stopped)
	p.runCtx = ctx
	t := time.NewTicker(p.tick)
	defer t.Stop()
	ticks := t.C
	if p.noTicks {
		ticks = nil
	}
	defer p.closeOperators()
	p.signalAll()
	for {
		select {
		case <-ctx.Done():
			p.drainContraflow()
			return nil
		case in := <-p.input:
			if in.barrier != nil {
				// Contraflow already queued (a sink that answered inside
				// Send) is part of "everything before the barrier".
				p.drainContraflow()
				p.quiesced = p.quiesced || in.quiesce
				close(in.barrier)
				continue
			}
			p.accept(in)
		case <-p.cfReady:
			p.drainContraflow()
		case <-p.wakeCh:
			p.runWakes()
		case <-ticks:
			p.signalAll()
		}
	}
}

// Close closes the operators of a pipeline that was built but will never
// Run (Run closes them itself). Closing twice, or after Run, does nothing.
func (p *Pipeline) Close() { p.closeOperators() }

func (p *Pipeline) closeOperators() {
	p.closed.Do(func() {
		p.errs.stop()
		for _, n := range p.order {
			if c, ok := n.op.(Closer); ok {
				if err := c.Close(); err != nil {
					n.log.Error("closing operator failed", "err", err)
				}
			}
		}
	})
}

// MetricsInterval is the query's `#!config metrics_interval_s` in ns (0:
// the pipeline sends no metrics events).
func (p *Pipeline) MetricsInterval() uint64 { return p.metricsInterval }

// metrics sends the event counts of every node and port out of the
// `metrics` port, as Tremor's metrics events (influx-shaped records).
func (p *Pipeline) metrics(now uint64) {
	p.lastMetrics = now
	id := p.id
	if id == "" {
		id = p.url
	}
	b := &event.Batch{}
	for _, n := range p.order {
		for _, dir := range []struct {
			name   string
			counts map[string]uint64
		}{{"input", n.ins}, {"output", n.outs2}} {
			ports := make([]string, 0, len(dir.counts))
			for port := range dir.counts {
				ports = append(ports, port)
			}
			sort.Strings(ports)
			for _, port := range ports {
				tags := event.RecordOf("pipeline", id, "node", n.id, "direction", dir.name, "port", port)
				b.Events = append(b.Events, event.Event{IngestNS: now, Meta: event.NewRecord(0), Origin: p.url,
					Data: event.RecordOf("measurement", "events", "tags", tags, "fields", event.RecordOf("count", dir.counts[port]), "timestamp", now)})
			}
		}
	}
	if len(b.Events) > 0 {
		p.output("metrics", b)
	}
}

// accept routes an incoming batch from its input port through the graph.
func (p *Pipeline) accept(in inbound) {
	b := in.b
	if p.metricsInterval > 0 && len(b.Events) > 0 && b.Events[0].IngestNS-p.lastMetrics > p.metricsInterval {
		p.metrics(b.Events[0].IngestNS)
	}
	if in.from != nil {
		p.allUpstream[in.from] = struct{}{}
		var last event.SourceID
		for i := range b.Events {
			for j := range b.Events[i].ID.Len() {
				if s := b.Events[i].ID.At(j).Source; s != last {
					p.upstreams[s], last = in.from, s
				}
			}
		}
	}
	ids := b.TransactionalIDs()
	id := in.port
	if id != "in" {
		id = "in/" + id
	}
	n, ok := p.nodes[id]
	if !ok {
		p.log.Error("events for an unknown input port dropped", "port", in.port, "events", len(b.Events))
		if !ids.IsZero() && in.from != nil {
			in.from.Contraflow(event.Insight{Action: event.ActFail, IDs: ids, Reason: "no input port " + in.port})
		}
		return
	}
	end := len(p.order)
	p.track.Hold(ids)
	p.deliver(n, in.port, b)
	p.track.Release(ids, end)
	p.settle()
}

// settle sends upstream the outcomes of events that are owed nothing more.
func (p *Pipeline) settle() {
	for {
		var buf [4]answer.Outcome
		outs := p.track.Take(buf[:0])
		if len(outs) == 0 {
			return
		}
		for _, o := range outs {
			in := event.Insight{Action: event.ActAck, IDs: o.IDs}
			if o.Fail {
				in.Action, in.Reason = event.ActFail, o.Reason
			}
			p.contraflowFromOrder(o.From, in)
		}
	}
}

// deliver hands b to node n's port and runs the graph from there.
func (p *Pipeline) deliver(n *node, port string, b *event.Batch) {
	if len(b.Events) == 0 {
		return
	}
	if p.metricsInterval > 0 {
		if n.ins == nil {
			n.ins = map[string]uint64{}
		}
		n.ins[port] += uint64(len(b.Events))
	}
	switch n.kind {
	case nodeStream:
		p.forward(n, "out", b)
	case nodeOutput:
		p.output(n.port, b)
	case nodeOperator:
		if n.answers {
			p.track.Owe(b.TransactionalIDs())
		}
		if n.bop != nil {
			n.bop.OnBatch(n.ctx, port, b)
		} else {
			for i := range b.Events {
				if err := n.op.OnEvent(n.ctx, port, &b.Events[i]); err != nil {
					p.operatorError(n, &b.Events[i], err)
				}
			}
		}
		p.flush(n)
	}
}

// flush sends what an operator emitted during a call downstream, one batch
// per port. A transactional event is tracked from here: it is acked or
// failed back to this operator once every sink and Answerer it reached
// answered, or acked when it reached none.
func (p *Pipeline) flush(n *node) {
	for len(n.emitted) > 0 || len(n.released) > 0 {
		pending := n.emitted
		n.emitted = nil
		for i, pb := range pending {
			pending[i] = portBatch{}
			ids := pb.b.TransactionalIDs()
			p.track.Hold(ids)
			p.forward(n, pb.port, pb.b)
			p.track.Release(ids, n.order+1)
			p.settle()
		}
		released := n.released
		n.released = nil
		for _, ids := range released {
			p.track.Release(ids, n.order+1)
		}
		p.settle()
	}
}

// forward delivers b to the targets linked to n's port (a copy to all but
// the last).
func (p *Pipeline) forward(n *node, port string, b *event.Batch) {
	if p.metricsInterval > 0 {
		if n.outs2 == nil {
			n.outs2 = map[string]uint64{}
		}
		n.outs2[port] += uint64(len(b.Events))
	}
	ts := n.outs[port]
	for i, t := range ts {
		bb := b
		if i < len(ts)-1 {
			bb = b.Clone()
		}
		p.deliver(t.n, t.port, bb)
	}
}

// operatorError handles an event an operator failed on (a select or script
// that errs on it, a WAL that refuses it). Such an error is permanent:
// sending the event again fails the same way. So the event is routed to the
// pipeline's err port as {"error": msg, "event": data} when one is linked,
// as Tremor did, and is answered as that output answers; otherwise it is
// dead-lettered: counted, logged (rate-limited) and answered as handled, so
// that whatever keeps it for re-sending (a WAL before this operator) lets it
// go instead of re-sending it forever. An Answerer will not answer for an
// event it failed on: its owed answer is dropped.
func (p *Pipeline) operatorError(n *node, ev *event.Event, err error) {
	if n.answers && ev.Transactional {
		p.track.Release(ev.ID, n.order)
	}
	if len(p.outputs["err"]) > 0 {
		p.errs.toErrPort(n, ev, err)
		e := event.Event{ID: ev.ID, IngestNS: ev.IngestNS, Origin: ev.Origin, Meta: ev.Meta, Transactional: ev.Transactional,
			Data: event.RecordOf("error", err.Error(), "event", ev.Data)}
		p.output("err", &event.Batch{Events: []event.Event{e}})
		return
	}
	p.deadLetter(n.order, n.id, ev, err)
}

// deadLetter drops an event that can never be delivered, counting and
// logging it, and answers for it as handled: a tracked event is acked once
// its other branches are done (this branch owes nothing); an untracked one
// is acked from position order at once.
func (p *Pipeline) deadLetter(order int, where string, ev *event.Event, err error) {
	p.errs.dropped(where, ev, err)
	if ev.Transactional && !p.track.Tracked(ev.ID) {
		p.contraflowFromOrder(order, event.Insight{Action: event.ActAck, IDs: ev.ID})
	}
}

func (p *Pipeline) output(port string, b *event.Batch) {
	outs := p.outputs[port]
	if len(outs) == 0 {
		// Nothing is linked to this port: the events go nowhere, as in
		// Tremor. Say so once; nothing answers for them, so their
		// tracking acks them (a WAL before it must not hold them forever).
		if !p.warnedPorts[port] {
			p.warnedPorts[port] = true
			p.log.Warn("events leave through a port that no binding links; they are discarded", "port", port)
		}
		return
	}
	for i, o := range outs {
		bb := b
		if i < len(outs)-1 {
			bb = b.Clone()
		}
		ids := bb.TransactionalIDs()
		p.track.Owe(ids)
		err := o.Send(p.runCtx, bb, p)
		if err == nil {
			continue
		}
		var ue *event.UndeliverableError
		if errors.As(err, &ue) {
			// The output can never take these: dead-lettered, and their
			// answer is owed no more.
			p.errs.droppedN(o.Name(), ue.Events, ue.Err)
			if !ue.IDs.IsZero() {
				p.answerFrom(len(p.order), event.Insight{Action: event.ActAck, IDs: ue.IDs})
			}
			continue
		}
		if errors.Is(err, ErrUndeliverable) {
			p.errs.droppedN(o.Name(), len(bb.Events), err)
			p.answerFrom(len(p.order), event.Insight{Action: event.ActAck, IDs: ids})
			continue
		}
		if !ids.IsZero() {
			p.answerFrom(len(p.order), event.Insight{Action: event.ActFail, IDs: ids, Reason: fmt.Sprintf("%s: %v", o.Name(), err)})
		}
	}
}

// drainContraflow handles the queued insights. The queue and its spare
// backing array swap places, so that queueing (any goroutine) and handling
// (the run goroutine) never share an array.
func (p *Pipeline) drainContraflow() {
	for {
		p.cfMu.Lock()
		q := p.cfQueue
		p.cfQueue, p.cfSpare = p.cfSpare[:0], nil
		p.cfMu.Unlock()
		for i, in := range q {
			q[i] = event.Insight{}
			p.handleInsight(in)
		}
		p.cfMu.Lock()
		p.cfSpare = q[:0]
		p.cfMu.Unlock()
		if len(q) == 0 {
			return
		}
	}
}

// handleInsight processes an insight arriving from an output.
func (p *Pipeline) handleInsight(in event.Insight) {
	p.answerFrom(len(p.order), in)
}

// answerFrom routes an insight upstream from position order; an ack or
// fail of tracked events is counted there, and goes on once all of their
// answers are in. What is not tracked goes on at once.
func (p *Pipeline) answerFrom(order int, in event.Insight) {
	if in.Action == event.ActAck || in.Action == event.ActFail {
		untracked := p.track.Answer(in.IDs, in.Action == event.ActFail, in.Reason, order)
		p.settle()
		if untracked.IsZero() {
			return
		}
		in.IDs = untracked
	}
	p.contraflowFromOrder(order, in)
}

// contraflowFromOrder passes in to the contraflow handlers placed before
// position order, nearest first, then to the upstreams: an ack or fail to
// the source of each of its IDs, a breaker change to every upstream.
func (p *Pipeline) contraflowFromOrder(order int, in event.Insight) {
	for i := order - 1; i >= 0; i-- {
		n := p.order[i]
		if n.cf == nil {
			continue
		}
		pass := n.cf.OnContraflow(n.ctx, &in)
		p.flush(n)
		if !pass {
			return
		}
		if (in.Action == event.ActAck || in.Action == event.ActFail) && in.IDs.IsZero() {
			return
		}
	}
	switch in.Action {
	case event.ActAck, event.ActFail:
		p.toSources(in)
	case event.ActTrigger, event.ActRestore:
		if in.From == "" {
			in.From = p.url
		}
		for u := range p.allUpstream {
			u.Contraflow(in)
		}
	}
}

// toSources hands an ack or fail to the upstream of each source its IDs
// name (one insight per source).
func (p *Pipeline) toSources(in event.Insight) {
	ids := in.IDs
	first := ids.At(0).Source
	single := true
	for i := 1; i < ids.Len(); i++ {
		single = single && ids.At(i).Source == first
	}
	if single {
		if u, ok := p.upstreams[first]; ok {
			u.Contraflow(in)
		}
		return
	}
	rest := ids
	for !rest.IsZero() {
		var own event.IDs
		src := rest.At(0).Source
		own, rest = rest.Split(src)
		if u, ok := p.upstreams[src]; ok {
			out := in
			out.IDs = own
			u.Contraflow(out)
		}
	}
}

// Backlog is the number of events the pipeline's operators hold for later
// delivery (stored in a WAL and not yet acked). Safe from any goroutine.
func (p *Pipeline) Backlog() uint64 {
	var n uint64
	for _, nd := range p.order {
		if b, ok := nd.op.(Backlogger); ok {
			n += b.Backlog()
		}
	}
	return n
}

// AddUpstream registers u to receive circuit-breaker insights even before
// it sent its first event (so a sink that is down at start pauses it).
func (p *Pipeline) AddUpstream(u Upstream) {
	// Called before Run by the runtime; no lock needed then.
	p.allUpstream[u] = struct{}{}
}

func (p *Pipeline) signalAll() {
	if p.quiesced {
		return
	}
	for _, n := range p.order {
		if n.sig != nil {
			p.signal(n)
		}
	}
}

func (p *Pipeline) runWakes() {
	p.wakeMu.Lock()
	set := p.wakeSet
	p.wakeSet = nil
	for _, n := range set {
		n.woken = false
	}
	p.wakeMu.Unlock()
	if p.quiesced {
		return
	}
	for _, n := range set {
		if n.sig != nil {
			p.signal(n)
		}
	}
}

func (p *Pipeline) signal(n *node) {
	if err := n.sig.OnSignal(n.ctx); err != nil {
		n.log.Error("operator signal failed", "err", err)
	}
	p.flush(n)
}

func (p *Pipeline) now() uint64 {
	if p.clock != nil {
		return p.clock()
	}
	return uint64(time.Now().UnixNano())
}
