package event

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// sameAsReference fails t unless ParseJSON gives exactly what the decoder
// before the rewrite gave for data: the same error text (with its byte
// offset), or values of the same types, with the same keys in the same
// order (the binary encoding tells int64 from uint64 and keeps order).
func sameAsReference(t *testing.T, data []byte) {
	t.Helper()
	want, werr := refParseJSON(data)
	got, gerr := ParseJSON(data)
	switch {
	case werr != nil || gerr != nil:
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Fatalf("ParseJSON(%q): error %v, the reference decoder's %v", data, gerr, werr)
		}
	case !bytes.Equal(AppendBinary(nil, got), AppendBinary(nil, want)):
		t.Fatalf("ParseJSON(%q) = %s, the reference decoder's %s", data, MarshalJSON(got), MarshalJSON(want))
	}
}

// jsonCorpus is valid and invalid documents that reach every branch of the
// decoder.
var jsonCorpus = []string{
	``, ` `, `{`, `}`, `[`, `]`, `[1,]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `[,]`, `01`, `-01`, `1.`, `1e`, `1e+`, `-`, `--1`, `+1`,
	`"abc`, `"\x"`, `"\u12"`, `"\u12g4"`, `"\`, `"a\`, "\"a\x01\"", "\"a\\n\x1f\"", `tru`, `nul`, `fals`, `truex`, `{"a":1}x`, `{1:2}`,
	`{"a" 1}`, `{"a":1 "b":2}`, `[1 2]`, `[`, `[1`, `{"a":1`, `{"a"`, `{"a":`,
	`{"onramp":"metronome","id":0,"hostname":"localhost","ingest_ns":1600860720749137000}`,
	`{"z":1,"a":2,"m":3}`, `{"a":1,"a":2,"b":3,"a":4}`, `[1,-2,3.5,"x",null,true,false,{},[]]`, `[[[]],[{}],{"":{}}]`,
	`18446744073709551615`, `18446744073709551616`, `9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `-9223372036854775809`,
	`1.0`, `1e3`, `1E-3`, `-0`, `-0.0`, `0.5e+2`, `1e400`, `-1e400`, `1e-400`, `123456789012345678901234567890`,
	`"a\"b\\c\n\t\u0001é😀"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\ude00"`, `"\ud83d\ud83d\ude00"`, `"\/\b\f\r"`,
	"\"\xff\xfe\"", "\"ok \xc3\x28 bad\"", "\"tail \xe2\x82\"", `"\u00e9"`, " \t\r\n{ \"a\" : [ 1 , 2 ] } \n",
	`"` + strings.Repeat("x", 100) + `\n` + strings.Repeat("y", 37) + `"`,
	`"` + strings.Repeat("é", 20) + "\x05" + `"`,
	`{"k00":0,"k01":1,"k02":2,"k03":3,"k04":4,"k05":5,"k06":6,"k07":7,"k08":8,"k09":9,"k10":10,"k11":11,"k12":12,"k13":13,"k05":"again"}`,
	strings.Repeat("[", MaxJSONDepth+2) + strings.Repeat("]", MaxJSONDepth+2),
	strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth),
	strings.Repeat(`{"a":`, MaxJSONDepth+1) + `1` + strings.Repeat("}", MaxJSONDepth+1),
}

func TestParseJSONSameAsReference(t *testing.T) {
	for _, d := range jsonCorpus {
		sameAsReference(t, []byte(d))
		// Every prefix: truncated input must fail the same way.
		for i := range len(d) {
			sameAsReference(t, []byte(d[:i]))
		}
	}
	for _, d := range benchDocs {
		sameAsReference(t, d.doc)
	}
}

// TestParseJSONSameAsReferenceMutated flips, inserts and deletes bytes of
// valid documents at random (seeded: the same cases every run).
func TestParseJSONSameAsReferenceMutated(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 5))
	alphabet := []byte("{}[]:,\"\\ntfu0123456789.eE+-/ \x00\x1f\x7f\xc3\xa9\xff")
	for _, seed := range [][]byte{tutorialDoc, benchDoc, largeDoc, []byte(jsonCorpus[len(jsonCorpus)-4])} {
		for range 3000 {
			d := append([]byte(nil), seed...)
			for range 1 + rng.IntN(3) {
				i := rng.IntN(len(d))
				switch rng.IntN(3) {
				case 0:
					d[i] = alphabet[rng.IntN(len(alphabet))]
				case 1:
					d = append(d[:i], d[i+1:]...)
				default:
					d = append(d[:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, d[i:]...)...)
				}
			}
			sameAsReference(t, d)
		}
	}
}

