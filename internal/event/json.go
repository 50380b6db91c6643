package event

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// AppendJSON appends the JSON encoding of v to dst. Record keys keep their
// order; integers are written exactly; floats are written so that they read
// back as floats (1.0, not 1); bytes are written as a base64 string (JSON has
// no binary type). NaN and infinities, which JSON cannot express, are written
// as null.
func AppendJSON(dst []byte, v Value) []byte {
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		if t {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case int64:
		return strconv.AppendInt(dst, t, 10)
	case uint64:
		return strconv.AppendUint(dst, t, 10)
	case float64:
		return appendFloat(dst, t)
	case string:
		return appendString(dst, t)
	case []byte:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, t)
		return append(dst, '"')
	case []Value:
		dst = append(dst, '[')
		for i, e := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSON(dst, e)
		}
		return append(dst, ']')
	case *Record:
		dst = append(dst, '{')
		if t != nil {
			for i, k := range t.keys {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendString(dst, k)
				dst = append(dst, ':')
				dst = AppendJSON(dst, t.vals[i])
			}
		}
		return append(dst, '}')
	default:
		// Not a canonical Value: normalise and retry rather than emit garbage.
		return AppendJSON(dst, Normalize(v))
	}
}

// MarshalJSON returns the JSON encoding of v (see AppendJSON).
func MarshalJSON(v Value) []byte { return AppendJSON(nil, v) }

// appendFloat writes f as Tremor did (simd-json's generator, which prints
// with ryu): the shortest digits that read back as f, in plain notation
// with at least one fractional digit when 1e-5 <= |f| < 1e16 (1.0, 0.00001,
// 1000000000000000.0), otherwise in scientific notation with no '+' and no
// leading zeros in the exponent (1e16, 1.5e-7, 1e21).
func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	if abs := math.Abs(f); abs == 0 || abs >= 1e-5 && abs < 1e16 {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		if bytes.IndexByte(dst[start:], '.') < 0 {
			dst = append(dst, ".0"...)
		}
		return dst
	}
	// strconv writes the exponent with a sign and at least two digits
	// (1e+21, 1.5e-07).
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	i := bytes.IndexByte(e, 'e')
	dst = append(dst, e[:i+1]...)
	exp := e[i+1:]
	if exp[0] == '-' {
		dst = append(dst, '-')
	}
	exp = exp[1:]
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	return append(dst, exp...)
}

const hexDigits = "0123456789abcdef"

// specialRun is how many bytes from s[i] on can be copied as they are into
// a JSON string: none is '"', '\\', a control character or non-ASCII
// (which is checked to be valid UTF-8). It looks at eight bytes at a time.
func specialRun(s string, i int) int {
	start := i
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q := x ^ (lsb * '"')
		b := x ^ (lsb * '\\')
		// A set high bit marks a byte below 0x20, a '"', a '\\' or a
		// non-ASCII byte; only the lowest is certain.
		m := ((x - lsb*0x20) & ^x) | ((q - lsb) & ^q) | ((b - lsb) & ^b) | x
		if m &= msb; m != 0 {
			return i - start + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < utf8.RuneSelf && !safeASCII[c] || c >= utf8.RuneSelf {
			break
		}
	}
	return i - start
}

// safeASCII[c] is true when byte c needs no escaping inside a JSON string.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for i := 0x20; i < utf8.RuneSelf; i++ {
		t[i] = i != '"' && i != '\\'
	}
	return t
}()

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		i += specialRun(s, i)
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// SyntaxError is a JSON decoding error with the byte offset where it was found.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// ErrTooDeep is returned for documents nested deeper than MaxJSONDepth.
var ErrTooDeep = errors.New("JSON nested too deeply")

// MaxJSONDepth bounds nesting so that hostile input cannot exhaust the stack.
const MaxJSONDepth = 512

// ParseJSON decodes one JSON document. Integers without fraction or exponent
// become int64 (or uint64 above MaxInt64); others become float64. Objects
// become records with keys in document order; a repeated key keeps its first
// position and its last value.
//
// Decoding is one pass with no intermediate tree and few allocations: the
// input is copied once into a string that every string without escapes
// shares (so the values keep that copy alive, never the caller's buffer),
// and the records, fields and array elements of a document are carved from
// slabs sized by the document. Values never share memory with another
// document's.
func ParseJSON(data []byte) (Value, error) {
	p := jsonParsers.Get().(*jsonParser)
	p.start(data)
	p.skipWS()
	v, err := p.value(0)
	if err == nil {
		p.skipWS()
		if p.pos != len(p.data) {
			v, err = nil, p.errf("unexpected %q after the document", p.data[p.pos])
		}
	}
	p.release()
	return v, err
}

var jsonParsers = sync.Pool{New: func() any { return new(jsonParser) }}

