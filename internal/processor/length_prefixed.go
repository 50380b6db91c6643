package processor

import (
	"encoding/binary"
	"fmt"
)

func init() {
	RegisterPre(Spec{Name: "length-prefixed", Doc: "Splits a stream of frames each prefixed by its length (8 bytes, big-endian); a frame may span chunks. A length above the frame limit is an error and the stream's buffer is discarded.", New: func() Processor { return &lengthPrefixedPre{} }})
	RegisterPost(Spec{Name: "length-prefixed", Doc: "Prefixes each frame with its length: 8 bytes, big-endian.", New: func() Processor { return lengthPrefixedPost{} }})
}

type lengthPrefixedPre struct {
	buf  []byte
	want int // length of the frame being read, -1 while reading a prefix
	init bool
}

func (p *lengthPrefixedPre) Process(data []byte) ([][]byte, error) {
	if !p.init {
		p.want, p.init = -1, true
	}
	p.buf = append(p.buf, data...)
	var out [][]byte
	for {
		if p.want < 0 {
			if len(p.buf) < 8 {
				break
			}
			n := binary.BigEndian.Uint64(p.buf)
			if n > MaxFrame {
				p.buf = nil
				return out, fmt.Errorf("length-prefixed: announced frame of %d bytes exceeds the limit of %d; buffered input discarded", n, MaxFrame)
			}
			p.want = int(n)
			p.buf = p.buf[8:]
		}
		if len(p.buf) < p.want {
			break
		}
		out = append(out, append([]byte(nil), p.buf[:p.want]...))
		p.buf = p.buf[p.want:]
		p.want = -1
	}
	p.compact()
	return out, nil
}

// compact lets go of consumed input once the unread part is small.
func (p *lengthPrefixedPre) compact() {
	if len(p.buf) == 0 {
		p.buf = nil
	} else if cap(p.buf) > 4*len(p.buf)+4096 {
		p.buf = append([]byte(nil), p.buf...)
	}
}

func (p *lengthPrefixedPre) Finish() ([][]byte, error) {
	if len(p.buf) == 0 && p.want <= 0 {
		return nil, nil
	}
	err := fmt.Errorf("length-prefixed: stream ended inside a frame: %d of %d bytes received; discarded", len(p.buf), p.want)
	if p.want < 0 {
		err = fmt.Errorf("length-prefixed: stream ended inside a length prefix (%d of 8 bytes); discarded", len(p.buf))
	}
	p.buf, p.want = nil, -1
	return nil, err
}

type lengthPrefixedPost struct{ noFinish }

func (lengthPrefixedPost) Process(data []byte) ([][]byte, error) {
	out := make([]byte, 8, 8+len(data))
	binary.BigEndian.PutUint64(out, uint64(len(data)))
	return [][]byte{append(out, data...)}, nil
}
