package pipeline

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
	"github.com/temblor-dev/temblor/internal/lang/vm"
	"github.com/temblor-dev/temblor/internal/registry"
)

// BuildEnv is what Build needs besides the query.
type BuildEnv struct {
	DataDir string
	Logger  *slog.Logger
	Metrics prometheus.Registerer
	Options Options
	// Validate builds the graph for checking only (see OpEnv.Validate).
	Validate bool
	// Claim is handed to the operators (see OpEnv.Claim).
	Claim func(resource, who string) (prev string, ok bool)
}

// builtinNodes are the nodes every pipeline has; their names are reserved.
var builtinNodes = []string{"in", "out", "err", "metrics"}

func isBuiltin(name string) bool {
	for _, b := range builtinNodes {
		if b == name {
			return true
		}
	}
	return false
}

// Build turns a parsed trickle query into a pipeline instance named url
// (e.g. "/pipeline/main/01"), compiling its expressions and scripts and
// constructing its operators. Errors are diagnostics positioned in the
// query file.
func Build(q *lang.Query, url string, env BuildEnv) (*Pipeline, error) {
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	env.Options.Logger = env.Logger
	p := newPipeline(url, env.Options)
	b := &builder{q: q, p: p, env: env, defs: map[string]*lang.Def{}, windows: map[string]*windowDef{}}
	if err := b.build(); err != nil {
		p.closeOperators()
		return nil, err
	}
	p.warnings = q.Warnings()
	for _, w := range p.warnings {
		env.Logger.Warn("pipeline "+url+": "+w.Msg, "at", w.Where(), "source", strings.TrimRight(w.Render(), "\n"))
	}
	return p, nil
}

// Warnings are what building the pipeline found questionable (from its
// query and its definitions).
func (p *Pipeline) Warnings() diag.List { return p.warnings }

// ID is the pipeline's id as its query sets it with `#!config id = "..."`
// (as Tremor named pipelines in metrics), or "" when it does not.
func (p *Pipeline) ID() string { return p.id }

type builder struct {
	q       *lang.Query
	p       *Pipeline
	env     BuildEnv
	defs    map[string]*lang.Def // the query's own definitions, by name
	windows map[string]*windowDef
	nSelect int
}

func (b *builder) errAt(at diag.Span, hint, format string, args ...any) error {
	return b.q.Err(at, at, fmt.Sprintf(format, args...), hint)
}

func (b *builder) where(at diag.Span) string {
	return fmt.Sprintf("%s:%d:%d", b.q.Src.Name, at.Start.Line, at.Start.Col)
}

func (b *builder) addNode(n *node) {
	n.outs = map[string][]target{}
	if n.kind == nodeOutput && n.port == "" {
		n.port = n.id
	}
	if n.log == nil {
		n.log = b.env.Logger.With("pipeline", b.p.url, "node", n.id)
	}
	if n.url == "" {
		n.url = b.p.url + "/" + n.id
	}
	n.ctx = &Context{p: b.p, node: n}
	b.p.nodes[n.id] = n
}

func defName(n ast.Node) ast.Ident {
	switch d := n.(type) {
	case *ast.DefineOperator:
		return d.ID
	case *ast.DefineScript:
		return d.ID
	case *ast.DefineWindow:
		return d.ID
	}
	return ast.Ident{}
}

func (b *builder) build() error {
	b.addNode(&node{id: "in", kind: nodeStream})
	for _, s := range []string{"out", "err", "metrics"} {
		b.addNode(&node{id: s, port: s, kind: nodeOutput})
	}
	if err := b.config(); err != nil {
		return err
	}
	// Collect definitions first, so a duplicate is reported with both
	// places and `create` may refer to a definition further down.
	for _, d := range b.q.Defs() {
		id := defName(d.Node)
		if prev, dup := b.defs[id.Name]; dup && kindOf(prev.Node) == kindOf(d.Node) {
			return b.errAt(id.Span, "rename one of them", "%s `%s` is defined twice (first at %s)", kindOf(d.Node), id.Name, b.where(defName(prev.Node).Span))
		}
		b.defs[kindOf(d.Node)+" "+id.Name] = d
		b.defs[id.Name] = d
		if w, ok := d.Node.(*ast.DefineWindow); ok {
			b.checkWindowWarning(w)
		}
	}
	var selects []*ast.Select
	for _, st := range b.q.AST.Stmts {
		switch s := st.(type) {
		case *ast.CreateStream:
			if err := b.checkFree(s.ID.Name, s.Span); err != nil {
				return err
			}
			b.addNode(&node{id: s.ID.Name, kind: nodeStream, where: b.where(s.Span)})
		case *ast.CreateOperator:
			if err := b.createOperator(s); err != nil {
				return err
			}
		case *ast.CreateScript:
			if err := b.createScript(s); err != nil {
				return err
			}
		case *ast.Select:
			selects = append(selects, s)
		}
	}
	for _, s := range selects {
		if err := b.addSelect(s); err != nil {
			return err
		}
	}
	return b.sort()
}

