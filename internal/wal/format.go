package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

const (
	segMagic      = "TMBLWAL\x00"
	segVersion    = 1
	segHeaderSize = 32
	recHeaderSize = 16
	cursorMagic   = "TMBLCUR\x00"
	cursorSize    = 8 + 4 + 8 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt marks a record or header that failed verification.
var ErrCorrupt = errors.New("corrupt record")

func encodeSegHeader(first uint64) []byte {
	b := make([]byte, segHeaderSize)
	copy(b, segMagic)
	binary.LittleEndian.PutUint32(b[8:], segVersion)
	binary.LittleEndian.PutUint64(b[16:], first)
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[:28], castagnoli))
	return b
}

// decodeSegHeader returns the segment's first sequence number.
func decodeSegHeader(b []byte) (uint64, error) {
	if len(b) < segHeaderSize {
		return 0, fmt.Errorf("%w: short segment header", ErrCorrupt)
	}
	if string(b[:8]) != segMagic {
		return 0, fmt.Errorf("%w: bad segment magic", ErrCorrupt)
	}
	if crc32.Checksum(b[:28], castagnoli) != binary.LittleEndian.Uint32(b[28:]) {
		return 0, fmt.Errorf("%w: segment header checksum mismatch", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != segVersion {
		return 0, fmt.Errorf("%w: unsupported segment version %d", ErrCorrupt, v)
	}
	return binary.LittleEndian.Uint64(b[16:]), nil
}

// appendRecord frames payload as record seq onto dst.
func appendRecord(dst []byte, seq uint64, payload []byte) []byte {
	var h [recHeaderSize]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint64(h[8:], seq)
	c := crc32.Update(0, castagnoli, h[0:4])
	c = crc32.Update(c, castagnoli, h[8:16])
	c = crc32.Update(c, castagnoli, payload)
	binary.LittleEndian.PutUint32(h[4:], c)
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// recordHeader is the decoded fixed part of a record.
type recordHeader struct {
	n   uint32
	crc uint32
	seq uint64
}

func parseRecordHeader(b []byte) recordHeader {
	return recordHeader{n: binary.LittleEndian.Uint32(b[0:]), crc: binary.LittleEndian.Uint32(b[4:]), seq: binary.LittleEndian.Uint64(b[8:])}
}

func (h recordHeader) isEnd() bool { return h.n == 0 && h.crc == 0 && h.seq == 0 }

func (h recordHeader) verify(raw []byte, payload []byte) bool {
	c := crc32.Update(0, castagnoli, raw[0:4])
	c = crc32.Update(c, castagnoli, raw[8:16])
	c = crc32.Update(c, castagnoli, payload)
	return c == h.crc
}

// DecodeRecord decodes one record at the start of b: its sequence number,
// payload (aliasing b) and framed size. It returns io.EOF-like errEnd at a
// zero header and ErrCorrupt for anything that does not verify.
func DecodeRecord(b []byte) (seq uint64, payload []byte, size int, err error) {
	if len(b) < recHeaderSize {
		return 0, nil, 0, fmt.Errorf("%w: truncated record header", ErrCorrupt)
	}
	h := parseRecordHeader(b)
	if h.isEnd() {
		return 0, nil, 0, errEnd
	}
	if uint64(h.n) > uint64(len(b)-recHeaderSize) {
		return 0, nil, 0, fmt.Errorf("%w: length %d runs past the data", ErrCorrupt, h.n)
	}
	payload = b[recHeaderSize : recHeaderSize+int(h.n)]
	if !h.verify(b, payload) {
		return 0, nil, 0, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	if h.seq == 0 {
		return 0, nil, 0, fmt.Errorf("%w: sequence number 0", ErrCorrupt)
	}
	return h.seq, payload, recHeaderSize + int(h.n), nil
}

var errEnd = errors.New("end of segment data")

func encodeCursor(acked uint64) []byte {
	b := make([]byte, cursorSize)
	copy(b, cursorMagic)
	binary.LittleEndian.PutUint32(b[8:], 1)
	binary.LittleEndian.PutUint64(b[12:], acked)
	binary.LittleEndian.PutUint32(b[20:], crc32.Checksum(b[:20], castagnoli))
	return b
}

func decodeCursor(b []byte) (uint64, error) {
	if len(b) != cursorSize || string(b[:8]) != cursorMagic {
		return 0, fmt.Errorf("%w: cursor file has the wrong size or magic", ErrCorrupt)
	}
	if crc32.Checksum(b[:20], castagnoli) != binary.LittleEndian.Uint32(b[20:]) {
		return 0, fmt.Errorf("%w: cursor checksum mismatch", ErrCorrupt)
	}
	return binary.LittleEndian.Uint64(b[12:]), nil
}
