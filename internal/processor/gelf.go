package processor

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"
)

func init() {
	RegisterPre(Spec{Name: "gelf-chunking", Doc: "Reassembles chunked GELF messages (UDP): chunks of one message id are collected and the message is passed on once complete; an incomplete message expires after 5 to 10 seconds of ingest time. Unchunked GELF JSON and Wayfair's uncompressed WELF frames pass through.", New: func() Processor { return newGelfPre(false) }})
	RegisterPre(Spec{Name: "gelf-chunking-tcp", Doc: "Like gelf-chunking, for GELF over TCP: a trailing NUL byte (the TCP message terminator) is removed from each message. Tremor removed the last byte whatever it was.", New: func() Processor { return newGelfPre(true) }})
	RegisterPost(Spec{Name: "gelf-chunking", Doc: "Splits each frame into GELF chunks of at most 8192 bytes (12-byte header: magic 0x1e 0x0f, 8-byte message id, sequence number, count); a frame needing more than 128 chunks is an error.", New: func() Processor { return &gelfPost{id: rand.Uint64()} }})
}

const (
	gelfExpiry    = 5 * time.Second
	gelfChunkSize = 8192
	gelfHeader    = 12
	gelfMaxChunks = 128
)

// gelfPre keeps incomplete messages in two generations: at most every 5
// seconds of ingest time the older one is dropped and the current one
// becomes older, so a message has between 5 and 10 seconds to complete.
type gelfPre struct {
	noFinish
	tcp      bool
	cur, old map[uint64]*gelfMsg
	lastSwap uint64
	bytes    int // buffered chunk bytes in both generations
}

type gelfMsg struct {
	count, stored int
	bytes         int
	segs          [][]byte
	have          []bool
}

func newGelfPre(tcp bool) *gelfPre {
	return &gelfPre{tcp: tcp, cur: map[uint64]*gelfMsg{}, old: map[uint64]*gelfMsg{}}
}

func (p *gelfPre) Process(data []byte) ([][]byte, error) {
	m := Meta{IngestNS: uint64(time.Now().UnixNano())}
	return p.ProcessMeta(&m, data)
}

func (p *gelfPre) ProcessMeta(m *Meta, data []byte) ([][]byte, error) {
	msg, done, err := p.enqueue(m.IngestNS, data)
	if !done || err != nil {
		return nil, err
	}
	if p.tcp && len(msg) > 0 && msg[len(msg)-1] == 0 {
		msg = msg[:len(msg)-1]
	}
	return [][]byte{msg}, nil
}

// enqueue stores a chunk; done is true when data completed a message.
func (p *gelfPre) enqueue(now uint64, data []byte) (msg []byte, done bool, err error) {
	if now > p.lastSwap+uint64(gelfExpiry) || now < p.lastSwap {
		p.lastSwap = now
		for _, g := range p.old {
			p.bytes -= g.bytes
		}
		p.old, p.cur = p.cur, map[uint64]*gelfMsg{}
	}
	switch {
	case len(data) >= 2 && data[0] == 0x1f && data[1] == 0x3c: // WELF: uncompressed, unchunked
		return append([]byte{}, data[2:]...), true, nil
	case len(data) >= gelfHeader && data[0] == 0x1e && data[1] == 0x0f:
	case len(data) >= 2 && data[0] == '{':
		return append([]byte{}, data...), true, nil
	default:
		return nil, false, fmt.Errorf("gelf: invalid header % x in a frame of %d bytes", data[:min(len(data), 2)], len(data))
	}
	id := binary.BigEndian.Uint64(data[2:])
	seq, count := int(data[10]), int(data[11])
	payload := data[gelfHeader:]
	if count == 1 {
		return append([]byte{}, payload...), true, nil
	}
	if seq >= count {
		return nil, false, fmt.Errorf("gelf: chunk %d of %d for message %d is out of range; discarded", seq, count, id)
	}
	gen := p.cur
	g := gen[id]
	if g == nil {
		if g = p.old[id]; g != nil {
			gen = p.old
		}
	}
	if g == nil {
		g = &gelfMsg{count: count, segs: make([][]byte, count), have: make([]bool, count)}
		gen[id] = g
	}
	if seq >= g.count {
		return nil, false, fmt.Errorf("gelf: chunk %d is out of range for message %d of %d chunks; discarded", seq, id, g.count)
	}
	if g.have[seq] {
		p.bytes -= g.bytes
		delete(gen, id)
		return nil, false, fmt.Errorf("gelf: duplicate chunk %d for message %d; message discarded", seq, id)
	}
	if p.bytes+len(payload) > MaxFrame {
		return nil, false, fmt.Errorf("gelf: more than %d bytes of incomplete messages buffered; chunk %d of message %d discarded", MaxFrame, seq, id)
	}
	g.segs[seq] = append([]byte(nil), payload...)
	g.have[seq] = true
	g.stored++
	g.bytes += len(payload)
	p.bytes += len(payload)
	if g.stored < g.count {
		return nil, false, nil
	}
	p.bytes -= g.bytes
	delete(gen, id)
	out := make([]byte, 0, g.bytes)
	for _, s := range g.segs {
		out = append(out, s...)
	}
	return out, true, nil
}

type gelfPost struct {
	noFinish
	id uint64
}

func (p *gelfPost) Process(data []byte) ([][]byte, error) {
	const room = gelfChunkSize - gelfHeader
	n := max(1, (len(data)+room-1)/room)
	if n > gelfMaxChunks {
		return nil, fmt.Errorf("gelf: a frame of %d bytes needs %d chunks; at most %d are allowed", len(data), n, gelfMaxChunks)
	}
	id := p.id
	p.id++
	out := make([][]byte, n)
	for i := range n {
		part := data[min(i*room, len(data)):min((i+1)*room, len(data))]
		c := make([]byte, gelfHeader, gelfHeader+len(part))
		c[0], c[1] = 0x1e, 0x0f
		binary.BigEndian.PutUint64(c[2:], id)
		c[10], c[11] = byte(i), byte(n)
		out[i] = append(c, part...)
	}
	return out, nil
}
