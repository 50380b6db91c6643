package wal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"
)

// segment is one segment file. Fields are guarded by Log.mu.
type segment struct {
	first uint64
	name  string
	f     File
	end   int64    // end of data; for recovered middle segments an estimate until scanned
	known bool     // end and offs are exact (scanned or written here)
	offs  []uint32 // offset of each record, index seq-first; nil when not indexed
}

func (s *segment) count() uint64 { return uint64(len(s.offs)) }

// chunk is a run of bytes waiting to be written at off in seg.
type chunk struct {
	seg    *segment
	off    int64
	data   []byte
	newSeg bool
}

// Commit reports when an append became durable.
type Commit struct {
	done chan struct{}
	err  error
	last uint64
}

// Done is closed once the records are durable per the policy.
func (c *Commit) Done() <-chan struct{} { return c.done }

// Err is the write or fsync error, valid after Done.
func (c *Commit) Err() error { <-c.done; return c.err }

// Wait blocks until Done or ctx ends.
func (c *Commit) Wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

type lostRange struct{ from, to uint64 }

// Log is an open write-ahead log. All methods are safe for concurrent use.
// One writer goroutine does the writes and fsyncs; a second prepares the
// next segment file ahead of need.
type Log struct {
	dir    string
	opts   Options
	fs     FS
	log    *slog.Logger
	unlock func() error

	mu         sync.Mutex
	segs       []*segment
	next       uint64 // next seq to assign
	woff       int64  // next write offset in the tail segment
	chunks     []chunk
	commits    []*Commit
	durable    uint64
	acked      uint64
	ackedSet   map[uint64]struct{}
	lost       []lostRange
	bytes      int64 // unacked framed bytes
	persisted  uint64
	spare      bool // spare.tmp is ready
	sparing    bool
	writeErr   error
	closed     bool
	recovery   RecoveryReport
	st         Stats
	lastDropLg time.Time

	kick      chan struct{}
	spareKick chan struct{}
	quit      chan struct{}
	wg        sync.WaitGroup
}

// Open opens (creating if needed) the log in dir and recovers its state.
func Open(dir string, opts Options) (*Log, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if opts.SegmentSize < segHeaderSize+recHeaderSize+1 {
		return nil, fmt.Errorf("segment size %d is too small", opts.SegmentSize)
	}
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = 100 * time.Millisecond
	}
	if opts.CursorInterval <= 0 {
		opts.CursorInterval = 50 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.FS == nil {
		opts.FS = osFS{}
	}
	l := &Log{dir: dir, opts: opts, fs: opts.FS, log: opts.Logger.With("wal", dir),
		ackedSet: map[uint64]struct{}{}, kick: make(chan struct{}, 1), spareKick: make(chan struct{}, 1), quit: make(chan struct{})}
	if err := l.fs.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("creating wal directory: %w", err)
	}
	unlock, pid, err := l.fs.Lock(join(dir, "LOCK"))
	if err != nil {
		if pid > 0 || errors.Is(err, errWouldBlock) {
			return nil, &LockedError{Dir: dir, Pid: pid}
		}
		return nil, fmt.Errorf("locking wal directory %s: %w", dir, err)
	}
	l.unlock = unlock
	if err := l.recover(); err != nil {
		l.closeFiles()
		_ = unlock()
		return nil, err
	}
	l.wg.Add(2)
	go l.writer()
	go l.preallocator()
	return l, nil
}

// Dir is the log's directory.
func (l *Log) Dir() string { return l.dir }

// Recovery reports what Open found.
func (l *Log) Recovery() RecoveryReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recovery
	r.Losses = append([]Loss(nil), r.Losses...)
	return r
}

