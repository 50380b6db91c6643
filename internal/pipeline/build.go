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

// Implicit streams of every pipeline.
var (
	inputStreams  = []string{"in"}
	outputStreams = []string{"out", "err"}
)

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
	b := &builder{q: q, p: p, env: env,
		opDefs: map[string]*ast.DefineOperator{}, scriptDefs: map[string]*ast.DefineScript{}}
	if err := b.build(); err != nil {
		p.closeOperators()
		return nil, err
	}
	for _, w := range q.Warnings() {
		env.Logger.Warn("pipeline "+url+": "+w.Msg, "at", w.Where(), "source", strings.TrimRight(w.Render(), "\n"))
	}
	return p, nil
}

type builder struct {
	q          *lang.Query
	p          *Pipeline
	env        BuildEnv
	opDefs     map[string]*ast.DefineOperator
	scriptDefs map[string]*ast.DefineScript
	nSelect    int
}

func expandLines(s diag.Span, n int) diag.Span {
	s.Start.Line = max(s.Start.Line-n, 0)
	s.End.Line += n
	return s
}

func (b *builder) errAt(at diag.Span, hint, format string, args ...any) error {
	return b.q.Err(at, at, fmt.Sprintf(format, args...), hint)
}

func (b *builder) where(at diag.Span) string {
	return fmt.Sprintf("%s:%d:%d", b.q.Src.Name, at.Start.Line, at.Start.Col)
}

func (b *builder) addNode(n *node) {
	n.outs = map[string][]target{}
	if n.log == nil {
		n.log = b.env.Logger.With("pipeline", b.p.url, "node", n.id)
	}
	if n.url == "" {
		n.url = b.p.url + "/" + n.id
	}
	b.p.nodes[n.id] = n
}

