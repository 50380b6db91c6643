package event

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The binary encoding is the lossless storage form of a Value (used by the
// WAL): unlike JSON it keeps bytes apart from strings and uint64 apart from
// int64, and it is cheap to produce and check. Each value is a tag byte
// followed by its body; lengths and integers are varints.
const (
	tagNull byte = iota
	tagFalse
	tagTrue
	tagInt    // zig-zag varint
	tagUint   // uvarint
	tagFloat  // 8 bytes little endian IEEE 754
	tagString // uvarint length + bytes
	tagBytes  // uvarint length + bytes
	tagArray  // uvarint count + values
	tagRecord // uvarint count + (uvarint key length + key + value)*
)

// AppendBinary appends the binary encoding of v to dst.
func AppendBinary(dst []byte, v Value) []byte {
	switch t := v.(type) {
	case nil:
		return append(dst, tagNull)
	case bool:
		if t {
			return append(dst, tagTrue)
		}
		return append(dst, tagFalse)
	case int64:
		dst = append(dst, tagInt)
		return binary.AppendVarint(dst, t)
	case uint64:
		dst = append(dst, tagUint)
		return binary.AppendUvarint(dst, t)
	case float64:
		dst = append(dst, tagFloat)
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(t))
	case string:
		dst = append(dst, tagString)
		dst = binary.AppendUvarint(dst, uint64(len(t)))
		return append(dst, t...)
	case []byte:
		dst = append(dst, tagBytes)
		dst = binary.AppendUvarint(dst, uint64(len(t)))
		return append(dst, t...)
	case []Value:
		dst = append(dst, tagArray)
		dst = binary.AppendUvarint(dst, uint64(len(t)))
		for _, e := range t {
			dst = AppendBinary(dst, e)
		}
		return dst
	case *Record:
		dst = append(dst, tagRecord)
		dst = binary.AppendUvarint(dst, uint64(t.Len()))
		if t != nil {
			for i, k := range t.keys {
				dst = binary.AppendUvarint(dst, uint64(len(k)))
				dst = append(dst, k...)
				dst = AppendBinary(dst, t.vals[i])
			}
		}
		return dst
	default:
		return AppendBinary(dst, Normalize(v))
	}
}

// ErrBinary is wrapped by every binary decoding error.
var ErrBinary = errors.New("invalid binary value")

// DecodeBinary decodes one value from the start of b and returns it with the
// number of bytes used. Corrupt input gives an error, never a panic or an
// allocation larger than the input.
func DecodeBinary(b []byte) (Value, int, error) {
	d := binDecoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, 0, err
	}
	return v, d.pos, nil
}

type binDecoder struct {
	b   []byte
	pos int
}

func (d *binDecoder) fail(msg string) error {
	return fmt.Errorf("%w at byte %d: %s", ErrBinary, d.pos, msg)
}

func (d *binDecoder) uvarint() (uint64, error) {
	u, n := binary.Uvarint(d.b[d.pos:])
	if n <= 0 {
		return 0, d.fail("bad varint")
	}
	d.pos += n
	return u, nil
}

// length reads a length that must fit in the remaining input (each element
// takes at least one byte), which bounds allocations by the input size.
func (d *binDecoder) length() (int, error) {
	u, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if u > uint64(len(d.b)-d.pos) {
		return 0, d.fail("length exceeds input")
	}
	return int(u), nil
}

func (d *binDecoder) value(depth int) (Value, error) {
	if depth > MaxJSONDepth {
		return nil, d.fail("nested too deeply")
	}
	if d.pos >= len(d.b) {
		return nil, d.fail("unexpected end")
	}
	tag := d.b[d.pos]
	d.pos++
	switch tag {
	case tagNull:
		return nil, nil
	case tagFalse:
		return false, nil
	case tagTrue:
		return true, nil
	case tagInt:
		v, n := binary.Varint(d.b[d.pos:])
		if n <= 0 {
			return nil, d.fail("bad varint")
		}
		d.pos += n
		return v, nil
	case tagUint:
		u, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		if u <= math.MaxInt64 {
			return int64(u), nil
		}
		return u, nil
	case tagFloat:
		if len(d.b)-d.pos < 8 {
			return nil, d.fail("short float")
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.pos:]))
		d.pos += 8
		return f, nil
	case tagString, tagBytes:
		n, err := d.length()
		if err != nil {
			return nil, err
		}
		s := d.b[d.pos : d.pos+n]
		d.pos += n
		if tag == tagString {
			return string(s), nil
		}
		return append([]byte(nil), s...), nil
	case tagArray:
		n, err := d.length()
		if err != nil {
			return nil, err
		}
		a := make([]Value, 0, n)
		for i := 0; i < n; i++ {
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	case tagRecord:
		n, err := d.length()
		if err != nil {
			return nil, err
		}
		r := NewRecord(n)
		for i := 0; i < n; i++ {
			kl, err := d.length()
			if err != nil {
				return nil, err
			}
			k := string(d.b[d.pos : d.pos+kl])
			d.pos += kl
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			r.Set(k, v)
		}
		return r, nil
	}
	return nil, d.fail(fmt.Sprintf("unknown tag %d", tag))
}
