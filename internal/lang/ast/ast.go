package ast

import (
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
)

// Query is a parsed .trickle file.
type Query struct {
	File  string
	Src   []byte
	Stmts []Stmt
}

// Stmt is a trickle statement.
type Stmt interface{ Position() lang.Pos }

// UseStmt is `use a::b [as c];`.
type UseStmt struct {
	Path  []string
	Alias string
	P     lang.Pos
}

// OperatorDefn is `define KIND operator ID [with ...] end;`.
type OperatorDefn struct {
	Kind   []string
	ID     string
	Params []Param
	P      lang.Pos
}

// KindString is the kind as written, e.g. "qos::wal".
func (d *OperatorDefn) KindString() string { return strings.Join(d.Kind, "::") }

// Param is one `name = expr` of a `with` block.
type Param struct {
	Name  string
	Value Expr
	P     lang.Pos
}

// OperatorCreate is `create operator ID [from DEFN] [with ...] end;`.
type OperatorCreate struct {
	ID     string
	Target string // definition id; the parser sets it to ID when `from` is omitted
	Params []Param
	P      lang.Pos
}

// ScriptDefn is `define script ID [with ...] script BODY end;`.
type ScriptDefn struct {
	ID     string
	Params []Param
	Body   []Expr
	P      lang.Pos
	File   string // for runtime error messages
	Src    []byte // the whole source (shared, read-only), so runtime errors can print the line
}

// ScriptCreate is `create script ID [from DEFN] [with ...];`.
type ScriptCreate struct {
	ID     string
	Target string // definition id; the parser sets it to ID when `from` is omitted
	Params []Param
	P      lang.Pos
}

// StreamCreate is `create stream ID;`.
type StreamCreate struct {
	ID string
	P  lang.Pos
}

// StreamRef names a stream or an operator's port in select.
type StreamRef struct {
	Stream string
	Port   string
	P      lang.Pos
}

// Select is `select TARGET from S [where E] [having E] into S;`.
type Select struct {
	Target Expr
	From   StreamRef
	Into   StreamRef
	Where  Expr
	Having Expr
	P      lang.Pos
	File   string // for runtime error messages
	Src    []byte // the whole source (shared, read-only), so runtime errors can print the line
}

func (s *UseStmt) Position() lang.Pos        { return s.P }
func (s *OperatorDefn) Position() lang.Pos   { return s.P }
func (s *OperatorCreate) Position() lang.Pos { return s.P }
func (s *ScriptDefn) Position() lang.Pos     { return s.P }
func (s *ScriptCreate) Position() lang.Pos   { return s.P }
func (s *StreamCreate) Position() lang.Pos   { return s.P }
func (s *Select) Position() lang.Pos         { return s.P }

// Script is a standalone tremor-script.
type Script struct {
	File  string
	Src   []byte
	Exprs []Expr
}

// Expr is a tremor-script expression.
type Expr interface{ Position() lang.Pos }

// Literal is a constant.
type Literal struct {
	V event.Value
	P lang.Pos
}

// Interp is a string with #{...} interpolation: parts are string literals
// and expressions, concatenated.
type Interp struct {
	Parts []Expr
	P     lang.Pos
}

// RecordLit is `{ "k": v, ... }`.
type RecordLit struct {
	Fields []Field
	P      lang.Pos
}

// Field is one record literal entry.
type Field struct {
	Key   Expr
	Value Expr
}

// ArrayLit is `[a, b]`.
type ArrayLit struct {
	Elems []Expr
	P     lang.Pos
}

// Root kinds of a path.
const (
	RootEvent = "event"
	RootMeta  = "$"
	RootState = "state"
	RootArgs  = "args"
	RootLocal = "local"
	RootGroup = "group"
)

// Path is `event.a[0]`, `$meta`, `state`, `args.x` or a local variable.
type Path struct {
	Root  string // one of the Root* constants
	Local string // variable name when Root == RootLocal
	Segs  []Seg
	P     lang.Pos
}

// Seg is one step of a path: a field name or an index expression.
type Seg struct {
	Field string
	Index Expr // non-nil for [expr]
	P     lang.Pos
}

