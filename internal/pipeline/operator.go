package pipeline

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/source"
	"github.com/temblor-dev/temblor/internal/registry"
)

// Operator is a node of a pipeline that handles events arriving on its
// input ports and emits events on its output ports through the Context.
// All methods are called from the pipeline's goroutine. OnEvent's error is
// a permanent failure of that event (see Context.Failed).
type Operator interface {
	OnEvent(c *Context, port string, ev *event.Event) error
}

// BatchOperator is an operator that takes a whole batch per call (qos::wal
// appends it with one commit); it reports an event it fails on with
// Context.Failed. The batch's events may be changed in place; one kept
// beyond the call must be copied (the batch's memory is reused).
type BatchOperator interface {
	Operator
	OnBatch(c *Context, port string, b *event.Batch)
}

// ContraflowHandler is implemented by operators that take part in
// contraflow. OnContraflow sees each insight travelling upstream through
// the pipeline: an operator that owns some of an ack's or fail's IDs takes
// them out of in.IDs (see event.IDs.Split); the insight goes on upstream
// with the rest, unless it returns false.
type ContraflowHandler interface {
	OnContraflow(c *Context, in *event.Insight) (pass bool)
}

// SignalHandler is implemented by operators that do work outside of event
// arrival: OnSignal runs on every pipeline tick and whenever the operator
// asked for it with Context.Wake.
type SignalHandler interface {
	OnSignal(c *Context) error
}

// Answerer is implemented by operators that answer upstream (through
// Context.Upstream, exactly once) for every transactional event they
// accept, as qos::wal does once an event is stored. The pipeline then waits
// for that answer as it waits for a sink's, instead of acking the event
// when it reaches no output.
type Answerer interface {
	AnswersUpstream()
}

// Backlogger is implemented by operators that hold events for later
// delivery (qos::wal): Backlog is how many they hold, stored or in flight.
// It is safe to call from any goroutine.
type Backlogger interface {
	Backlog() uint64
}

// Closer is implemented by operators that hold resources.
type Closer interface {
	Close() error
}

// Context is an operator's handle on its pipeline. It is only valid on the
// pipeline's goroutine, except Wake, which any goroutine may call.
type Context struct {
	p    *Pipeline
	node *node
}

// Emit sends a copy of ev out of the operator's output port. What an
// operator emits during one call goes downstream as one batch per port
// when the call returns.
// A transactional event is tracked from there: it is acked or failed back
// to this operator once every sink and Answerer it reached answered, or
// acked when it reached none.
func (c *Context) Emit(port string, ev *event.Event) {
	n := c.node
	for i := range n.emitted {
		if n.emitted[i].port == port {
			n.emitted[i].b.Append(ev)
			return
		}
	}
	b := &event.Batch{}
	b.Append(ev)
	n.emitted = append(n.emitted, portBatch{port: port, b: b})
}

// Keep tells the pipeline that the operator keeps ev to emit it later
// inside another event (a batch, a window's aggregate): a transactional
// ev stays owed an answer — it is not acked when its routing ends — until
// the operator Releases its IDs.
func (c *Context) Keep(ev *event.Event) {
	if ev.Transactional {
		c.p.track.Hold(ev.ID)
	}
}

// Release lets go of IDs the operator kept, once it emitted an event that
// carries them on (or dropped them). It takes effect after what the
// operator emitted in this call has been sent on, so the IDs pass from the
// kept events to the emitted one without being answered in between.
func (c *Context) Release(ids event.IDs) {
	c.node.released = append(c.node.released, ids)
}

// Failed reports that the operator failed on ev for good (a BatchOperator's
// counterpart of OnEvent's error): it goes to the pipeline's err port, or
// is dead-lettered.
func (c *Context) Failed(ev *event.Event, err error) { c.p.operatorError(c.node, ev, err) }

// Upstream sends an insight upstream from this operator: it passes through
// the operators before it and reaches the sources.
func (c *Context) Upstream(in event.Insight) { c.p.answerFrom(c.node.order, in) }

// Wake asks the pipeline to call the operator's OnSignal soon. Safe from any
// goroutine (e.g. a durability callback).
func (c *Context) Wake() { c.p.wake(c.node) }

