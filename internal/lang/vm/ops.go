package vm

import (
	"bytes"
	"math"
	"math/bits"
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/ast"
)

// Value is a tremor value (see event.Value).
type Value = event.Value

// TypeName names v's type as tremor-script messages do.
func TypeName(v Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, uint64:
		return "integer"
	case float64:
		return "float"
	case string:
		return "string"
	case []byte:
		return "bytes"
	case []Value:
		return "array"
	case *event.Record:
		return "record"
	}
	return "unknown"
}

// asU64 is v as a non-negative integer.
func asU64(v Value) (uint64, bool) {
	switch x := v.(type) {
	case int64:
		if x >= 0 {
			return uint64(x), true
		}
	case uint64:
		return x, true
	}
	return 0, false
}

// asI64 is v as a signed integer.
func asI64(v Value) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

// castF64 is v as a float (integers converted).
func castF64(v Value) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// fromU64 is the canonical value of an unsigned result.
func fromU64(u uint64) Value {
	if u <= math.MaxInt64 {
		return int64(u)
	}
	return u
}

// Equal is tremor-script's `==`: records by keys and values in any order,
// arrays element-wise, a string equals the bytes of its UTF-8, integers by
// value, and an integer or float equals a float within f64 epsilon.
func Equal(a, b Value) bool {
	switch x := a.(type) {
	case *event.Record:
		y, ok := b.(*event.Record)
		if !ok || x.Len() != y.Len() {
			return false
		}
		if x == y {
			return true
		}
		for i := 0; i < x.Len(); i++ {
			k, xv := x.At(i)
			yv, ok := y.Get(k)
			if !ok || !Equal(xv, yv) {
				return false
			}
		}
		return true
	case []Value:
		y, ok := b.([]Value)
		if !ok || len(x) != len(y) {
			return false
		}
		if len(x) > 0 && &x[0] == &y[0] {
			return true
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	case string:
		switch y := b.(type) {
		case string:
			return x == y
		case []byte:
			return x == string(y)
		}
		return false
	case []byte:
		switch y := b.(type) {
		case []byte:
			return bytes.Equal(x, y)
		case string:
			return string(x) == y
		}
		return false
	}
	if l, ok := asU64(a); ok {
		if r, ok := asU64(b); ok {
			return l == r
		}
	}
	if l, ok := asI64(a); ok {
		if r, ok := asI64(b); ok {
			return l == r
		}
	}
	if l, ok := castF64(a); ok {
		if r, ok := castF64(b); ok {
			return math.Abs(l-r) < 2.220446049250313e-16
		}
	}
	return false
}

// opErr tells what went wrong in an operator.
type opErr uint8

const (
	opOK       opErr = iota
	opInvalid        // the operator is not defined for these types
	opShift          // shift by more than the bits of the value
	opOverflow       // the integer result does not fit
	opDivZero        // integer remainder by zero
	opTooLong        // a string longer than MaxString
)

// Binary applies a binary operator (and/or are evaluated here too when not
// short-circuited).
func Binary(op ast.BinOp, l, r Value) (Value, opErr) {
	switch op {
	case ast.Eq:
		return Equal(l, r), opOK
	case ast.NotEq:
		return !Equal(l, r), opOK
	}
	if lb, ok := l.(bool); ok {
		rb, ok := r.(bool)
		if !ok {
			return binaryNumeric(op, l, r)
		}
		switch op {
		case ast.And:
			return lb && rb, opOK
		case ast.Or:
			return lb || rb, opOK
		case ast.Xor, ast.BitXor:
			return lb != rb, opOK
		case ast.BitAnd:
			return lb && rb, opOK
		case ast.BitOr:
			return lb || rb, opOK
		}
		return nil, opInvalid
	}
	switch x := l.(type) {
	case string:
		switch y := r.(type) {
		case string:
			switch op {
			case ast.Add:
				if len(x)+len(y) > MaxString {
					return nil, opTooLong
				}
				return x + y, opOK
			case ast.Gt:
				return x > y, opOK
			case ast.Gte:
				return x >= y, opOK
			case ast.Lt:
				return x < y, opOK
			case ast.Lte:
				return x <= y, opOK
			}
			return nil, opInvalid
		case []byte:
			return cmpBytes(op, []byte(x), y)
		}
	case []byte:
		switch y := r.(type) {
		case []byte:
			return cmpBytes(op, x, y)
		case string:
			return cmpBytes(op, x, []byte(y))
		}
	}
	return binaryNumeric(op, l, r)
}

func cmpBytes(op ast.BinOp, a, b []byte) (Value, opErr) {
	c := bytes.Compare(a, b)
	switch op {
	case ast.Gt:
		return c > 0, opOK
	case ast.Gte:
		return c >= 0, opOK
	case ast.Lt:
		return c < 0, opOK
	case ast.Lte:
		return c <= 0, opOK
	}
	return nil, opInvalid
}

func binaryNumeric(op ast.BinOp, l, r Value) (Value, opErr) {
	if a, ok := asU64(l); ok {
		if b, ok := asU64(r); ok {
			return binaryU64(op, a, b)
		}
	}
	if a, ok := asI64(l); ok {
		if b, ok := asI64(r); ok {
			return binaryI64(op, a, b)
		}
	}
	a, ok1 := castF64(l)
	b, ok2 := castF64(r)
	if !ok1 || !ok2 {
		return nil, opInvalid
	}
	switch op {
	case ast.Gte:
		return a >= b, opOK
	case ast.Gt:
		return a > b, opOK
	case ast.Lt:
		return a < b, opOK
	case ast.Lte:
		return a <= b, opOK
	case ast.Add:
		return a + b, opOK
	case ast.Sub:
		return a - b, opOK
	case ast.Mul:
		return a * b, opOK
	case ast.Div:
		if b == 0 {
			return nil, opDivZero
		}
		return a / b, opOK
	}
	return nil, opInvalid
}

func binaryU64(op ast.BinOp, l, r uint64) (Value, opErr) {
	switch op {
	case ast.BitAnd:
		return fromU64(l & r), opOK
	case ast.BitOr:
		return fromU64(l | r), opOK
	case ast.BitXor:
		return fromU64(l ^ r), opOK
	case ast.Gt:
		return l > r, opOK
	case ast.Gte:
		return l >= r, opOK
	case ast.Lt:
		return l < r, opOK
	case ast.Lte:
		return l <= r, opOK
	case ast.Add:
		s, c := bits.Add64(l, r, 0)
		if c != 0 {
			return nil, opOverflow
		}
		return fromU64(s), opOK
	case ast.Sub:
		if l >= r {
			return fromU64(l - r), opOK
		}
		d := r - l
		if d > math.MaxInt64 {
			return nil, opInvalid
		}
		return -int64(d), opOK
	case ast.Mul:
		hi, lo := bits.Mul64(l, r)
		if hi != 0 {
			return nil, opOverflow
		}
		return fromU64(lo), opOK
	case ast.Div:
		if r == 0 {
			return nil, opDivZero
		}
		return float64(l) / float64(r), opOK
	case ast.Mod:
		if r == 0 {
			return nil, opDivZero
		}
		return fromU64(l % r), opOK
	case ast.RBitShiftSigned, ast.RBitShiftUnsigned:
		if uint32(r) >= 64 {
			return nil, opShift
		}
		return fromU64(l >> uint32(r)), opOK
	case ast.LBitShift:
		if uint32(r) >= 64 {
			return nil, opShift
		}
		return fromU64(l << uint32(r)), opOK
	}
	return nil, opInvalid
}

func binaryI64(op ast.BinOp, l, r int64) (Value, opErr) {
	switch op {
	case ast.BitAnd:
		return l & r, opOK
	case ast.BitOr:
		return l | r, opOK
	case ast.BitXor:
		return l ^ r, opOK
	case ast.Gt:
		return l > r, opOK
	case ast.Gte:
		return l >= r, opOK
	case ast.Lt:
		return l < r, opOK
	case ast.Lte:
		return l <= r, opOK
	case ast.Add:
		s := l + r
		if (s > l) != (r > 0) {
			return nil, opOverflow
		}
		return s, opOK
	case ast.Sub:
		s := l - r
		if (s < l) != (r > 0) {
			return nil, opOverflow
		}
		return s, opOK
	case ast.Mul:
		if l == 0 || r == 0 {
			return int64(0), opOK
		}
		p := l * r
		if p/r != l || (l == -1 && r == math.MinInt64) || (r == -1 && l == math.MinInt64) {
			return nil, opOverflow
		}
		return p, opOK
	case ast.Div:
		if r == 0 {
			return nil, opDivZero
		}
		return float64(l) / float64(r), opOK
	case ast.Mod:
		if r == 0 {
			return nil, opDivZero
		}
		if r == -1 {
			return int64(0), opOK
		}
		return l % r, opOK
	case ast.RBitShiftSigned:
		if uint32(r) >= 64 {
			return nil, opShift
		}
		return l >> uint32(r), opOK
	case ast.RBitShiftUnsigned:
		if uint32(r) >= 64 {
			return nil, opShift
		}
		return int64(uint64(l) >> uint32(r)), opOK
	case ast.LBitShift:
		if uint32(r) >= 64 {
			return nil, opShift
		}
		return l << uint32(r), opOK
	}
	return nil, opInvalid
}

// Unary applies a prefix operator; false when it is not defined for v.
func Unary(op ast.UnaryOp, v Value) (Value, bool) {
	switch x := v.(type) {
	case float64:
		switch op {
		case ast.Minus:
			return -x, true
		case ast.Plus:
			return x, true
		}
		return nil, false
	case bool:
		if op == ast.Not || op == ast.BitNot {
			return !x, true
		}
		return nil, false
	}
	if u, ok := asU64(v); ok {
		switch op {
		case ast.Minus:
			if u > math.MaxInt64 {
				return nil, false
			}
			return -int64(u), true
		case ast.Plus:
			return fromU64(u), true
		case ast.BitNot:
			return fromU64(^u), true
		}
		return nil, false
	}
	if i, ok := asI64(v); ok {
		switch op {
		case ast.Minus:
			if i == math.MinInt64 {
				return nil, false
			}
			return -i, true
		case ast.Plus:
			return i, true
		case ast.BitNot:
			return ^i, true
		}
	}
	return nil, false
}

// Encode is v as JSON (how a non-string shows inside a string
// interpolation).
func Encode(v Value) string { return string(event.AppendJSON(nil, v)) }

// typeList renders expected types: "record" or "one of integer, string".
func typeList(types ...string) string {
	if len(types) == 1 {
		return types[0]
	}
	return "one of " + strings.Join(types, ", ")
}