func kindOf(n ast.Node) string {
	switch n.(type) {
	case *ast.DefineOperator:
		return "operator"
	case *ast.DefineScript:
		return "script"
	case *ast.DefineWindow:
		return "window"
	}
	return "definition"
}

// config reads the `#!config` directives: `id` names the pipeline,
// `metrics_interval_s` turns on its metrics events.
func (b *builder) config() error {
	for _, prm := range b.q.AST.Config {
		v, err := b.q.Const(prm.Value)
		if err != nil {
			return err
		}
		switch prm.Name.Name {
		case "id":
			s, ok := v.(string)
			if !ok {
				return b.errAt(prm.Value.Extent(), `write it as a string: #!config id = "main"`, "`id` must be a string, got %s", event.TypeName(v))
			}
			b.p.id = s
		case "metrics_interval_s":
			n, ok := asUint(v)
			if !ok {
				return b.errAt(prm.Value.Extent(), "write the number of seconds: #!config metrics_interval_s = 10", "`metrics_interval_s` must be a non-negative integer, got %s", event.TypeName(v))
			}
			b.p.metricsInterval = n * 1_000_000_000
		default:
			hint := "known: id, metrics_interval_s"
			if c := registry.Closest(prm.Name.Name, []string{"id", "metrics_interval_s"}); c != "" {
				hint = fmt.Sprintf("did you mean `%s`?", c)
			}
			return b.errAt(prm.Name.Span, hint, "unknown config directive `%s`", prm.Name.Name)
		}
	}
	return nil
}

func asUint(v event.Value) (uint64, bool) {
	switch n := v.(type) {
	case int64:
		return uint64(n), n >= 0
	case uint64:
		return n, true
	}
	return 0, false
}

// checkFree fails when id already names a node (at the statement creating
// it, as Tremor reported it).
func (b *builder) checkFree(id string, stmt diag.Span) error {
	if _, taken := b.p.nodes[id]; !taken {
		return nil
	}
	outer := stmt
	outer.Start.Line = max(outer.Start.Line-2, 0)
	outer.End.Line += 2
	if isBuiltin(id) {
		return b.q.Err(outer, stmt, fmt.Sprintf("Name `%s` is reserved for built-in nodes, please use another name.", id), "")
	}
	return b.q.Err(outer, stmt, fmt.Sprintf("Name `%s` is already in use for another node, please use another name.", id), "")
}

// lookup finds the definition a create statement (or a window reference)
// names: the query's own, or one in a module.
func (b *builder) lookup(kind string, mod []ast.Ident, target ast.Ident) (*lang.Def, error) {
	if len(mod) == 0 {
		if d, ok := b.defs[kind+" "+target.Name]; ok {
			return d, nil
		}
		var known []string
		for k, d := range b.defs {
			if strings.HasPrefix(k, kind+" ") {
				known = append(known, defName(d.Node).Name)
			}
		}
		sort.Strings(known)
		hint := fmt.Sprintf("define it first: define %s %s ...", map[string]string{"operator": "<kind> operator", "script": "script", "window": "tumbling window"}[kind], target.Name)
		if c := registry.Closest(target.Name, known); c != "" {
			hint = fmt.Sprintf("did you mean `%s`?", c)
		}
		return nil, b.errAt(target.Span, hint, "no %s definition `%s` (defined: %s)", kind, target.Name, listOrNone(known))
	}
	path := make([]string, len(mod))
	for i, m := range mod {
		path[i] = m.Name
	}
	d, ok := b.q.ModuleDef(path, target.Name)
	if ok && kindOf(d.Node) == kind {
		return d, nil
	}
	full := strings.Join(append(path, target.Name), "::")
	hint := "load the module with `use " + strings.Join(path, "::") + ";` or define it in a `mod` block"
	if names := b.q.ModuleDefNames(path); len(names) > 0 {
		sort.Strings(names)
		hint = "the module defines: " + strings.Join(names, ", ")
	}
	at := diag.Span{Start: mod[0].Span.Start, End: target.Span.End}
	return nil, b.errAt(at, hint, "no %s definition `%s`", kind, full)
}

