package stdlib

import (
	"encoding/hex"

	"github.com/temblor-dev/temblor/internal/event"
)

// OpenTelemetry span and trace ids, random from the event's ingest time
// (as Tremor's): a span id is 8 bytes, a trace id 16.

func otelID(c *Ctx, n int) []byte {
	r := newPRNG(seed(c))
	b := make([]byte, n)
	for i := range b {
		b[i] = r.byte()
	}
	return b
}

func init() {
	for _, id := range []struct {
		name string
		n    int
	}{{"span", 8}, {"trace", 16}} {
		n := id.n
		what := "An OpenTelemetry " + id.name + " id"
		def("cncf::otel::gen_"+id.name+"_id_string", 0, false, what+" as a hex string.", "Random, seeded from the event's ingest time.\n\n```tremor\ncncf::otel::gen_"+id.name+"_id_string()\n```",
			func(c *Ctx, _ []event.Value) (event.Value, error) { return hex.EncodeToString(otelID(c, n)), nil })
		def("cncf::otel::gen_"+id.name+"_id_array", 0, false, what+" as an array of byte values.", "Random, seeded from the event's ingest time.\n\n```tremor\ncncf::otel::gen_"+id.name+"_id_array()\n```",
			func(c *Ctx, _ []event.Value) (event.Value, error) {
				b := otelID(c, n)
				out := make([]event.Value, len(b))
				for i, x := range b {
					out[i] = int64(x)
				}
				return out, nil
			})
		def("cncf::otel::gen_"+id.name+"_id_bytes", 0, false, what+" as binary.", "Random, seeded from the event's ingest time.\n\n```tremor\ncncf::otel::gen_"+id.name+"_id_bytes()\n```",
			func(c *Ctx, _ []event.Value) (event.Value, error) { return otelID(c, n), nil })
	}
}
