package processor

import (
	"bytes"
	"fmt"

	"github.com/pierrec/lz4/v4"
)

func init() {
	RegisterPre(Spec{Name: "lz4", Doc: "Decompresses the LZ4 frame format (as the lz4 command line tool writes it).", New: func() Processor { return &lz4Pre{} }})
	RegisterPost(Spec{Name: "lz4", Doc: "Compresses each frame as one LZ4 frame at level 4 (high compression), as Tremor did.", New: func() Processor { return &lz4Post{} }})
}

type lz4Pre struct {
	noFinish
	limit
	r *lz4.Reader
}

func (p *lz4Pre) Process(data []byte) ([][]byte, error) {
	out, err := p.unlz4(&p.r, data)
	if err != nil {
		return nil, err
	}
	return [][]byte{out}, nil
}

// unlz4 decompresses data, reusing *r between calls.
func (l limit) unlz4(r **lz4.Reader, data []byte) ([]byte, error) {
	if *r == nil {
		*r = lz4.NewReader(bytes.NewReader(data))
	} else {
		(*r).Reset(bytes.NewReader(data))
	}
	return l.readAll("lz4", *r)
}

type lz4Post struct {
	noFinish
	w *lz4.Writer
}

func (p *lz4Post) Process(data []byte) ([][]byte, error) {
	var buf bytes.Buffer
	if p.w == nil {
		p.w = lz4.NewWriter(&buf)
		if err := p.w.Apply(lz4.CompressionLevelOption(lz4.Level4)); err != nil {
			return nil, fmt.Errorf("lz4: %w", err)
		}
	} else {
		p.w.Reset(&buf)
	}
	if _, err := p.w.Write(data); err != nil {
		return nil, fmt.Errorf("lz4: %w", err)
	}
	if err := p.w.Close(); err != nil {
		return nil, fmt.Errorf("lz4: %w", err)
	}
	return [][]byte{buf.Bytes()}, nil
}
