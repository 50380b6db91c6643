package processor

import (
	"encoding/binary"
	"fmt"
)

func init() {
	RegisterPre(Spec{Name: "ingest-ns", Doc: "Reads the event's ingest time from the first 8 bytes of the frame (big-endian nanoseconds, as the ingest-ns postprocessor writes them) and passes on the rest.", New: func() Processor { return ingestNSPre{} }})
	RegisterPost(Spec{Name: "ingest-ns", Doc: "Prefixes each frame with the event's ingest time: 8 bytes, big-endian nanoseconds.", New: func() Processor { return ingestNSPost{} }})
}

type ingestNSPre struct{ noFinish }

func (p ingestNSPre) Process(data []byte) ([][]byte, error) {
	var m Meta
	return p.ProcessMeta(&m, data)
}

func (ingestNSPre) ProcessMeta(m *Meta, data []byte) ([][]byte, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("ingest-ns: frame of %d bytes is shorter than the 8-byte timestamp", len(data))
	}
	m.IngestNS = binary.BigEndian.Uint64(data)
	return [][]byte{data[8:]}, nil
}

type ingestNSPost struct{ noFinish }

func (p ingestNSPost) Process(data []byte) ([][]byte, error) {
	var m Meta
	return p.ProcessMeta(&m, data)
}

func (ingestNSPost) ProcessMeta(m *Meta, data []byte) ([][]byte, error) {
	out := make([]byte, 8, 8+len(data))
	binary.BigEndian.PutUint64(out, m.IngestNS)
	return [][]byte{append(out, data...)}, nil
}
