package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bytedance/sonic"
	"github.com/valyala/fastjson"
)

// The documents the JSON benchmarks decode and encode.
var (
	// tutorialDoc is an event like the tutorial's metronome produces
	// (about 80 bytes, issue 13's pipeline).
	tutorialDoc = []byte(`{"onramp":"metronome","id":123456,"hostname":"localhost","ingest_ns":1600860720749137000}`)
	// benchDoc is a log event with some nesting (about 190 bytes).
	benchDoc = []byte(`{"onramp":"metronome","id":123456,"hostname":"worker-17.example.com","ingest_ns":1600860720749137000,` +
		`"tags":["a","b","c"],"nested":{"level":"info","message":"user logged in from 10.1.2.3 after 2 attempts","latency":12.5,"ok":true}}`)
	// largeDoc is a 2 KB batch-like document with escapes and non-ASCII text.
	largeDoc = func() []byte {
		var b strings.Builder
		b.WriteString(`{"source":"app","events":[`)
		for i := range 8 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"seq":%d,"ts":%d,"level":"warn","msg":"disk \"/var\" at %d%% — résumé\tnext","ratio":0.%d5,"labels":{"dc":"eu-1","rack":"r%d"},"ok":false,"extra":null}`,
				i, 1600860720749137000+int64(i), 80+i, i, i)
		}
		b.WriteString(`]}`)
		return []byte(b.String())
	}()
)

var benchDocs = []struct {
	name string
	doc  []byte
}{{"tutorial_80B", tutorialDoc}, {"event_190B", benchDoc}, {"batch_2KB", largeDoc}}

// jsonContender is one way to decode a document and encode it again.
type jsonContender struct {
	name string
	// note says what the contender does not keep of our contract.
	note string
	run  func(doc []byte) error
}

// jsonContenders are ours and the libraries compared with it. Only ours
// keeps everything temblor needs (exact int64/uint64, key order, Tremor's
// float format, UTF-8 checked, positioned errors); the others show what
// the fastest Go parsers cost for the same work.
func jsonContenders() []jsonContender {
	var buf []byte
	var fp fastjson.Parser
	sonicInt64 := sonic.Config{UseInt64: true}.Froze()
	return []jsonContender{
		{"temblor", "", func(doc []byte) error {
			v, err := ParseJSON(doc)
			if err != nil {
				return err
			}
			buf = AppendJSON(buf[:0], v)
			return nil
		}},
		{"temblor_before", "the decoder before issue 13 (kept in json_ref_test.go), today's encoder", func(doc []byte) error {
			v, err := refParseJSON(doc)
			if err != nil {
				return err
			}
			buf = AppendJSON(buf[:0], v)
			return nil
		}},
		{"encoding_json", "UseNumber (exact integers); maps lose key order", func(doc []byte) error {
			d := json.NewDecoder(bytes.NewReader(doc))
			d.UseNumber()
			var v any
			if err := d.Decode(&v); err != nil {
				return err
			}
			var err error
			buf, err = json.Marshal(v)
			return err
		}},
		{"fastjson", "its own lazy tree, encoded as parsed: no conversion to values, UTF-8 not checked, no error positions", func(doc []byte) error {
			v, err := fp.ParseBytes(doc)
			if err != nil {
				return err
			}
			buf = v.MarshalTo(buf[:0])
			return nil
		}},
		{"fastjson_to_values", "fastjson's tree converted to our values, then our encoder", func(doc []byte) error {
			v, err := fp.ParseBytes(doc)
			if err != nil {
				return err
			}
			val, err := fromFastjson(v)
			if err != nil {
				return err
			}
			buf = AppendJSON(buf[:0], val)
			return nil
		}},
		{"sonic", "UseInt64 into any: maps lose key order, integers above MaxInt64 become floats", func(doc []byte) error {
			var v any
			if err := sonicInt64.Unmarshal(doc, &v); err != nil {
				return err
			}
			var err error
			buf, err = sonicInt64.Marshal(v)
			return err
		}},
	}
}

// fromFastjson converts a fastjson value to ours, keeping exact integers
// and key order (what adopting fastjson would have to do).
func fromFastjson(v *fastjson.Value) (Value, error) {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil, nil
	case fastjson.TypeTrue:
		return true, nil
	case fastjson.TypeFalse:
		return false, nil
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return string(b), nil
	case fastjson.TypeNumber:
		if i, err := v.Int64(); err == nil {
			return i, nil
		}
		if u, err := v.Uint64(); err == nil {
			return u, nil
		}
		return v.Float64()
	case fastjson.TypeArray:
		a, _ := v.Array()
		out := make([]Value, len(a))
		for i, e := range a {
			x, err := fromFastjson(e)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case fastjson.TypeObject:
		o, _ := v.Object()
		r := NewRecord(o.Len())
		var err error
		o.Visit(func(k []byte, e *fastjson.Value) {
			if err != nil {
				return
			}
			var x Value
			x, err = fromFastjson(e)
			r.Set(string(k), x)
		})
		return r, err
	}
	return nil, fmt.Errorf("unknown fastjson type %v", v.Type())
}

// BenchmarkJSON decodes and encodes each document with each contender
// (ns/op, MB/s, allocs/op per contender).
//
//	go test -run xxx -bench 'BenchmarkJSON$' -benchmem ./internal/event
func BenchmarkJSON(b *testing.B) {
	for _, d := range benchDocs {
		for _, c := range jsonContenders() {
			b.Run(d.name+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(len(d.doc)))
				b.ReportAllocs()
				for b.Loop() {
					if err := c.run(d.doc); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkJSONRatio runs every contender interleaved in the same loop (in
// rounds of 64 documents, so the clocks are not read per document) and
// reports each one's CPU time per document (the process's, garbage
// collection included: on a shared machine it moves far less than wall
// time) and its CPU time over ours: above 1, ours is faster.
//
//	go test -run xxx -bench BenchmarkJSONRatio -benchtime 20000x ./internal/event
func BenchmarkJSONRatio(b *testing.B) {
	const round = 64
	for _, d := range benchDocs {
		b.Run(d.name, func(b *testing.B) {
			cs := jsonContenders()
			spent := make([]time.Duration, len(cs))
			for b.Loop() {
				for i, c := range cs {
					t0 := cpuTime()
					for range round {
						if err := c.run(d.doc); err != nil {
							b.Fatal(err)
						}
					}
					spent[i] += cpuTime() - t0
				}
			}
			n := float64(b.N * round)
			b.ReportMetric(n*float64(len(d.doc))/spent[0].Seconds()/1e6, "temblor-MB/s")
			for i, c := range cs {
				b.ReportMetric(float64(spent[i].Nanoseconds())/n, c.name+"-cpu-ns/op")
				if i > 0 {
					b.ReportMetric(float64(spent[i])/float64(spent[0]), c.name+"/temblor")
				}
			}
		})
	}
}

// cpuTime is the CPU time the process has used (all threads, so the
// garbage collector's work counts too).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
