package lexer

import (
	"strconv"
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
)

// Kind is the kind of a token.
type Kind uint8

// Token kinds. The set (and each kind's spelling in messages) follows
// Tremor 0.11, whose error messages name tokens by these spellings.
const (
	EOS Kind = iota // end of the token stream
	Whitespace
	NewLine
	SingleLineComment
	ModComment // ### ...
	DocComment // ## ...
	Bad        // a character (or run of colons) that forms no token

	Ident
	Dollar
	Dot
	Nil
	Bool
	Int
	Float
	TestLiteral // |...| of an extractor

	HereDocStart
	HereDocEnd
	HereDocLiteral
	DQuote
	StringLiteral

	// keywords
	Let
	Const
	Match
	Case
	Of
	When
	End
	Patch
	Insert
	Upsert
	Update
	Erase
	Move
	Copy
	Merge
	Drop
	Default
	Emit
	For
	Event
	State
	Present
	Absent
	Fun
	Intrinsic
	Module
	DontCare
	Recur

	BSlash
	Comma
	Not
	BitNot
	And
	Or
	Xor
	BitAnd
	BitXor
	Eq
	EqEq
	NotEq
	TildeEq
	Tilde
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

	Colon
	ColonColon
	EqArrow
	Semi
	LPatParen
	LParen
	RParen
	LBrace
	Interpol
	EscapedHash
	LPatBrace
	RBrace
	LBracket
	LPatBracket
	RBracket

	// trickle keywords
	Select
	From
	Where
	With
	Group
	By
	Having
	Into
	Create
	Tumbling
	Sliding
	Window
	Stream
	Operator
	Script
	Set
	Each
	Define
	Args
	Use
	As

	ConfigDirective // #!config
	numKinds
)

// keywords maps reserved words to their kinds.
var keywords = map[string]Kind{
	"intrinsic": Intrinsic, "mod": Module, "const": Const, "let": Let, "match": Match, "end": End,
	"fn": Fun, "null": Nil, "case": Case, "of": Of, "when": When, "default": Default, "patch": Patch,
	"insert": Insert, "upsert": Upsert, "update": Update, "erase": Erase, "move": Move, "copy": Copy,
	"merge": Merge, "for": For, "event": Event, "state": State, "present": Present, "absent": Absent,
	"true": Bool, "false": Bool, "and": And, "or": Or, "xor": Xor, "not": Not, "drop": Drop, "emit": Emit,
	"select": Select, "from": From, "where": Where, "with": With, "group": Group, "by": By,
	"having": Having, "into": Into, "create": Create, "tumbling": Tumbling, "sliding": Sliding,
	"window": Window, "stream": Stream, "operator": Operator, "script": Script, "set": Set,
	"each": Each, "define": Define, "args": Args, "use": Use, "as": As, "recur": Recur,
}

// KeywordKind returns the kind of a reserved word, or Ident.
func KeywordKind(word string) Kind {
	if k, ok := keywords[word]; ok {
		return k
	}
	return Ident
}

// IsKeyword reports whether word is reserved (and so must be quoted with
// backticks to be used as a name).
func IsKeyword(word string) bool { _, ok := keywords[word]; return ok }

// spellings are the fixed texts of punctuation and keyword tokens, as
// Tremor printed them.
var spellings = [numKinds]string{
	Nil: "null", Dollar: "$", Dot: ".", DQuote: `"`, HereDocStart: `"""`, HereDocEnd: `"""`,
	Let: "let", Const: "const", Match: "match", Case: "case", Of: "of", When: "when", End: "end",
	Patch: "patch", Insert: "insert", Upsert: "upsert", Update: "update", Erase: "erase", Move: "move",
	Copy: "copy", Merge: "merge", Drop: "drop", Default: "default", Emit: "emit", For: "for",
	Event: "event", State: "state", Present: "present", Absent: "absent", Fun: "fn",
	Intrinsic: "intrinsic", Module: "mod", DontCare: "_", Recur: "recur", BSlash: `\`, Comma: ",",
	Not: "not", BitNot: "!", And: "and", Or: "or", Xor: "xor", BitAnd: "&", BitXor: "^", Eq: "=",
	EqEq: "==", NotEq: "!=", TildeEq: "~=", Tilde: "~", Gte: ">=", Gt: ">", Lte: "<=", Lt: "<",
	RBitShiftSigned: ">>", RBitShiftUnsigned: ">>>", LBitShift: "<<", Add: "+", Sub: "-", Mul: "*",
	Div: "/", Mod: "%", Colon: ":", ColonColon: "::", EqArrow: "=>", Semi: ";", LPatParen: "%(",
	LParen: "(", RParen: ")", LBrace: "{", Interpol: "#{", EscapedHash: `\#`, LPatBrace: "%{",
	RBrace: "}", LBracket: "[", LPatBracket: "%[", RBracket: "]", Select: "select", From: "from",
	Where: "where", With: "with", Group: "group", By: "by", Having: "having", Into: "into",
	Create: "create", Tumbling: "tumbling", Sliding: "sliding", Window: "window", Stream: "stream",
	Operator: "operator", Script: "script", Set: "set", Each: "each", Define: "define", Args: "args",
	Use: "use", As: "as", ConfigDirective: "#!config ",
}

