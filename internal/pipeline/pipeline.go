package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
)

// Upstream receives contraflow from a pipeline: a source, or the pipeline
// feeding this one. Contraflow must never block.
type Upstream interface {
	Contraflow(in event.Insight)
}

// Output receives events leaving a pipeline port: a sink, or another
// pipeline. Send may block for back-pressure and returns an error once the
// output no longer accepts events (it is then treated as a failed delivery).
// The output reports the fate of transactional events to back.
type Output interface {
	Send(ctx context.Context, ev *event.Event, back Upstream) error
	// Name is the output's URL, for logs.
	Name() string
}

// ErrStopped is returned by Send after the pipeline stopped.
var ErrStopped = errors.New("pipeline stopped")

// ErrUndeliverable marks an Output's Send error as permanent for that event
// (e.g. its codec cannot encode it): sending it again would fail the same
// way, so it is dead-lettered (counted, logged, answered as handled)
// instead of failed for a re-send.
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

type node struct {
	id    string
	port  string    // nodeOutput: the pipeline's output port it is
	where string    // file:line:col of what created it, for messages
	span  diag.Span // selects: the statement
	url   string
	kind  nodeKind
	op    Operator
	cf    ContraflowHandler
	sig   SignalHandler
	outs  map[string][]target
	order int // topological position; contraflow visits higher orders first
	log   *slog.Logger
	woken bool // guarded by Pipeline.wakeMu
	// counts of events per port, kept only with metrics_interval_s
	ins, outs2 map[string]uint64
}

type inbound struct {
	port    string
	ev      *event.Event
	from    Upstream
	barrier chan struct{}
	quiesce bool // with barrier: stop emitting once it is reached
}

// Pipeline is a running pipeline instance.
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
	cfReady chan struct{}

	wakeMu  sync.Mutex
	wakeSet []*node
	wakeCh  chan struct{}

	tick    time.Duration
	noTicks bool
	clock   func() uint64

	// upstreams, by the source that stamped the IDs they forward; owned
	// by the run goroutine.
	upstreams   map[event.SourceID]Upstream
	allUpstream map[Upstream]struct{}
	fans        map[event.EventID]*fan
	quiesced    bool
	runCtx      context.Context
	quiesceCh   chan chan struct{}
	stopped     chan struct{}

	warnedPorts map[string]bool
	errs        *errorLog

	id              string // `#!config id`
	metricsInterval uint64 // `#!config metrics_interval_s`, in ns (0: none)
	lastMetrics     uint64
	warnings        diag.List // found while building
}

// fan tracks the answers a transactional event is owed while it travels
// the graph: one per output it was sent to and per Answerer operator it
// reached, plus one while it is still being routed. It is acked upstream
// once every answer came and all were acks, failed if any was a fail, and
// acked at once if it reached nothing that will answer (a `where` filtered
// it out, a script dropped it, or its port is linked to nothing): so a WAL
// before a filter or before several sinks neither fills up with events
// nobody answers nor lets one sink's ack hide another's fail.
type fan struct {
	pending int
	failed  bool
	reason  string
}

// Options tune a pipeline instance.
type Options struct {
	// Tick is how often signal handlers run (default 100ms).
	Tick time.Duration
	// InputBuffer is the capacity of the input queue (default 0:
	// unbuffered, so that a tripped circuit breaker stops sources at once).
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
		fans:        map[event.EventID]*fan{},
		quiesceCh:   make(chan chan struct{}),
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

// Send delivers ev to input port; it blocks until the pipeline takes it
// (back-pressure) and fails once the pipeline stopped or ctx ended. from
// receives the contraflow for ev.
func (p *Pipeline) Send(ctx context.Context, ev *event.Event, from Upstream) error {
	return p.SendPort(ctx, "in", ev, from)
}

// SendPort is Send to a named input port.
func (p *Pipeline) SendPort(ctx context.Context, port string, ev *event.Event, from Upstream) error {
	select {
	case p.input <- inbound{port: port, ev: ev, from: from}:
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

// Quiesce waits until every event sent so far has been processed, then stops
// the pipeline's own emissions (signals and wakes): from then on it only
// processes contraflow, so sinks can drain and their acks still reach the
// operators. Sources must have stopped before.
func (p *Pipeline) Quiesce(ctx context.Context) error { return p.barrier(ctx, true) }

// Sync waits until every event sent so far has been processed (stored, in
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

// Run processes events, contraflow and signals until ctx is cancelled, then
// closes the operators. It must be called exactly once.
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
				ev := &event.Event{IngestNS: now, Meta: event.NewRecord(0), Origin: p.url,
					Data: event.RecordOf("measurement", "events", "tags", tags, "fields", event.RecordOf("count", dir.counts[port]), "timestamp", now)}
				p.output("metrics", ev)
			}
		}
	}
}

