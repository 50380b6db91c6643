package event

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
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
		{`18446744073709551616`, `1.8446744073709552e19`},
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

// TestFloatFormatting: floats are written as Tremor wrote them (its JSON
// generator prints with ryu): plain notation with a fractional digit for
// 1e-5 <= |f| < 1e16, scientific otherwise, the exponent with no '+' and no
// leading zeros. NaN and infinities, which JSON cannot express, are null.
func TestFloatFormatting(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{1, "1.0"}, {0.1, "0.1"}, {-2.5, "-2.5"}, {0, "0.0"}, {math.Copysign(0, -1), "-0.0"},
		{1e21, "1e21"}, {1e22, "1e22"}, {-1e21, "-1e21"}, {1.5e300, "1.5e300"}, {math.MaxFloat64, "1.7976931348623157e308"},
		{1e16, "1e16"}, {1.2345e16, "1.2345e16"}, {9999999999999998, "9999999999999998.0"}, {1e15, "1000000000000000.0"},
		{123456789012.5, "123456789012.5"}, {18446744073709551616, "1.8446744073709552e19"},
		{1e-5, "0.00001"}, {1.5e-5, "0.000015"}, {0.0001234, "0.0001234"}, {9.999999999999999e-6, "9.999999999999999e-6"},
		{1e-6, "1e-6"}, {1e-7, "1e-7"}, {-1.5e-7, "-1.5e-7"}, {5e-324, "5e-324"}, {2.2250738585072014e-308, "2.2250738585072014e-308"},
		{math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"},
	} {
		if got := string(MarshalJSON(c.f)); got != c.want {
			t.Errorf("MarshalJSON(%v) = %s, want %s", c.f, got, c.want)
		}
	}
}

// ryuLayout lays out a float as ryu's pretty printer does, from the
// shortest decimal digits and exponent (an independent statement of the
// rule appendFloat implements with thresholds).
func ryuLayout(f float64) string {
	e := strconv.FormatFloat(math.Abs(f), 'e', -1, 64) // d.ddde±xx
	mant, expS, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expS)
	k := exp - (len(digits) - 1) // value = digits × 10^k
	kk := len(digits) + k        // 10^(kk-1) <= value < 10^kk
	sign := ""
	if math.Signbit(f) {
		sign = "-"
	}
	switch {
	case f == 0:
		return sign + "0.0"
	case k >= 0 && kk <= 16:
		return sign + digits + strings.Repeat("0", k) + ".0"
	case kk > 0 && kk <= 16:
		return sign + digits[:kk] + "." + digits[kk:]
	case kk > -5 && kk <= 0:
		return sign + "0." + strings.Repeat("0", -kk) + digits
	case len(digits) == 1:
		return sign + digits + "e" + strconv.Itoa(kk-1)
	default:
		return sign + digits[:1] + "." + digits[1:] + "e" + strconv.Itoa(kk-1)
	}
}

func TestFloatFormattingMatchesRyuLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(f float64) {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return
		}
		if got, want := string(MarshalJSON(f)), ryuLayout(f); got != want {
			t.Fatalf("MarshalJSON(%v) = %s, ryu lays it out as %s", f, got, want)
		}
		v, err := ParseJSON(MarshalJSON(f))
		if err != nil || v != f && !(f == 0 && v == 0.0) {
			t.Fatalf("%v does not read back: %v %v", f, v, err)
		}
	}
	for range 200000 {
		check(math.Float64frombits(rng.Uint64()))
	}
	for e := -325; e <= 309; e++ {
		p := math.Pow(10, float64(e))
		for _, f := range []float64{p, math.Nextafter(p, 0), math.Nextafter(p, math.Inf(1)), 1.5 * p, 9.999 * p} {
			check(f)
			check(-f)
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