func (l *Log) recover() error {
	names, err := l.fs.List(l.dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if first, ok := parseSegName(n); ok {
			l.segs = append(l.segs, &segment{first: first, name: n})
		}
		if n == "spare.tmp" {
			_ = l.fs.Remove(join(l.dir, n)) // a spare may be half-made; make a new one
		}
	}
	sort.Slice(l.segs, func(i, j int) bool { return l.segs[i].first < l.segs[j].first })

	// Cursor: a missing or corrupt one falls back to the oldest retained
	// record, so everything retained is delivered again (never lost).
	acked := uint64(0)
	raw, err := l.fs.ReadFile(join(l.dir, "cursor"))
	switch {
	case err == nil:
		if acked, err = decodeCursor(raw); err != nil {
			l.recovery.CursorFallback, l.recovery.CursorReason = true, err.Error()
			acked = 0
		}
	case errors.Is(err, os.ErrNotExist):
		if len(l.segs) > 0 {
			l.recovery.CursorFallback, l.recovery.CursorReason = true, "cursor file missing"
		}
	default:
		return fmt.Errorf("reading cursor: %w", err)
	}
	if len(l.segs) > 0 && acked < l.segs[0].first-1 {
		acked = l.segs[0].first - 1
	}

	// The tail segment: find the end of its data, cutting a torn tail.
	for len(l.segs) > 0 {
		tail := l.segs[len(l.segs)-1]
		if err := l.openSeg(tail); err != nil {
			return err
		}
		if _, err := l.scanLocked(tail, true); err != nil {
			if errors.Is(err, ErrCorrupt) { // unreadable header: drop an empty/garbled tail
				l.recovery.Losses = append(l.recovery.Losses, Loss{Segment: tail.name, Offset: 0, Reason: err.Error()})
				_ = tail.f.Close()
				if err := l.fs.Remove(join(l.dir, tail.name)); err != nil {
					return err
				}
				l.segs = l.segs[:len(l.segs)-1]
				continue
			}
			return err
		}
		break
	}
	if len(l.segs) == 0 {
		l.next = acked + 1
		if l.next == 0 {
			l.next = 1
		}
	} else {
		tail := l.segs[len(l.segs)-1]
		l.next = tail.first + tail.count()
		l.woff = tail.end
	}
	if acked >= l.next {
		acked = l.next - 1
	}
	l.acked, l.persisted, l.durable = acked, acked, l.next-1

	// Segments wholly acked (a crash after persisting the cursor, before
	// removing them) go now; recovered middle segments get an estimated
	// size until they are read.
	for len(l.segs) > 1 && l.segs[1].first-1 <= l.acked {
		if err := l.removeSegLocked(l.segs[0]); err != nil {
			return err
		}
	}
	for i, s := range l.segs {
		if i < len(l.segs)-1 && !s.known {
			s.end = l.opts.SegmentSize
		}
	}
	l.bytes = l.unackedBytesLocked()
	if len(l.recovery.Losses) > 0 || l.recovery.CursorFallback {
		l.log.Warn("wal recovered with findings", "losses", len(l.recovery.Losses), "cursor_fallback", l.recovery.CursorFallback,
			"reason", l.recovery.CursorReason, "truncated_bytes", l.recovery.Truncated)
	}
	return nil
}

func (l *Log) openSeg(s *segment) error {
	if s.f != nil {
		return nil
	}
	f, err := l.fs.OpenFile(join(l.dir, s.name), os.O_RDWR)
	if err != nil {
		return fmt.Errorf("opening segment %s: %w", s.name, err)
	}
	s.f = f
	return nil
}

