package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// holeOff marks, in a segment's offset index, a sequence number whose
// record did not verify (or was found lost later).
const holeOff = ^uint32(0)

// badSpan is a byte range of a segment that holds no verifiable record.
// first..last are the sequence numbers whose records lay in it (none when
// last < first); a trailing span runs to the end of the data, so how many
// records it held is decided by what follows the segment.
type badSpan struct {
	off, n      int64
	first, last uint64
	trailing    bool
	reason      string
}

// scanResult is what reading one segment file found.
type scanResult struct {
	size     int64
	hdr      segHeader // valid when hdrErr is nil
	hdrErr   error
	hdrZero  bool     // the header is all zeros: the file was never written
	offs     []uint32 // offset of seq base+i; holeOff where it did not verify
	end      int64    // just past the last verified record (segHeaderSize if none)
	bad      []badSpan
	recBytes int64 // framed bytes of the verified records
	records  uint64
}

// lastSeq is the highest verified sequence number (base-1 when none).
func (r *scanResult) lastSeq(base uint64) uint64 { return base + uint64(len(r.offs)) - 1 }

const scanWindow = 1 << 20

// window serves byte ranges of a file from a read buffer.
type window struct {
	f    File
	size int64
	buf  []byte
	off  int64
	err  error // the first read error other than the end of the file
}

// at returns the n bytes at off, or nil when they cannot be read. The
// slice is valid until the next call.
func (w *window) at(off, n int64) []byte {
	if off < 0 || n < 0 || off+n > w.size {
		return nil
	}
	if off >= w.off && off+n <= w.off+int64(len(w.buf)) {
		return w.buf[off-w.off : off-w.off+n]
	}
	sz := min(max(n, scanWindow), w.size-off)
	if int64(cap(w.buf)) < sz {
		w.buf = make([]byte, sz)
	}
	w.buf = w.buf[:sz]
	k, err := w.f.ReadAt(w.buf, off)
	if int64(k) < sz {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		if w.err == nil {
			w.err = err
		}
		w.buf = w.buf[:0]
		return nil
	}
	w.off = off
	return w.buf[:n]
}

// nextNonZero is the offset of the first non-zero byte at or after off,
// or -1 when there is none (or it cannot be read).
func (w *window) nextNonZero(off int64) int64 {
	for off < w.size {
		n := min(int64(scanWindow), w.size-off)
		b := w.at(off, n)
		if b == nil {
			return -1
		}
		if i := firstNonZero(b); i >= 0 {
			return off + int64(i)
		}
		off += n
	}
	return -1
}

// lastNonZero is the offset just past the last non-zero byte in [off,
// size), or off when all of it is zero.
func (w *window) lastNonZero(off int64) int64 {
	end := off
	for p := off; p < w.size; {
		n := min(int64(scanWindow), w.size-p)
		b := w.at(p, n)
		if b == nil {
			return w.size // unreadable: count it all
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != 0 {
				end = p + int64(i) + 1
				break
			}
		}
		p += n
	}
	return end
}

func firstNonZero(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:]) != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] != 0 {
			return i
		}
	}
	return -1
}

// scanner reads one segment, verifying every record.
type scanner struct {
	w     *window
	base  uint64 // first seq, from the file name
	limit uint64 // seqs >= limit belong to the next segment (0: none)
}

// frameAt verifies the frame at off: its seq and framed size, ok false
// when it does not verify.
func (sc *scanner) frameAt(off int64) (seq uint64, size int64, ok bool) {
	hb := sc.w.at(off, recHeaderSize)
	if hb == nil {
		return 0, 0, false
	}
	h := parseRecordHeader(hb)
	if h.isEnd() || h.seq == 0 || h.n > maxPayload || int64(h.n) > sc.w.size-off-recHeaderSize {
		return 0, 0, false
	}
	if sc.limit > 0 && h.seq >= sc.limit {
		return 0, 0, false
	}
	b := sc.w.at(off, recHeaderSize+int64(h.n))
	if b == nil || !h.verify(b, b[recHeaderSize:]) {
		return 0, 0, false
	}
	return h.seq, recHeaderSize + int64(h.n), true
}

// chained reports whether what follows a verified frame (seq, ending at
// end) confirms it: the end of the file, the zeros past the data, or the
// frame of seq+1. A frame found by searching must be confirmed so that
// bytes inside a payload that happen to look like a frame are not taken
// for one.
func (sc *scanner) chained(end int64, seq uint64) bool {
	if end+recHeaderSize > sc.w.size {
		return true
	}
	hb := sc.w.at(end, recHeaderSize)
	if hb == nil {
		return false
	}
	if parseRecordHeader(hb).isEnd() {
		return true
	}
	next, _, ok := sc.frameAt(end)
	return ok && next == seq+1
}