func (p *Pipeline) accept(in inbound) {
	if p.metricsInterval > 0 && in.ev.IngestNS-p.lastMetrics > p.metricsInterval {
		p.metrics(in.ev.IngestNS)
	}
	if in.from != nil {
		p.upstreams[in.ev.ID.Source] = in.from
		p.allUpstream[in.from] = struct{}{}
	}
	id := in.port
	if id != "in" {
		id = "in/" + id
	}
	n, ok := p.nodes[id]
	if !ok {
		p.log.Error("event for unknown input port dropped", "port", in.port)
		if in.ev.Transactional && in.from != nil {
			in.from.Contraflow(event.Insight{Action: event.ActFail, ID: in.ev.ID, Reason: "no input port " + in.port})
		}
		return
	}
	f := p.traceBegin(in.ev)
	p.deliver(n, in.port, in.ev)
	p.traceEnd(in.ev.ID, f, len(p.order))
}

// traceBegin opens (or joins) the answer tracking of a transactional event
// about to be routed; traceEnd closes it once the routing returned, from
// position order (whose contraflow handlers see the outcome).
func (p *Pipeline) traceBegin(ev *event.Event) *fan {
	if !ev.Transactional {
		return nil
	}
	f := p.fans[ev.ID]
	if f == nil {
		f = &fan{}
		p.fans[ev.ID] = f
	}
	f.pending++
	return f
}

func (p *Pipeline) traceEnd(id event.EventID, f *fan, order int) {
	if f == nil {
		return
	}
	p.settle(id, f, event.Insight{Action: event.ActAck, ID: id}, order, false)
}

// settle counts one answer for the event tracked by f (an ack or a fail
// from a sink or an operator, or the end of its routing when counted is
// false: that one only releases the routing's hold). When none is owed any
// more, the outcome goes upstream from position order.
func (p *Pipeline) settle(id event.EventID, f *fan, in event.Insight, order int, counted bool) {
	if counted && in.Action == event.ActFail && !f.failed {
		f.failed, f.reason = true, in.Reason
	}
	if f.pending--; f.pending > 0 {
		return
	}
	delete(p.fans, id)
	out := event.Insight{Action: event.ActAck, ID: id}
	if f.failed {
		out.Action, out.Reason = event.ActFail, f.reason
	}
	p.contraflowFromOrder(order, out)
}

// owe counts one more answer for a transactional event, if it is tracked.
func (p *Pipeline) owe(ev *event.Event) {
	if !ev.Transactional {
		return
	}
	if f := p.fans[ev.ID]; f != nil {
		f.pending++
	}
}

// deliver hands ev to node n's port and runs the graph from there.
func (p *Pipeline) deliver(n *node, port string, ev *event.Event) {
	if p.metricsInterval > 0 {
		if n.ins == nil {
			n.ins = map[string]uint64{}
		}
		n.ins[port]++
	}
	switch n.kind {
	case nodeStream:
		p.emitFrom(n, "out", ev)
	case nodeOutput:
		p.output(n.port, ev)
	case nodeOperator:
		c := &Context{p: p, node: n}
		_, answers := n.op.(Answerer)
		if answers {
			p.owe(ev)
		}
		if err := n.op.OnEvent(c, port, ev); err != nil {
			if answers && ev.Transactional {
				// It will not answer for an event it refused.
				if f := p.fans[ev.ID]; f != nil {
					f.pending--
				}
			}
			p.operatorError(n, ev, err)
		}
	}
}