// scanLocked indexes s by reading it. For the tail (isTail), a bad record
// ends the data: the torn tail is zeroed so it can never be mistaken for
// data. For other segments it is a loss: the records after it are marked
// lost (treated as acked) and reported.
func (l *Log) scanLocked(s *segment, isTail bool) (int, error) {
	if err := l.openSeg(s); err != nil {
		return 0, err
	}
	size, err := s.f.Size()
	if err != nil {
		return 0, err
	}
	hdr := make([]byte, segHeaderSize)
	if size < segHeaderSize {
		return 0, fmt.Errorf("%w: segment %s is shorter than its header", ErrCorrupt, s.name)
	}
	if _, err := s.f.ReadAt(hdr, 0); err != nil {
		return 0, err
	}
	first, err := decodeSegHeader(hdr)
	if err != nil {
		return 0, fmt.Errorf("segment %s: %w", s.name, err)
	}
	if first != s.first {
		return 0, fmt.Errorf("%w: segment %s says it starts at %d", ErrCorrupt, s.name, first)
	}
	s.offs = s.offs[:0]
	off := int64(segHeaderSize)
	const bufSize = 1 << 20
	buf := make([]byte, 0, bufSize)
	bufOff := off
	var bad error
	for off+recHeaderSize <= size {
		// Make sure buf holds [off, off+need).
		need := int64(recHeaderSize)
		for pass := 0; pass < 2; pass++ {
			if off+need > bufOff+int64(len(buf)) {
				n := max(int64(bufSize), need)
				if off+n > size {
					n = size - off
				}
				buf = buf[:n]
				if _, err := s.f.ReadAt(buf, off); err != nil {
					return 0, err
				}
				bufOff = off
			}
			if pass == 0 {
				h := parseRecordHeader(buf[off-bufOff:])
				if h.isEnd() {
					need = -1
					break
				}
				if int64(h.n) > size-off-recHeaderSize {
					bad = fmt.Errorf("%w: length %d runs past the segment", ErrCorrupt, h.n)
					need = -1
					break
				}
				need = recHeaderSize + int64(h.n)
			}
		}
		if need < 0 {
			break
		}
		seq, _, n, err := DecodeRecord(buf[off-bufOff : off-bufOff+need])
		if err != nil {
			bad = err
			break
		}
		if want := s.first + uint64(len(s.offs)); seq != want {
			bad = fmt.Errorf("%w: sequence %d where %d was expected", ErrCorrupt, seq, want)
			break
		}
		s.offs = append(s.offs, uint32(off))
		off += int64(n)
	}
	s.end, s.known = off, true
	if bad == nil && !isTail {
		// A clean end before the next segment's first seq: the rest of
		// this segment's records were lost (or zeroed by a repair).
		for i, x := range l.segs {
			if x == s && i+1 < len(l.segs) && s.first+s.count() < l.segs[i+1].first {
				l.recovery.Losses = append(l.recovery.Losses, Loss{Segment: s.name, Offset: off,
					Reason: fmt.Sprintf("records %d..%d are missing", s.first+s.count(), l.segs[i+1].first-1)})
				l.markLostAfterLocked(s)
			}
		}
	}
	if bad != nil {
		if isTail {
			l.recovery.Truncated += l.zeroFrom(s, off, size)
			l.recovery.Losses = append(l.recovery.Losses, Loss{Segment: s.name, Offset: off, Reason: "torn or corrupt tail cut: " + bad.Error()})
		} else {
			loss := Loss{Segment: s.name, Offset: off, Bytes: size - off, Reason: bad.Error()}
			l.recovery.Losses = append(l.recovery.Losses, loss)
			l.markLostAfterLocked(s)
			l.log.Error("wal segment is corrupt; records after the damage are lost", "segment", s.name, "offset", off, "reason", bad)
		}
	}
	return len(s.offs), nil
}

// zeroFrom zeroes a torn tail until a zero block (the untouched
// preallocation) or the end of the file, then syncs; it returns the bytes
// cleared.
func (l *Log) zeroFrom(s *segment, off, size int64) int64 {
	const blk = 64 << 10
	zero := make([]byte, blk)
	buf := make([]byte, blk)
	var cleared int64
	for p := off; p < size; p += blk {
		n := min(int64(blk), size-p)
		if _, err := s.f.ReadAt(buf[:n], p); err != nil {
			break
		}
		allZero := true
		for _, c := range buf[:n] {
			if c != 0 {
				allZero = false
				break
			}
		}
		if allZero && p > off {
			break
		}
		if _, err := s.f.WriteAt(zero[:n], p); err != nil {
			l.log.Error("zeroing torn wal tail failed", "err", err)
			break
		}
		cleared += n
	}
	_ = s.f.Sync()
	return cleared
}

// markLostAfterLocked treats the seqs of s after its last verified record
// (up to the next segment) as lost: they can never be read, so they must
// not hold back the watermark.
func (l *Log) markLostAfterLocked(s *segment) {
	from := s.first + s.count()
	var to uint64
	for i, x := range l.segs {
		if x == s && i+1 < len(l.segs) {
			to = l.segs[i+1].first - 1
		}
	}
	if to >= from && to > 0 {
		l.lost = append(l.lost, lostRange{from, to})
		l.advanceLocked()
	}
}

func (l *Log) unackedBytesLocked() int64 {
	var b int64
	for _, s := range l.segs {
		lastSeq := s.first + s.count() - 1
		if s.known && s.count() > 0 && lastSeq <= l.acked {
			continue
		}
		b += s.end - segHeaderSize
		if s.known && l.acked >= s.first && s.count() > 0 {
			idx := l.acked + 1 - s.first
			if idx < s.count() {
				b -= int64(s.offs[idx]) - segHeaderSize
			}
		}
	}
	return max(b, 0)
}

