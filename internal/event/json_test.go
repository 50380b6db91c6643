package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestJSONRoundTrip(t *testing.T) {
	cases := []struct {
		in, out string
	}{
		{`{"onramp":"metronome","id":0,"hostname":"localhost","ingest_ns":1600860720749137000}`, ""},
		{`{"z":1,"a":2,"m":3}`, ""},
		{`[1,-2,3.5,"x",null,true,false,{},[]]`, ""},
		{`18446744073709551615`, ""},
		{`9223372036854775807`, ""},
		{`-9223372036854775808`, ""},
		{`18446744073709551616`, `18446744073709552000.0`},
		{`1.0`, ""},
		{`1e3`, `1000.0`},
		{`-0.5`, ""},
		{`"a\"b\\c\n\t\u0001é😀"`, `"a\"b\\c\n\t\u0001é😀"`},
		{`"\ud83d\ude00"`, `"😀"`},
		{` { "a" : [ 1 , 2 ] } `, `{"a":[1,2]}`},
		{`{"a":1,"a":2}`, `{"a":2}`},
		{`"\u00e9"`, `"é"`},
	}
	for _, c := range cases {
		v, err := ParseJSON([]byte(c.in))
		if err != nil {
			t.Fatalf("ParseJSON(%s): %v", c.in, err)
		}
		want := c.out
		if want == "" {
			want = c.in
		}
		if got := string(MarshalJSON(v)); got != want {
			t.Errorf("round trip of %s = %s, want %s", c.in, got, want)
		}
	}
}

func TestJSONIntegersExact(t *testing.T) {
	v, err := ParseJSON([]byte(`{"ingest_ns":1600860720749137000,"big":18446744073709551615,"neg":-1}`))
	if err != nil {
		t.Fatal(err)
	}
	r := v.(*Record)
	if got, _ := r.Get("ingest_ns"); got != int64(1600860720749137000) {
		t.Errorf("ingest_ns = %#v", got)
	}
	if got, _ := r.Get("big"); got != uint64(math.MaxUint64) {
		t.Errorf("big = %#v", got)
	}
	if got, _ := r.Get("neg"); got != int64(-1) {
		t.Errorf("neg = %#v", got)
	}
}

func TestJSONErrors(t *testing.T) {
	bad := []string{``, `{`, `[1,]`, `{"a"}`, `{"a":}`, `01`, `1.`, `1e`, `"abc`, `"\x"`, `tru`, `nul`, `{"a":1}x`, "\"a\x01\"", `-`, `{1:2}`, `"\u12"`,
		strings.Repeat("[", MaxJSONDepth+2) + strings.Repeat("]", MaxJSONDepth+2)}
	for _, b := range bad {
		if v, err := ParseJSON([]byte(b)); err == nil {
			t.Errorf("ParseJSON(%q) = %v, want error", b, v)
		}
	}
}

func TestFloatFormatting(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 0.1: "0.1", 1e21: "1e+21", 1e-7: "1e-07", -2.5: "-2.5", math.NaN(): "null"} {
		if got := string(MarshalJSON(f)); got != want {
			t.Errorf("MarshalJSON(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestRecordOrderAndIndex(t *testing.T) {
	r := NewRecord(0)
	for i := 0; i < 40; i++ {
		r.Set(fmt.Sprintf("k%02d", 39-i), int64(i))
	}
	r.Set("k10", "x")
	if !r.Delete("k20") || r.Delete("nope") {
		t.Fatal("delete")
	}
	if r.Len() != 39 || r.Keys()[0] != "k39" || r.Keys()[38] != "k00" {
		t.Fatalf("order broken: %v", r.Keys())
	}
	if v, _ := r.Get("k10"); v != "x" {
		t.Fatalf("k10=%v", v)
	}
	if v, ok := r.Get("k19"); !ok || v != int64(20) {
		t.Fatalf("k19=%v %v", v, ok)
	}
	c := DeepCopy(r).(*Record)
	c.Set("k10", "y")
	if v, _ := r.Get("k10"); v != "x" {
		t.Fatal("deep copy shares state")
	}
	if !Equal(r, DeepCopy(r)) || Equal(r, c) {
		t.Fatal("Equal")
	}
}

func TestEqualNumbers(t *testing.T) {
	if !Equal(int64(1), 1.0) || !Equal(uint64(math.MaxUint64), uint64(math.MaxUint64)) || Equal(int64(-1), uint64(math.MaxUint64)) || Equal(int64(1), "1") {
		t.Fatal("numeric equality")
	}
}

// A sample event line as the tutorial's metronome produces, plus some bulk.
var benchDoc = []byte(`{"onramp":"metronome","id":123456,"hostname":"worker-17.example.com","ingest_ns":1600860720749137000,` +
	`"tags":["a","b","c"],"nested":{"level":"info","message":"user logged in from 10.1.2.3 after 2 attempts","latency":12.5,"ok":true}}`)

func BenchmarkJSON(b *testing.B) {
	b.Run("temblor/decode+encode", func(b *testing.B) {
		b.SetBytes(int64(len(benchDoc)))
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			v, err := ParseJSON(benchDoc)
			if err != nil {
				b.Fatal(err)
			}
			buf = AppendJSON(buf[:0], v)
		}
	})
	b.Run("encoding_json/decode+encode", func(b *testing.B) {
		b.SetBytes(int64(len(benchDoc)))
		b.ReportAllocs()
		for b.Loop() {
			// UseNumber keeps integers exact, the fair comparison.
			d := json.NewDecoder(strings.NewReader(string(benchDoc)))
			d.UseNumber()
			var v any
			if err := d.Decode(&v); err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkJSONRatio runs both codecs interleaved in the same loop and
// reports the speed-up of ours over encoding/json (with UseNumber, the only
// way it keeps integers exact) as a ratio.
func BenchmarkJSONRatio(b *testing.B) {
	var ours, std time.Duration
	var buf []byte
	for b.Loop() {
		t0 := time.Now()
		v, _ := ParseJSON(benchDoc)
		buf = AppendJSON(buf[:0], v)
		t1 := time.Now()
		d := json.NewDecoder(bytes.NewReader(benchDoc))
		d.UseNumber()
		var sv any
		_ = d.Decode(&sv)
		_, _ = json.Marshal(sv)
		t2 := time.Now()
		ours += t1.Sub(t0)
		std += t2.Sub(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(ours.Nanoseconds())/n, "temblor-ns/op")
	b.ReportMetric(float64(std.Nanoseconds())/n, "encoding_json-ns/op")
	b.ReportMetric(float64(std)/float64(ours), "speedup-x")
}

func FuzzParseJSON(f *testing.F) {
	f.Add(benchDoc)
	f.Add([]byte(`[1,2,{"a":null}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseJSON(data)
		if err != nil {
			return
		}
		out := MarshalJSON(v)
		v2, err := ParseJSON(out)
		if err != nil {
			t.Fatalf("re-parse of %q failed: %v", out, err)
		}
		if !Equal(v, v2) {
			// NaN cannot occur; floats re-format exactly ('-1' precision).
			t.Fatalf("round trip changed value: %q -> %q", data, out)
		}
	})
}
