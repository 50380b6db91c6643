package event

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// The stored form of an event is what qos::wal writes to its log, version
// 1:
//
//	[1] version
//	uvarint ingest_ns
//	uvarint len(origin), origin
//	binary value: data
//	binary value: meta
const storedVersion = 1

// StoredSize is the exact length of ev's stored form, so that a caller can
// size its buffer once.
func StoredSize(ev *Event) int {
	return 1 + uvarintLen(ev.IngestNS) + uvarintLen(uint64(len(ev.Origin))) + len(ev.Origin) +
		BinarySize(ev.Data) + BinarySize(ev.Meta)
}

// AppendStored appends the stored form of ev to dst. A writer that stores
// many events appends them to one buffer it reuses.
func AppendStored(dst []byte, ev *Event) []byte {
	dst = append(dst, storedVersion)
	dst = binary.AppendUvarint(dst, ev.IngestNS)
	dst = binary.AppendUvarint(dst, uint64(len(ev.Origin)))
	dst = append(dst, ev.Origin...)
	dst = AppendBinary(dst, ev.Data)
	return AppendBinary(dst, ev.Meta)
}

// DecodeStored decodes a stored event (see AppendStored).
func DecodeStored(b []byte) (*Event, error) {
	if len(b) == 0 || b[0] != storedVersion {
		return nil, fmt.Errorf("unknown stored event version")
	}
	pos := 1
	ingest, n := binary.Uvarint(b[pos:])
	if n <= 0 {
		return nil, fmt.Errorf("bad ingest_ns")
	}
	pos += n
	ol, n := binary.Uvarint(b[pos:])
	if n <= 0 || ol > uint64(len(b)-pos-n) {
		return nil, fmt.Errorf("bad origin")
	}
	pos += n
	origin := string(b[pos : pos+int(ol)])
	pos += int(ol)
	data, n2, err := DecodeBinary(b[pos:])
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	pos += n2
	meta, n3, err := DecodeBinary(b[pos:])
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	if pos+n3 != len(b) {
		return nil, fmt.Errorf("%d trailing bytes", len(b)-pos-n3)
	}
	return &Event{IngestNS: ingest, Origin: origin, Data: data, Meta: meta}, nil
}

func uvarintLen(u uint64) int { return (bits.Len64(u|1) + 6) / 7 }

func varintLen(i int64) int {
	u := uint64(i) << 1
	if i < 0 {
		u = ^u
	}
	return uvarintLen(u)
}

// BinarySize is the exact length of v's binary encoding (AppendBinary).
func BinarySize(v Value) int {
	switch t := v.(type) {
	case nil, bool:
		return 1
	case int64:
		return 1 + varintLen(t)
	case uint64:
		return 1 + uvarintLen(t)
	case float64:
		return 9
	case string:
		return 1 + uvarintLen(uint64(len(t))) + len(t)
	case []byte:
		return 1 + uvarintLen(uint64(len(t))) + len(t)
	case []Value:
		n := 1 + uvarintLen(uint64(len(t)))
		for _, e := range t {
			n += BinarySize(e)
		}
		return n
	case *Record:
		n := 1 + uvarintLen(uint64(t.Len()))
		if t != nil {
			for i, k := range t.keys {
				n += uvarintLen(uint64(len(k))) + len(k) + BinarySize(t.vals[i])
			}
		}
		return n
	default:
		return BinarySize(Normalize(v))
	}
}
