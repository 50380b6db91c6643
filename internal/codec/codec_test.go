package codec

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

// Tremor 0.11.12's codecs, plus json-sorted from later Tremor releases.
var tremorCodecs = []string{"binary", "binflux", "influx", "json", "json-sorted", "msgpack", "null", "statsd", "string", "syslog", "yaml"}

func TestTremorNames(t *testing.T) {
	if got := Registry.Names(); !slices.Equal(got, tremorCodecs) {
		t.Fatalf("codecs:\n got %v\nwant %v", got, tremorCodecs)
	}
	for _, n := range Registry.Names() {
		if s, _ := Registry.Lookup(n); s.Doc == "" || s.New() == nil {
			t.Errorf("codec %s: no doc or constructor", n)
		}
	}
}

func newCodec(t testing.TB, name string) Codec {
	t.Helper()
	s, ok := Registry.Lookup(name)
	if !ok {
		t.Fatalf("no codec %s", name)
	}
	return s.New()
}

func TestJSONCodecKeepsIntegersAndOrder(t *testing.T) {
	j := newCodec(t, "json")
	in := `{"onramp":"metronome","id":0,"hostname":"localhost","ingest_ns":1600860720749137000}`
	v, err := j.Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := j.Encode(v)
	if string(out) != in {
		t.Fatalf("%s", out)
	}
	if _, err := j.Decode([]byte(`{"a":`)); err == nil {
		t.Fatal("bad JSON accepted")
	}
	sorted, _ := newCodec(t, "json-sorted").Encode(event.RecordOf("z", event.RecordOf("b", 1, "a", []any{event.RecordOf("y", 1, "x", 2)}), "a", 1))
	if string(sorted) != `{"a":1,"z":{"a":[{"x":2,"y":1}],"b":1}}` {
		t.Fatalf("json-sorted: %s", sorted)
	}
	// sorting does not reorder the event itself
	ev := event.RecordOf("b", 1, "a", 2)
	_, _ = newCodec(t, "json-sorted").Encode(ev)
	if ev.Keys()[0] != "b" {
		t.Fatal("json-sorted changed the event")
	}
}

func TestStringBinaryNull(t *testing.T) {
	v, _ := newCodec(t, "string").Decode([]byte("héllo"))
	out, _ := newCodec(t, "string").Encode(event.RecordOf("a", int64(1)))
	if v != "héllo" || string(out) != `{"a":1}` {
		t.Fatalf("%v %s", v, out)
	}
	if v, _ := newCodec(t, "string").Decode([]byte{'a', 0xff}); v != "a\ufffd" {
		t.Fatalf("invalid UTF-8: %q", v)
	}
	bv, _ := newCodec(t, "binary").Decode([]byte{0xff, 0})
	if string(bv.([]byte)) != "\xff\x00" {
		t.Fatalf("%v", bv)
	}
	// Tremor's string codec wrote non-strings as JSON.
	if out, _ := newCodec(t, "string").Encode([]event.Value{"snot badger"}); string(out) != `["snot badger"]` {
		t.Fatalf("%s", out)
	}
	n := newCodec(t, "null")
	if v, err := n.Decode([]byte("anything")); v != nil || err != nil {
		t.Fatalf("null decode: %v %v", v, err)
	}
	if out, err := n.Encode(event.RecordOf("a", 1)); len(out) != 0 || err != nil {
		t.Fatalf("null encode: %q %v", out, err)
	}
}

// values exercises every Value type, exact integers at the edges and key order.
var values = []event.Value{
	nil, true, false, int64(0), int64(-1), int64(math.MinInt64), int64(math.MaxInt64), uint64(math.MaxUint64),
	int64(1600860720749137000), 1.5, -0.0, 1e300, "", "snot", "ünïcødé \x00 \n",
	[]byte{}, []byte{0, 1, 0xff}, []event.Value{}, []event.Value{int64(1), "two", nil},
	event.NewRecord(0),
	event.RecordOf("z", int64(1), "a", event.RecordOf("y", []any{int64(2), event.RecordOf("k", "v")}), "m", uint64(math.MaxUint64)),
}

