package codec

import (
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

func TestJSONCodecKeepsIntegersAndOrder(t *testing.T) {
	c := Registry.Names()
	if len(c) < 3 {
		t.Fatalf("codecs: %v", c)
	}
	spec, _ := Registry.Lookup("json")
	j := spec.New()
	in := `{"onramp":"metronome","id":0,"hostname":"localhost","ingest_ns":1600860720749137000}`
	v, err := j.Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := j.Encode(v)
	if string(out) != in {
		t.Fatalf("%s", out)
	}
	if _, err := j.Decode([]byte(`{"a":`)); err == nil {
		t.Fatal("bad JSON accepted")
	}
}

func TestStringAndBinary(t *testing.T) {
	s, _ := Registry.Lookup("string")
	v, _ := s.New().Decode([]byte("héllo"))
	out, _ := s.New().Encode(event.RecordOf("a", int64(1)))
	if v != "héllo" || string(out) != `{"a":1}` {
		t.Fatalf("%v %s", v, out)
	}
	b, _ := Registry.Lookup("binary")
	bv, _ := b.New().Decode([]byte{0xff, 0})
	if string(bv.([]byte)) != "\xff\x00" {
		t.Fatalf("%v", bv)
	}
}
