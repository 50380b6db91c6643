package processor

import (
	"bytes"
	"fmt"

	"github.com/klauspost/compress/snappy"
)

func init() {
	RegisterPre(Spec{Name: "snappy", Doc: "Decompresses the snappy framing format (the stream format, starting with the sNaPpY identifier).", New: func() Processor { return &snappyPre{} }})
	RegisterPost(Spec{Name: "snappy", Doc: "Compresses each frame in the snappy framing format.", New: func() Processor { return &snappyPost{} }})
}

type snappyPre struct {
	noFinish
	limit
	r *snappy.Reader
}

func (p *snappyPre) Process(data []byte) ([][]byte, error) {
	out, err := p.unsnappy(&p.r, data)
	if err != nil {
		return nil, err
	}
	return [][]byte{out}, nil
}

// unsnappy decompresses data, reusing *r between calls.
func (l limit) unsnappy(r **snappy.Reader, data []byte) ([]byte, error) {
	if *r == nil {
		*r = snappy.NewReader(bytes.NewReader(data))
	} else {
		(*r).Reset(bytes.NewReader(data))
	}
	return l.readAll("snappy", *r)
}

type snappyPost struct {
	noFinish
	w *snappy.Writer
}

func (p *snappyPost) Process(data []byte) ([][]byte, error) {
	var buf bytes.Buffer
	if p.w == nil {
		p.w = snappy.NewBufferedWriter(&buf)
	} else {
		p.w.Reset(&buf)
	}
	if _, err := p.w.Write(data); err != nil {
		return nil, fmt.Errorf("snappy: %w", err)
	}
	if err := p.w.Close(); err != nil {
		return nil, fmt.Errorf("snappy: %w", err)
	}
	return [][]byte{buf.Bytes()}, nil
}
