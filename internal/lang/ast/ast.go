// Package ast is the syntax tree of tremor-script and trickle as the parser
// builds it: every node with its span in the (rendered) source, names not
// yet resolved. The compiler turns it into an executable program.
//
// It must never evaluate anything nor look names up.
package ast

import (
	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/source"
)

// Span is a range of source: Start at the first character, End just past
// the last (Tremor's locations).
type Span = diag.Span

// Node is anything with a place in the source.
type Node interface{ Extent() Span }

// Expr is an expression or statement of tremor-script.
type Expr interface {
	Node
	expr()
}

// Ident is a name (written plain or in backticks).
type Ident struct {
	Name string
	Span Span
}

// Extent is the name's span.
func (i Ident) Extent() Span { return i.Span }

// Script is a parsed tremor-script: a body of statements.
type Script struct {
	Source *source.Source
	Doc    []string // ### module comment lines
	Stmts  []Expr
}

// ---- declarations (statements at script, module and query level) ----

// Const is `const NAME = EXPR`.
type Const struct {
	Name  Ident
	Value Expr
	Doc   []string
	Span  Span
}

// FnDecl is a function: `fn f(a, b) with BODY end`, `fn f(a) of CASES end`
// (Cases set) or `intrinsic fn f(a) as mod::f` (Intrinsic set).
type FnDecl struct {
	Name   Ident
	Params []Ident
	Open   bool // takes more arguments (`...`), available as `args`
	Body   []Expr
	Cases  []*Case // for `fn ... of`: the cases (the last is the default)
	Doc    []string
	Span   Span
	// Intrinsic is the native function an intrinsic declaration binds to.
	Intrinsic []string
}

// ModDecl is `mod NAME with ... end`.
type ModDecl struct {
	Name  Ident
	Doc   []string
	Stmts []Expr
	Span  Span
}

// Use is `use a::b [as c];`. After is the place just after the `;` (where
// Tremor reported a module that cannot be found).
type Use struct {
	Path  []Ident
	Alias *Ident
	Span  Span
	After Span
}

// AliasName is the name the module is bound to.
func (u *Use) AliasName() string {
	if u.Alias != nil {
		return u.Alias.Name
	}
	return u.Path[len(u.Path)-1].Name
}

// ---- statements ----

// Let is `let PATH = EXPR`.
type Let struct {
	Path  *Path
	Value Expr
	Span  Span
}

// Drop is `drop`.
type Drop struct{ Span Span }

// Emit is `emit [EXPR] [=> PORT]`; Value is nil for the event itself.
type Emit struct {
	Value Expr
	Port  Expr
	Span  Span
}

// Match is `match TARGET of CASES end`. Imut marks a match inside an
// expression, whose case bodies cannot assign, emit or drop.
type Match struct {
	Target Expr
	Cases  []*Case
	Imut   bool
	Span   Span
}

// Case is `case PATTERN [when GUARD] => BODY` or `default => BODY`
// (Pattern nil).
type Case struct {
	Pattern Pattern
	Guard   Expr
	Body    []Expr
	Span    Span
}

// For is `for TARGET of case (k, v) [when G] => BODY ... end`.
type For struct {
	Target Expr
	Cases  []*ForCase
	Imut   bool
	Span   Span
}

// ForCase is one case of a comprehension.
type ForCase struct {
	Key, Value Ident
	Guard      Expr
	Body       []Expr
	Span       Span
}

// ---- expressions ----

// Literal is null, a boolean, an integer or a float.
type Literal struct {
	Value event.Value
	Span  Span
}

// StringLit is a string or heredoc; Parts are string literals (Lit) and
// interpolated expressions (Expr).
type StringLit struct {
	Parts []StrPart
	Span  Span
}

// StrPart is one part of a string.
type StrPart struct {
	Lit  string
	Expr Expr // nil for a literal part
}

// Bytes is a binary literal `<< part, ... >>`.
type Bytes struct {
	Parts []*BytesPart
	Span  Span
}

// BytesPart is `DATA[:BITS][/TYPE]`.
type BytesPart struct {
	Data    Expr
	Bits    int64
	HasBits bool
	Type    Ident // empty Name: the default type
	Span    Span
}

// Record is `{ "k": v, ... }`.
type Record struct {
	Fields []*Field
	Span   Span
}

// Field is one record literal entry.
type Field struct {
	Name  *StringLit
	Value Expr
	Span  Span
}

