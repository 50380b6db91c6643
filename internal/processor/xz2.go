package processor

import (
	"bytes"
	"fmt"

	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

func init() {
	RegisterPre(Spec{Name: "xz2", Doc: "Decompresses xz (one or more concatenated streams).", New: func() Processor { return xzPre{} }})
	RegisterPost(Spec{Name: "xz2", Doc: "Compresses each frame as one xz stream, with a dictionary the size of the frame (4 KiB to 8 MiB; Tremor used preset 9, whose 64 MiB dictionary, allocated per frame, buys nothing on frames smaller than it).", New: func() Processor { return xzPost{} }})
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
	// The smallest dictionary: the reader grows it to what the stream's
	// header asks for (8 MiB by default would be allocated for every frame).
	r, err := xz.ReaderConfig{DictCap: lzma.MinDictCap}.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("xz2: %w", err)
	}
	return l.readAll("xz2", r)
}

type xzPost struct{ noFinish }

func (xzPost) Process(data []byte) ([][]byte, error) {
	var buf bytes.Buffer
	// A dictionary larger than the frame buys nothing and costs its
	// allocation on both sides, for every frame.
	w, err := xz.WriterConfig{DictCap: min(max(len(data), lzma.MinDictCap), 8<<20)}.NewWriter(&buf)
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