// terminals are the names the grammar gives each kind in "expected one of"
// lists (Tremor's LALRPOP terminal names).
var terminals = [numKinds]string{
	EOS: "<end-of-stream>", NewLine: "<newline>", ModComment: "<mod-comment>",
	DocComment: "<doc-comment>", SingleLineComment: "<single-line-comment>", Bad: "<error>",
	Ident: "<ident>", Nil: "nil", Bool: "bool", Int: "int", Float: "float", TestLiteral: "<extractor>",
	HereDocStart: "heredoc_start", HereDocEnd: "heredoc_end", HereDocLiteral: "heredoc",
	StringLiteral: "string", ConfigDirective: "#!config",
}

// Terminal is the kind's name in "expected one of" lists.
func (k Kind) Terminal() string {
	if t := terminals[k]; t != "" {
		return t
	}
	return spellings[k]
}

func (k Kind) String() string { return k.Terminal() }

// Token is one lexeme with its place in the source. Start and End are
// Tremor locations: End is just past the last character (a newline token
// is empty: End == Start).
type Token struct {
	Kind       Kind
	Start, End diag.Pos
	// Text is the name of an identifier, the content of a string part or
	// comment, the text of a float or of a bad token.
	Text string
	// Quoted marks an identifier written in backticks.
	Quoted bool
	Int    int64
	Bool   bool
	Float  float64
	// Indent and Lines are an extractor's pattern: its lines (continued
	// with a backslash at the end of a line) with the common indentation
	// removed.
	Indent int
	Lines  []string
}

// String is the token as Tremor displayed it (in messages and when it
// re-rendered source for error output).
func (t *Token) String() string {
	switch t.Kind {
	case Whitespace, Bad:
		return t.Text
	case NewLine:
		return "\n"
	case Ident:
		if t.Quoted {
			return "`" + t.Text + "`"
		}
		return t.Text
	case ModComment:
		return "### " + t.Text
	case DocComment:
		return "## " + t.Text
	case SingleLineComment:
		return "# " + t.Text
	case Int:
		return strconv.FormatInt(t.Int, 10)
	case Float:
		return t.Text
	case Bool:
		if t.Bool {
			return "true"
		}
		return "false"
	case StringLiteral:
		return jsonBody(t.Text)
	case HereDocStart:
		return "\"\"\"\n"
	case HereDocLiteral:
		s, nl := strings.CutSuffix(t.Text, "\n")
		s = jsonBody(s)
		if nl {
			s += "\n"
		}
		return s
	case TestLiteral:
		var b strings.Builder
		b.WriteByte('|')
		esc := func(s string) string {
			return strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "|", `\|`)
		}
		if len(t.Lines) == 1 {
			b.WriteString(esc(t.Lines[0]))
		} else {
			for i, l := range t.Lines {
				if i > 0 {
					b.WriteString("\\\n" + strings.Repeat(" ", t.Indent))
				}
				b.WriteString(esc(l))
			}
		}
		b.WriteByte('|')
		return b.String()
	case EOS:
		return ""
	}
	return spellings[t.Kind]
}

// jsonBody is s escaped as inside a JSON string (the way Tremor's encoder
// escaped it: short escapes for \b \f \n \r \t, \u00XX for other
// control characters, everything else verbatim).
func jsonBody(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// IsIgnorable reports whether the parser skips the token (it still matters
// for showing source in errors).
func (t *Token) IsIgnorable() bool {
	switch t.Kind {
	case SingleLineComment, Whitespace, NewLine:
		return true
	}
	return false
}

// segment is the token as the error highlighter shows it.
func (t *Token) segment() diag.Segment {
	s := diag.Segment{Line: t.Start.Line, EndLine: t.End.Line, Text: t.String()}
	switch t.Kind {
	case HereDocStart:
		s.Advance = 1
	case TestLiteral:
		{
			// The highlighter wrote an extractor's lines unescaped, each
			// with the common indentation and continued lines with their
			// own gutter.
			var b strings.Builder
			b.WriteByte('|')
			ind := strings.Repeat(" ", t.Indent)
			line := t.Start.Line
			for i, l := range t.Lines {
				if i > 0 {
					line++
					b.WriteString("\\\n" + gutter(line))
				}
				b.WriteString(ind + l)
			}
			b.WriteByte('|')
			s.Text = b.String()
			s.Advance = len(t.Lines) - 1
		}
	}
	return s
}

func gutter(line int) string {
	s := strconv.Itoa(line)
	if len(s) < 5 {
		s = strings.Repeat(" ", 5-len(s)) + s
	}
	return s + " | "
}