// operatorError handles an event an operator failed on (a select or script
// that errs on it, a WAL that refuses it). Such an error is permanent:
// sending the event again fails the same way. So the event is routed to the
// pipeline's err port as {"error": msg, "event": data} when one is linked,
// as Tremor did, and is answered as that output answers; otherwise it is
// dead-lettered: counted, logged (rate-limited) and answered as handled, so
// that whatever keeps it for re-sending (a WAL before this operator) lets it
// go instead of re-sending it forever.
func (p *Pipeline) operatorError(n *node, ev *event.Event, err error) {
	if len(p.outputs["err"]) > 0 {
		p.errs.toErrPort(n, ev, err)
		e := &event.Event{ID: ev.ID, IngestNS: ev.IngestNS, Origin: ev.Origin, Meta: ev.Meta, Transactional: ev.Transactional,
			Data: event.RecordOf("error", err.Error(), "event", ev.Data)}
		p.output("err", e)
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
	if ev.Transactional && p.fans[ev.ID] == nil {
		p.contraflowFromOrder(order, event.Insight{Action: event.ActAck, ID: ev.ID})
	}
}

func (p *Pipeline) emitFrom(n *node, port string, ev *event.Event) {
	if p.metricsInterval > 0 {
		if n.outs2 == nil {
			n.outs2 = map[string]uint64{}
		}
		n.outs2[port]++
	}
	ts := n.outs[port]
	for i, t := range ts {
		e := ev
		if i < len(ts)-1 {
			e = ev.Clone()
		}
		p.deliver(t.n, t.port, e)
	}
}

func (p *Pipeline) output(port string, ev *event.Event) {
	outs := p.outputs[port]
	if len(outs) == 0 {
		// Nothing is linked to this port: the event goes nowhere, as in
		// Tremor. Say so once; nothing answers for it, so its tracking
		// acks it (a WAL before it must not hold it forever).
		if !p.warnedPorts[port] {
			p.warnedPorts[port] = true
			p.log.Warn("events leave through a port that no binding links; they are discarded", "port", port)
		}
		return
	}
	for i, o := range outs {
		e := ev
		if i < len(outs)-1 {
			e = ev.Clone()
		}
		p.owe(e)
		if err := o.Send(p.runCtx, e, p); err != nil {
			if errors.Is(err, ErrUndeliverable) {
				// This output can never take it: dead-lettered, and its
				// answer is owed no more.
				p.errs.dropped(o.Name(), e, err)
				if e.Transactional {
					p.handleInsight(event.Insight{Action: event.ActAck, ID: e.ID})
				}
				continue
			}
			if e.Transactional {
				p.handleInsight(event.Insight{Action: event.ActFail, ID: e.ID, Reason: fmt.Sprintf("%s: %v", o.Name(), err)})
			}
		}
	}
}

func (p *Pipeline) drainContraflow() {
	for {
		p.cfMu.Lock()
		q := p.cfQueue
		p.cfQueue = nil
		p.cfMu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, in := range q {
			p.handleInsight(in)
		}
	}
}

// handleInsight processes an insight arriving from an output.
func (p *Pipeline) handleInsight(in event.Insight) {
	p.answerFrom(len(p.order), in)
}

// answerFrom routes an insight upstream from position order; an ack or
// fail of a tracked event is counted there and goes on once all are in.
func (p *Pipeline) answerFrom(order int, in event.Insight) {
	if in.Action == event.ActAck || in.Action == event.ActFail {
		if f, ok := p.fans[in.ID]; ok {
			p.settle(in.ID, f, in, order, true)
			return
		}
	}
	p.contraflowFromOrder(order, in)
}

func (p *Pipeline) contraflowFrom(n *node, in event.Insight) {
	p.contraflowFromOrder(n.order, in)
}

// contraflowFromOrder passes in to the contraflow handlers placed before
// position order, nearest first, then to the upstreams.
func (p *Pipeline) contraflowFromOrder(order int, in event.Insight) {
	for i := order - 1; i >= 0; i-- {
		n := p.order[i]
		if n.cf == nil {
			continue
		}
		if !n.cf.OnContraflow(&Context{p: p, node: n}, in) {
			return
		}
	}
	switch in.Action {
	case event.ActAck, event.ActFail:
		if u, ok := p.upstreams[in.ID.Source]; ok {
			u.Contraflow(in)
		}
	case event.ActTrigger, event.ActRestore:
		if in.From == "" {
			in.From = p.url
		}
		for u := range p.allUpstream {
			u.Contraflow(in)
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
	if err := n.sig.OnSignal(&Context{p: p, node: n}); err != nil {
		n.log.Error("operator signal failed", "err", err)
	}
}

func (p *Pipeline) now() uint64 {
	if p.clock != nil {
		return p.clock()
	}
	return uint64(time.Now().UnixNano())
}
