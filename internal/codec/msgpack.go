package codec

import (
	"bytes"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	Register(Spec{Name: "msgpack", Doc: "MessagePack. Integers stay exact (uint64 above the int64 range too) and map order is kept; bin becomes bytes and bytes are written as bin. Map keys must be strings and extension types are rejected, as in Tremor; bytes after the first value are an error (Tremor ignored them).",
		Mimes: []string{"application/msgpack", "application/x-msgpack", "application/vnd.msgpack"}, New: func() Codec { return &msgpackCodec{} }})
}

type msgpackCodec struct {
	r   bytes.Reader
	dec *msgpack.Decoder
	buf bytes.Buffer
	enc *msgpack.Encoder
}

func (c *msgpackCodec) Decode(data []byte) (event.Value, error) {
	c.r.Reset(data)
	if c.dec == nil {
		c.dec = msgpack.NewDecoder(&c.r)
	} else {
		c.dec.Reset(&c.r)
	}
	v, err := msgpackValue(c.dec, &c.r, 0)
	if err != nil {
		return nil, fmt.Errorf("msgpack: %w", err)
	}
	if n := c.r.Len(); n > 0 { // a bytes.Reader is read directly, never buffered ahead
		return nil, fmt.Errorf("msgpack: %d bytes after the value", n)
	}
	return v, nil
}

// msgpackValue decodes one value. Every length the input announces is
// checked against what is left of it (r) before anything is allocated: the
// library's own bin reader would allocate whatever a 6-byte frame claims.
func msgpackValue(d *msgpack.Decoder, r *bytes.Reader, depth int) (event.Value, error) {
	if depth > event.MaxJSONDepth {
		return nil, fmt.Errorf("nested deeper than %d", event.MaxJSONDepth)
	}
	c, err := d.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case c == msgpcode.Nil:
		return nil, d.DecodeNil()
	case c == msgpcode.True || c == msgpcode.False:
		return d.DecodeBool()
	case msgpcode.IsFixedNum(c) && int8(c) < 0, c == msgpcode.Int8, c == msgpcode.Int16, c == msgpcode.Int32, c == msgpcode.Int64:
		return d.DecodeInt64()
	case msgpcode.IsFixedNum(c), c == msgpcode.Uint8, c == msgpcode.Uint16, c == msgpcode.Uint32, c == msgpcode.Uint64:
		n, err := d.DecodeUint64()
		if err != nil || n > math.MaxInt64 {
			return n, err
		}
		return int64(n), nil
	case c == msgpcode.Float:
		f, err := d.DecodeFloat32()
		return float64(f), err
	case c == msgpcode.Double:
		return d.DecodeFloat64()
	case msgpcode.IsString(c):
		b, err := readBytes(d, r)
		if err == nil && !utf8.Valid(b) {
			err = fmt.Errorf("string is not valid UTF-8")
		}
		return string(b), err
	case msgpcode.IsBin(c):
		return readBytes(d, r)
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := d.DecodeArrayLen()
		if err == nil && n > r.Len() {
			err = fmt.Errorf("array of %d elements announced, %d bytes left", n, r.Len())
		}
		if err != nil {
			return nil, err
		}
		a := make([]event.Value, 0, min(n, 1024))
		for range n {
			e, err := msgpackValue(d, r, depth+1)
			if err != nil {
				return nil, err
			}
			a = append(a, e)
		}
		return a, nil
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := d.DecodeMapLen()
		if err == nil && 2*n > r.Len() {
			err = fmt.Errorf("map of %d entries announced, %d bytes left", n, r.Len())
		}
		if err != nil {
			return nil, err
		}
		rec := event.NewRecord(min(n, 64))
		for range n {
			kc, err := d.PeekCode()
			if err != nil {
				return nil, err
			}
			if !msgpcode.IsString(kc) {
				return nil, fmt.Errorf("map key of type 0x%02x; only string keys are supported", kc)
			}
			kb, err := readBytes(d, r)
			if err != nil {
				return nil, err
			}
			if !utf8.Valid(kb) {
				return nil, fmt.Errorf("map key is not valid UTF-8")
			}
			k := string(kb)
			v, err := msgpackValue(d, r, depth+1)
			if err != nil {
				return nil, err
			}
			rec.Set(k, v)
		}
		return rec, nil
	case msgpcode.IsExt(c):
		id, _, err := d.DecodeExtHeader()
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("extension type %d is not supported", id)
	}
	return nil, fmt.Errorf("invalid code 0x%02x", c)
}

// readBytes reads a str or bin whose length fits what is left of the input.
func readBytes(d *msgpack.Decoder, r *bytes.Reader) ([]byte, error) {
	n, err := d.DecodeBytesLen()
	if err != nil {
		return nil, err
	}
	if n > r.Len() {
		return nil, fmt.Errorf("%d bytes announced, %d left", n, r.Len())
	}
	b := make([]byte, max(n, 0))
	return b, d.ReadFull(b)
}

func (c *msgpackCodec) Encode(v event.Value) ([]byte, error) {
	c.buf.Reset()
	if c.enc == nil {
		c.enc = msgpack.NewEncoder(&c.buf)
	}
	if err := msgpackEncode(c.enc, v); err != nil {
		return nil, fmt.Errorf("msgpack: %w", err)
	}
	return bytes.Clone(c.buf.Bytes()), nil
}

func msgpackEncode(e *msgpack.Encoder, v event.Value) error {
	switch t := v.(type) {
	case nil:
		return e.EncodeNil()
	case bool:
		return e.EncodeBool(t)
	case int64:
		return e.EncodeInt(t)
	case uint64:
		return e.EncodeUint(t)
	case float64:
		return e.EncodeFloat64(t)
	case string:
		return e.EncodeString(t)
	case []byte:
		return e.EncodeBytes(t)
	case []event.Value:
		if err := e.EncodeArrayLen(len(t)); err != nil {
			return err
		}
		for _, x := range t {
			if err := msgpackEncode(e, x); err != nil {
				return err
			}
		}
		return nil
	case *event.Record:
		if err := e.EncodeMapLen(t.Len()); err != nil {
			return err
		}
		for i := range t.Len() {
			k, x := t.At(i)
			if err := e.EncodeString(k); err != nil {
				return err
			}
			if err := msgpackEncode(e, x); err != nil {
				return err
			}
		}
		return nil
	}
	return msgpackEncode(e, event.Normalize(v))
}