// Error reports that ev (or a value made from it) failed in the operator
// with err, without answering for it: it goes to the pipeline's err port
// as {"error": ..., "event": ...} when one is linked, else it is logged
// and counted. For operators that answer for events themselves.
func (c *Context) Error(ev *event.Event, err error) {
	e := &event.Event{ID: ev.ID, IngestNS: ev.IngestNS, Origin: ev.Origin, Meta: ev.Meta, Data: ev.Data}
	if len(c.p.outputs["err"]) > 0 {
		c.p.errs.toErrPort(c.node, e, err)
		c.p.output("err", &event.Batch{Events: []event.Event{{ID: e.ID, IngestNS: e.IngestNS, Origin: e.Origin, Meta: e.Meta,
			Data: event.RecordOf("error", err.Error(), "event", e.Data)}}})
		return
	}
	c.p.errs.dropped(c.node.id, e, err)
}

// Linked reports whether anything reads the operator's output port.
func (c *Context) Linked(port string) bool { return len(c.node.outs[port]) > 0 }

// Now is the pipeline's clock in nanoseconds since the epoch (the time of
// a tick).
func (c *Context) Now() uint64 { return c.p.now() }

// Logger is the operator's logger.
func (c *Context) Logger() *slog.Logger { return c.node.log }

// URL names the operator instance, e.g. "/pipeline/main/01/on_disk_wal".
func (c *Context) URL() string { return c.node.url }

// Params are an operator definition's `with` parameters after evaluation,
// with the position of each for errors.
type Params struct {
	Defn   string // the definition's id
	Kind   string // e.g. "qos::wal"
	Values map[string]event.Value
	src    *source.Source
	pos    map[string]diag.Span // param name → the span of its name
	where  diag.Span            // the definition's name
	used   map[string]bool
	what   string // for messages; default "KIND operator DEFN"
}

// NewParams builds Params; pos maps names to their spans in src, where is
// the span of the definition. Used by the graph builder and by tests.
func NewParams(defn, kind string, src *source.Source, where diag.Span, values map[string]event.Value, pos map[string]diag.Span) *Params {
	if values == nil {
		values = map[string]event.Value{}
	}
	if pos == nil {
		pos = map[string]diag.Span{}
	}
	return &Params{Defn: defn, Kind: kind, Values: values, src: src, pos: pos, where: where, used: map[string]bool{}}
}

// Errorf returns an error positioned at param name (or at the definition
// when the param is absent): a *diag.Diagnostic, shown with the line and a
// caret.
func (p *Params) Errorf(name, format string, args ...any) error {
	where, ok := p.pos[name]
	if !ok {
		where = p.where
	}
	return p.src.Diag(where, where, fmt.Sprintf("%s operator %s: %s", p.Kind, p.Defn, fmt.Sprintf(format, args...)), "")
}

// Where is the position (file:line:col) of param name, or of the
// definition when name was not given: for messages that refer to it.
func (p *Params) Where(name string) string {
	where, ok := p.pos[name]
	if !ok {
		where = p.where
	}
	return fmt.Sprintf("%s:%d:%d", p.src.Name, where.Start.Line, where.Start.Col)
}

// Has reports whether name was given.
func (p *Params) Has(name string) bool { _, ok := p.Values[name]; return ok }

// Uint returns a non-negative integer param, def when absent.
func (p *Params) Uint(name string, def uint64) (uint64, error) {
	v, ok := p.Values[name]
	p.used[name] = true
	if !ok {
		return def, nil
	}
	switch t := v.(type) {
	case int64:
		if t < 0 {
			return 0, p.Errorf(name, "`%s` must not be negative, got %d", name, t)
		}
		return uint64(t), nil
	case uint64:
		return t, nil
	}
	return 0, p.Errorf(name, "`%s` must be an integer, got %s %s", name, event.TypeName(v), event.MarshalJSON(v))
}

// String returns a string param, def when absent.
func (p *Params) String(name, def string) (string, error) {
	v, ok := p.Values[name]
	p.used[name] = true
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", p.Errorf(name, "`%s` must be a string, got %s %s", name, event.TypeName(v), event.MarshalJSON(v))
	}
	return s, nil
}