// TestRoundTripsKeepEverything: msgpack and yaml keep every value exactly,
// key order included; json keeps all but bytes (base64 strings).
func TestRoundTripsKeepEverything(t *testing.T) {
	for _, name := range []string{"msgpack", "yaml", "json"} {
		c := newCodec(t, name)
		for _, v := range values {
			if _, isBytes := v.([]byte); isBytes && name == "json" {
				continue
			}
			b, err := c.Encode(v)
			if err != nil {
				t.Fatalf("%s encode %v: %v", name, v, err)
			}
			back, err := c.Decode(b)
			if err != nil {
				t.Fatalf("%s decode %q: %v", name, b, err)
			}
			if !event.Equal(v, back) || !sameOrder(v, back) || !sameIntKinds(v, back) {
				t.Errorf("%s: %s came back as %s", name, event.MarshalJSON(v), event.MarshalJSON(back))
			}
		}
	}
}

func sameOrder(a, b event.Value) bool {
	ra, ok1 := a.(*event.Record)
	rb, ok2 := b.(*event.Record)
	if !ok1 || !ok2 {
		return true
	}
	if !slices.Equal(ra.Keys(), rb.Keys()) {
		return false
	}
	for i := range ra.Len() {
		_, x := ra.At(i)
		_, y := rb.At(i)
		if !sameOrder(x, y) {
			return false
		}
	}
	return true
}

// sameIntKinds: an integer never comes back as a float.
func sameIntKinds(a, b event.Value) bool {
	switch a.(type) {
	case int64, uint64:
		switch b.(type) {
		case int64, uint64:
			return true
		}
		return false
	}
	return true
}

func TestMsgpack(t *testing.T) {
	c := newCodec(t, "msgpack")
	// Tremor's own case, and the bytes a reference encoder writes for it.
	b, _ := c.Encode(event.RecordOf("snot", "badger"))
	if !bytes.Equal(b, []byte("\x81\xa4snot\xa6badger")) {
		t.Fatalf("% x", b)
	}
	// Compact integers: 1 byte for small ones, uint64 for the top of the range.
	for v, want := range map[int64]string{1: "\x01", -1: "\xff", 200: "\xcc\xc8", -200: "\xd1\xff\x38"} {
		if b, _ := c.Encode(v); string(b) != want {
			t.Errorf("%d: % x", v, b)
		}
	}
	bad := map[string][]byte{
		"truncated":        {0x82, 0xa1, 'a'},
		"int key":          {0x81, 0x01, 0x02},
		"ext":              {0xd4, 0x01, 0x00},
		"trailing":         {0x01, 0x02},
		"invalid utf8 str": {0xa2, 0xff, 0xfe},
		"reserved code":    {0xc1},
		"huge array":       {0xdd, 0xff, 0xff, 0xff, 0xff},
		"empty":            {},
	}
	for name, in := range bad {
		if v, err := c.Decode(in); err == nil {
			t.Errorf("%s: accepted as %v", name, v)
		}
	}
	deep := append(bytes.Repeat([]byte{0x91}, event.MaxJSONDepth+10), 0x01)
	if _, err := c.Decode(deep); err == nil {
		t.Error("nesting beyond the limit accepted")
	}
}

