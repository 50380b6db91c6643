package event

import (
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
