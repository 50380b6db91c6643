package processor

import (
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/zlib"
)

func init() {
	RegisterPre(Spec{Name: "zlib", Doc: "Decompresses zlib (RFC 1950).", New: func() Processor { return &zlibPre{} }})
	RegisterPost(Spec{Name: "zlib", Doc: "Compresses each frame with zlib (default level).", New: func() Processor { return &zlibPost{} }})
}

type zlibPre struct {
	noFinish
	limit
	r io.ReadCloser
}

func (p *zlibPre) Process(data []byte) ([][]byte, error) {
	out, err := p.unzlib(&p.r, data)
	if err != nil {
		return nil, err
	}
	return [][]byte{out}, nil
}

// unzlib decompresses data, reusing *r between calls.
func (l limit) unzlib(r *io.ReadCloser, data []byte) ([]byte, error) {
	var err error
	if *r == nil {
		*r, err = zlib.NewReader(bytes.NewReader(data))
	} else {
		err = (*r).(zlib.Resetter).Reset(bytes.NewReader(data), nil)
	}
	if err != nil {
		*r = nil // a failed Reset may leave the reader unusable
		return nil, fmt.Errorf("zlib: %w", err)
	}
	return l.readAll("zlib", *r)
}

type zlibPost struct {
	noFinish
	w *zlib.Writer
}

func (p *zlibPost) Process(data []byte) ([][]byte, error) {
	var buf bytes.Buffer
	if p.w == nil {
		p.w = zlib.NewWriter(&buf)
	} else {
		p.w.Reset(&buf)
	}
	if _, err := p.w.Write(data); err != nil {
		return nil, fmt.Errorf("zlib: %w", err)
	}
	if err := p.w.Close(); err != nil {
		return nil, fmt.Errorf("zlib: %w", err)
	}
	return [][]byte{buf.Bytes()}, nil
}