// List is `[a, b, ...]`.
type List struct {
	Elems []Expr
	Span  Span
}

// UnaryOp is a prefix operator.
type UnaryOp uint8

// Prefix operators.
const (
	Plus UnaryOp = iota
	Minus
	Not
	BitNot
)

func (o UnaryOp) String() string { return [...]string{"+", "-", "not", "!"}[o] }

// Unary is `OP X`.
type Unary struct {
	Op   UnaryOp
	X    Expr
	Span Span
}

// BinOp is an infix operator.
type BinOp uint8

// Infix operators.
const (
	Or BinOp = iota
	Xor
	And
	BitOr
	BitXor
	BitAnd
	Eq
	NotEq
	Gte
	Gt
	Lte
	Lt
	RBitShiftSigned
	RBitShiftUnsigned
	LBitShift
	Add
	Sub
	Mul
	Div
	Mod
)

func (o BinOp) String() string {
	return [...]string{"or", "xor", "and", "|", "^", "&", "==", "!=", ">=", ">", "<=", "<", ">>", ">>>", "<<",
		"+", "-", "*", "/", "%"}[o]
}

// Binary is `L OP R`.
type Binary struct {
	Op   BinOp
	L, R Expr
	Span Span
}

// Present is `present PATH` (`absent PATH` parses as `not present PATH`).
type Present struct {
	Path *Path
	Span Span
}

// Root is where a path starts.
type Root uint8

// Path roots.
const (
	RootLocal Root = iota // a local variable or a constant (first segment is its name)
	RootConst             // mod::name[...]: a constant in a module
	RootEvent
	RootState
	RootMeta
	RootArgs
	RootWindow
	RootGroup
)

// Path is `event.a[0]`, `$`, `state`, `args.x`, `local.x`, `mod::c` ...
// For RootLocal and RootConst the first segment is the name (a field
// segment). Module is the module path of a RootConst path.
type Path struct {
	Root     Root
	Module   []Ident
	Segments []*Segment
	Span     Span
}

// Segment is `.name`, `[expr]` or `[start:end]` (End set).
type Segment struct {
	Expr Expr // the key or index (`.name` is a string literal)
	End  Expr // the end of a range, or nil
	// Field marks `.name` (or a bare name at the start of a path).
	Field bool
	Span  Span
	// LowerSpan and UpperSpan are the spans of a range's bounds.
	LowerSpan, UpperSpan Span
}

// Name is the field name of a Field segment.
func (s *Segment) Name() string {
	if l, ok := s.Expr.(*Literal); ok {
		if n, ok := l.Value.(string); ok {
			return n
		}
	}
	return ""
}

// Invoke is a call `mod::f(args)`.
type Invoke struct {
	Module []string
	Fn     string
	Args   []Expr
	Span   Span
}

// Recur is `recur(args)`.
type Recur struct {
	Args []Expr
	Span Span
}

// Patch is `patch TARGET of OPS end`; Span covers `patch TARGET`.
type Patch struct {
	Target Expr
	Ops    []*PatchOp
	Span   Span
}

// PatchKind is a patch operation.
type PatchKind uint8

// Patch operations.
const (
	PatchInsert PatchKind = iota
	PatchUpsert
	PatchUpdate
	PatchErase
	PatchMove
	PatchCopy
	PatchMerge
	PatchMergeAll // merge => v
)

// PatchOp is one patch operation: Key (the field), To (move/copy target)
// and Value as the kind needs.
type PatchOp struct {
	Kind  PatchKind
	Key   Expr
	To    Expr
	Value Expr
	Span  Span
}

// Merge is `merge TARGET of VALUE end`.
type Merge struct {
	Target, Value Expr
	Span          Span
}

// ---- patterns ----

// Pattern is what a case tests.
type Pattern interface{ Node }

// ExprPattern matches a value equal to Expr.
type ExprPattern struct{ Expr Expr }

// DontCare is `_`.
type DontCare struct{ Span Span }

// Extract is `~ kind|pattern|`.
type Extract struct {
	Test *TestExpr
	Span Span
}

// AssignPattern is `name = PATTERN`.
type AssignPattern struct {
	Name    Ident
	Pattern Pattern
	Span    Span
}

// TestExpr is an extractor `kind|pattern|`.
type TestExpr struct {
	Kind    Ident
	Pattern string
	Span    Span
}

// RecordPattern is `%{ field tests }`.
type RecordPattern struct {
	Fields []*FieldPattern
	Span   Span
}

