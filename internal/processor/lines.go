package processor

import (
	"bytes"
	"fmt"
)

// MaxLine bounds a line the lines preprocessor will buffer, so that input
// without newlines cannot exhaust memory.
const MaxLine = 16 << 20

func init() {
	RegisterPre(Spec{Name: "lines", Doc: "Splits input on \\n (a trailing \\r is kept); a partial line waits for the next chunk and is flushed at the end of the stream. Empty lines are dropped (Tremor passed them to the codec, which mostly failed on them).", New: func() Processor { return &linesPre{sep: '\n'} }})
	RegisterPre(Spec{Name: "lines-null", Doc: "Splits input on NUL bytes, otherwise as lines.", New: func() Processor { return &linesPre{sep: 0} }})
	RegisterPre(Spec{Name: "lines-pipe", Doc: "Splits input on |, otherwise as lines.", New: func() Processor { return &linesPre{sep: '|'} }})
	RegisterPre(Spec{Name: "lines-no-buffer", Doc: "Splits each chunk on \\n on its own: the piece after the last \\n is a line of its own, nothing waits for the next chunk. For sources whose chunks end on line boundaries (UDP datagrams). Empty lines are dropped.", New: func() Processor { return noBufferLines{sep: '\n'} }})
	RegisterPre(Spec{Name: "lines-cr-no-buffer", Doc: "Like lines-no-buffer, split on \\r.", New: func() Processor { return noBufferLines{sep: '\r'} }})
	RegisterPost(Spec{Name: "lines", Doc: "Appends \\n to each frame.", New: func() Processor { return suffixPost{"\n"} }})
}

type linesPre struct {
	sep     byte
	partial []byte
}

func (p *linesPre) Process(data []byte) ([][]byte, error) {
	var out [][]byte
	for {
		i := bytes.IndexByte(data, p.sep)
		if i < 0 {
			break
		}
		line := data[:i]
		if len(p.partial) > 0 {
			line = append(p.partial, line...)
			p.partial = nil
		}
		if len(line) > 0 {
			out = append(out, append([]byte(nil), line...))
		}
		data = data[i+1:]
	}
	if len(data) > 0 {
		if len(p.partial)+len(data) > MaxLine {
			p.partial = nil
			return out, fmt.Errorf("line longer than %d bytes without a separator; dropped", MaxLine)
		}
		p.partial = append(p.partial, data...)
	}
	return out, nil
}

func (p *linesPre) Finish() ([][]byte, error) {
	if len(p.partial) == 0 {
		return nil, nil
	}
	last := p.partial
	p.partial = nil
	return [][]byte{last}, nil
}

type suffixPost struct{ s string }

func (p suffixPost) Process(data []byte) ([][]byte, error) {
	return [][]byte{append(append(make([]byte, 0, len(data)+len(p.s)), data...), p.s...)}, nil
}
func (suffixPost) Finish() ([][]byte, error) { return nil, nil }

// noBufferLines splits every chunk completely, as Tremor's unbuffered
// variants did; each chunk is bounded by its source, so no limit applies.
type noBufferLines struct{ sep byte }

func (p noBufferLines) Process(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		i := bytes.IndexByte(data, p.sep)
		if i < 0 {
			i = len(data)
		}
		if i > 0 {
			out = append(out, append([]byte(nil), data[:i]...))
		}
		data = data[min(i+1, len(data)):]
	}
	return out, nil
}

func (noBufferLines) Finish() ([][]byte, error) { return nil, nil }
