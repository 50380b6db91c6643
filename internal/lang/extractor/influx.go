package extractor

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// influx|| parses one line of InfluxDB line protocol into
// {"measurement", "tags", "fields", "timestamp"} as Tremor's decoder did:
// field values are floats, integers with an `i` suffix, booleans
// (t, true, F, FALSE, ...) or quoted strings; a missing timestamp is the
// event's ingest time. Empty lines and comments (#) do not match.
type influxX struct{}

func init() {
	register("influx", func(string) (Extractor, error) { return influxX{}, nil })
}

func (influxX) Extract(c *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
	s, ok := v.(string)
	if !ok {
		return nil, false, nil
	}
	var ingest uint64
	if c != nil {
		ingest = c.IngestNS
	}
	out, err := DecodeInflux(s, ingest)
	if err != nil || out == nil {
		return nil, false, nil
	}
	return out, true, nil
}

var errInflux = errors.New("invalid influx line protocol")

// DecodeInflux parses a line; (nil, nil) for an empty line or a comment.
func DecodeInflux(line string, ingestNS uint64) (*event.Record, error) {
	data := strings.TrimSpace(line)
	if data == "" || strings.HasPrefix(data, "#") {
		return nil, nil
	}
	measurement, i, err := influxTo(data, func(c rune) bool { return c == ',' || c == ' ' })
	if err != nil {
		return nil, err
	}
	data = data[i:]
	tags := event.NewRecord(0)
	if rest, ok := strings.CutPrefix(data, ","); ok {
		data = rest
		if tags, i, err = influxTags(data); err != nil {
			return nil, err
		}
		data = data[i:]
	}
	if data != "" {
		data = data[1:]
	}
	fields, i, err := influxFields(data)
	if err != nil {
		return nil, err
	}
	if i > len(data) {
		return nil, errInflux
	}
	data = data[i:]
	ts := ingestNS
	if data != "" {
		if ts, err = parseLexicalU64(data); err != nil {
			return nil, err
		}
	}
	out := event.NewRecord(4)
	out.Set("measurement", measurement)
	out.Set("tags", tags)
	out.Set("fields", fields)
	out.Set("timestamp", uintValue(ts))
	return out, nil
}

func uintValue(u uint64) event.Value {
	if u <= 1<<63-1 {
		return int64(u)
	}
	return u
}

// firstByteChar is Rust's split_at(s, 1) succeeding: s starts with a
// one-byte character.
func firstByteChar(s string) bool { return s != "" && s[0] < utf8.RuneSelf }

// influxTo reads up to the first character stop accepts, resolving
// backslash escapes (an escaped stop character or backslash stands for
// itself; any other escaped character keeps its backslash). It returns
// the text and the byte offset of the stop character in s.
func influxTo(s string, stop func(rune) bool) (string, int, error) {
	search := func(c rune) bool { return stop(c) || c == '\\' }
	idx := strings.IndexFunc(s, search)
	if idx < 0 {
		return "", 0, errInflux
	}
	if s[idx] != '\\' {
		return s[:idx], idx, nil
	}
	var b strings.Builder
	b.WriteString(s[:idx])
	rest := s[idx+1:]
	off := idx + 2
	for {
		if r, _ := utf8.DecodeRuneInString(rest); rest == "" || !search(r) {
			b.WriteByte('\\')
		}
		if firstByteChar(rest) {
			b.WriteByte(rest[0])
			rest = rest[1:]
		}
		j := strings.IndexFunc(rest, search)
		if j < 0 {
			return "", 0, errInflux
		}
		off += j
		b.WriteString(rest[:j])
		if rest[j] != '\\' {
			return b.String(), off, nil
		}
		rest = rest[j+1:]
		off += 2
	}
}

