package lang

import (
	"fmt"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// enrichment is a typical enrichment script: a record-pattern match with a
// dissect extraction, a patch and string interpolation.
const enrichment = `use std::string;
match event of
  case r = %{ msg ~= dissect|%{level} %{date} user=%{user} action=%{action}| } =>
    let event.level = string::lowercase(r.msg.level),
    patch event of
      insert "user" => r.msg.user,
      insert "summary" => "#{r.msg.user} did #{r.msg.action} on #{event.host}",
      upsert "n" => event.n + 1,
      erase "msg"
    end
  case %{ present ping } => drop
  default => event
end
`

// enrichmentGrok is the same with a grok extraction.
const enrichmentGrok = `use std::string;
match event of
  case r = %{ msg ~= grok|%{WORD:level} %{NOTSPACE:date} user=%{WORD:user} action=%{WORD:action}| } =>
    let event.level = string::lowercase(r.msg.level),
    patch event of
      insert "user" => r.msg.user,
      insert "summary" => "#{r.msg.user} did #{r.msg.action} on #{event.host}",
      upsert "n" => event.n + 1,
      erase "msg"
    end
  default => event
end
`

func benchEvents(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf(`{"msg":"INFO 2021-05-0%dT10:00:00Z user=user%d action=login","host":"host-%d","n":%d,"tags":["a","b"]}`,
			i%9+1, i%100, i%7, i))
	}
	return out
}

// BenchmarkEnrichment runs the enrichment script on decoded JSON events and
// encodes the result, beside decode+encode of the same events without the
// script, in the same run; it reports both in events/s and their ratio.
// No tree-walking evaluator of the AST remains to compare with: scripts are
// always compiled (names resolved to slots, constants folded).
//
//	go test -run xxx -bench BenchmarkEnrichment -benchtime 200000x ./internal/lang
func BenchmarkEnrichment(b *testing.B) {
	for _, c := range []struct{ name, src string }{{"dissect", enrichment}, {"grok", enrichmentGrok}} {
		b.Run(c.name, func(b *testing.B) {
			s, err := Compile("bench.tremor", c.src, Options{})
			if err != nil {
				b.Fatal(err)
			}
			evs := benchEvents(1024)
			var buf []byte
			// Baseline: decode and encode only.
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				v, err := event.ParseJSON(evs[i%len(evs)])
				if err != nil {
					b.Fatal(err)
				}
				buf = event.AppendJSON(buf[:0], v)
			}
			base := time.Since(start)
			// With the script.
			start = time.Now()
			var state event.Value
			for i := 0; i < b.N; i++ {
				v, err := event.ParseJSON(evs[i%len(evs)])
				if err != nil {
					b.Fatal(err)
				}
				meta := event.Value(event.NewRecord(0))
				r, err := s.Run(Env{Data: &v, Meta: &meta, State: &state, Ctx: &stdlib.Ctx{IngestNS: uint64(i)}})
				if err != nil {
					b.Fatal(err)
				}
				out := r.Value
				if r.Event {
					out = v
				}
				buf = event.AppendJSON(buf[:0], out)
			}
			with := time.Since(start)
			b.StopTimer()
			baseRate := float64(b.N) / base.Seconds()
			rate := float64(b.N) / with.Seconds()
			b.ReportMetric(baseRate, "decode+encode_ev/s")
			b.ReportMetric(rate, "with_script_ev/s")
			b.ReportMetric(rate/baseRate, "ratio")
		})
	}
}

// BenchmarkScriptOnly is the script alone on already decoded events (what
// the script costs per event).
func BenchmarkScriptOnly(b *testing.B) {
	s, err := Compile("bench.tremor", enrichment, Options{})
	if err != nil {
		b.Fatal(err)
	}
	evs := benchEvents(1024)
	vals := make([]event.Value, len(evs))
	for i, e := range evs {
		vals[i], _ = event.ParseJSON(e)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var state event.Value
	for i := 0; i < b.N; i++ {
		v := vals[i%len(vals)]
		meta := event.Value(event.NewRecord(0))
		if _, err := s.Run(Env{Data: &v, Meta: &meta, State: &state}); err != nil {
			b.Fatal(err)
		}
	}
}
