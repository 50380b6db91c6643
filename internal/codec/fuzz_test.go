package codec

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

// fuzzSeeds: the golden inputs for the codec plus what it makes of the
// shared test values; written to testdata/fuzz/<target>/ by -update.
func fuzzSeeds(t testing.TB, name string) [][]byte {
	seeds := [][]byte{{}, []byte("{}"), []byte("\x00\xff")}
	if in, err := os.ReadFile(filepath.Join("testdata", name, "cases.in")); err == nil {
		seeds = append(seeds, bytes.Split(in, []byte("\n"))...)
	}
	if files, _ := filepath.Glob(filepath.Join("testdata", name, "*.yaml")); len(files) > 0 {
		for _, f := range files {
			b, _ := os.ReadFile(f)
			seeds = append(seeds, b)
		}
	}
	c := newCodec(t, name)
	for _, v := range values {
		if b, err := c.Encode(v); err == nil {
			seeds = append(seeds, b)
		}
	}
	if name == "binflux" {
		in := newCodec(t, "influx").(IngestDecoder)
		v, _ := in.DecodeAt([]byte(`m,t=v f=1,i=2i,s="x",b=t 5`), 0)
		b, _ := c.Encode(v)
		seeds = append(seeds, b)
	}
	return seeds
}

// roundTrips: codecs whose encoded output must decode to an equal value.
var roundTrips = map[string]bool{"json": true, "json-sorted": true, "msgpack": true, "binflux": true, "yaml": true, "statsd": true, "influx": true, "binary": true}

// fuzzDecode checks that the codec never panics on any input and that what
// it decoded, once encoded, decodes again (to an equal value where the
// format keeps everything).
func fuzzDecode(f *testing.F, name string) {
	target := "FuzzDecode_" + strings.ReplaceAll(name, "-", "_")
	if *update {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			f.Fatal(err)
		}
		for i, s := range fuzzSeeds(f, name) {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(s)))
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i)), []byte(body), 0o644); err != nil {
				f.Fatal(err)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newCodec(t, name)
		v, err := Decode(c, data, 1600860720749137000)
		if err != nil {
			return
		}
		out, err := c.Encode(v)
		if err != nil {
			return // not every decodable value is encodable (syslog's fallback, influx's empty fields)
		}
		back, err := Decode(c, out, 1600860720749137000)
		if err != nil {
			t.Fatalf("%q decoded to %s, encoded as %q, which does not decode: %v", data, event.MarshalJSON(v), out, err)
		}
		if roundTrips[name] && !equalNaN(v, back) {
			t.Fatalf("%q decoded to %s, encoded as %q, decoded to %s", data, event.MarshalJSON(v), out, event.MarshalJSON(back))
		}
	})
}

// equalNaN is event.Equal with NaN equal to itself.
func equalNaN(a, b event.Value) bool {
	switch x := a.(type) {
	case float64:
		if y, ok := b.(float64); ok && math.IsNaN(x) && math.IsNaN(y) {
			return true
		}
	case []event.Value:
		y, ok := b.([]event.Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalNaN(x[i], y[i]) {
				return false
			}
		}
		return true
	case *event.Record:
		y, ok := b.(*event.Record)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i := range x.Len() {
			k, xv := x.At(i)
			yv, ok := y.Get(k)
			if !ok || !equalNaN(xv, yv) {
				return false
			}
		}
		return true
	}
	return event.Equal(a, b)
}

func FuzzDecode_json(f *testing.F)        { fuzzDecode(f, "json") }
func FuzzDecode_json_sorted(f *testing.F) { fuzzDecode(f, "json-sorted") }
func FuzzDecode_msgpack(f *testing.F)     { fuzzDecode(f, "msgpack") }
func FuzzDecode_influx(f *testing.F)      { fuzzDecode(f, "influx") }
func FuzzDecode_binflux(f *testing.F)     { fuzzDecode(f, "binflux") }
func FuzzDecode_null(f *testing.F)        { fuzzDecode(f, "null") }
func FuzzDecode_string(f *testing.F)      { fuzzDecode(f, "string") }
func FuzzDecode_statsd(f *testing.F)      { fuzzDecode(f, "statsd") }
func FuzzDecode_yaml(f *testing.F)        { fuzzDecode(f, "yaml") }
func FuzzDecode_binary(f *testing.F)      { fuzzDecode(f, "binary") }
func FuzzDecode_syslog(f *testing.F)      { fuzzDecode(f, "syslog") }