func (b *builder) params(defn string, kind string, at diag.Span, d *lang.Def, defParams, params []*ast.Param) (*Params, error) {
	vals := map[string]event.Value{}
	where := map[string]diag.Span{}
	for _, prm := range defParams {
		v, err := d.Const(prm.Value)
		if err != nil {
			return nil, err
		}
		vals[prm.Name.Name] = v
		where[prm.Name.Name] = prm.Name.Span
	}
	for _, prm := range params {
		v, err := b.q.Const(prm.Value)
		if err != nil {
			return nil, err
		}
		vals[prm.Name.Name] = v
		where[prm.Name.Name] = prm.Name.Span
	}
	return NewParams(defn, kind, b.q.Src, at, vals, where), nil
}

func (b *builder) createOperator(s *ast.CreateOperator) error {
	if err := b.checkFree(s.ID.Name, s.Span); err != nil {
		return err
	}
	d, err := b.lookup("operator", s.Module, s.Target)
	if err != nil {
		return err
	}
	def := d.Node.(*ast.DefineOperator)
	kind := def.KindString()
	spec, err := Operators.Get(kind)
	if err != nil {
		at := diag.Span{Start: def.Kind[0].Span.Start, End: def.Kind[1].Span.End}
		hint := "the operator kinds: " + strings.Join(Operators.Names(), ", ")
		if c := registry.Closest(kind, Operators.Names()); c != "" {
			hint = fmt.Sprintf("did you mean `%s`?", c)
		}
		return d.Src.Diag(at, at, fmt.Sprintf("unknown operator kind `%s`", kind), hint)
	}
	prm, err := b.params(def.ID.Name, kind, def.ID.Span, d, def.Params, s.Params)
	if err != nil {
		return err
	}
	n := &node{id: s.ID.Name, kind: nodeOperator, where: b.where(s.Span)}
	b.addNode(n)
	op, err := spec.New(OpEnv{Pipeline: b.p.url, Node: s.ID.Name, DataDir: b.env.DataDir, Logger: n.log, Metrics: b.env.Metrics, Validate: b.env.Validate, Claim: b.env.Claim}, prm)
	if err != nil {
		delete(b.p.nodes, s.ID.Name)
		return err
	}
	b.setOp(n, op)
	return nil
}

func (b *builder) setOp(n *node, op Operator) {
	n.op = op
	n.bop, _ = op.(BatchOperator)
	n.cf, _ = op.(ContraflowHandler)
	n.sig, _ = op.(SignalHandler)
	_, n.answers = op.(Answerer)
}

func (b *builder) createScript(s *ast.CreateScript) error {
	if err := b.checkFree(s.ID.Name, s.Span); err != nil {
		return err
	}
	d, err := b.lookup("script", s.Module, s.Target)
	if err != nil {
		return err
	}
	def := d.Node.(*ast.DefineScript)
	args := event.NewRecord(len(def.Params) + len(s.Params))
	for _, prm := range def.Params {
		v, err := d.Const(prm.Value)
		if err != nil {
			return err
		}
		args.Set(prm.Name.Name, v)
	}
	for _, prm := range s.Params {
		v, err := b.q.Const(prm.Value)
		if err != nil {
			return err
		}
		args.Set(prm.Name.Name, v)
	}
	script, err := d.Script()
	if err != nil {
		return err
	}
	n := &node{id: s.ID.Name, kind: nodeOperator, where: b.where(s.Span)}
	b.addNode(n)
	b.setOp(n, &scriptOp{script: script, args: args})
	return nil
}

// streamErr is Tremor's error for a stream that does not exist, with a
// suggestion when one is close.
func (b *builder) streamErr(stmt diag.Span, ref ast.StreamPort) error {
	var known []string
	for id, n := range b.p.nodes {
		if n.kind != nodeOutput || id == n.port {
			known = append(known, id)
		}
	}
	sort.Strings(known)
	hint := ""
	if c := registry.Closest(ref.Stream.Name, known); c != "" {
		hint = fmt.Sprintf("did you mean `%s`?", c)
	}
	return b.q.Err(stmt, ref.Stream.Span, "Stream used in `from` or `into` is not defined: "+ref.Stream.Name, hint)
}