func (b *builder) build() error {
	for _, s := range inputStreams {
		b.addNode(&node{id: s, kind: nodeStream})
	}
	for _, s := range outputStreams {
		b.addNode(&node{id: s, kind: nodeOutput})
	}
	// Collect definitions first, so a duplicate is reported with both
	// places and `create` may refer to a definition further down.
	for _, st := range b.q.AST.Stmts {
		switch s := st.(type) {
		case *ast.DefineOperator:
			if prev, dup := b.opDefs[s.ID.Name]; dup {
				return b.errAt(s.ID.Span, "rename one of them", "operator `%s` is defined twice (first at %s)", s.ID.Name, b.where(prev.ID.Span))
			}
			b.opDefs[s.ID.Name] = s
		case *ast.DefineScript:
			if prev, dup := b.scriptDefs[s.ID.Name]; dup {
				return b.errAt(s.ID.Span, "rename one of them", "script `%s` is defined twice (first at %s)", s.ID.Name, b.where(prev.ID.Span))
			}
			b.scriptDefs[s.ID.Name] = s
		case *ast.DefineWindow:
			return b.errAt(s.ID.Span, "windows will come with the full trickle language", "windows are not supported yet")
		}
	}
	var selects []*ast.Select
	for _, st := range b.q.AST.Stmts {
		switch s := st.(type) {
		case *ast.CreateStream:
			if err := b.checkFree(s.ID.Name, s.ID.Span); err != nil {
				return err
			}
			b.addNode(&node{id: s.ID.Name, kind: nodeStream})
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

func (b *builder) checkFree(id string, at diag.Span) error {
	if _, taken := b.p.nodes[id]; taken {
		return b.errAt(at, "choose another name", "`%s` already names a stream or operator in this pipeline", id)
	}
	return nil
}

func (b *builder) params(defn string, kind string, at diag.Span, lists ...[]*ast.Param) (*Params, error) {
	vals := map[string]event.Value{}
	where := map[string]diag.Span{}
	for _, list := range lists {
		for _, prm := range list {
			v, err := b.q.Const(prm.Value)
			if err != nil {
				return nil, err
			}
			vals[prm.Name.Name] = v
			where[prm.Name.Name] = prm.Name.Span
		}
	}
	return NewParams(defn, kind, b.q.Src, at, vals, where), nil
}

func (b *builder) createOperator(s *ast.CreateOperator) error {
	if err := b.checkFree(s.ID.Name, s.ID.Span); err != nil {
		return err
	}
	if len(s.Module) > 0 {
		return b.errAt(s.Target.Span, "define the operator in this query for now", "operators defined in modules are not supported yet")
	}
	target := s.Target.Name
	def, ok := b.opDefs[target]
	if !ok {
		known := make([]string, 0, len(b.opDefs))
		for k := range b.opDefs {
			known = append(known, k)
		}
		sort.Strings(known)
		hint := "define it first: define <kind> operator " + target + " with ... end;"
		if c := registry.Closest(target, known); c != "" {
			hint = fmt.Sprintf("did you mean `%s`?", c)
		}
		return b.errAt(s.Target.Span, hint, "no operator definition `%s` (defined: %s)", target, listOrNone(known))
	}
	kind := def.KindString()
	spec, err := Operators.Get(kind)
	if err != nil {
		at := diag.Span{Start: def.Kind[0].Span.Start, End: def.Kind[1].Span.End}
		return b.errAt(at, "temblor implements these operators so far; the others of Tremor 0.11 will follow",
			"operator kind `%s` is not implemented yet (implemented: %s)", kind, strings.Join(Operators.Names(), ", "))
	}
	prm, err := b.params(def.ID.Name, kind, def.ID.Span, def.Params, s.Params)
	if err != nil {
		return err
	}
	n := &node{id: s.ID.Name, kind: nodeOperator}
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
	n.cf, _ = op.(ContraflowHandler)
	n.sig, _ = op.(SignalHandler)
}

func (b *builder) createScript(s *ast.CreateScript) error {
	if err := b.checkFree(s.ID.Name, s.ID.Span); err != nil {
		return err
	}
	if len(s.Module) > 0 {
		return b.errAt(s.Target.Span, "define the script in this query for now", "scripts defined in modules are not supported yet")
	}
	target := s.Target.Name
	def, ok := b.scriptDefs[target]
	if !ok {
		return b.errAt(s.Target.Span, "define it first: define script "+target+" script ... end;", "no script definition `%s`", target)
	}
	args := event.NewRecord(len(def.Params) + len(s.Params))
	for _, list := range [][]*ast.Param{def.Params, s.Params} {
		for _, prm := range list {
			v, err := b.q.Const(prm.Value)
			if err != nil {
				return err
			}
			args.Set(prm.Name.Name, v)
		}
	}
	script, err := b.q.Script(def)
	if err != nil {
		return err
	}
	n := &node{id: s.ID.Name, kind: nodeOperator}
	b.addNode(n)
	b.setOp(n, &scriptOp{script: script, args: args})
	return nil
}

func (b *builder) resolve(ref ast.StreamPort, into bool) (*node, string, error) {
	n, ok := b.p.nodes[ref.Stream.Name]
	if !ok {
		var known []string
		for id := range b.p.nodes {
			known = append(known, id)
		}
		sort.Strings(known)
		hint := "create it with `create stream " + ref.Stream.Name + ";` or `create operator " + ref.Stream.Name + ";`"
		if c := registry.Closest(ref.Stream.Name, known); c != "" {
			hint = fmt.Sprintf("did you mean `%s`?", c)
		}
		return nil, "", b.errAt(ref.Span, hint, "unknown stream or operator `%s` (known: %s)", ref.Stream.Name, strings.Join(known, ", "))
	}
	port := ref.PortName()
	switch n.kind {
	case nodeStream:
		if into && n.id == "in" {
			return nil, "", b.errAt(ref.Span, "select from `in`, and into `out` or `err`", "cannot select into the input stream `in`")
		}
		if port != "" {
			return nil, "", b.errAt(ref.Span, "streams have no ports; drop the `/"+port+"`", "stream `%s` has no port `%s`", n.id, port)
		}
		if into {
			return n, "in", nil
		}
		return n, "out", nil
	case nodeOutput:
		if !into {
			return nil, "", b.errAt(ref.Span, "`out` and `err` are the pipeline's outputs; select from `in`, a created stream or an operator",
				"cannot select from the output stream `%s`", n.id)
		}
		return n, "in", nil
	default:
		if port == "" {
			if into {
				port = "in"
			} else {
				port = "out"
			}
		}
		return n, port, nil
	}
}

func (b *builder) addSelect(s *ast.Select) error {
	if len(s.Windows) > 0 {
		return b.errAt(s.Windows[0].Span, "windows will come with the full trickle language", "windowed selects are not supported yet")
	}
	if s.GroupBy != nil {
		return b.errAt(s.GroupBy.Span, "grouping will come with the full trickle language", "`group by` is not supported yet")
	}
	from, fport, err := b.resolve(s.From, false)
	if err != nil {
		return err
	}
	into, iport, err := b.resolve(s.Into, true)
	if err != nil {
		return err
	}
	op := &selectOp{}
	if op.target, err = b.q.Expr(s.Target, s.Span); err != nil {
		return err
	}
	if s.Where != nil {
		if op.where, err = b.q.Expr(s.Where, s.Span); err != nil {
			return err
		}
	}
	if s.Having != nil {
		if op.having, err = b.q.Expr(s.Having, s.Span); err != nil {
			return err
		}
	}
	op.q = b.q
	b.nSelect++
	n := &node{id: fmt.Sprintf("select#%d", b.nSelect), kind: nodeOperator}
	b.addNode(n)
	b.setOp(n, op)
	from.outs[fport] = append(from.outs[fport], target{n: n, port: "in"})
	n.outs["out"] = append(n.outs["out"], target{n: into, port: iport})
	return nil
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
		for _, id := range ids {
			if indeg[b.p.nodes[id]] > 0 {
				cyc = append(cyc, id)
			}
		}
		return &diag.Diagnostic{File: b.q.Src.Name, Msg: fmt.Sprintf("the pipeline's selects form a cycle through %s", strings.Join(cyc, ", ")),
			Hint: "events must flow from `in` to `out`/`err` without loops"}
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

// selectOp runs one select statement: `where` on the incoming event, the
// target, then `having` on the result.
type selectOp struct {
	q                     *lang.Query
	target, where, having *lang.Expr
}

func (s *selectOp) cond(x *lang.Expr, env lang.Env) (bool, error) {
	v, err := x.Eval(env)
	if err != nil {
		return false, &langError{err}
	}
	ok, isBool := v.(bool)
	if !isBool {
		sp := x.Extent()
		return false, &langError{s.q.Err(sp, sp, fmt.Sprintf("Conflicting types, got %s but expected boolean", vm.TypeName(v)), "")}
	}
	return ok, nil
}

func (s *selectOp) OnEvent(c *Context, _ string, ev *event.Event) error {
	env := eventEnv(ev)
	if s.where != nil {
		ok, err := s.cond(s.where, env)
		if err != nil || !ok {
			return err
		}
	}
	out, err := s.target.Eval(env)
	if err != nil {
		return &langError{err}
	}
	if s.having != nil {
		saved := ev.Data
		ev.Data = out
		ok, err := s.cond(s.having, eventEnv(ev))
		ev.Data = saved
		if err != nil || !ok {
			return err
		}
	}
	ev.Data = out
	c.Emit("out", ev)
	return nil
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
		return &langError{err}
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
