package pipeline

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/ast"
	"github.com/temblor-dev/temblor/internal/lang/interp"
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
}

// Implicit streams of every pipeline.
var (
	inputStreams  = []string{"in"}
	outputStreams = []string{"out", "err"}
)

// Build turns a parsed trickle query into a pipeline instance named url
// (e.g. "/pipeline/main/01"), constructing its operators. Errors carry the
// query file's line and column.
func Build(q *ast.Query, url string, env BuildEnv) (*Pipeline, error) {
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	env.Options.Logger = env.Logger
	p := newPipeline(url, env.Options)
	b := &builder{q: q, p: p, env: env,
		opDefs: map[string]*ast.OperatorDefn{}, scriptDefs: map[string]*ast.ScriptDefn{}}
	if err := b.build(); err != nil {
		p.closeOperators()
		return nil, err
	}
	return p, nil
}

type builder struct {
	q          *ast.Query
	p          *Pipeline
	env        BuildEnv
	opDefs     map[string]*ast.OperatorDefn
	scriptDefs map[string]*ast.ScriptDefn
	nSelect    int
}

func (b *builder) errAt(pos lang.Pos, hint, format string, args ...any) error {
	return &lang.Error{File: b.q.File, Pos: pos, End: pos, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

func (b *builder) where(pos lang.Pos) string {
	return fmt.Sprintf("%s:%d:%d", b.q.File, pos.Line, pos.Col)
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
	for _, st := range b.q.Stmts {
		switch s := st.(type) {
		case *ast.OperatorDefn:
			if prev, dup := b.opDefs[s.ID]; dup {
				return b.errAt(s.P, "rename one of them", "operator `%s` is defined twice (first at %s)", s.ID, b.where(prev.P))
			}
			b.opDefs[s.ID] = s
		case *ast.ScriptDefn:
			if prev, dup := b.scriptDefs[s.ID]; dup {
				return b.errAt(s.P, "rename one of them", "script `%s` is defined twice (first at %s)", s.ID, b.where(prev.P))
			}
			b.scriptDefs[s.ID] = s
		}
	}
	var selects []*ast.Select
	for _, st := range b.q.Stmts {
		switch s := st.(type) {
		case *ast.StreamCreate:
			if err := b.checkFree(s.ID, s.P); err != nil {
				return err
			}
			b.addNode(&node{id: s.ID, kind: nodeStream})
		case *ast.OperatorCreate:
			if err := b.createOperator(s); err != nil {
				return err
			}
		case *ast.ScriptCreate:
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

func (b *builder) checkFree(id string, pos lang.Pos) error {
	if _, taken := b.p.nodes[id]; taken {
		return b.errAt(pos, "choose another name", "`%s` already names a stream or operator in this pipeline", id)
	}
	return nil
}

func (b *builder) params(defn string, kind string, pos lang.Pos, lists ...[]ast.Param) (*Params, error) {
	vals := map[string]event.Value{}
	where := map[string]lang.Pos{}
	for _, list := range lists {
		for _, prm := range list {
			v, err := interp.EvalConst(prm.Value)
			if err != nil {
				return nil, err
			}
			vals[prm.Name] = v
			where[prm.Name] = prm.P
		}
	}
	return NewParams(defn, kind, b.q.File, pos, vals, where), nil
}

func (b *builder) createOperator(s *ast.OperatorCreate) error {
	if err := b.checkFree(s.ID, s.P); err != nil {
		return err
	}
	target := s.Target
	if target == "" {
		target = s.ID
	}
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
		return b.errAt(s.P, hint, "no operator definition `%s` (defined: %s)", target, listOrNone(known))
	}
	kind := def.KindString()
	spec, err := Operators.Get(kind)
	if err != nil {
		return b.errAt(def.P, "temblor implements these operators so far; the others of Tremor 0.11 will follow",
			"operator kind `%s` is not implemented yet (implemented: %s)", kind, strings.Join(Operators.Names(), ", "))
	}
	prm, err := b.params(def.ID, kind, def.P, def.Params, s.Params)
	if err != nil {
		return err
	}
	n := &node{id: s.ID, kind: nodeOperator}
	b.addNode(n)
	op, err := spec.New(OpEnv{Pipeline: b.p.url, Node: s.ID, DataDir: b.env.DataDir, Logger: n.log, Metrics: b.env.Metrics, Validate: b.env.Validate}, prm)
	if err != nil {
		delete(b.p.nodes, s.ID)
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

func (b *builder) createScript(s *ast.ScriptCreate) error {
	if err := b.checkFree(s.ID, s.P); err != nil {
		return err
	}
	target := s.Target
	if target == "" {
		target = s.ID
	}
	def, ok := b.scriptDefs[target]
	if !ok {
		return b.errAt(s.P, "define it first: define script "+target+" script ... end;", "no script definition `%s`", target)
	}
	args := event.NewRecord(len(def.Params) + len(s.Params))
	for _, list := range [][]ast.Param{def.Params, s.Params} {
		for _, prm := range list {
			v, err := interp.EvalConst(prm.Value)
			if err != nil {
				return err
			}
			args.Set(prm.Name, v)
		}
	}
	n := &node{id: s.ID, kind: nodeOperator}
	b.addNode(n)
	b.setOp(n, &scriptOp{def: def, args: args})
	return nil
}

func (b *builder) resolve(ref ast.StreamRef, into bool) (*node, string, error) {
	n, ok := b.p.nodes[ref.Stream]
	if !ok {
		var known []string
		for id := range b.p.nodes {
			known = append(known, id)
		}
		sort.Strings(known)
		hint := "create it with `create stream " + ref.Stream + ";` or `create operator " + ref.Stream + ";`"
		if c := registry.Closest(ref.Stream, known); c != "" {
			hint = fmt.Sprintf("did you mean `%s`?", c)
		}
		return nil, "", b.errAt(ref.P, hint, "unknown stream or operator `%s` (known: %s)", ref.Stream, strings.Join(known, ", "))
	}
	port := ref.Port
	switch n.kind {
	case nodeStream:
		if into && n.id == "in" {
			return nil, "", b.errAt(ref.P, "select from `in`, and into `out` or `err`", "cannot select into the input stream `in`")
		}
		if port != "" {
			return nil, "", b.errAt(ref.P, "streams have no ports; drop the `/"+port+"`", "stream `%s` has no port `%s`", n.id, port)
		}
		if into {
			return n, "in", nil
		}
		return n, "out", nil
	case nodeOutput:
		if !into {
			return nil, "", b.errAt(ref.P, "`out` and `err` are the pipeline's outputs; select from `in`, a created stream or an operator",
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
	from, fport, err := b.resolve(s.From, false)
	if err != nil {
		return err
	}
	into, iport, err := b.resolve(s.Into, true)
	if err != nil {
		return err
	}
	b.nSelect++
	n := &node{id: fmt.Sprintf("select#%d", b.nSelect), kind: nodeOperator}
	b.addNode(n)
	b.setOp(n, &selectOp{sel: s})
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
		return &lang.Error{File: b.q.File, Msg: fmt.Sprintf("the pipeline's selects form a cycle through %s", strings.Join(cyc, ", ")),
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

// selectOp runs one select statement.
type selectOp struct{ sel *ast.Select }

func (s *selectOp) OnEvent(c *Context, _ string, ev *event.Event) error {
	out, keep, err := interp.EvalSelect(s.sel, ev)
	if err != nil {
		return err
	}
	if !keep {
		return nil
	}
	ev.Data = out
	c.Emit("out", ev)
	return nil
}

// scriptOp runs a script instance; the script chooses the output port.
type scriptOp struct {
	def   *ast.ScriptDefn
	args  event.Value
	state event.Value
}

func (s *scriptOp) OnEvent(c *Context, _ string, ev *event.Event) error {
	port, drop, err := interp.RunScript(s.def, s.args, ev, &s.state)
	if err != nil {
		return err
	}
	if drop {
		return nil
	}
	if port == "" {
		port = "out"
	}
	c.Emit(port, ev)
	return nil
}