func (l *Log) closeFiles() {
	for _, s := range l.segs {
		if s.f != nil {
			_ = s.f.Close()
			s.f = nil
		}
	}
}

func (l *Log) removeSegLocked(s *segment) error {
	if s.f != nil {
		_ = s.f.Close()
		s.f = nil
	}
	if err := l.fs.Remove(join(l.dir, s.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for i, x := range l.segs {
		if x == s {
			l.segs = append(l.segs[:i], l.segs[i+1:]...)
			break
		}
	}
	return nil
}

func (l *Log) unackedLocked() uint64 {
	if l.next-1 <= l.acked {
		return 0
	}
	n := l.next - 1 - l.acked - uint64(len(l.ackedSet))
	for _, r := range l.lost {
		if r.to > l.acked {
			n -= r.to - max(r.from, l.acked+1) + 1
		}
	}
	return n
}

// Append adds records and returns their sequence numbers and a Commit that
// completes when they are durable.
func (l *Log) Append(payloads ...[]byte) (first, last uint64, c *Commit, err error) {
	return l.append(true, payloads)
}

func (l *Log) append(capped bool, payloads [][]byte) (first, last uint64, c *Commit, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, 0, nil, ErrClosed
	}
	if l.writeErr != nil {
		return 0, 0, nil, fmt.Errorf("wal is failed after a write error (reopen it): %w", l.writeErr)
	}
	var size int64
	for _, p := range payloads {
		if err := l.tooLargeLocked(len(p)); err != nil {
			return 0, 0, nil, err
		}
		size += int64(recHeaderSize + len(p))
	}
	if capped {
		if err := l.makeRoomLocked(uint64(len(payloads)), size); err != nil {
			return 0, 0, nil, err
		}
	}
	first = l.next
	for _, p := range payloads {
		n := int64(recHeaderSize + len(p))
		if len(l.segs) == 0 || l.woff+n > l.opts.SegmentSize {
			if err := l.rotateLocked(); err != nil {
				l.writeErr = err
				return 0, 0, nil, err
			}
		}
		tail := l.segs[len(l.segs)-1]
		var ch *chunk
		if k := len(l.chunks); k > 0 && l.chunks[k-1].seg == tail {
			ch = &l.chunks[k-1]
		} else {
			l.chunks = append(l.chunks, chunk{seg: tail, off: l.woff})
			ch = &l.chunks[len(l.chunks)-1]
		}
		ch.data = appendRecord(ch.data, l.next, p)
		tail.offs = append(tail.offs, uint32(l.woff))
		l.woff += n
		tail.end = l.woff
		l.bytes += n
		l.next++
	}
	last = l.next - 1
	l.st.Appended += uint64(len(payloads))
	c = &Commit{done: make(chan struct{}), last: last}
	l.commits = append(l.commits, c)
	if l.woff > l.opts.SegmentSize/2 && !l.spare && !l.sparing {
		select {
		case l.spareKick <- struct{}{}:
		default:
		}
	}
	select {
	case l.kick <- struct{}{}:
	default:
	}
	return first, last, c, nil
}

// makeRoomLocked applies the caps to an append of n records of size bytes.
func (l *Log) makeRoomLocked(n uint64, size int64) error {
	over := func() bool { return l.overLocked(n, size) }
	if !over() {
		return nil
	}
	switch l.opts.Overflow {
	case OverflowDropNewest:
		l.st.Dropped += n
		l.st.DroppedNew += n
		l.logDropLocked("drop_newest")
		return ErrDropped
	case OverflowDropOldest:
		// advanceLocked keeps acked+1 unacked and outside lost regions, so
		// each step discards exactly one record (records acked out of
		// order above it are not counted again).
		for over() && l.acked+1 < l.next {
			seq := l.acked + 1
			if l.opts.OnDrop != nil {
				l.opts.OnDrop(seq)
			}
			l.ackLocked(seq)
			l.st.Dropped++
			l.st.DroppedOld++
		}
		l.logDropLocked("drop_oldest")
		if over() {
			return fmt.Errorf("%w: the record alone exceeds the caps", ErrFull)
		}
		return nil
	}
	return fmt.Errorf("%w: %d records, %d bytes unacknowledged (caps: max_elements %d, max_bytes %d)",
		ErrFull, l.unackedLocked(), l.bytes, l.opts.MaxElements, l.opts.MaxBytes)
}

func (l *Log) logDropLocked(policy string) {
	if time.Since(l.lastDropLg) < 5*time.Second {
		return
	}
	l.lastDropLg = time.Now()
	l.log.Warn("wal full: dropping records", "policy", policy, "dropped_total", l.st.Dropped)
}

// rotateLocked starts a new tail segment at l.next, from the spare file
// when one is ready.
func (l *Log) rotateLocked() error {
	s := &segment{first: l.next, name: segName(l.next), known: true}
	path := join(l.dir, s.name)
	if l.spare {
		if err := l.fs.Rename(join(l.dir, "spare.tmp"), path); err != nil {
			return fmt.Errorf("wal: activating spare segment: %w", err)
		}
		l.spare = false
		f, err := l.fs.OpenFile(path, os.O_RDWR)
		if err != nil {
			return fmt.Errorf("wal: opening segment: %w", err)
		}
		s.f = f
	} else {
		f, err := l.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			return fmt.Errorf("wal: creating segment: %w", err)
		}
		if err := f.Allocate(l.opts.SegmentSize); err != nil {
			_ = f.Close()
			_ = l.fs.Remove(path)
			return fmt.Errorf("wal: preallocating segment %s: %w", s.name, err)
		}
		s.f = f
	}
	l.segs = append(l.segs, s)
	l.chunks = append(l.chunks, chunk{seg: s, off: 0, data: encodeSegHeader(s.first), newSeg: true})
	l.woff = segHeaderSize
	s.end = segHeaderSize
	return nil
}