func TestBinflux(t *testing.T) {
	c := newCodec(t, "binflux")
	in := newCodec(t, "influx").(IngestDecoder)
	v, err := in.DecodeAt([]byte("weather,location=us-midwest,name=cake temperature=82,n=3i,s=\"x\",b=true,f=false 1465839830100400200"), 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	back, err := c.Decode(b)
	if err != nil || !event.Equal(v, back) || !sameOrder(v, back) {
		t.Fatalf("%s %v", event.MarshalJSON(back), err)
	}
	// Every truncation of a valid frame is an error, never a panic.
	for i := range b {
		if _, err := c.Decode(b[:i]); err == nil {
			t.Fatalf("truncated at %d of %d accepted", i, len(b))
		}
	}
	// Tremor's errors.
	for _, tc := range []struct {
		v    event.Value
		want string
	}{
		{event.NewRecord(0), "measurement"},
		{event.RecordOf("measurement", "m"), "timestamp"},
		{event.RecordOf("measurement", "m", "timestamp", 42, "fields", event.RecordOf("snot", []any{int64(1)})), "array"},
	} {
		if _, err := c.Encode(tc.v); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", event.MarshalJSON(tc.v), err)
		}
	}
	// A number tag is written as text and counted (Tremor skipped it but counted it).
	b, err = c.Encode(event.RecordOf("measurement", "m", "timestamp", 1, "tags", event.RecordOf("n", 5, "s", "x"), "fields", event.RecordOf("f", 1.5)))
	if err != nil {
		t.Fatal(err)
	}
	if back, err := c.Decode(b); err != nil || !strings.Contains(string(event.MarshalJSON(back)), `"tags":{"n":"5","s":"x"}`) {
		t.Fatalf("%s %v", event.MarshalJSON(back), err)
	}
}

func TestInfluxIngestTimeAndSkip(t *testing.T) {
	c := newCodec(t, "influx")
	v, err := Decode(c, []byte("weather temperature=82i"), 1465839830100400200)
	if err != nil {
		t.Fatal(err)
	}
	if ts, _ := v.(*event.Record).Get("timestamp"); ts != int64(1465839830100400200) {
		t.Fatalf("timestamp %v", ts)
	}
	for _, in := range []string{"", "  ", "  \n", " \t \n# bla", "# bla"} {
		if _, err := Decode(c, []byte(in), 0); !errors.Is(err, ErrSkip) {
			t.Errorf("%q: %v, want ErrSkip", in, err)
		}
	}
	// Tremor's encode_mixed_bag: escapes in measurement and field keys.
	out, err := c.Encode(event.RecordOf("measurement", `wea,\ ther`, "tags", event.NewRecord(0),
		"fields", event.RecordOf("temp=erature", 82.0, `too\ \\\"hot"`, true), "timestamp", int64(1465839830100400200)))
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(c, out, 0)
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	f, _ := back.(*event.Record).Get("fields")
	if m, _ := back.(*event.Record).Get("measurement"); m != `wea,\ ther` || !f.(*event.Record).Has(`too\ \\\"hot"`) {
		t.Fatalf("%s -> %s", out, event.MarshalJSON(back))
	}
	for _, bad := range []event.Value{
		"not a record",
		event.RecordOf("tags", event.NewRecord(0), "fields", event.RecordOf("a", 1), "timestamp", 1),
		event.RecordOf("measurement", "m", "fields", event.NewRecord(0), "timestamp", 1),
		event.RecordOf("measurement", "m", "fields", event.RecordOf("a", math.NaN()), "timestamp", 1),
		event.RecordOf("measurement", "m", "fields", event.RecordOf("a", 1)),
		event.RecordOf("measurement", "m", "fields", event.RecordOf("a", 1), "timestamp", 1.5),
	} {
		if out, err := c.Encode(bad); err == nil {
			t.Errorf("%s encoded as %q", event.MarshalJSON(bad), out)
		}
	}
}