// resolveFrom is the node and output port a select reads.
func (b *builder) resolveFrom(s *ast.Select) (*node, string, error) {
	ref := s.From
	name, port := ref.Stream.Name, ref.PortName()
	if name == "in" && port != "" && port != "out" {
		// A named input port of the pipeline.
		id := "in/" + port
		if _, ok := b.p.nodes[id]; !ok {
			b.addNode(&node{id: id, kind: nodeStream, where: b.where(ref.Span)})
		}
		return b.p.nodes[id], "out", nil
	}
	n, ok := b.p.nodes[name]
	if !ok {
		return nil, "", b.streamErr(s.Span, ref)
	}
	switch n.kind {
	case nodeStream:
		if port != "" && port != "out" {
			return nil, "", b.errAt(ref.Span, "streams have one port; drop the `/"+port+"`", "stream `%s` has no port `%s`", n.id, port)
		}
		return n, "out", nil
	case nodeOutput:
		return nil, "", b.errAt(ref.Span, "`out`, `err` and `metrics` are the pipeline's outputs; select from `in`, a created stream or an operator",
			"cannot select from the output stream `%s`", n.id)
	}
	if port == "" {
		port = "out"
	}
	return n, port, nil
}

// resolveInto is the node and input port a select writes to; `out/PORT`
// is the pipeline's output port PORT.
func (b *builder) resolveInto(s *ast.Select) (*node, string, error) {
	ref := s.Into
	name, port := ref.Stream.Name, ref.PortName()
	if name == "out" && port != "" && port != "in" {
		id := "out/" + port
		if _, ok := b.p.nodes[id]; !ok {
			b.addNode(&node{id: id, port: port, kind: nodeOutput, where: b.where(ref.Span)})
		}
		return b.p.nodes[id], "in", nil
	}
	n, ok := b.p.nodes[name]
	if !ok {
		return nil, "", b.streamErr(s.Span, ref)
	}
	switch n.kind {
	case nodeStream:
		if n.id == "in" || strings.HasPrefix(n.id, "in/") {
			return nil, "", b.errAt(ref.Span, "select from `in`, and into `out` or `err`", "cannot select into the input stream `%s`", n.id)
		}
		if port != "" && port != n.id {
			// `into out/exit`: the pipeline's output port `exit`, which a
			// binding links as /pipeline/ID/INSTANCE/exit (Tremor 0.11).
			named, ok := b.p.nodes[port]
			if !ok {
				named = &node{id: port, kind: nodeOutput}
				b.addNode(named)
			} else if named.kind != nodeOutput {
				return nil, "", b.errAt(ref.Span, "rename the stream or operator, or the port",
					"output port `%s` has the name of a stream or operator of this pipeline", port)
			}
			return named, "in", nil
		}
		return n, "in", nil
	case nodeOutput:
		return n, "in", nil
	}
	if port == "" {
		port = "in"
	}
	return n, port, nil
}

func (b *builder) addSelect(s *ast.Select) error {
	from, fport, err := b.resolveFrom(s)
	if err != nil {
		return err
	}
	into, iport, err := b.resolveInto(s)
	if err != nil {
		return err
	}
	sel, err := b.q.Select(s)
	if err != nil {
		return err
	}
	var op Operator
	switch {
	case len(s.Windows) > 0:
		var wins []*windowDef
		for _, ref := range s.Windows {
			w, err := b.window(ref)
			if err != nil {
				return err
			}
			wins = append(wins, w)
		}
		op = newWindowSelect(b.q, sel, wins)
	case sel.Group != nil:
		op = &groupSelectOp{q: b.q, sel: sel}
	default:
		op = &selectOp{q: b.q, target: sel.Target, where: sel.Where, having: sel.Having, passthrough: isEventPath(s.Target)}
	}
	n := &node{id: fmt.Sprintf("select_%d", b.nSelect), kind: nodeOperator, where: b.where(s.Span), span: s.Span}
	b.nSelect++
	b.addNode(n)
	b.setOp(n, op)
	from.outs[fport] = append(from.outs[fport], target{n: n, port: "in"})
	n.outs["out"] = append(n.outs["out"], target{n: into, port: iport})
	return nil
}

