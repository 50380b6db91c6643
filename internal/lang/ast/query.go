package ast

import (
	"strings"

	"github.com/temblor-dev/temblor/internal/lang/source"
)

// Query is a parsed trickle file: its `#!config` directives and its
// statements (define, create, select, use, mod).
type Query struct {
	Source *source.Source
	Config []*Param
	Stmts  []Stmt
}

// Stmt is a trickle statement: *Use, *QueryMod, *DefineOperator,
// *CreateOperator, *DefineScript, *CreateScript, *DefineWindow,
// *CreateStream or *Select (and, inside modules, *Const and *FnDecl).
type Stmt interface {
	Node
	stmt()
}

// Param is one `name = expr` of a `with` clause or config directive.
type Param struct {
	Name  Ident
	Value Expr
	Span  Span
}

// QueryMod is `mod NAME with STATEMENTS end` in a query.
type QueryMod struct {
	Name  Ident
	Doc   []string
	Stmts []Stmt
	Span  Span
}

// DefineOperator is `define MOD::OP operator ID [with PARAMS end]`.
type DefineOperator struct {
	Kind   [2]Ident
	ID     Ident
	Params []*Param
	Span   Span
}

// KindString is the kind as written, e.g. "qos::wal".
func (d *DefineOperator) KindString() string { return d.Kind[0].Name + "::" + d.Kind[1].Name }

// CreateOperator is `create operator ID [from [MOD::]DEF] [with PARAMS end]`;
// Target is ID when `from` is omitted.
type CreateOperator struct {
	ID     Ident
	Module []Ident
	Target Ident
	Params []*Param
	Span   Span
}

// DefineScript is `define script ID [with PARAMS] script BODY end`.
type DefineScript struct {
	ID     Ident
	Params []*Param
	Script *Script
	Span   Span
}

// CreateScript is `create script ID [from [MOD::]DEF] [with PARAMS end]`.
type CreateScript struct {
	ID     Ident
	Module []Ident
	Target Ident
	Params []*Param
	Span   Span
}

// WindowKind is tumbling or sliding.
type WindowKind uint8

// Window kinds.
const (
	Tumbling WindowKind = iota
	Sliding
)

// DefineWindow is `define tumbling window ID with PARAMS [script EXPR] end`.
type DefineWindow struct {
	Kind   WindowKind
	ID     Ident
	Params []*Param
	Script Expr
	Span   Span
}

// CreateStream is `create stream ID`.
type CreateStream struct {
	ID   Ident
	Span Span
}

// StreamPort is `stream[/port]` in select.
type StreamPort struct {
	Stream Ident
	Port   *Ident
	Span   Span
}

// PortName is the port, or "" when none is named.
func (s StreamPort) PortName() string {
	if s.Port == nil {
		return ""
	}
	return s.Port.Name
}

// WindowRef names a window in `from s[w1, m::w2]`.
type WindowRef struct {
	Module []Ident
	ID     Ident
	Span   Span
}

// Name is the window's name with its module path.
func (w *WindowRef) Name() string {
	parts := make([]string, 0, len(w.Module)+1)
	for _, m := range w.Module {
		parts = append(parts, m.Name)
	}
	return strings.Join(append(parts, w.ID.Name), "::")
}

// GroupKind is how a group by clause groups.
type GroupKind uint8

// Group by kinds.
const (
	GroupExpr GroupKind = iota
	GroupSet
	GroupEach
)

// GroupBy is `group by EXPR`, `set(...)` or `each(EXPR)`.
type GroupBy struct {
	Kind  GroupKind
	Expr  Expr
	Items []*GroupBy
	Span  Span
}

// Select is `select TARGET from S[WINDOWS] [where W] [group by G] into S [having H]`.
type Select struct {
	Target  Expr
	From    StreamPort
	Windows []*WindowRef
	Where   Expr
	GroupBy *GroupBy
	Into    StreamPort
	Having  Expr
	Span    Span
}

func (n *Param) Extent() Span          { return n.Span }
func (n *QueryMod) Extent() Span       { return n.Span }
func (n *DefineOperator) Extent() Span { return n.Span }
func (n *CreateOperator) Extent() Span { return n.Span }
func (n *DefineScript) Extent() Span   { return n.Span }
func (n *CreateScript) Extent() Span   { return n.Span }
func (n *DefineWindow) Extent() Span   { return n.Span }
func (n *CreateStream) Extent() Span   { return n.Span }
func (n *WindowRef) Extent() Span      { return n.Span }
func (n *GroupBy) Extent() Span        { return n.Span }
func (n *Select) Extent() Span         { return n.Span }

func (*Use) stmt()            {}
func (*Const) stmt()          {}
func (*FnDecl) stmt()         {}
func (*QueryMod) stmt()       {}
func (*DefineOperator) stmt() {}
func (*CreateOperator) stmt() {}
func (*DefineScript) stmt()   {}
func (*CreateScript) stmt()   {}
func (*DefineWindow) stmt()   {}
func (*CreateStream) stmt()   {}
func (*Select) stmt()         {}