// jsonParser is the state of one ParseJSON call; the scratch stacks are
// kept between calls (through the pool), the slabs never are.
type jsonParser struct {
	data []byte
	src  string // data as a string, made at the first string
	pos  int
	buf  []byte // a string with escapes is unescaped here

	// The fields and elements of the records and arrays being parsed,
	// innermost last; an aggregate moves its own to a slab when it ends.
	kstack []string
	vstack []Value

	// Slabs the document's values are carved from, and the size of the
	// next slab of each kind (each is twice the last).
	recs                       []Record
	strs                       []string // keys, and the headers of boxed strings
	vals                       []Value
	nums                       []uint64  // boxed int64, uint64 and float64
	arrs                       [][]Value // the headers of boxed arrays
	nRecs, nStrs, nVals, nNums int
	nArrs                      int
	used                       [5]int // items carved, by kind

	// What the parser's previous document used, per 64 KiB of input: events
	// in a stream look alike, so this sizes the next document's first
	// slabs (it is kept through the pool).
	density [5]int
}

// Slab kinds, indexing used and density.
const (
	slabRecs = iota
	slabStrs
	slabVals
	slabNums
	slabArrs
)

// defaultDensity is what a typical event uses per 64 KiB: the first estimate.
var defaultDensity = [5]int{8 << 6, 80 << 6, 64 << 6, 24 << 6, 4 << 6}

func (p *jsonParser) start(data []byte) {
	p.data = data
	if p.density == [5]int{} {
		p.density = defaultDensity
	}
	p.nRecs = max(p.density[slabRecs]*len(data)/65536, 1)
	p.nStrs = max(p.density[slabStrs]*len(data)/65536, 1)
	p.nVals = max(p.density[slabVals]*len(data)/65536, 1)
	p.nNums = max(p.density[slabNums]*len(data)/65536, 1)
	p.nArrs = max(p.density[slabArrs]*len(data)/65536, 1)
}

// release forgets the document and puts the parser back in the pool.
func (p *jsonParser) release() {
	// Aggregates clear what they pop; only a failed parse leaves items.
	clear(p.kstack)
	clear(p.vstack)
	var density [5]int
	if n := len(p.data); n >= 16 {
		for i, u := range p.used {
			density[i] = min((u*65536+n-1)/n, 65536)
		}
	}
	if cap(p.kstack) > 4096 || cap(p.vstack) > 4096 || cap(p.buf) > 1<<16 {
		*p = jsonParser{density: density} // do not keep a huge document's scratch
	} else {
		*p = jsonParser{kstack: p.kstack[:0], vstack: p.vstack[:0], buf: p.buf[:0], density: density}
	}
	jsonParsers.Put(p)
}

func (p *jsonParser) errf(format string, args ...any) error {
	return &SyntaxError{Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

// slabSize is the size of a new slab of at least n items, where next is
// the planned size; it doubles the plan for the slab after.
func slabSize(n int, next *int) int {
	size := max(n, *next)
	*next = min(2*size, 4096)
	return size
}

// carveRecord returns a new empty record from the slab.
func (p *jsonParser) carveRecord() *Record {
	if len(p.recs) == 0 {
		p.recs = make([]Record, slabSize(1, &p.nRecs))
	}
	r := &p.recs[0]
	p.recs = p.recs[1:]
	p.used[slabRecs]++
	return r
}

// carveStrs and carveVals return n items from a slab, with no room to
// grow: appending to them copies, never overwrites a neighbour.
func (p *jsonParser) carveStrs(n int) []string {
	if n > len(p.strs) {
		p.strs = make([]string, slabSize(n, &p.nStrs))
	}
	s := p.strs[:n:n]
	p.strs = p.strs[n:]
	p.used[slabStrs] += n
	return s
}

func (p *jsonParser) carveVals(n int) []Value {
	if n > len(p.vals) {
		p.vals = make([]Value, slabSize(n, &p.nVals))
	}
	s := p.vals[:n:n]
	p.vals = p.vals[n:]
	p.used[slabVals] += n
	return s
}

// boxString is s as a Value whose string header lives in the slab (Go
// would allocate one per string).
func (p *jsonParser) boxString(s string) Value {
	if s == "" {
		return s // Go boxes "" without allocating
	}
	h := &p.carveStrs(1)[0]
	*h = s
	return boxed(stringType, unsafe.Pointer(h))
}

// boxArray is a as a Value whose slice header lives in the slab.
func (p *jsonParser) boxArray(a []Value) Value {
	if len(p.arrs) == 0 {
		p.arrs = make([][]Value, slabSize(1, &p.nArrs))
	}
	h := &p.arrs[0]
	p.arrs = p.arrs[1:]
	p.used[slabArrs]++
	*h = a
	return boxed(arrayType, unsafe.Pointer(h))
}

// boxNum is the number with the bits u and the type typ (int64Type,
// uint64Type or float64Type) as a Value stored in the slab.
func (p *jsonParser) boxNum(typ unsafe.Pointer, u uint64) Value {
	if len(p.nums) == 0 {
		p.nums = make([]uint64, slabSize(1, &p.nNums))
	}
	n := &p.nums[0]
	p.nums = p.nums[1:]
	p.used[slabNums]++
	*n = u
	return boxed(typ, unsafe.Pointer(n))
}

func (p *jsonParser) skipWS() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (Value, error) {
	if depth > MaxJSONDepth {
		return nil, &SyntaxError{Offset: p.pos, Msg: ErrTooDeep.Error()}
	}
	if p.pos >= len(p.data) {
		return nil, p.errf("unexpected end of input")
	}
	switch c := p.data[p.pos]; c {
	case '{':
		return p.object(depth)
	case '[':
		return p.array(depth)
	case '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return p.boxString(s), nil
	case 't':
		return p.literal("true", true)
	case 'f':
		return p.literal("false", false)
	case 'n':
		return p.literal("null", nil)
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return p.number()
		}
		return nil, p.errf("unexpected %q", c)
	}
}

func (p *jsonParser) literal(word string, v Value) (Value, error) {
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return v, nil
	}
	return nil, p.errf("invalid literal, expected %s", word)
}

