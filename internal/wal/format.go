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
	cursorSizeV1  = 8 + 4 + 8 + 4
	cursorSize    = 8 + 4 + 8 + 8 + 8 + 8 + 4
	// maxPayload bounds a record's payload; a length field above it can
	// only be damage.
	maxPayload = 1<<31 - 1
)

// Segment header flags.
const (
	// flagSkipLost: the sequence numbers the header's skip covers were
	// lost to damage and a repair acknowledged the loss (without it they
	// were never assigned: numbering jumped after an unclean stop).
	flagSkipLost = 1 << 0
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt marks a record or header that failed verification.
var ErrCorrupt = errors.New("corrupt record")

// segHeader is a segment's decoded header:
//
//	[0:8]   magic "TMBLWAL\x00"
//	[8:12]  version (1)
//	[12:16] flags
//	[16:24] first sequence number (the file name says it too)
//	[24:28] skip: the skip sequence numbers just below first are known to
//	        be absent (see flagSkipLost); 0 in segments of older versions
//	[28:32] CRC-32C of [0:28]
type segHeader struct {
	first uint64
	skip  uint64
	flags uint32
}

func encodeSegHeader(h segHeader) []byte {
	return appendSegHeader(make([]byte, 0, segHeaderSize), h)
}

// appendSegHeader appends h's encoding to dst.
func appendSegHeader(dst []byte, h segHeader) []byte {
	dst = append(dst, make([]byte, segHeaderSize)...)
	b := dst[len(dst)-segHeaderSize:]
	copy(b, segMagic)
	binary.LittleEndian.PutUint32(b[8:], segVersion)
	binary.LittleEndian.PutUint32(b[12:], h.flags)
	binary.LittleEndian.PutUint64(b[16:], h.first)
	binary.LittleEndian.PutUint32(b[24:], uint32(h.skip))
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[:28], castagnoli))
	return dst
}

// decodeSegHeader verifies and decodes a segment header.
func decodeSegHeader(b []byte) (segHeader, error) {
	if len(b) < segHeaderSize {
		return segHeader{}, fmt.Errorf("%w: short segment header", ErrCorrupt)
	}
	if allZero(b[:segHeaderSize]) {
		return segHeader{}, fmt.Errorf("%w: segment header is all zeros (never written, or wiped)", ErrCorrupt)
	}
	if string(b[:8]) != segMagic {
		return segHeader{}, fmt.Errorf("%w: bad segment magic", ErrCorrupt)
	}
	if crc32.Checksum(b[:28], castagnoli) != binary.LittleEndian.Uint32(b[28:]) {
		return segHeader{}, fmt.Errorf("%w: segment header checksum mismatch", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != segVersion {
		return segHeader{}, fmt.Errorf("%w: unsupported segment version %d", ErrCorrupt, v)
	}
	return segHeader{
		flags: binary.LittleEndian.Uint32(b[12:]),
		first: binary.LittleEndian.Uint64(b[16:]),
		skip:  uint64(binary.LittleEndian.Uint32(b[24:])),
	}, nil
}

// maxSkip is the largest gap a segment header can declare.
const maxSkip = 1<<32 - 1

// appendRecord frames payload as record seq onto dst.
// The header is framed in dst itself: a local array handed to crc32 (an
// indirect call) would escape, an allocation per record.
func appendRecord(dst []byte, seq uint64, payload []byte) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, seq)
	h := dst[start:]
	c := crc32.Update(0, castagnoli, h[0:4])
	c = crc32.Update(c, castagnoli, h[8:16])
	c = crc32.Update(c, castagnoli, payload)
	binary.LittleEndian.PutUint32(h[4:], c)
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
// payload (aliasing b) and framed size. It returns errEnd at a zero header
// and ErrCorrupt for anything that does not verify.
func DecodeRecord(b []byte) (seq uint64, payload []byte, size int, err error) {
	if len(b) < recHeaderSize {
		return 0, nil, 0, fmt.Errorf("%w: truncated record header", ErrCorrupt)
	}
	h := parseRecordHeader(b)
	if h.isEnd() {
		return 0, nil, 0, errEnd
	}
	if h.n > maxPayload {
		return 0, nil, 0, fmt.Errorf("%w: length %d is impossible", ErrCorrupt, h.n)
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

// cursorState is what the cursor file holds (version 2):
//
//	[0:8]   magic "TMBLCUR\x00"
//	[8:12]  version (2)
//	[12:20] acked: every seq <= acked is acknowledged
//	[20:28] durable: the highest seq known durable when it was written
//	[28:36] reserved: no seq above it has ever been assigned
//	[36:44] id: the WAL's identity, chosen when it was created
//	[44:48] CRC-32C of [0:44]
//
// Version 1 (24 bytes) held only acked.
type cursorState struct {
	acked, durable, reserved uint64
	id                       uint64
	version                  int
}

func encodeCursor(c cursorState) []byte {
	b := make([]byte, cursorSize)
	copy(b, cursorMagic)
	binary.LittleEndian.PutUint32(b[8:], 2)
	binary.LittleEndian.PutUint64(b[12:], c.acked)
	binary.LittleEndian.PutUint64(b[20:], c.durable)
	binary.LittleEndian.PutUint64(b[28:], c.reserved)
	binary.LittleEndian.PutUint64(b[36:], c.id)
	binary.LittleEndian.PutUint32(b[44:], crc32.Checksum(b[:44], castagnoli))
	return b
}

func decodeCursor(b []byte) (cursorState, error) {
	if len(b) < 12 || string(b[:8]) != cursorMagic {
		return cursorState{}, fmt.Errorf("%w: cursor file has the wrong size or magic", ErrCorrupt)
	}
	switch v := binary.LittleEndian.Uint32(b[8:]); {
	case v == 1 && len(b) == cursorSizeV1:
		if crc32.Checksum(b[:20], castagnoli) != binary.LittleEndian.Uint32(b[20:]) {
			return cursorState{}, fmt.Errorf("%w: cursor checksum mismatch", ErrCorrupt)
		}
		return cursorState{acked: binary.LittleEndian.Uint64(b[12:]), version: 1}, nil
	case v == 2 && len(b) == cursorSize:
		if crc32.Checksum(b[:44], castagnoli) != binary.LittleEndian.Uint32(b[44:]) {
			return cursorState{}, fmt.Errorf("%w: cursor checksum mismatch", ErrCorrupt)
		}
		return cursorState{
			acked:    binary.LittleEndian.Uint64(b[12:]),
			durable:  binary.LittleEndian.Uint64(b[20:]),
			reserved: binary.LittleEndian.Uint64(b[28:]),
			id:       binary.LittleEndian.Uint64(b[36:]),
			version:  2,
		}, nil
	default:
		return cursorState{}, fmt.Errorf("%w: cursor file has the wrong size or version", ErrCorrupt)
	}
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