func isEventPath(e ast.Expr) bool {
	p, ok := e.(*ast.Path)
	return ok && p.Root == ast.RootEvent && len(p.Segments) == 0
}

// sort orders nodes topologically (Kahn), so contraflow visits operators
// nearest the outputs first; a cycle is an error.
func (b *builder) sort() error {
	indeg := map[*node]int{}
	var ids []string
	for id, n := range b.p.nodes {
		ids = append(ids, id)
		indeg[n] += 0
		for _, ts := range n.outs {
			for _, t := range ts {
				indeg[t.n]++
			}
		}
	}
	sort.Strings(ids) // deterministic order
	var queue []*node
	for _, id := range ids {
		if n := b.p.nodes[id]; indeg[n] == 0 {
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		n.order = len(b.p.order)
		b.p.order = append(b.p.order, n)
		ports := make([]string, 0, len(n.outs))
		for port := range n.outs {
			ports = append(ports, port)
		}
		sort.Strings(ports)
		for _, port := range ports {
			for _, t := range n.outs[port] {
				if indeg[t.n]--; indeg[t.n] == 0 {
					queue = append(queue, t.n)
				}
			}
		}
	}
	if len(b.p.order) != len(b.p.nodes) {
		var cyc []string
		var last *node // the select written last in the cycle
		for _, id := range ids {
			n := b.p.nodes[id]
			if indeg[n] == 0 {
				continue
			}
			if strings.HasPrefix(id, "select_") {
				if last == nil || n.span.Start.Line > last.span.Start.Line ||
					n.span.Start.Line == last.span.Start.Line && n.span.Start.Col > last.span.Start.Col {
					last = n
				}
				continue
			}
			cyc = append(cyc, id)
		}
		msg := fmt.Sprintf("this select closes a cycle through %s: events would loop forever", strings.Join(cyc, ", "))
		hint := "events must flow from `in` to the outputs without loops; select into another stream"
		if last == nil {
			return &diag.Diagnostic{File: b.q.Src.Name, Msg: msg, Hint: hint}
		}
		return b.q.Err(last.span, last.span, msg, hint)
	}
	return nil
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// langError is a script or select failing on an event: its message is
// the rendered diagnostic (as Tremor put it into the error event, with
// the file and position in the heading).
type langError struct{ err error }

func (e *langError) Error() string {
	if l := diag.As(e.err); len(l) == 1 {
		return strings.TrimRight(l[0].Render(), "\n")
	}
	return e.err.Error()
}

func (e *langError) Unwrap() error { return e.err }

func eventEnv(ev *event.Event) lang.Env {
	if ev.Meta == nil {
		ev.Meta = event.NewRecord(0)
	}
	return lang.Env{Data: &ev.Data, Meta: &ev.Meta, Ctx: &stdlib.Ctx{IngestNS: ev.IngestNS}}
}

// cond evaluates a guard (where, having) that must give a boolean.
func cond(q *lang.Query, x *lang.Expr, env lang.Env) (bool, error) {
	v, err := x.Eval(env)
	if err != nil {
		return false, &langError{err}
	}
	ok, isBool := v.(bool)
	if !isBool {
		sp := x.Extent()
		return false, &langError{q.Err(sp, sp, fmt.Sprintf("Conflicting types, got %s but expected boolean", vm.TypeName(v)), "")}
	}
	return ok, nil
}

// scriptOp runs a script instance; the script chooses the output port,
// and its state lives as long as the pipeline.
type scriptOp struct {
	script *lang.Script
	args   event.Value
	state  event.Value
}

func (s *scriptOp) OnEvent(c *Context, _ string, ev *event.Event) error {
	env := eventEnv(ev)
	env.State, env.Args = &s.state, s.args
	r, err := s.script.Run(env)
	if err != nil {
		if !c.Linked("err") {
			return &langError{err}
		}
		// A query that reads the script's err port gets the failed event
		// there, as in Tremor.
		ev.Data = event.RecordOf("error", (&langError{err}).Error(), "event", ev.Data)
		c.Emit("err", ev)
		return nil
	}
	if r.Drop {
		return nil
	}
	if !r.Event {
		ev.Data = r.Value
	}
	port := r.Port
	if port == "" {
		port = "out"
	}
	c.Emit(port, ev)
	return nil
}
