package processor

import (
	"bytes"
	"fmt"

	"github.com/klauspost/compress/gzip"
)

func init() {
	RegisterPre(Spec{Name: "gzip", Doc: "Decompresses gzip; a frame may hold several gzip members, which are concatenated (as gzip -d does).", New: func() Processor { return &gzipPre{} }})
	RegisterPost(Spec{Name: "gzip", Doc: "Compresses each frame as one gzip member (default level).", New: func() Processor { return &gzipPost{} }})
}

type gzipPre struct {
	noFinish
	limit
	r *gzip.Reader
}

func (p *gzipPre) Process(data []byte) ([][]byte, error) {
	out, err := p.gunzip(&p.r, data)
	if err != nil {
		return nil, err
	}
	return [][]byte{out}, nil
}

// gunzip decompresses data, reusing *r between calls.
func (l limit) gunzip(r **gzip.Reader, data []byte) ([]byte, error) {
	var err error
	if *r == nil {
		*r, err = gzip.NewReader(bytes.NewReader(data))
	} else {
		err = (*r).Reset(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return l.readAll("gzip", *r)
}

type gzipPost struct {
	noFinish
	w *gzip.Writer
}

func (p *gzipPost) Process(data []byte) ([][]byte, error) {
	var buf bytes.Buffer
	if p.w == nil {
		p.w = gzip.NewWriter(&buf)
	} else {
		p.w.Reset(&buf)
	}
	if _, err := p.w.Write(data); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := p.w.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return [][]byte{buf.Bytes()}, nil
}
