package processor

import (
	"fmt"
	"strconv"
)

func init() {
	RegisterPre(Spec{Name: "textual-length-prefix", Doc: "Splits a stream of frames each prefixed by its length in decimal and one ASCII whitespace (\"5 hello\", as in RFC 6587 octet counting); a frame may span chunks. A prefix that is not a number, or a length above the frame limit, is an error and the stream's buffer is discarded.", New: func() Processor { return &textualLengthPre{want: -1} }})
	RegisterPost(Spec{Name: "textual-length-prefix", Doc: "Prefixes each frame with its length in decimal and a space.", New: func() Processor { return textualLengthPost{} }})
}

// maxDigits is the longest prefix worth waiting for: MaxFrame has 8 digits;
// a u32 (Tremor's limit) has 10.
const maxDigits = 10

type textualLengthPre struct {
	buf  []byte
	want int // -1 while reading a prefix
}

// indexSpace finds the first ASCII whitespace byte (Rust's definition, as
// Tremor used: space, tab, LF, CR, form feed).
func indexSpace(b []byte) int {
	for i, c := range b {
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' {
			return i
		}
	}
	return -1
}

func (p *textualLengthPre) Process(data []byte) ([][]byte, error) {
	p.buf = append(p.buf, data...)
	var out [][]byte
	for {
		if p.want < 0 {
			i := indexSpace(p.buf[:min(len(p.buf), maxDigits+1)])
			if i < 0 {
				if len(p.buf) > maxDigits {
					return out, p.fail("no length prefix in %q", p.buf[:maxDigits+1])
				}
				break
			}
			n, err := strconv.ParseUint(string(p.buf[:i]), 10, 32)
			if err != nil {
				return out, p.fail("bad length prefix %q", p.buf[:i])
			}
			if n > MaxFrame {
				return out, p.fail("announced frame of %d bytes exceeds the limit of %d", n, MaxFrame)
			}
			p.want = int(n)
			p.buf = p.buf[i+1:]
		}
		if len(p.buf) < p.want {
			break
		}
		out = append(out, append([]byte(nil), p.buf[:p.want]...))
		p.buf = p.buf[p.want:]
		p.want = -1
	}
	if len(p.buf) == 0 {
		p.buf = nil
	} else if cap(p.buf) > 4*len(p.buf)+4096 {
		p.buf = append([]byte(nil), p.buf...)
	}
	return out, nil
}

func (p *textualLengthPre) fail(format string, args ...any) error {
	p.buf, p.want = nil, -1
	return fmt.Errorf("textual-length-prefix: "+format+"; buffered input discarded", args...)
}

func (p *textualLengthPre) Finish() ([][]byte, error) {
	if len(p.buf) == 0 && p.want < 0 {
		return nil, nil
	}
	if p.want < 0 {
		return nil, p.fail("stream ended inside a length prefix %q", p.buf)
	}
	return nil, p.fail("stream ended inside a frame: %d of %d bytes received", len(p.buf), p.want)
}

type textualLengthPost struct{ noFinish }

func (textualLengthPost) Process(data []byte) ([][]byte, error) {
	out := strconv.AppendInt(make([]byte, 0, len(data)+12), int64(len(data)), 10)
	out = append(out, ' ')
	return [][]byte{append(out, data...)}, nil
}
