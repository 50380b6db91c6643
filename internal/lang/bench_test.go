package lang

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/ast"
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

// perEventDoc is the event of issue 13's pipeline (file onramp → patch
// insert hostname → qos::wal → blackhole).
var perEventDoc = []byte(`{"onramp":"metronome","id":123456,"ingest_ns":1600860720749137000,"msg":"user logged in"}`)

// allocsPer is the heap allocations per call of fn over n calls.
func allocsPer(n int, fn func()) float64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	for range n {
		fn()
	}
	runtime.ReadMemStats(&b)
	return float64(b.Mallocs-a.Mallocs) / float64(n)
}

// BenchmarkPerEvent measures what the language costs per event on the hot
// path of issue 13's pipelines — a `patch … insert "hostname" =>
// system::hostname()` script and a typical select (where + a record
// target) — beside decoding and encoding the same event (what every event
// costs anyway) in the same run. It reports events/s and allocations per
// event of each, and the script's and the select's time over
// decode+encode.
//
//	go test -run xxx -bench BenchmarkPerEvent -benchtime 200000x ./internal/lang
func BenchmarkPerEvent(b *testing.B) {
	script, err := Compile("patch.tremor", `patch event of insert "hostname" => system::hostname() end`, Options{})
	if err != nil {
		b.Fatal(err)
	}
	q, err := ParseQuery("select.trickle", []byte(`select {"msg": event.msg, "id": event.id, "late": event.id > 100, "tag": "m-#{event.onramp}"} from in where event.onramp == "metronome" and event.id > 0 into out;`), Options{})
	if err != nil {
		b.Fatal(err)
	}
	sel, err := q.Select(q.AST.Stmts[0].(*ast.Select))
	if err != nil {
		b.Fatal(err)
	}
	decoded, err := event.ParseJSON(perEventDoc)
	if err != nil {
		b.Fatal(err)
	}
	// As a pipeline's operator does: the event's fields and the context
	// live in the event and the operator, not in each run.
	var (
		buf               []byte
		ctx               stdlib.Ctx
		state, data, meta event.Value
	)
	codec := func() {
		v, err := event.ParseJSON(perEventDoc)
		if err != nil {
			b.Fatal(err)
		}
		buf = event.AppendJSON(buf[:0], v)
	}
	runScript := func() {
		data, meta = decoded, nil
		ctx = stdlib.Ctx{IngestNS: 1}
		r, err := script.Run(Env{Data: &data, Meta: &meta, State: &state, Ctx: &ctx})
		if err != nil || r.Drop {
			b.Fatal(err)
		}
	}
	runSelect := func() {
		data, meta = decoded, nil
		ctx = stdlib.Ctx{IngestNS: 1}
		env := Env{Data: &data, Meta: &meta, Ctx: &ctx}
		ok, err := sel.Where.Eval(env)
		if err != nil || ok != true {
			b.Fatal(ok, err)
		}
		if _, err := sel.Target.Eval(env); err != nil {
			b.Fatal(err)
		}
	}
	parts := []struct {
		name string
		fn   func()
	}{{"decode+encode", codec}, {"patch_hostname", runScript}, {"select", runSelect}}
	spent := make([]time.Duration, len(parts))
	const round = 64
	for b.Loop() {
		for i, p := range parts {
			t0 := time.Now()
			for range round {
				p.fn()
			}
			spent[i] += time.Since(t0)
		}
	}
	b.StopTimer()
	n := float64(b.N * round)
	for i, p := range parts {
		b.ReportMetric(n/spent[i].Seconds(), p.name+"-ev/s")
		b.ReportMetric(allocsPer(10000, p.fn), p.name+"-allocs/ev")
		if i > 0 {
			b.ReportMetric(float64(spent[i])/float64(spent[0]), p.name+"/decode+encode")
		}
	}
}