func influxTags(s string) (*event.Record, int, error) {
	out := event.NewRecord(2)
	off := 0
	for {
		key, i, err := influxTo(s, func(c rune) bool { return c == '=' || c == ' ' || c == ',' })
		if err != nil {
			return nil, 0, err
		}
		off += i + 1
		s = s[i:]
		if !strings.HasPrefix(s, "=") {
			return nil, 0, errInflux
		}
		s = s[1:]
		val, j, err := influxTo(s, func(c rune) bool { return c == ' ' || c == ',' })
		if err != nil {
			return nil, 0, err
		}
		off += j
		s = s[j:]
		out.Set(key, val)
		switch {
		case strings.HasPrefix(s, " "):
			return out, off, nil
		case strings.HasPrefix(s, ","):
			s = s[1:]
			off++
		}
	}
}

func influxFields(s string) (*event.Record, int, error) {
	out := event.NewRecord(4)
	off := 0
	for {
		key, i, err := influxTo(s, func(c rune) bool { return c == '=' })
		if err != nil {
			return nil, 0, err
		}
		if i+1 > len(s) {
			return nil, 0, errInflux
		}
		s = s[i+1:]
		off += i + 1
		val, sep, j, err := influxValue(s)
		if err != nil {
			return nil, 0, err
		}
		if j+1 > len(s) {
			return nil, 0, errInflux
		}
		s = s[j+1:]
		off += j + 1
		out.Set(key, val)
		if sep != ',' {
			return out, off, nil
		}
	}
}

// influxValue reads a field value; it returns the value, the separator
// after it (',', ' ' or 0 at the end) and the offset (quirks included) the
// caller skips past.
func influxValue(s string) (event.Value, byte, int, error) {
	if rest, ok := strings.CutPrefix(s, `"`); ok {
		val, i, err := influxTo(rest, func(c rune) bool { return c == '"' })
		if err != nil {
			return nil, 0, 0, err
		}
		after := rest[i+1:]
		switch {
		case strings.HasPrefix(after, " "):
			return val, ' ', i + 2, nil
		case strings.HasPrefix(after, ","):
			return val, ',', i + 2, nil
		case after == "":
			return val, 0, i + 1, nil
		}
		return nil, 0, 0, errInflux
	}
	if s == "" || strings.HasPrefix(s, " ") {
		return nil, 0, 0, errInflux
	}
	idx := strings.IndexAny(s, ", \\")
	if idx < 0 {
		v, err := influxScalar(s)
		return v, 0, len(s) - 1, err
	}
	data, rest := s[:idx], s[idx:]
	if rest[0] != '\\' {
		v, err := influxScalar(data)
		return v, rest[0], idx, err
	}
	// an escape: Tremor then read on from the escaped character, which
	// itself ends the value if it is a separator
	res := data
	in := rest[1:]
	off := 0
	for {
		j := strings.IndexAny(in, ", \\")
		if j < 0 {
			v, err := influxScalar(res + in)
			return v, 0, len(in) - 1, err
		}
		off += j
		res += in[:j]
		in = in[j:]
		switch in[0] {
		case '\\':
			in = in[1:]
			if !firstByteChar(in) {
				return nil, 0, 0, errInflux
			}
			res += in[:1]
			in = in[1:]
			off++
		default:
			v, err := influxScalar(res)
			return v, in[0], off, err
		}
	}
}

var influxFloat = regexp.MustCompile(`^[+-]?(?:(?i:inf|infinity|nan)|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$`)

func influxScalar(s string) (event.Value, error) {
	switch s {
	case "t", "T", "true", "True", "TRUE":
		return true, nil
	case "f", "F", "false", "False", "FALSE":
		return false, nil
	}
	if n, ok := strings.CutSuffix(s, "i"); ok {
		if strings.HasPrefix(n, "-") {
			i, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return nil, errInflux
			}
			return i, nil
		}
		u, err := parseLexicalU64(n)
		if err != nil {
			return nil, err
		}
		return uintValue(u), nil
	}
	if !influxFloat.MatchString(s) {
		return nil, errInflux
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, errInflux
	}
	return f, nil
}

func parseLexicalU64(s string) (uint64, error) {
	u, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 64)
	if err != nil || strings.HasPrefix(s, "+-") || strings.HasPrefix(s, "++") {
		return 0, errInflux
	}
	return u, nil
}
