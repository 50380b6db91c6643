package processor

import (
	"bytes"
	stdgzip "compress/gzip"
	"io"
	"strings"
	"testing"
	"time"
)

// BenchmarkCompression: postprocessor + preprocessor round trip of a 16 KiB
// batch of JSON lines, interleaved in the same loop with the standard
// library's compress/gzip as the baseline; ratio = stdlib time / ours
// (above 1: faster than the standard library's gzip).
func BenchmarkCompression(b *testing.B) {
	batch := []byte(strings.Repeat(`{"onramp":"metronome","id":12345,"hostname":"localhost","ingest_ns":1600860720749137000}`+"\n", 180))
	for _, name := range []string{"gzip", "zlib", "snappy", "lz4", "xz2"} {
		b.Run(name, func(b *testing.B) {
			post, pre := newPost(b, name), newPre(b, name)
			b.SetBytes(int64(len(batch)))
			var ours, std time.Duration
			var size int
			for b.Loop() {
				t0 := time.Now()
				stdRoundTrip(b, batch)
				t1 := time.Now()
				wire, err := post.Process(batch)
				if err != nil {
					b.Fatal(err)
				}
				size = len(wire[0])
				if out, err := pre.Process(wire[0]); err != nil || len(out[0]) != len(batch) {
					b.Fatal(err)
				}
				ours += time.Since(t1)
				std += t1.Sub(t0)
			}
			b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ours-ns/op")
			b.ReportMetric(float64(std.Nanoseconds())/float64(b.N), "stdgzip-ns/op")
			b.ReportMetric(float64(std)/float64(ours), "ratio")
			b.ReportMetric(float64(len(batch))/float64(size), "compression")
		})
	}
}

func stdRoundTrip(b *testing.B, in []byte) {
	var buf bytes.Buffer
	w := stdgzip.NewWriter(&buf)
	_, _ = w.Write(in)
	_ = w.Close()
	r, err := stdgzip.NewReader(&buf)
	if err != nil {
		b.Fatal(err)
	}
	if out, err := io.ReadAll(r); err != nil || len(out) != len(in) {
		b.Fatal(err)
	}
}