func (p *jsonParser) object(depth int) (Value, error) {
	p.pos++ // {
	kbase, vbase := len(p.kstack), len(p.vstack)
	p.skipWS()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return p.carveRecord(), nil
	}
	for {
		p.skipWS()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errf("expected a string key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipWS()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errf("expected ':' after key")
		}
		p.pos++
		p.skipWS()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.kstack = append(p.kstack, k)
		p.vstack = append(p.vstack, v)
		p.skipWS()
		if p.pos >= len(p.data) {
			return nil, p.errf("unexpected end of input in object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return p.endRecord(kbase, vbase), nil
		default:
			return nil, p.errf("expected ',' or '}' in object")
		}
	}
}

// endRecord makes the record of the fields stacked since kbase, vbase.
func (p *jsonParser) endRecord(kbase, vbase int) *Record {
	ks, vs := p.kstack[kbase:], p.vstack[vbase:]
	n := len(ks)
	r := p.carveRecord()
	r.keys = p.carveStrs(n)[:0]
	r.vals = p.carveVals(n)[:0]
	for i, k := range ks {
		r.Set(k, vs[i]) // a repeated key keeps its place and takes the new value
	}
	clear(ks)
	clear(vs)
	p.kstack, p.vstack = p.kstack[:kbase], p.vstack[:vbase]
	return r
}

// emptyArray is every decoded `[]`: not nil, and with no room, so that an
// append to it never writes into shared memory.
var emptyArray = []Value{}

func (p *jsonParser) array(depth int) (Value, error) {
	p.pos++ // [
	vbase := len(p.vstack)
	p.skipWS()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return emptyArray, nil
	}
	for {
		p.skipWS()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.vstack = append(p.vstack, v)
		p.skipWS()
		if p.pos >= len(p.data) {
			return nil, p.errf("unexpected end of input in array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			vs := p.vstack[vbase:]
			a := p.carveVals(len(vs))
			copy(a, vs)
			clear(vs)
			p.vstack = p.vstack[:vbase]
			return p.boxArray(a), nil
		default:
			return nil, p.errf("expected ',' or ']' in array")
		}
	}
}

// text is data[from:to] as a string sharing the document's copy.
func (p *jsonParser) text(from, to int) string {
	if p.src == "" {
		p.src = string(p.data)
	}
	return p.src[from:to]
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// plainRun is how many bytes from data[i] on need no attention inside a
// JSON string being decoded: none is '"', '\\' or a control character.
// It looks at eight bytes at a time.
func plainRun(data []byte, i int) int {
	start := i
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:])
		q := x ^ (lsb * '"')
		b := x ^ (lsb * '\\')
		// A set high bit marks a byte below 0x20, a '"' or a '\\'; only
		// the lowest is certain (borrows may flag bytes above it).
		m := ((x - lsb*0x20) & ^x) | ((q - lsb) & ^q) | ((b - lsb) & ^b)
		if m &= msb; m != 0 {
			return i - start + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(data); i++ {
		if c := data[i]; c == '"' || c == '\\' || c < 0x20 {
			break
		}
	}
	return i - start
}

