package extractor

import (
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

// BenchmarkExtract runs each extractor on a typical log line and reports
// the ratio of its time to the baseline measured in the same run: splitting
// the same line into fields with strings.Fields and building a record of
// them (the least any extraction into a record costs).
func BenchmarkExtract(b *testing.B) {
	const line = `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08"`
	var base float64 // ns per op of the baseline, from its last (final) round
	b.Run("baseline_fields", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			fs := strings.Fields(line)
			r := event.NewRecord(len(fs))
			for j, f := range fs {
				r.Set(string(rune('a'+j%26)), f)
			}
		}
		base = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	cases := []struct{ name, kind, pattern, in string }{
		{"dissect", "dissect", `%{ip} %{ident} %{user} [%{ts}] "%{verb} %{path} %{proto}" %{code:int} %{bytes:int} "%{ref}" "%{agent}"`, line},
		{"grok_combined", "grok", "%{COMBINEDAPACHELOG}", line},
		{"grok_simple", "grok", "%{IP:client} %{NOTSPACE:ident}", line},
		{"kv", "kv", "%{key}=%{val}&", "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8"},
		{"re", "re", `^(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<ts>[^\]]+)\] "(?P<verb>\w+) (?P<path>\S+)`, line},
		{"glob", "glob", "*GET /*.gif*", line},
		{"influx", "influx", "", "cpu,host=server01,region=us-west usage_idle=98.3,usage_user=1.2 1465839830100400200"},
		{"cidr", "cidr", "10.0.0.0/8, 192.168.0.0/16", "192.168.17.4"},
		{"datetime", "datetime", "%d/%b/%Y:%H:%M:%S %z", "10/Oct/2000:13:55:36 -0700"},
		{"json", "json", "", `{"a":1,"b":[true,null,2.5],"c":{"d":"e"}}`},
	}
	for _, c := range cases {
		x, err := New(c.kind, c.pattern)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, ok, _ := x.Extract(nil, c.in); !ok {
					b.Fatal("no match")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/base, "x_baseline")
		})
	}
}