// TestParseJSONOwnsItsStrings: values never alias the caller's buffer.
func TestParseJSONOwnsItsStrings(t *testing.T) {
	data := []byte(`{"key":"value","arr":["x"]}`)
	v, err := ParseJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'Z'
	}
	if got := string(MarshalJSON(v)); got != `{"key":"value","arr":["x"]}` {
		t.Fatalf("value changed with the input buffer: %s", got)
	}
}

// TestParseJSONAggregatesDoNotShare: appending to a decoded record or
// array (as scripts and operators do) never changes a neighbour carved
// from the same slab.
func TestParseJSONAggregatesDoNotShare(t *testing.T) {
	v, err := ParseJSON([]byte(`{"a":{"x":1},"b":{"y":2},"c":[1],"d":[2],"e":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := v.(*Record)
	a, _ := r.Get("a")
	a.(*Record).Set("new", int64(9))
	c, _ := r.Get("c")
	_ = append(c.([]Value), "overwrite?")
	e, _ := r.Get("e")
	_ = append(e.([]Value), "overwrite?")
	r.Set("f", true)
	if got, want := string(MarshalJSON(v)), `{"a":{"x":1,"new":9},"b":{"y":2},"c":[1],"d":[2],"e":[],"f":true}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	v2, _ := ParseJSON([]byte(`[]`))
	if got := string(MarshalJSON(v2)); got != `[]` {
		t.Fatalf("empty array shared: %s", got)
	}
}

// FuzzParseJSONDifferential compares the decoder with the reference on
// any input.
//
//	go test -run xxx -fuzz FuzzParseJSONDifferential ./internal/event
func FuzzParseJSONDifferential(f *testing.F) {
	for _, d := range jsonCorpus {
		f.Add([]byte(d))
	}
	for _, d := range benchDocs {
		f.Add(d.doc)
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameAsReference(t, data) })
}

// TestAppendStringSameAsReference: the encoder escapes exactly as before,
// for random strings of every kind of byte, at every alignment.
func TestAppendStringSameAsReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	pieces := []string{"a", "Z", " ", "\"", "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "é", "😀", "\xff", "\xc3", "\xe2\x82", "/", "<", "\u2028"}
	for range 50000 {
		var b strings.Builder
		for range rng.IntN(40) {
			if rng.IntN(3) == 0 {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			} else {
				b.WriteString("abcdefgh"[:rng.IntN(8)])
			}
		}
		s := b.String()
		if got, want := appendString(nil, s), refAppendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, was %s", s, got, want)
		}
	}
}

// TestParsedValuesSurviveGC: values boxed into the decoder's slabs stay
// intact through garbage collections while the documents are dropped.
func TestParsedValuesSurviveGC(t *testing.T) {
	var kept []Value
	for i := range 2000 {
		v, err := ParseJSON(fmt.Appendf(nil, `{"i":%d,"u":%d,"f":%d.5,"s":"str-%d","a":[%d,"x"]}`, i+1000, uint64(1<<63)+uint64(i), i, i, i+300))
		if err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			kept = append(kept, v)
		}
		if i%500 == 0 {
			runtime.GC()
		}
	}
	runtime.GC()
	for j, v := range kept {
		i := j * 10
		want := fmt.Sprintf(`{"i":%d,"u":%d,"f":%d.5,"s":"str-%d","a":[%d,"x"]}`, i+1000, uint64(1<<63)+uint64(i), i, i, i+300)
		if got := string(MarshalJSON(v)); got != want {
			t.Fatalf("kept value %d = %s, want %s", j, got, want)
		}
		r := v.(*Record)
		if x, _ := r.Get("i"); x != Value(int64(i+1000)) {
			t.Fatalf("i = %#v", x)
		}
		if x, _ := r.Get("u"); x != Value(uint64(1<<63)+uint64(i)) {
			t.Fatalf("u = %#v", x)
		}
	}
}