func (p *jsonParser) str() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	// Fast path: no escapes.
	p.pos += plainRun(p.data, p.pos)
	if p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := p.text(start, p.pos)
			p.pos++
			if !utf8.ValidString(s) {
				return toValidUTF8(s), nil
			}
			return s, nil
		}
		if c < 0x20 {
			return "", p.errf("control character in string")
		}
	}
	buf := append(p.buf[:0], p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			p.buf = buf
			s := string(buf)
			if !utf8.ValidString(s) {
				return toValidUTF8(s), nil
			}
			return s, nil
		case c == '\\':
			p.pos++
			if p.pos >= len(p.data) {
				return "", p.errf("unexpected end of input in escape")
			}
			e := p.data[p.pos]
			p.pos++
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(utf8.RuneError)
					if p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
						save := p.pos
						p.pos += 2
						lo, err := p.hex4()
						if err != nil {
							return "", err
						}
						if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
							r2 = d
						} else {
							p.pos = save
						}
					}
					r = r2
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", p.errf("invalid escape '\\%c'", e)
			}
		case c < 0x20:
			return "", p.errf("control character in string")
		default:
			n := plainRun(p.data, p.pos)
			buf = append(buf, p.data[p.pos:p.pos+n]...)
			p.pos += n
		}
	}
	return "", p.errf("unterminated string")
}

func toValidUTF8(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, r)
		i += size
	}
	return string(b)
}

func (p *jsonParser) hex4() (rune, error) {
	if len(p.data)-p.pos < 4 {
		return 0, p.errf("short \\u escape")
	}
	var r rune
	for _, c := range p.data[p.pos : p.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, p.errf("invalid hex digit %q in \\u escape", c)
		}
	}
	p.pos += 4
	return r, nil
}

func (p *jsonParser) number() (Value, error) {
	data := p.data
	pos := p.pos
	start := pos
	neg := false
	if data[pos] == '-' {
		neg = true
		pos++
	}
	if pos >= len(data) || data[pos] < '0' || data[pos] > '9' {
		p.pos = pos
		return nil, p.errf("invalid number")
	}
	if data[pos] == '0' && pos+1 < len(data) && data[pos+1] >= '0' && data[pos+1] <= '9' {
		p.pos = pos
		return nil, p.errf("leading zero in number")
	}
	var u uint64
	overflow := false
	for pos < len(data) && data[pos] >= '0' && data[pos] <= '9' {
		d := uint64(data[pos] - '0')
		if u > (math.MaxUint64-d)/10 {
			overflow = true
		}
		u = u*10 + d
		pos++
	}
	isFloat := false
	if pos < len(data) && data[pos] == '.' {
		isFloat = true
		pos++
		if pos >= len(data) || data[pos] < '0' || data[pos] > '9' {
			p.pos = pos
			return nil, p.errf("expected digits after '.'")
		}
		for pos < len(data) && data[pos] >= '0' && data[pos] <= '9' {
			pos++
		}
	}
	if pos < len(data) && (data[pos] == 'e' || data[pos] == 'E') {
		isFloat = true
		pos++
		if pos < len(data) && (data[pos] == '+' || data[pos] == '-') {
			pos++
		}
		if pos >= len(data) || data[pos] < '0' || data[pos] > '9' {
			p.pos = pos
			return nil, p.errf("expected digits in exponent")
		}
		for pos < len(data) && data[pos] >= '0' && data[pos] <= '9' {
			pos++
		}
	}
	p.pos = pos
	if !isFloat && !overflow {
		if !neg {
			if u < 256 {
				return int64(u), nil // Go boxes these without allocating
			}
			if u <= math.MaxInt64 {
				return p.boxNum(int64Type, u), nil
			}
			return p.boxNum(uint64Type, u), nil
		}
		if u <= 1<<63 {
			return p.boxNum(int64Type, uint64(-int64(u))), nil // -(1<<63) wraps to MinInt64 exactly
		}
	}
	f, err := strconv.ParseFloat(p.text(start, pos), 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) && !math.IsInf(f, 0) {
			return f, nil // underflow to (sub)normal or zero is fine
		}
		return nil, &SyntaxError{Offset: start, Msg: fmt.Sprintf("number %s is out of range for a 64-bit float", data[start:pos])}
	}
	return p.boxNum(float64Type, math.Float64bits(f)), nil
}

// AppendSortedJSON appends v as JSON with the keys of every record sorted
// (a canonical text: Tremor's name for a group, and how its test harness
// compared values).
func AppendSortedJSON(b []byte, v Value) []byte {
	switch x := v.(type) {
	case *Record:
		keys := append([]string(nil), x.Keys()...)
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSON(b, k)
			b = append(b, ':')
			val, _ := x.Get(k)
			b = AppendSortedJSON(b, val)
		}
		return append(b, '}')
	case []Value:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendSortedJSON(b, e)
		}
		return append(b, ']')
	}
	return AppendJSON(b, v)
}