// resync finds the first frame at or after from that verifies, is
// confirmed by what follows, and whose seq is plausible: above last, and
// no further above it than the records that could fit between badStart
// and it (each takes at least a record header). hint, when positive, is
// tried first: where the damaged frame's own length says the next one
// starts, accepted only if it holds exactly seq last+2.
func (sc *scanner) resync(from, badStart int64, last uint64, hint int64) (int64, uint64, bool) {
	if hint > from {
		if seq, n, ok := sc.frameAt(hint); ok && seq == last+2 && sc.chained(hint+n, seq) {
			return hint, seq, true
		}
	}
	for p := from; p+recHeaderSize <= sc.w.size; p++ {
		hb := sc.w.at(p, recHeaderSize)
		if hb == nil {
			return 0, 0, false
		}
		if allZero(hb) {
			q := sc.w.nextNonZero(p + recHeaderSize)
			if q < 0 {
				return 0, 0, false
			}
			// A frame's first non-zero byte is within its header.
			p = max(p, q-recHeaderSize)
			continue
		}
		h := parseRecordHeader(hb)
		if h.seq <= last || h.seq > last+1+uint64((p-badStart)/recHeaderSize) {
			continue
		}
		seq, n, ok := sc.frameAt(p)
		if ok && sc.chained(p+n, seq) {
			return p, seq, true
		}
	}
	return 0, 0, false
}

// scanSegment verifies every record of a segment file. base is its first
// seq according to its name, which wins over a damaged header; records
// carry their own seqs and checksums, so a bad header costs none of them.
// A record that does not verify is skipped, and scanning resumes at the
// next frame that does; only bytes after the last verified record with no
// verifiable frame after them form a trailing span (a torn tail, or
// garbage).
func scanSegment(f File, base, limit uint64) (*scanResult, error) {
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	res := &scanResult{size: size, end: segHeaderSize}
	w := &window{f: f, size: size}
	switch {
	case size == 0:
		res.hdrErr = fmt.Errorf("%w: the file is empty (0 bytes)", ErrCorrupt)
	case size < segHeaderSize:
		res.hdrErr = fmt.Errorf("%w: the file is shorter (%d bytes) than a segment header", ErrCorrupt, size)
		if !allZero(w.at(0, size)) {
			res.bad = append(res.bad, badSpan{off: 0, n: size, first: base, trailing: true, reason: "a segment shorter than its header"})
		}
	default:
		hb := w.at(0, segHeaderSize)
		if hb == nil {
			res.hdrErr = fmt.Errorf("reading the header: %w", w.err)
		} else if res.hdrZero = allZero(hb); res.hdrZero {
			res.hdrErr = fmt.Errorf("%w: segment header is all zeros (never written, or wiped)", ErrCorrupt)
		} else if res.hdr, res.hdrErr = decodeSegHeader(hb); res.hdrErr == nil && res.hdr.first != base {
			res.hdrErr = fmt.Errorf("%w: header says the segment starts at seq %d, its name at %d", ErrCorrupt, res.hdr.first, base)
		}
	}
	if size < segHeaderSize {
		return res, nil
	}
	sc := &scanner{w: w, base: base, limit: limit}
	off := int64(segHeaderSize)
	expect := base
	for {
		if off+recHeaderSize > size {
			if off < size && !allZero(w.at(off, size-off)) {
				res.bad = append(res.bad, badSpan{off: off, n: size - off, first: expect, trailing: true, reason: "a partial record header at the end of the file"})
			}
			break
		}
		hb := w.at(off, recHeaderSize)
		if hb == nil {
			res.bad = append(res.bad, badSpan{off: off, n: size - off, first: expect, trailing: true, reason: fmt.Sprintf("unreadable: %v", w.err)})
			break
		}
		h := parseRecordHeader(hb)
		trailFrom := off
		reason := ""
		var hint int64
		if h.isEnd() {
			q := w.nextNonZero(off + recHeaderSize)
			if q < 0 {
				if w.err != nil {
					res.bad = append(res.bad, badSpan{off: off, n: size - off, first: expect, trailing: true, reason: fmt.Sprintf("unreadable: %v", w.err)})
				}
				break // the end of the data
			}
			trailFrom = q
			reason = "zeroed bytes inside the data"
		} else {
			seq, n, ok := sc.frameAt(off)
			if ok && seq == expect {
				res.offs = append(res.offs, uint32(off))
				res.recBytes += n
				res.records++
				off += n
				res.end = off
				expect++
				continue
			}
			switch {
			case ok && seq < expect:
				reason = fmt.Sprintf("a record with seq %d where %d was expected (stale or repeated)", seq, expect)
			case ok:
				reason = fmt.Sprintf("a record with seq %d where %d was expected", seq, expect)
			case h.n > maxPayload || int64(h.n) > size-off-recHeaderSize:
				reason = fmt.Sprintf("a record length (%d) that runs past the segment", h.n)
			default:
				reason = "a record that fails its checksum"
				hint = off + recHeaderSize + int64(h.n)
			}
		}
		p, seq, ok := sc.resync(off+1, off, expect-1, hint)
		if !ok {
			if w.err != nil {
				reason = fmt.Sprintf("unreadable: %v", w.err)
			}
			end := w.lastNonZero(trailFrom)
			res.bad = append(res.bad, badSpan{off: trailFrom, n: end - trailFrom, first: expect, trailing: true, reason: reason})
			break
		}
		res.bad = append(res.bad, badSpan{off: off, n: p - off, first: expect, last: seq - 1, reason: reason})
		for ; expect < seq; expect++ {
			res.offs = append(res.offs, holeOff)
		}
		off = p
	}
	return res, nil
}