// Unary is `not x`, `-x`, `+x`, `!x`.
type Unary struct {
	Op string
	X  Expr
	P  lang.Pos
}

// Binary is `l OP r`.
type Binary struct {
	Op   string
	L, R Expr
	P    lang.Pos
}

// Call is `mod::fn(args)`.
type Call struct {
	Module []string
	Fn     string
	Args   []Expr
	P      lang.Pos
}

// Name is the call's full name, e.g. "system::hostname".
func (c *Call) Name() string {
	return strings.Join(append(append([]string{}, c.Module...), c.Fn), "::")
}

// Patch is `patch TARGET of OPS end`.
type Patch struct {
	Target Expr
	Ops    []PatchOp
	P      lang.Pos
}

// PatchOp is one operation: insert, upsert, update, erase, merge, default.
type PatchOp struct {
	Op    string
	Key   Expr // nil for `merge => v` and `default => v`
	Value Expr // nil for erase
	P     lang.Pos
}

// Merge is `merge TARGET of VALUE end`.
type Merge struct {
	Target, Value Expr
	P             lang.Pos
}

// Present is `present PATH` (or `absent PATH` when Negate).
type Present struct {
	Path   *Path
	Negate bool
	P      lang.Pos
}

// Let is `let PATH = VALUE`.
type Let struct {
	Path  *Path
	Value Expr
	P     lang.Pos
}

// Emit is `emit [VALUE] [=> PORT]`.
type Emit struct {
	Value Expr // nil: the event
	Port  Expr // nil: out
	P     lang.Pos
}

// Drop is `drop`.
type Drop struct{ P lang.Pos }

// Match is `match TARGET of case ... default ... end`.
type Match struct {
	Target  Expr
	Cases   []Case
	Default []Expr // nil when absent
	P       lang.Pos
}

// Case is `case PATTERN [when GUARD] => BODY`.
type Case struct {
	Bind    string // `case x = %{...}` binds the matched value to x
	Pattern Pattern
	Guard   Expr
	Body    []Expr
	P       lang.Pos
}

// Pattern is a match pattern.
type Pattern interface{ Position() lang.Pos }

// ExprPattern matches a value equal to the expression.
type ExprPattern struct {
	X Expr
	P lang.Pos
}

// RecordPattern is `%{ ... }`: every test must hold.
type RecordPattern struct {
	Tests []FieldTest
	P     lang.Pos
}

// FieldTest is one test inside a record pattern: `present k`, `absent k`,
// `k == v`, `k != v`, `k < v` ...
type FieldTest struct {
	Key   string
	Op    string // "present", "absent", or a comparison operator
	Value Expr
	P     lang.Pos
}

// ArrayPattern is `%[ ... ]`: the array holds elements equal to each.
type ArrayPattern struct {
	Elems []Expr
	P     lang.Pos
}

// AnyPattern is `_`.
type AnyPattern struct{ P lang.Pos }

func (e *Literal) Position() lang.Pos       { return e.P }
func (e *Interp) Position() lang.Pos        { return e.P }
func (e *RecordLit) Position() lang.Pos     { return e.P }
func (e *ArrayLit) Position() lang.Pos      { return e.P }
func (e *Path) Position() lang.Pos          { return e.P }
func (e *Unary) Position() lang.Pos         { return e.P }
func (e *Binary) Position() lang.Pos        { return e.P }
func (e *Call) Position() lang.Pos          { return e.P }
func (e *Patch) Position() lang.Pos         { return e.P }
func (e *Merge) Position() lang.Pos         { return e.P }
func (e *Present) Position() lang.Pos       { return e.P }
func (e *Let) Position() lang.Pos           { return e.P }
func (e *Emit) Position() lang.Pos          { return e.P }
func (e *Drop) Position() lang.Pos          { return e.P }
func (e *Match) Position() lang.Pos         { return e.P }
func (e *ExprPattern) Position() lang.Pos   { return e.P }
func (e *RecordPattern) Position() lang.Pos { return e.P }
func (e *ArrayPattern) Position() lang.Pos  { return e.P }
func (e *AnyPattern) Position() lang.Pos    { return e.P }