// preallocator keeps spare.tmp ready so that rotation is a rename.
func (l *Log) preallocator() {
	defer l.wg.Done()
	for {
		select {
		case <-l.quit:
			return
		case <-l.spareKick:
		}
		l.mu.Lock()
		if l.spare || l.sparing || l.closed {
			l.mu.Unlock()
			continue
		}
		l.sparing = true
		l.mu.Unlock()
		err := l.makeSpare()
		l.mu.Lock()
		l.sparing = false
		l.spare = err == nil
		l.mu.Unlock()
		if err != nil {
			l.log.Warn("preallocating the next wal segment failed; it will be created when needed", "err", err)
		}
	}
}

func (l *Log) makeSpare() error {
	path := join(l.dir, "spare.tmp")
	f, err := l.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	err = f.Allocate(l.opts.SegmentSize)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = l.fs.Remove(path)
	}
	return err
}

// writer writes queued chunks, syncs per policy, completes commits, and
// persists the cursor.
func (l *Log) writer() {
	defer l.wg.Done()
	tick := time.NewTicker(min(l.opts.CursorInterval, l.opts.SyncInterval))
	defer tick.Stop()
	lastSync := time.Now()
	lastCursor := time.Now()
	for {
		closing := false
		select {
		case <-l.kick:
		case <-tick.C:
		case <-l.quit:
			closing = true
		}
		l.flush(l.opts.Sync == SyncAlways || closing)
		if l.opts.Sync == SyncInterval && time.Since(lastSync) >= l.opts.SyncInterval {
			l.syncTail()
			lastSync = time.Now()
		}
		if closing || time.Since(lastCursor) >= l.opts.CursorInterval {
			l.persistCursor(closing)
			lastCursor = time.Now()
		}
		if closing {
			return
		}
	}
}