// FieldTest is what a record pattern checks of a field.
type FieldTest uint8

// Field tests.
const (
	FieldTildeEq FieldTest = iota // key ~= extractor
	FieldBin                      // key OP expr
	FieldRecord                   // key ~= %{...}
	FieldArray                    // key ~= %[...]
	FieldPresent                  // present key
	FieldAbsent                   // absent key
)

// FieldPattern is one test in a record pattern.
type FieldPattern struct {
	Test    FieldTest
	Key     Ident
	Assign  string // for ~=: the name bound (the key unless `x = key ~= ...`)
	Extract *TestExpr
	Op      BinOp
	Rhs     Expr
	Record  *RecordPattern
	Array   *ArrayPattern
	Span    Span
}

// ArrayPattern is `%[ element tests ]`.
type ArrayPattern struct {
	Elems []*ElemPattern
	Span  Span
}

// TuplePattern is `%( element tests [, ...] )`.
type TuplePattern struct {
	Elems []*ElemPattern
	Open  bool
	Span  Span
}

// ElemKind is what an array or tuple pattern element is.
type ElemKind uint8

// Element pattern kinds.
const (
	ElemExpr ElemKind = iota
	ElemTilde
	ElemRecord
	ElemIgnore
)

// ElemPattern is one element test.
type ElemPattern struct {
	Kind    ElemKind
	Expr    Expr
	Extract *TestExpr
	Record  *RecordPattern
	Span    Span
}

func (n *Const) Extent() Span         { return n.Span }
func (n *FnDecl) Extent() Span        { return n.Span }
func (n *ModDecl) Extent() Span       { return n.Span }
func (n *Use) Extent() Span           { return n.Span }
func (n *Let) Extent() Span           { return n.Span }
func (n *Drop) Extent() Span          { return n.Span }
func (n *Emit) Extent() Span          { return n.Span }
func (n *Match) Extent() Span         { return n.Span }
func (n *Case) Extent() Span          { return n.Span }
func (n *For) Extent() Span           { return n.Span }
func (n *ForCase) Extent() Span       { return n.Span }
func (n *Literal) Extent() Span       { return n.Span }
func (n *StringLit) Extent() Span     { return n.Span }
func (n *Bytes) Extent() Span         { return n.Span }
func (n *BytesPart) Extent() Span     { return n.Span }
func (n *Record) Extent() Span        { return n.Span }
func (n *Field) Extent() Span         { return n.Span }
func (n *List) Extent() Span          { return n.Span }
func (n *Unary) Extent() Span         { return n.Span }
func (n *Binary) Extent() Span        { return n.Span }
func (n *Present) Extent() Span       { return n.Span }
func (n *Path) Extent() Span          { return n.Span }
func (n *Segment) Extent() Span       { return n.Span }
func (n *Invoke) Extent() Span        { return n.Span }
func (n *Recur) Extent() Span         { return n.Span }
func (n *Patch) Extent() Span         { return n.Span }
func (n *PatchOp) Extent() Span       { return n.Span }
func (n *Merge) Extent() Span         { return n.Span }
func (n *ExprPattern) Extent() Span   { return n.Expr.Extent() }
func (n *DontCare) Extent() Span      { return n.Span }
func (n *Extract) Extent() Span       { return n.Span }
func (n *AssignPattern) Extent() Span { return n.Span }
func (n *TestExpr) Extent() Span      { return n.Span }
func (n *RecordPattern) Extent() Span { return n.Span }
func (n *FieldPattern) Extent() Span  { return n.Span }
func (n *ArrayPattern) Extent() Span  { return n.Span }
func (n *TuplePattern) Extent() Span  { return n.Span }
func (n *ElemPattern) Extent() Span   { return n.Span }

func (*Const) expr()     {}
func (*FnDecl) expr()    {}
func (*ModDecl) expr()   {}
func (*Use) expr()       {}
func (*Let) expr()       {}
func (*Drop) expr()      {}
func (*Emit) expr()      {}
func (*Match) expr()     {}
func (*For) expr()       {}
func (*Literal) expr()   {}
func (*StringLit) expr() {}
func (*Bytes) expr()     {}
func (*Record) expr()    {}
func (*List) expr()      {}
func (*Unary) expr()     {}
func (*Binary) expr()    {}
func (*Present) expr()   {}
func (*Path) expr()      {}
func (*Invoke) expr()    {}
func (*Recur) expr()     {}
func (*Patch) expr()     {}
func (*Merge) expr()     {}
