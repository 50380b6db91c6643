package processor

import (
	"bytes"
	"fmt"

	"github.com/ulikunitz/xz"
)

func init() {
	RegisterPre(Spec{Name: "xz2", Doc: "Decompresses xz (one or more concatenated streams).", New: func() Processor { return xzPre{} }})
	RegisterPost(Spec{Name: "xz2", Doc: "Compresses each frame as one xz stream (8 MiB dictionary; Tremor used preset 9, whose 64 MiB dictionary only pays off on frames larger than 8 MiB).", New: func() Processor { return xzPost{} }})
}

type xzPre struct {
	noFinish
	limit
}

func (p xzPre) Process(data []byte) ([][]byte, error) {
	out, err := p.unxz(data)
	if err != nil {
		return nil, err
	}
	return [][]byte{out}, nil
}

func (l limit) unxz(data []byte) ([]byte, error) {
	r, err := xz.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("xz2: %w", err)
	}
	return l.readAll("xz2", r)
}

type xzPost struct{ noFinish }

func (xzPost) Process(data []byte) ([][]byte, error) {
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		return nil, fmt.Errorf("xz2: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return nil, fmt.Errorf("xz2: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("xz2: %w", err)
	}
	return [][]byte{buf.Bytes()}, nil
}
