package vm

import (
	"fmt"

	"github.com/temblor-dev/temblor/internal/diag"
)

// Runtime errors are *diag.Diagnostic values positioned the way Tremor
// positioned them: the node whose evaluation failed (outer, the lines
// shown) and the part that was wrong (inner, underlined).

func (a *At) fail(outer, inner diag.Span, msg, hint string) error {
	return a.Src.Diag(outer, inner, msg, hint)
}

// TypeConflict is "Conflicting types, got T but expected ...".
func TypeConflict(got Value, expected ...string) (string, string) {
	msg := fmt.Sprintf("Conflicting types, got %s but expected %s", TypeName(got), typeList(expected...))
	hint := ""
	if _, isFloat := got.(float64); isFloat && len(expected) == 1 && expected[0] == "integer" {
		hint = "You can use math::trunc() and related functions to ensure numbers are integers."
	}
	return msg, hint
}

func (a *At) typeConflict(outer, inner diag.Span, got Value, expected ...string) error {
	msg, hint := TypeConflict(got, expected...)
	return a.fail(outer, inner, msg, hint)
}

// InvalidBinary is Tremor's message for an operator undefined on its
// operands.
func InvalidBinary(op fmt.Stringer, l, r Value) string {
	return fmt.Sprintf("The binary operation `%s` is not defined for the type `%s` and `%s`", op, TypeName(l), TypeName(r))
}

// InvalidUnary is Tremor's message for a prefix operator undefined on its
// operand.
func InvalidUnary(op fmt.Stringer, v Value) string {
	return fmt.Sprintf("The unary operation `%s` is not defined for the type `%s`", op, TypeName(v))
}

const (
	msgBitshift       = "RHS value is larger than or equal to the number of bits in LHS value"
	msgNoClause       = "A match expression executed but no clause matched"
	hintNoClause      = "Consider adding a `default => null` clause at the end of your match or validate full coverage beforehand."
	msgInvalidAssign  = "You are trying to assign to a value that isn't valid"
	msgAssignIntoArr  = "It is not supported to assign value into an array"
	msgRecursionLimit = "Recursion limit Reached"
)

// BinaryError is the message for an operator failure.
func BinaryError(op fmt.Stringer, e opErr, l, r Value) string {
	switch e {
	case opShift:
		return msgBitshift
	case opOverflow:
		return fmt.Sprintf("The result of `%s` on `%s` and `%s` does not fit in a 64-bit integer", op, Encode(l), Encode(r))
	case opDivZero:
		return fmt.Sprintf("The binary operation `%s` failed: division by zero", op)
	case opTooLong:
		return fmt.Sprintf("The binary operation `%s` would make a string longer than %d bytes", op, MaxString)
	}
	return InvalidBinary(op, l, r)
}

// BinaryHint is the hint for an operator failure.
func BinaryHint(e opErr) string {
	switch e {
	case opOverflow:
		return "integers are 64 bits; use floats (e.g. `1.0 * x`) for larger numbers"
	case opDivZero:
		return "check the divisor first, e.g. `match d of case 0 => ... default => n % d end`"
	}
	return ""
}

// rootKind names where a path starts, for "non existing ... key" errors.
type rootKind uint8

const (
	kindLocal rootKind = iota
	kindGlobal
	kindEvent
	kindState
)

func badKeyMsg(k rootKind, key string, options []string) (string, string) {
	names := [...]string{"local", "global", "event", "state"}
	msg := fmt.Sprintf("Trying to access a non existing %s key `%s`", names[k], key)
	if k == kindLocal {
		if key == "nil" {
			return msg, "Did you mean null?"
		}
		options = append(append([]string(nil), options...), "event", "true", "false", "null")
	}
	if o, ok := bestHint(key, options, 2); ok {
		return msg, fmt.Sprintf("Did you mean to use `%s`?", o)
	}
	return msg, ""
}

// bestHint is the option within maxDist edits of given (ties: smallest).
func bestHint(given string, options []string, maxDist int) (string, bool) {
	best, bestD := "", -1
	for _, o := range options {
		d := distance(given, o)
		if d > maxDist {
			continue
		}
		if bestD < 0 || d < bestD || d == bestD && o < best {
			best, bestD = o, d
		}
	}
	return best, bestD >= 0
}

// distance is the optimal-string-alignment edit distance (insertions,
// deletions, substitutions, adjacent transpositions).
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 20
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

func outOfRangeMsg(start, end, n int) string {
	if start == end {
		return fmt.Sprintf("Array index out of bounds, got index %d but expected an index in the range 0:%d", start, n)
	}
	return fmt.Sprintf("Array index out of bounds, got index range %d:%d but expected a subrange of 0:%d", start, end, n)
}
