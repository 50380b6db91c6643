package event

import (
	"bytes"
	"math"
	"testing"
)

func TestBinaryRoundTrip(t *testing.T) {
	vals := []Value{
		nil, true, false, int64(0), int64(-1), int64(math.MinInt64), int64(1600860720749137000),
		uint64(math.MaxUint64), 3.25, math.Inf(-1), "", "héllo", []byte{0, 1, 2}, []Value{},
		[]Value{int64(1), "a", nil}, NewRecord(0),
		RecordOf("onramp", "metronome", "id", int64(7), "ingest_ns", int64(1600860720749137000),
			"nested", RecordOf("z", []byte("raw"), "a", []Value{1.5, uint64(math.MaxUint64)})),
	}
	for _, v := range vals {
		b := AppendBinary(nil, v)
		got, n, err := DecodeBinary(b)
		if err != nil || n != len(b) {
			t.Fatalf("decode %v: n=%d/%d err=%v", v, n, len(b), err)
		}
		if !Equal(got, v) || TypeName(got) != TypeName(v) {
			t.Errorf("round trip %#v -> %#v", v, got)
		}
		if _, isBytes := v.([]byte); isBytes {
			if _, ok := got.([]byte); !ok {
				t.Errorf("bytes came back as %T", got)
			}
		}
		if r, ok := v.(*Record); ok && r.Len() > 0 {
			if g := got.(*Record).Keys(); g[0] != r.Keys()[0] {
				t.Errorf("key order lost: %v", g)
			}
		}
	}
}

func TestBinaryCorrupt(t *testing.T) {
	good := AppendBinary(nil, RecordOf("a", "hello", "b", []Value{int64(1), 2.5}))
	for i := 0; i < len(good); i++ {
		if _, _, err := DecodeBinary(good[:i]); err == nil {
			t.Errorf("truncated at %d decoded without error", i)
		}
	}
	if _, _, err := DecodeBinary([]byte{0xff}); err == nil {
		t.Error("unknown tag accepted")
	}
	if _, _, err := DecodeBinary([]byte{tagArray, 0xff, 0xff, 0xff, 0xff, 0x0f}); err == nil {
		t.Error("huge length accepted")
	}
}

func FuzzDecodeBinary(f *testing.F) {
	f.Add(AppendBinary(nil, RecordOf("onramp", "metronome", "id", int64(1), "ingest_ns", int64(1600860720749137000))))
	f.Add(AppendBinary(nil, []Value{[]byte("x"), uint64(math.MaxUint64), 1.5, nil, true}))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, n, err := DecodeBinary(data)
		if err != nil {
			return
		}
		again := AppendBinary(nil, v)
		v2, n2, err := DecodeBinary(again)
		// Compare encodings, not values: NaN != NaN.
		if err != nil || n2 != len(again) || string(AppendBinary(nil, v2)) != string(again) {
			t.Fatalf("re-encode of %q (n=%d) differs: %v", data, n, err)
		}
	})
}

// TestStoredSizeExact: StoredSize is the exact length AppendStored
// writes, for every kind of value and varint length.
func TestStoredSizeExact(t *testing.T) {
	vals := []Value{nil, true, false, int64(0), int64(-1), int64(63), int64(-64), int64(64), int64(math.MaxInt64), int64(math.MinInt64),
		uint64(1 << 63), uint64(math.MaxUint64), 1.5, "", "x", string(make([]byte, 200)), []byte{}, make([]byte, 20000),
		[]Value{}, []Value{int64(1), "a", []Value{nil}}, NewRecord(0), RecordOf("a", 1, "b", RecordOf("c", []Value{true})), benchRecord()}
	for i, v := range vals {
		for _, ev := range []*Event{
			{Data: v},
			{IngestNS: 1600860720749137000, Origin: "/onramp/metronome/01/out", Data: v, Meta: RecordOf("k", v)},
			{IngestNS: math.MaxUint64, Origin: string(make([]byte, 300)), Data: []Value{v, v}},
		} {
			b := AppendStored(nil, ev)
			if n := StoredSize(ev); n != len(b) {
				t.Fatalf("value %d: StoredSize = %d, AppendStored wrote %d", i, n, len(b))
			}
			back, err := DecodeStored(b)
			if err != nil || back.IngestNS != ev.IngestNS || back.Origin != ev.Origin || !bytes.Equal(AppendBinary(nil, back.Data), AppendBinary(nil, ev.Data)) {
				t.Fatalf("value %d: round trip: %v", i, err)
			}
		}
	}
}

func benchRecord() *Record {
	v, err := ParseJSON(benchDoc)
	if err != nil {
		panic(err)
	}
	return v.(*Record)
}
