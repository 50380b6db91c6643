package codec

import (
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
)

// BenchmarkCodecs: decode + encode of one event per codec, interleaved in
// the same loop with the json codec on the tutorial's event as the
// baseline; ratio = json time / codec time (above 1: faster than json).
func BenchmarkCodecs(b *testing.B) {
	tutorial := []byte(`{"onramp":"metronome","id":0,"hostname":"localhost","ingest_ns":1600860720749137000,"tags":["a","b"],"nested":{"x":1.5,"y":null}}`)
	jv, _ := (&jsonCodec{}).Decode(tutorial)
	inputs := map[string][]byte{
		"json":    tutorial,
		"msgpack": mustEncode(b, "msgpack", jv),
		"yaml":    mustEncode(b, "yaml", jv),
		"influx":  []byte("weather,location=us-midwest,season=summer temperature=82,humidity=71i,note=\"ok\" 1465839830100400200"),
		"statsd":  []byte("glork:320|ms|@0.1"),
		"syslog":  []byte(`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event log entry...`),
		"string":  tutorial,
	}
	v, _ := newCodec(b, "influx").(IngestDecoder).DecodeAt(inputs["influx"], 0)
	inputs["binflux"] = mustEncode(b, "binflux", v)
	for _, name := range []string{"json", "msgpack", "yaml", "influx", "binflux", "statsd", "syslog", "string"} {
		b.Run(name, func(b *testing.B) {
			c, base := newCodec(b, name), newCodec(b, "json")
			in := inputs[name]
			b.SetBytes(int64(len(in)))
			var tc, tb time.Duration
			for b.Loop() {
				t0 := time.Now()
				roundTrip(b, base, tutorial)
				t1 := time.Now()
				roundTrip(b, c, in)
				tc += time.Since(t1)
				tb += t1.Sub(t0)
			}
			b.ReportMetric(float64(tc.Nanoseconds())/float64(b.N), "codec-ns/op")
			b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "json-ns/op")
			b.ReportMetric(float64(tb)/float64(tc), "ratio")
		})
	}
}

func roundTrip(b *testing.B, c Codec, in []byte) {
	v, err := Decode(c, in, 1)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Encode(v); err != nil {
		b.Fatal(err)
	}
}

func mustEncode(b *testing.B, name string, v event.Value) []byte {
	out, err := newCodec(b, name).Encode(v)
	if err != nil {
		b.Fatal(err)
	}
	return out
}