// Bool returns a boolean param, def when absent.
func (p *Params) Bool(name string, def bool) (bool, error) {
	v, ok := p.Values[name]
	p.used[name] = true
	if !ok {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, p.Errorf(name, "`%s` must be true or false, got %s %s", name, event.TypeName(v), event.MarshalJSON(v))
	}
	return b, nil
}

// CheckUnknown returns an error for every param the constructor did not read,
// suggesting the closest known name. Call it after reading all params.
func (p *Params) CheckUnknown() error {
	var known []string
	for k := range p.used {
		known = append(known, k)
	}
	sort.Strings(known)
	var errs []error
	names := make([]string, 0, len(p.Values))
	for k := range p.Values {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if p.used[k] {
			continue
		}
		msg := fmt.Sprintf("unknown parameter `%s`", k)
		if s := registry.Closest(k, known); s != "" {
			msg += fmt.Sprintf(" (did you mean `%s`?)", s)
		}
		msg += "; accepted: " + strings.Join(known, ", ")
		errs = append(errs, p.Errorf(k, "%s", msg))
	}
	return errors.Join(errs...)
}

// OpEnv is what an operator constructor receives besides its params.
type OpEnv struct {
	// Pipeline is the pipeline instance URL, e.g. "/pipeline/main/01".
	Pipeline string
	// Node is the operator instance id within the pipeline.
	Node string
	// DataDir is the server's data directory (for persistent operators).
	DataDir string
	Logger  *slog.Logger
	// Metrics is where the operator registers its collectors (may be nil).
	Metrics prometheus.Registerer
	// Validate is set by `--validate`: check the parameters and return an
	// operator that will never run, without touching disk or network.
	Validate bool
	// Claim reserves a resource that only one operator instance of the
	// deployment may use (e.g. "wal dir /var/lib/x"), for who (a
	// description with its position). It reports the earlier claimant when
	// the resource is taken. Nil: nothing to check against.
	Claim func(resource, who string) (prev string, ok bool)
}

// OperatorSpec describes an operator kind such as "qos::wal".
type OperatorSpec struct {
	Name string
	Doc  string
	// Config is the schema of its `with` parameters (decoded by
	// Params.Decode), for the reference docs; nil when it reads them
	// itself.
	Config *conf.Schema
	New    func(env OpEnv, p *Params) (Operator, error)
}

// Operators is the registry of operator kinds.
var Operators = registry.New[OperatorSpec]("operator")

// RegisterOperator adds an operator kind; call it from init().
func RegisterOperator(s OperatorSpec) {
	Operators.Register(s.Name, s)
	sum, rest := component.SplitDoc(s.Doc)
	component.Register(&component.Spec{Kind: component.Operator, Name: s.Name, Summary: sum, Docs: rest, Config: s.Config, Impl: s})
}

// Decode fills dst, a pointer to a config struct with `conf` tags, from
// the parameters, strictly: an unknown parameter (with a did-you-mean), a
// wrong type, a missing required one or a value out of range is an error
// positioned at it. The returned At locates parameters for the
// constructor's own checks.
func (p *Params) Decode(schema *conf.Schema, dst any) (conf.At, error) {
	src := &conf.Source{File: p.src.Name, Text: []byte(p.src.Text), Flavor: conf.Trickle}
	names := make([]string, 0, len(p.Values))
	for k := range p.Values {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := p.pos[names[i]].Start, p.pos[names[j]].Start
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	entries := make([]conf.Entry, 0, len(names))
	for _, k := range names {
		sp := p.pos[k]
		entries = append(entries, conf.Entry{Key: k, KeySpan: sp, Value: conf.FromValue(src, sp, p.Values[k])})
		p.used[k] = true
	}
	n := conf.NewMap(src, p.where, entries...)
	what := p.what
	if what == "" {
		what = p.Kind + " operator " + p.Defn
	}
	at, list := schema.Decode(n, dst, conf.Options{What: what, Noun: "parameter",
		Owner: conf.Where{Src: src, Span: p.where}})
	return at, list.Err()
}
