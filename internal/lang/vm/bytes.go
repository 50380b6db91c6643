package vm

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// BytesType is how a binary part encodes its value.
type BytesType uint8

// Binary part types.
const (
	BytesUnsigned BytesType = iota
	BytesSigned
	BytesBinary
)

// BytesPart is one `value:bits/type` of a binary literal.
type BytesPart struct {
	At
	Data   Expr
	Type   BytesType
	Little bool
	Bits   uint64
}

// BytesExpr is `<< parts >>`.
type BytesExpr struct {
	At
	Parts []*BytesPart
}

// bitWriter packs values of any bit width big-endian into bytes.
type bitWriter struct {
	out     []byte
	buf     uint8
	pending uint8
}

// mask keeps bits+1 low bits of v (as Tremor's encoder did).
func mask(v uint64, n uint8) uint64 {
	if n >= 63 {
		return v
	}
	return v & (uint64(1)<<(n+1) - 1)
}

func (w *bitWriter) writeBE(n uint8, v uint64) {
	v = mask(v, n)
	switch {
	case n == 0:
	case w.pending > 0:
		if n+w.pending >= 8 {
			missing := 8 - w.pending
			w.buf |= uint8(v >> (n - missing))
			w.out = append(w.out, w.buf)
			w.pending, w.buf = 0, 0
			w.writeBE(n-missing, v)
		} else {
			w.buf |= uint8(v) << (8 - (n + w.pending))
			w.pending += n
		}
	case n%8 > 0:
		extra := n % 8
		w.writeBE(n-extra, v>>extra)
		w.buf = (uint8(v) & (1<<extra - 1)) << (8 - extra)
		w.pending = extra
	default:
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], v)
		w.out = append(w.out, b[8-n/8:]...)
	}
}

func (w *bitWriter) writeLE(n uint8, v uint64) {
	v = mask(v, n)
	switch {
	case n <= 8:
		w.writeBE(n, v)
	case n <= 16:
		w.writeBE(n, uint64(bits.ReverseBytes16(uint16(v))))
	case n <= 24:
		w.writeBE(n, uint64(bits.ReverseBytes32(uint32(v))>>8))
	case n <= 32:
		w.writeBE(n, uint64(bits.ReverseBytes32(uint32(v))))
	case n <= 40:
		w.writeBE(n, bits.ReverseBytes64(v)>>24)
	case n <= 48:
		w.writeBE(n, bits.ReverseBytes64(v)>>16)
	case n <= 56:
		w.writeBE(n, bits.ReverseBytes64(v)>>8)
	default:
		w.writeBE(n, bits.ReverseBytes64(v))
	}
}

func (w *bitWriter) write(little bool, n uint8, v uint64) {
	if little {
		w.writeLE(n, v)
	} else {
		w.writeBE(n, v)
	}
}

// Append encodes one part's value (errors positioned at the part).
func (p *BytesPart) Append(w *bitWriter, outer *At, v Value) error {
	fail := func(what string) error {
		return outer.fail(outer.Span, p.Span, fmt.Sprintf("%s: %s", what, Encode(v)), "")
	}
	switch p.Type {
	case BytesUnsigned:
		u, ok := asU64(v)
		if !ok {
			return fail("Not an unsigned integer")
		}
		w.write(p.Little, uint8(p.Bits), u)
	case BytesSigned:
		i, ok := asI64(v)
		if !ok {
			return fail("Not an signed integer")
		}
		w.write(p.Little, uint8(p.Bits), uint64(i))
	case BytesBinary:
		var b []byte
		switch x := v.(type) {
		case []byte:
			b = x
		case string:
			b = []byte(x)
		default:
			return fail("Not a long enough binary")
		}
		if p.Bits != 0 {
			if uint64(len(b)) < p.Bits {
				return fail("Not a long enough binary")
			}
			b = b[:p.Bits]
		}
		if w.pending == 0 {
			w.out = append(w.out, b...)
		} else {
			for _, c := range b {
				w.write(p.Little, 8, uint64(c))
			}
		}
	}
	return nil
}

// Finish flushes a partly filled last byte.
func (w *bitWriter) Finish() []byte {
	if w.pending > 0 {
		w.out = append(w.out, w.buf>>(8-w.pending))
	}
	if w.out == nil {
		return []byte{}
	}
	return w.out
}

// NewBitWriter is an empty writer (for the compiler's folding).
func NewBitWriter() *bitWriter { return &bitWriter{} }

// Eval builds the binary.
func (e *BytesExpr) Eval(f *Frame) (Value, error) {
	w := &bitWriter{}
	for _, p := range e.Parts {
		v, err := p.Data.Eval(f)
		if err != nil {
			return nil, err
		}
		if err := p.Append(w, &e.At, v); err != nil {
			return nil, err
		}
	}
	return w.Finish(), nil
}