// flush writes what is queued; with sync it fsyncs before completing the
// commits.
func (l *Log) flush(sync bool) {
	l.mu.Lock()
	chunks, commits := l.chunks, l.commits
	l.chunks, l.commits = nil, nil
	last := l.next - 1
	l.mu.Unlock()
	if len(chunks) == 0 && len(commits) == 0 {
		return
	}
	var err error
	newSeg := false
	touched := map[File]bool{}
	for _, ch := range chunks {
		if _, werr := ch.seg.f.WriteAt(ch.data, ch.off); werr != nil && err == nil {
			err = fmt.Errorf("writing %s: %w", ch.seg.name, werr)
		}
		touched[ch.seg.f] = true
		newSeg = newSeg || ch.newSeg
	}
	if err == nil && sync {
		start := time.Now()
		for f := range touched {
			if serr := f.Sync(); serr != nil && err == nil {
				err = fmt.Errorf("fsync: %w", serr)
			}
		}
		l.mu.Lock()
		l.st.Syncs++
		l.st.LastSyncDur = time.Since(start)
		l.mu.Unlock()
	}
	if err == nil && newSeg {
		if derr := l.fs.SyncDir(l.dir); derr != nil {
			err = fmt.Errorf("fsync of the wal directory: %w", derr)
		}
	}
	l.mu.Lock()
	if err != nil {
		if l.writeErr == nil {
			l.writeErr = err
			l.log.Error("wal write failed; appends are refused until it is reopened", "err", err)
		}
	} else if last > l.durable {
		l.durable = last
		l.dropIndexesLocked()
	}
	l.mu.Unlock()
	for _, c := range commits {
		c.err = err
		close(c.done)
	}
}

// dropIndexesLocked forgets the per-record offsets of sealed, durable
// segments other than the head (where acks land) and the tail (where
// appends go), so memory does not grow with the backlog; a segment is
// re-indexed by scanning when it is read again.
func (l *Log) dropIndexesLocked() {
	n := len(l.segs)
	for i, s := range l.segs {
		if i == n-1 || s.offs == nil || !s.known {
			continue
		}
		last := s.first + s.count() - 1
		if last > l.durable || (l.acked+1 >= s.first && l.acked+1 <= last) {
			continue // not durable yet, or the head
		}
		s.offs = nil
		if s.f != nil && i > 0 {
			_ = s.f.Close()
			s.f = nil
		}
	}
}

func (l *Log) syncTail() {
	l.mu.Lock()
	var f File
	if n := len(l.segs); n > 0 {
		f = l.segs[n-1].f
	}
	l.mu.Unlock()
	if f != nil {
		if err := f.Sync(); err != nil {
			l.log.Error("wal fsync failed", "err", err)
		}
	}
}

// persistCursor writes the watermark atomically (tmp, fsync, rename, dir
// fsync), then removes segments wholly below it.
func (l *Log) persistCursor(force bool) {
	l.mu.Lock()
	acked := l.acked
	if acked == l.persisted && !force {
		l.mu.Unlock()
		return
	}
	// The watermark may only cover records that are durable: otherwise a
	// power loss could leave a cursor beyond the data.
	if acked > l.durable {
		acked = l.durable
	}
	l.mu.Unlock()
	if err := l.writeCursor(acked); err != nil {
		l.log.Error("persisting the wal cursor failed; acked records may be re-delivered", "err", err)
		return
	}
	l.mu.Lock()
	l.persisted = acked
	var gone []*segment
	for len(l.segs) > 1 && l.segs[1].first-1 <= acked {
		gone = append(gone, l.segs[0])
		l.segs = l.segs[1:]
	}
	l.mu.Unlock()
	for _, s := range gone {
		if s.f != nil {
			_ = s.f.Close()
		}
		if err := l.fs.Remove(join(l.dir, s.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			l.log.Error("removing an acked wal segment failed", "segment", s.name, "err", err)
		}
	}
	if len(gone) > 0 {
		_ = l.fs.SyncDir(l.dir)
	}
}

func (l *Log) writeCursor(acked uint64) error {
	tmp := join(l.dir, "cursor.tmp")
	f, err := l.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	if _, err = f.WriteAt(encodeCursor(acked), 0); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := l.fs.Rename(tmp, join(l.dir, "cursor")); err != nil {
		return err
	}
	return l.fs.SyncDir(l.dir)
}

// Ack marks seq delivered. Acks may arrive out of order; the watermark
// advances over the contiguous acked prefix. Unknown or repeated seqs are
// ignored.
func (l *Log) Ack(seq uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.ackLocked(seq)
	return nil
}

// AckThrough acks every seq <= seq.
func (l *Log) AckThrough(seq uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if seq >= l.next {
		seq = l.next - 1
	}
	for l.acked < seq {
		l.ackLocked(l.acked + 1)
	}
	return nil
}

func (l *Log) ackLocked(seq uint64) {
	if seq <= l.acked || seq >= l.next {
		return
	}
	if _, dup := l.ackedSet[seq]; dup {
		return
	}
	l.ackedSet[seq] = struct{}{}
	l.bytes -= l.recSizeLocked(seq)
	l.advanceLocked()
}

// advanceLocked moves the watermark over acked and lost seqs.
func (l *Log) advanceLocked() {
	for {
		n := l.acked + 1
		if _, ok := l.ackedSet[n]; ok {
			delete(l.ackedSet, n)
			l.acked = n
			continue
		}
		moved := false
		for i, r := range l.lost {
			if n >= r.from && n <= r.to {
				l.acked = r.to
				l.lost = append(l.lost[:i], l.lost[i+1:]...)
				moved = true
				break
			}
		}
		if !moved {
			return
		}
	}
}

// recSizeLocked is the framed size of seq (0 if unknown).
func (l *Log) recSizeLocked(seq uint64) int64 {
	s := l.segFor(seq)
	if s == nil {
		return 0
	}
	if s.offs == nil {
		if _, err := l.scanLocked(s, s == l.segs[len(l.segs)-1]); err != nil {
			return 0
		}
	}
	i := seq - s.first
	if i >= s.count() {
		return 0
	}
	end := s.end
	if i+1 < s.count() {
		end = int64(s.offs[i+1])
	}
	return end - int64(s.offs[i])
}

func (l *Log) segFor(seq uint64) *segment {
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].first > seq }) - 1
	if i < 0 {
		return nil
	}
	return l.segs[i]
}