func TestSyslogEncodeErrors(t *testing.T) {
	c := newCodec(t, "syslog")
	// Tremor's error order and the empty-record encodings of its tests.
	for _, tc := range []struct {
		v    *event.Record
		want string
	}{
		{event.NewRecord(0), "`facility` is missing"},
		{event.RecordOf("facility", "cron"), "`severity` is missing"},
		{event.RecordOf("facility", "cron", "severity", "info", "structured_data", "sd"), "not a record"},
		{event.RecordOf("facility", "cron", "severity", "info", "protocol", "RFC5424"), "protocol_version"},
		{event.RecordOf("facility", "cron", "severity", "info", "protocol_version", 1), "`protocol` is missing"},
		{event.RecordOf("facility", "cron", "severity", "info", "protocol", "X"), "invalid protocol"},
		{event.RecordOf("facility", "nope", "severity", "info"), "invalid facility"},
		{event.RecordOf("facility", "cron", "severity", "info", "structured_data", event.RecordOf("a b", []any{})), "SD-ID"},
	} {
		if _, err := c.Encode(tc.v); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.v, err, tc.want)
		}
	}
	for _, tc := range []struct {
		v    *event.Record
		want string
	}{
		{event.RecordOf("severity", "notice", "facility", "local4", "msg", "test message", "protocol", "RFC5424", "protocol_version", 1), "<165>1 - - - - - - test message"},
		{event.RecordOf("severity", "notice", "facility", "local4", "msg", "test message", "protocol", "RFC3164"), "<165> - - : test message"},
		{event.RecordOf("severity", "notice", "facility", "local4", "msg", "m", "structured_data", event.RecordOf("id", []any{event.RecordOf("k", `a"b\`)})), `<165>1 - - - - - [id k="a\"b\\"] m`},
	} {
		out, err := c.Encode(tc.v)
		if err != nil || string(out) != tc.want {
			t.Errorf("%s: %q %v, want %q", tc.v, out, err, tc.want)
		}
	}
}

func TestMimeMap(t *testing.T) {
	m := BuiltinMimeMap()
	want := map[string]string{
		"application/json": "json", "application/yaml": "yaml", "text/plain": "string", "text/html": "string",
		"application/msgpack": "msgpack", "application/x-msgpack": "msgpack", "application/vnd.msgpack": "msgpack",
		"application/octet-stream": "binary",
	}
	if len(m) != len(want) {
		t.Fatalf("%v", m)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s → %s, want %s", k, m[k], v)
		}
	}
	if name, ok := m.Lookup("Application/JSON; charset=utf-8"); !ok || name != "json" {
		t.Errorf("content type with parameters: %q %v", name, ok)
	}
	if _, ok := m.Lookup("application/badger"); ok {
		t.Error("unknown media type found")
	}
	o, err := NewMimeMap(map[string]string{"text/plain": "statsd", "application/x-influx": "influx"})
	if err != nil || o["text/plain"] != "statsd" || o["application/x-influx"] != "influx" || o["application/json"] != "json" {
		t.Fatalf("%v %v", o, err)
	}
	if _, err := NewMimeMap(map[string]string{"text/plain": "jsn"}); err == nil || !strings.Contains(err.Error(), `"json"`) {
		t.Errorf("unknown codec: %v", err)
	}
	if _, err := NewMimeMap(map[string]string{"json": "json"}); err == nil {
		t.Error("a key that is not a media type was accepted")
	}
	if MimeOf("msgpack") != "application/msgpack" || MimeOf("influx") != "" {
		t.Errorf("MimeOf: %q %q", MimeOf("msgpack"), MimeOf("influx"))
	}
}

// TestAppendEncode: AppendEncode gives the same bytes as Encode after what
// dst held, for codecs that append (json) and those that do not (string).
func TestAppendEncode(t *testing.T) {
	v := event.RecordOf("b", 1, "a", "x")
	for _, name := range []string{"json", "json-sorted", "string", "msgpack"} {
		c := newCodec(t, name)
		want, err := c.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendEncode(c, []byte("prefix|"), v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "prefix|"+string(want) {
			t.Errorf("%s: AppendEncode = %q, want prefix|%q", name, got, want)
		}
		if _, ok := c.(Appender); ok != (name == "json" || name == "json-sorted") {
			t.Errorf("%s: Appender = %v", name, ok)
		}
	}
}
