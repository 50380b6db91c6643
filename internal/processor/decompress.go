package processor

import (
	"bytes"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/pierrec/lz4/v4"
)

func init() {
	RegisterPre(Spec{Name: "decompress", Doc: "Decompresses by magic number: gzip, zlib, xz, snappy (framed) or lz4 (frame); a frame that starts with none of them (or is shorter than 6 bytes) passes through unchanged.", New: func() Processor { return &decompressPre{} }})
}

type decompressPre struct {
	noFinish
	limit
	gz *gzip.Reader
	zl io.ReadCloser
	sn *snappy.Reader
	l4 *lz4.Reader
}

var (
	magicXZ  = []byte{0xfd, '7', 'z', 'X', 'Z', 0}
	magicLZ4 = []byte{0x04, 0x22, 0x4d, 0x18}
)

func (p *decompressPre) Process(data []byte) ([][]byte, error) {
	if len(data) < 6 {
		return [][]byte{data}, nil
	}
	var out []byte
	var err error
	switch {
	case data[0] == 0x1f && data[1] == 0x8b:
		out, err = p.gunzip(&p.gz, data)
	case data[0] == 0x78 && (data[1] == 0x01 || data[1] == 0x5e || data[1] == 0x9c || data[1] == 0xda):
		out, err = p.unzlib(&p.zl, data)
	case bytes.HasPrefix(data, magicXZ):
		out, err = p.unxz(data)
	case data[0] == 0xff: // snappy framing: the stream identifier chunk
		out, err = p.unsnappy(&p.sn, data)
	case bytes.HasPrefix(data, magicLZ4):
		out, err = p.unlz4(&p.l4, data)
	default:
		out = data
	}
	if err != nil {
		return nil, err
	}
	return [][]byte{out}, nil
}