// Read returns up to max durable, unacked records with seq >= from.
func (l *Log) Read(from uint64, max int) ([]Record, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if from <= l.acked {
		from = l.acked + 1
	}
	var out []Record
	for len(out) < max && from <= l.durable {
		if _, ok := l.ackedSet[from]; ok {
			from++
			continue
		}
		s := l.segFor(from)
		if s == nil {
			if len(l.segs) == 0 {
				break
			}
			from = l.segs[0].first
			continue
		}
		if s.offs == nil {
			if _, err := l.scanLocked(s, s == l.segs[len(l.segs)-1]); err != nil {
				return out, err
			}
			if from <= l.acked {
				from = l.acked + 1
				continue
			}
		}
		idx := from - s.first
		if idx >= s.count() {
			// A lost region: continue at the next segment.
			nextFirst := uint64(0)
			for i, x := range l.segs {
				if x == s && i+1 < len(l.segs) {
					nextFirst = l.segs[i+1].first
				}
			}
			if nextFirst == 0 {
				break
			}
			from = nextFirst
			continue
		}
		// Read a run of records of this segment in one go.
		lastSeq := min(s.first+s.count()-1, l.durable, from+uint64(max-len(out))-1)
		startOff := int64(s.offs[idx])
		endOff := s.end
		if j := lastSeq + 1 - s.first; j < s.count() {
			endOff = int64(s.offs[j])
		}
		buf := make([]byte, endOff-startOff)
		if _, err := s.f.ReadAt(buf, startOff); err != nil {
			return out, fmt.Errorf("reading %s: %w", s.name, err)
		}
		for p := 0; p < len(buf); {
			seq, payload, n, err := DecodeRecord(buf[p:])
			if err != nil {
				return out, fmt.Errorf("segment %s offset %d: %w", s.name, startOff+int64(p), err)
			}
			if _, acked := l.ackedSet[seq]; !acked && seq > l.acked {
				out = append(out, Record{Seq: seq, Data: append([]byte(nil), payload...)})
			}
			p += n
			from = seq + 1
		}
	}
	return out, nil
}

// Stats returns the current figures.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.st
	st.Last = l.next - 1
	st.Acked = l.acked
	st.Records = l.unackedLocked()
	if st.Records > 0 {
		st.First = l.acked + 1
	}
	st.Bytes = uint64(max(l.bytes, 0))
	st.Segments = len(l.segs)
	st.DiskBytes = int64(len(l.segs)) * l.opts.SegmentSize
	return st
}

// Close flushes and fsyncs pending appends, persists the cursor, and
// releases the directory lock. It is safe to call twice.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.quit)
	l.wg.Wait()
	l.mu.Lock()
	err := l.writeErr
	l.closeFiles()
	l.mu.Unlock()
	if uerr := l.unlock(); err == nil {
		err = uerr
	}
	return err
}
