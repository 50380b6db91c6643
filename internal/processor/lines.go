package processor

import (
	"bytes"
	"encoding/base64"
	"fmt"
)

// MaxLine bounds a line the lines preprocessor will buffer, so that input
// without newlines cannot exhaust memory.
const MaxLine = 16 << 20

func init() {
	RegisterPre(Spec{Name: "lines", Doc: "Splits input on \\n (a trailing \\r is kept); a partial line waits for the next chunk.", New: func() Processor { return &linesPre{sep: '\n'} }})
	RegisterPre(Spec{Name: "lines-null", Doc: "Splits input on NUL bytes.", New: func() Processor { return &linesPre{sep: 0} }})
	RegisterPre(Spec{Name: "lines-pipe", Doc: "Splits input on |.", New: func() Processor { return &linesPre{sep: '|'} }})
	RegisterPost(Spec{Name: "lines", Doc: "Appends \\n to each frame.", New: func() Processor { return suffixPost{"\n"} }})
	RegisterPre(Spec{Name: "base64", Doc: "Decodes standard base64.", New: func() Processor { return base64Pre{} }})
	RegisterPost(Spec{Name: "base64", Doc: "Encodes as standard base64.", New: func() Processor { return base64Post{} }})
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

type base64Pre struct{}

func (base64Pre) Process(data []byte) ([][]byte, error) {
	out := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
	n, err := base64.StdEncoding.Decode(out, bytes.TrimSpace(data))
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	return [][]byte{out[:n]}, nil
}
func (base64Pre) Finish() ([][]byte, error) { return nil, nil }

type base64Post struct{}

func (base64Post) Process(data []byte) ([][]byte, error) {
	return [][]byte{base64.StdEncoding.AppendEncode(nil, data)}, nil
}
func (base64Post) Finish() ([][]byte, error) { return nil, nil }
