package wal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// segment is one segment file. Fields are guarded by Log.mu.
type segment struct {
	first uint64 // from the file name
	skip  uint64 // from the header: the seqs just below first are known absent
	name  string
	f     File
	size  int64    // the file's size: appends rotate rather than grow it
	end   int64    // end of the verified data (the append offset of the tail)
	known bool     // offs is loaded (scanned, or written here)
	offs  []uint32 // offset of seq first+i; holeOff for one that is lost
	nseq  uint64   // len(offs), kept while offs is dropped
	bad   []int64  // starts of byte spans that hold no verified record
	hw    int64    // tail: the highest offset queued for writing
}

func (s *segment) count() uint64 { return s.nseq }

// lastSlot is the highest seq the segment holds a slot for (first-1 when
// none).
func (s *segment) lastSlot() uint64 { return s.first + s.nseq - 1 }

// recEnd is the offset just past record first+i (which must be present).
func (s *segment) recEnd(i uint64) int64 {
	if i+1 < uint64(len(s.offs)) && s.offs[i+1] != holeOff {
		return int64(s.offs[i+1])
	}
	o := int64(s.offs[i])
	for _, b := range s.bad {
		if b > o && b < s.end {
			return b
		}
	}
	return s.end
}

// chunk is a run of bytes waiting to be written at off in seg.
type chunk struct {
	seg    *segment
	off    int64
	data   []byte
	newSeg bool
}

// Commit reports when appended records became durable. Every append
// queued between two flushes of the writer gets the same Commit (one
// allocation and one wake-up per flush, however many records and calls it
// covers), so a Commit may be done for more records than its caller's.
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

// reserveAhead is how many sequence numbers a cursor write reserves ahead
// of use. After an unclean stop numbering continues above the reservation,
// so a sequence number is never given twice even if the newest segment is
// lost; the jump is at most this.
const reserveAhead = 1 << 16

// markerInterval bounds how often the marker is rewritten while running.
const markerInterval = time.Second

// Log is an open write-ahead log. All methods are safe for concurrent use.
// One writer goroutine does the writes and fsyncs; a second prepares the
// next segment file ahead of need.
type Log struct {
	dir        string
	opts       Options
	fs         FS
	log        *slog.Logger
	unlock     func() error
	markerPath string

	mu          sync.Mutex
	segs        []*segment
	next        uint64 // next seq to assign
	woff        int64  // next write offset in the tail segment
	forceRotate bool   // the next append starts a segment (numbering jumped)
	skipFloor   uint64 // highest seq that was a record (or lost) at open
	chunks      []chunk
	commit      *Commit   // the commit of everything queued since the last flush (nil: none)
	queued      int64     // bytes in chunks
	queuedAt    time.Time // when the queue last went from empty to not
	freeChunks  []chunk   // the chunk list the writer handed back, for reuse
	freeBufs    [][]byte  // chunk buffers the writer handed back, for reuse
	durable     uint64    // every seq <= durable is durable or absent: Read's bound
	highRec     uint64    // highest seq of a record known durable (the cursor's "durable")
	last        uint64    // highest seq appended
	acked       uint64
	ackedSet    map[uint64]struct{}
	lost        []seqRange // seqs above acked with no record (lost or skipped), sorted
	lostN       uint64     // how many seqs lost holds
	readPos     uint64     // highest seq Read returned
	bytes       int64      // unacked framed bytes
	persisted   uint64     // acked, as in the cursor on disk
	persistHigh uint64     // durable, as in the cursor on disk
	reserved    uint64     // reserved, as in the cursor on disk
	id          uint64
	markerState cursorState // what the marker on disk says
	spare       bool        // spare.tmp is ready
	sparing     bool
	flushing    bool
	writeErr    error
	closed      bool
	recovery    RecoveryReport
	st          Stats
	lastDropLg  time.Time
	warnedSmall bool

	kick      chan struct{}
	spareKick chan struct{}
	quit      chan struct{}
	wg        sync.WaitGroup
}

// Open opens (creating if needed) the log in dir and recovers its state.
// Damage never stops it: every record whose checksum verifies is kept,
// and what is lost is reported (Recovery, the log, Stats.LostRecords).
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
	if opts.MarkerDir != "" {
		l.markerPath = markerPath(opts.MarkerDir, dir)
	}
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
	nsegs := 0
	for _, n := range names {
		// A spare or a temporary file may be half-made: start again.
		if strings.HasSuffix(n, ".tmp") || strings.HasSuffix(n, ".repair") {
			_ = l.fs.Remove(join(l.dir, n))
		}
		if _, ok := parseSegName(n); ok {
			nsegs++
		}
	}
	// Every record is verified before delivery starts: say so when that
	// takes a while (about a second per GiB).
	start := time.Now()
	if nsegs >= 8 {
		l.log.Info("wal: verifying the stored records before delivery", "segments", nsegs)
	}
	defer func() {
		if el := time.Since(start); el >= time.Second {
			l.log.Info("wal: stored records verified", "segments", nsegs, "took", el.Round(time.Millisecond).String())
		}
	}()
	d, err := scanDir(l.fs, l.dir, l.markerPath, true, func(name string) (File, error) {
		return l.fs.OpenFile(join(l.dir, name), os.O_RDWR)
	})
	if err != nil {
		return err
	}
	l.segs = d.segs
	l.recovery = RecoveryReport{Losses: d.findings, LostRecords: d.lost, CursorFallback: d.curErr != "", CursorReason: d.curErr}
	l.st.LostRecords = d.lost

	// The newest segment is where appends go. Newest segments with no
	// verified record hold nothing to keep (what they lost is counted
	// above): they go. A torn tail is zeroed, so that nothing stale lies
	// past the data.
	for n := len(l.segs); n > 0 && l.segs[n-1].nseq == 0; n = len(l.segs) {
		if err := l.removeSegLocked(l.segs[n-1]); err != nil {
			return err
		}
		l.recovery.Truncated += d.scans[n-1].size
	}
	if n := len(l.segs); n > 0 {
		tail := l.segs[n-1]
		switch {
		case d.trail != nil && d.trail.seg == tail:
			if err := zeroRange(tail.f, d.trail.off, d.trail.off+d.trail.n); err != nil {
				l.log.Error("zeroing a torn wal tail failed; the next open reports it again", "segment", tail.name, "err", err)
			} else {
				l.recovery.Truncated += d.trail.n
			}
			tail.bad = tail.bad[:0]
		}
	}

	l.acked = d.acked
	l.next = d.next
	l.durable = d.next - 1
	l.highRec = max(d.tailEnd, d.durable)
	l.last = max(d.tailEnd, d.durable, d.acked)
	l.skipFloor = l.last
	l.persisted, l.persistHigh, l.reserved = d.acked, d.durable, d.reserved
	l.markerState = cursorState{}
	if d.mk != nil {
		l.markerState = cursorState{acked: d.mk.Acked, durable: d.mk.Durable, reserved: d.mk.Reserved}
	}
	l.id = d.id
	if l.id == 0 {
		l.id = newWALID()
	}
	l.lost = d.absent
	for _, r := range l.lost {
		l.lostN += r.to - r.from + 1
	}
	l.advanceLocked()
	if n := len(l.segs); n > 0 {
		tail := l.segs[n-1]
		l.woff = tail.end
		tail.hw = tail.end
		// A tail with damage left in it (a bad header, or bytes between
		// records) takes no more appends: the next goes to a new segment,
		// and the damaged one goes once delivery has passed it.
		damaged := d.scans[n-1].hdrErr != nil || len(tail.bad) > 0
		l.forceRotate = damaged || tail.first+tail.nseq != l.next
	}
	l.bytes = l.unackedBytesLocked()
	// Only the head (where acks land) and the tail keep their index.
	for i, s := range l.segs {
		if i == len(l.segs)-1 || (s.first <= l.acked+1 && s.lastSlot() > l.acked) {
			continue
		}
		s.offs = nil
		s.known = false
		if s.f != nil {
			_ = s.f.Close()
			s.f = nil
		}
	}
	if len(l.recovery.Losses) > 0 {
		logFindings(l.log, l.recovery)
	}
	// A cursor now: it replaces a bad or old one, and records the
	// reservation and the durable high mark from the start.
	if err := l.writeCursor(l.cursorStateLocked(false)); err != nil {
		l.log.Error("persisting the wal cursor failed; it is retried", "err", err)
		l.persisted, l.persistHigh = ^uint64(0), ^uint64(0) // force a retry
	} else {
		c := l.cursorStateLocked(false)
		l.persisted, l.persistHigh, l.reserved = c.acked, c.durable, c.reserved
	}
	l.saveMarker(l.cursorStateLocked(false))
	return nil
}

// zeroRange writes zeros over [from, to) of f and syncs.
func zeroRange(f File, from, to int64) error {
	zero := make([]byte, min(64<<10, max(to-from, 0)))
	for p := from; p < to; p += int64(len(zero)) {
		n := min(int64(len(zero)), to-p)
		if _, err := f.WriteAt(zero[:n], p); err != nil {
			return err
		}
	}
	return f.Sync()
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

// reindexLocked re-reads a segment whose index was dropped (or whose
// records stopped verifying while we ran). Seqs up to the durable mark
// that no longer verify are lost now: they are reported and counted, and
// the watermark moves over them.
func (l *Log) reindexLocked(s *segment) error {
	if err := l.openSeg(s); err != nil {
		return err
	}
	var limit uint64
	for i, x := range l.segs {
		if x == s && i+1 < len(l.segs) {
			limit = l.segs[i+1].first
		}
	}
	sr, err := scanSegment(s.f, s.first, limit)
	if err != nil {
		return err
	}
	old := s.offs
	bound := min(l.durable, s.lastSlot())
	offs := make([]uint32, s.nseq)
	var newly []seqRange
	for i := range offs {
		seq := s.first + uint64(i)
		switch {
		case i < len(sr.offs) && sr.offs[i] != holeOff:
			offs[i] = sr.offs[i]
		case seq > bound && old != nil && i < len(old):
			offs[i] = old[i] // not written yet: not ours to judge
		default:
			offs[i] = holeOff
			if seq > l.acked && !l.isLostLocked(seq) {
				if k := len(newly); k > 0 && newly[k-1].to+1 == seq {
					newly[k-1].to = seq
				} else {
					newly = append(newly, seqRange{seq, seq})
				}
			}
		}
		if offs[i] != holeOff && l.isLostLocked(seq) {
			offs[i] = holeOff
		}
	}
	s.offs, s.known = offs, true
	s.bad = s.bad[:0]
	for _, b := range sr.bad {
		s.bad = append(s.bad, b.off)
	}
	var n uint64
	for _, r := range newly {
		n += r.to - r.from + 1
		for q := r.from; q <= r.to; q++ {
			if i := q - s.first; old != nil && i < uint64(len(old)) && old[i] != holeOff {
				if _, done := l.ackedSet[q]; !done {
					l.bytes -= int64(recHeaderSize) // at least its header; the size is unknown now
				}
			}
		}
		l.addLostLocked(r.from, r.to)
	}
	if n > 0 {
		l.st.LostRecords += n
		l.recovery.LostRecords += n
		for _, r := range newly {
			x := Loss{Kind: LossDamaged, Segment: s.name, FirstSeq: r.from, LastSeq: r.to, Records: r.to - r.from + 1,
				Reason: "records stopped verifying while the engine ran (the file was changed under it, or the disk returns bad data)"}
			l.recovery.Losses = append(l.recovery.Losses, x)
			l.log.Error("wal: records lost to damage", "kind", x.Kind, "segment", x.Segment, "seqs", fmt.Sprintf("%d..%d", r.from, r.to),
				"lost_records", x.Records, "reason", x.Reason)
		}
	}
	return nil
}

// isLostLocked reports whether seq lies in a lost (or skipped) range.
func (l *Log) isLostLocked(seq uint64) bool {
	i := sort.Search(len(l.lost), func(i int) bool { return l.lost[i].to >= seq })
	return i < len(l.lost) && l.lost[i].from <= seq
}

// addLostLocked adds from..to (clipped to above the watermark) to the
// lost ranges and moves the watermark over them if it can.
func (l *Log) addLostLocked(from, to uint64) {
	from = max(from, l.acked+1)
	if to < from {
		return
	}
	for q := from; q <= to; q++ {
		delete(l.ackedSet, q)
	}
	l.lost = mergeRanges(append(l.lost, seqRange{from, to}))
	l.lostN = 0
	for _, r := range l.lost {
		l.lostN += r.to - r.from + 1
	}
	l.advanceLocked()
}

func (l *Log) unackedBytesLocked() int64 {
	var b int64
	for _, s := range l.segs {
		if s.nseq == 0 || s.lastSlot() <= l.acked {
			continue
		}
		for i, o := range s.offs {
			seq := s.first + uint64(i)
			if o == holeOff || seq <= l.acked {
				continue
			}
			if _, ok := l.ackedSet[seq]; ok {
				continue
			}
			b += s.recEnd(uint64(i)) - int64(o)
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
	return l.next - 1 - l.acked - uint64(len(l.ackedSet)) - l.lostN
}

// Append adds records and returns their sequence numbers and a Commit that
// completes when they are durable. It is all or nothing: if one record
// cannot be appended (caps, too large, no room for a segment), none is.
// The log copies the payloads: the caller may reuse them once it returns.
// For a pipeline batch, AppendBatch is cheaper and appends what fits.
func (l *Log) Append(payloads ...[]byte) (first, last uint64, c *Commit, err error) {
	return l.append(true, payloads)
}

func (l *Log) append(capped bool, payloads [][]byte) (first, last uint64, c *Commit, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.appendableLocked(); err != nil {
		return 0, 0, nil, err
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
	undo := l.undoPointLocked()
	first = l.next
	for _, p := range payloads {
		if err := l.addRecordLocked(p); err != nil {
			// Nothing of this append stays; a later one tries again.
			undo.restore(l)
			return 0, 0, nil, err
		}
	}
	c = l.appendedLocked(len(payloads))
	return first, l.next - 1, c, nil
}

// AppendBatch appends b's records in order, under one lock, into one write
// and one Commit (shared with every other append of the same flush): the
// call for a pipeline's batch of events. b is not kept: the caller may
// Reset and refill it once AppendBatch returns.
//
// It appends the longest prefix of b that can be appended and returns how
// many records that is (n), their sequence numbers (first..last, when n >
// 0) and the Commit that completes when they are durable. If n < b.Len(),
// err says why record n could not be appended, exactly as Append would for
// that record alone: ErrTooLarge (it never fits: refuse it and go on with
// the rest), ErrFull (the caps, under OverflowBlock: hold it and the rest
// until acks make room), ErrDropped (OverflowDropNewest: it was discarded
// and counted), or a write error. Records after n were not looked at.
// Under OverflowDropOldest older records are discarded to make room as
// each record is appended, as for Append.
//
// With n > 0 and err != nil, c is still the Commit of the n records.
func (l *Log) AppendBatch(b *Batch) (n int, first, last uint64, c *Commit, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.appendableLocked(); err != nil {
		return 0, 0, 0, nil, err
	}
	first = l.next
	start := 0
	for i, end := range b.ends {
		p := b.data[start:end]
		start = end
		if err = l.tooLargeLocked(len(p)); err == nil {
			err = l.makeRoomLocked(1, int64(recHeaderSize+len(p)))
		}
		if err == nil {
			err = l.addRecordLocked(p)
		}
		if err != nil {
			n = i
			break
		}
		n = i + 1
	}
	if n == 0 {
		return 0, 0, 0, nil, err
	}
	c = l.appendedLocked(n)
	return n, first, l.next - 1, c, err
}

// appendableLocked fails appends on a closed log, or while a write error
// is not yet cleared.
func (l *Log) appendableLocked() error {
	if l.closed {
		return ErrClosed
	}
	if l.writeErr != nil {
		return l.resumeAfterWriteErrorLocked()
	}
	return nil
}

// lockWriterThread runs each log's writer on an OS thread of its own
// (runtime.LockOSThread). BenchmarkDurableLogsScale measures both ways.
var lockWriterThread = false

// writeBatchBytes is how much queued data wakes the writer at once when
// Options.WriteDelay has it wait for more.
const writeBatchBytes = 256 << 10

// addRecordLocked frames payload p as record l.next into the write queue,
// starting a segment first if it does not fit the tail. On an error
// nothing of the record was queued.
func (l *Log) addRecordLocked(p []byte) error {
	n := int64(recHeaderSize + len(p))
	if len(l.segs) == 0 || l.forceRotate || l.woff+n > l.segs[len(l.segs)-1].size {
		if err := l.rotateLocked(n); err != nil {
			return err
		}
	}
	tail := l.segs[len(l.segs)-1]
	var ch *chunk
	if k := len(l.chunks); k > 0 && l.chunks[k-1].seg == tail {
		ch = &l.chunks[k-1]
	} else {
		ch = l.newChunkLocked(tail, l.woff, false)
	}
	ch.data = appendRecord(ch.data, l.next, p)
	tail.offs = append(tail.offs, uint32(l.woff))
	tail.nseq++
	l.woff += n
	tail.end = l.woff
	tail.hw = max(tail.hw, l.woff)
	l.bytes += n
	l.queued += n
	l.next++
	return nil
}

// newChunkLocked queues a chunk written at off in seg, with a buffer the
// writer handed back when there is one.
func (l *Log) newChunkLocked(seg *segment, off int64, newSeg bool) *chunk {
	if len(l.chunks) == 0 && l.freeChunks != nil {
		l.chunks, l.freeChunks = l.freeChunks[:0], nil
	}
	var buf []byte
	if k := len(l.freeBufs); k > 0 {
		buf = l.freeBufs[k-1][:0]
		l.freeBufs = l.freeBufs[:k-1]
	}
	l.chunks = append(l.chunks, chunk{seg: seg, off: off, data: buf, newSeg: newSeg})
	return &l.chunks[len(l.chunks)-1]
}

// appendedLocked finishes an append of n records: the shared Commit, and
// the writer and the preallocator woken when they have work.
func (l *Log) appendedLocked(n int) *Commit {
	l.last = l.next - 1
	l.st.Appended += uint64(n)
	wake := false
	if l.commit == nil {
		// The queue was empty: the writer may be asleep.
		l.commit = &Commit{done: make(chan struct{})}
		l.queuedAt = time.Now()
		wake = true
	}
	c := l.commit
	c.last = l.last
	if l.queued >= writeBatchBytes && l.queued-int64(n) < writeBatchBytes {
		wake = true
	}
	if l.woff > l.opts.SegmentSize/2 && !l.spare && !l.sparing {
		select {
		case l.spareKick <- struct{}{}:
		default:
		}
	}
	if wake {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
	return c
}

// undoPoint is the state an all-or-nothing append goes back to when one
// of its records cannot be added (no room for a new segment).
type undoPoint struct {
	next, last     uint64
	woff, bytes    int64
	queued         int64
	force          bool
	nsegs, nchunks int
	tail           *segment
	tailN          uint64
	tailEnd        int64
	tailHW         int64
	chunkLen       int
}

func (l *Log) undoPointLocked() undoPoint {
	u := undoPoint{next: l.next, last: l.last, woff: l.woff, bytes: l.bytes, queued: l.queued, force: l.forceRotate,
		nsegs: len(l.segs), nchunks: len(l.chunks)}
	if u.nsegs > 0 {
		u.tail = l.segs[u.nsegs-1]
		u.tailN, u.tailEnd, u.tailHW = u.tail.nseq, u.tail.end, u.tail.hw
	}
	if u.nchunks > 0 {
		u.chunkLen = len(l.chunks[u.nchunks-1].data)
	}
	return u
}

// restore takes back what was appended since u: the state goes back, and
// segments created since are removed.
func (u undoPoint) restore(l *Log) {
	for len(l.segs) > u.nsegs {
		_ = l.removeSegLocked(l.segs[len(l.segs)-1])
	}
	if u.tail != nil {
		u.tail.offs, u.tail.nseq, u.tail.end, u.tail.hw = u.tail.offs[:u.tailN], u.tailN, u.tailEnd, u.tailHW
	}
	l.chunks = l.chunks[:u.nchunks]
	if u.nchunks > 0 {
		l.chunks[u.nchunks-1].data = l.chunks[u.nchunks-1].data[:u.chunkLen]
	}
	l.next, l.woff, l.bytes, l.forceRotate, l.last, l.queued = u.next, u.woff, u.bytes, u.force, u.last, u.queued
}

// resumeAfterWriteErrorLocked takes the log out of the failed state a
// write error left it in, once the writer has failed every commit that
// was queued: the records above the durable mark (whose commits failed)
// are undone and their bytes zeroed, and appending goes on from there. If
// the disk still fails, the next write fails again.
func (l *Log) resumeAfterWriteErrorLocked() error {
	if l.flushing || len(l.chunks) > 0 || l.commit != nil {
		return fmt.Errorf("wal cannot write: %w", l.writeErr)
	}
	for n := len(l.segs); n > 0 && l.segs[n-1].first > l.durable; n = len(l.segs) {
		if err := l.removeSegLocked(l.segs[n-1]); err != nil {
			return fmt.Errorf("wal cannot write (%v); removing a failed segment: %w", l.writeErr, err)
		}
	}
	if n := len(l.segs); n > 0 {
		tail := l.segs[n-1]
		keep := min(l.durable-tail.first+1, tail.nseq)
		end := tail.end
		if keep < tail.nseq {
			end = int64(tail.offs[keep])
			for i := keep; i < tail.nseq; i++ {
				if tail.offs[i] != holeOff {
					l.bytes -= tail.recEnd(i) - int64(tail.offs[i])
				}
			}
		}
		if tail.hw > end {
			if err := l.openSeg(tail); err != nil {
				return err
			}
			if err := zeroRange(tail.f, end, tail.hw); err != nil {
				return fmt.Errorf("wal cannot write (%v); clearing the failed write: %w", l.writeErr, err)
			}
		}
		tail.offs, tail.nseq, tail.end, tail.hw = tail.offs[:keep], keep, end, end
		l.woff = end
	}
	l.next = l.durable + 1
	l.last = min(l.last, l.durable)
	if n := len(l.segs); n > 0 {
		l.forceRotate = l.segs[n-1].first+l.segs[n-1].nseq != l.next
	}
	l.log.Info("wal: writing again after a write error", "err", l.writeErr)
	l.writeErr = nil
	return nil
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

// rotateLocked starts a new tail segment at l.next that holds at least a
// record of need framed bytes, from the spare file when one is ready.
// Numbering that jumped (after an unclean stop) is declared in the new
// segment's header, so the gap is not taken for a loss.
func (l *Log) rotateLocked(need int64) error {
	first := l.next
	prev := max(l.skipFloor, l.acked)
	if n := len(l.segs); n > 0 {
		prev = max(prev, l.segs[n-1].lastSlot())
	}
	var skip uint64
	if first > prev+1 {
		skip = min(first-1-prev, maxSkip)
	}
	s := &segment{first: first, skip: skip, name: segName(first), known: true}
	if n := len(l.segs); n > 0 && l.segs[n-1].nseq > 0 {
		// Sized for as many records as the last segment took, so the
		// index is not regrown by doubling from empty.
		s.offs = make([]uint32, 0, l.segs[n-1].nseq+l.segs[n-1].nseq/8)
	}
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
		s.f, s.size = f, l.opts.SegmentSize
	} else {
		f, err := l.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			return fmt.Errorf("wal: creating segment: %w", err)
		}
		size, err := l.allocateLocked(f, segHeaderSize+need)
		if err != nil {
			_ = f.Close()
			_ = l.fs.Remove(path)
			return err
		}
		s.f, s.size = f, size
	}
	l.segs = append(l.segs, s)
	ch := l.newChunkLocked(s, 0, true)
	ch.data = appendSegHeader(ch.data, segHeader{first: first, skip: skip})
	l.queued += segHeaderSize
	l.woff = segHeaderSize
	s.end, s.hw = segHeaderSize, segHeaderSize
	l.forceRotate = false
	return nil
}

// freeMargin is left free when a segment is sized to the space there is
// (for the cursor and marker files).
const freeMargin = 16 << 10

// allocateLocked preallocates a new segment file: SegmentSize, or, when the
// file system has less room, what it has (at least min bytes).
func (l *Log) allocateLocked(f File, min int64) (int64, error) {
	want := l.opts.SegmentSize
	err := f.Allocate(want)
	if err == nil {
		return want, nil
	}
	if !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EDQUOT) && !errors.Is(err, syscall.EFBIG) {
		return 0, fmt.Errorf("wal: preallocating a segment: %w", err)
	}
	_ = f.Truncate(0)
	free, ferr := l.fs.Free(l.dir)
	if ferr != nil {
		free = -1
	}
	size := (free - freeMargin) &^ 4095
	if size >= min {
		if err = f.Allocate(size); err == nil {
			if !l.warnedSmall {
				l.warnedSmall = true
				l.log.Warn("wal: short of disk space: new segments are sized to the space that is free", "segment_size", want, "allocated", size)
			}
			return size, nil
		}
		_ = f.Truncate(0)
	}
	return 0, &NoSpaceError{Dir: l.dir, Free: free, Need: min, SegmentSize: want, Err: err}
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
		switch {
		case err == nil:
		case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
			l.log.Debug("no room for a spare wal segment; it will be created when needed", "err", err)
		default:
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
// persists the cursor and the marker.
//
// It writes whatever is queued as soon as it is free: everything appended
// while it wrote (and, under SyncAlways, fsynced) goes in the next write,
// and it is woken only when the queue goes from empty to not. With
// Options.WriteDelay (SyncNone, SyncInterval) it also waits until
// writeBatchBytes are queued or the oldest queued append is WriteDelay
// old.
func (l *Log) writer() {
	defer l.wg.Done()
	if lockWriterThread {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	tick := time.NewTicker(min(l.opts.CursorInterval, l.opts.SyncInterval))
	defer tick.Stop()
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	lastSync := time.Now()
	lastCursor := time.Now()
	lastMarker := time.Now()
	for {
		closing := false
		select {
		case <-l.kick:
		case <-tick.C:
		case <-linger.C:
		case <-l.quit:
			closing = true
		}
		if wait := l.lingerFor(closing); wait > 0 {
			linger.Reset(wait)
		} else {
			l.flush(l.opts.Sync == SyncAlways || closing)
		}
		if l.opts.Sync == SyncInterval && time.Since(lastSync) >= l.opts.SyncInterval {
			l.syncTail()
			lastSync = time.Now()
		}
		if closing || time.Since(lastCursor) >= l.opts.CursorInterval {
			l.persistCursor(closing)
			lastCursor = time.Now()
		}
		if l.markerPath != "" && (closing || time.Since(lastMarker) >= markerInterval) {
			l.mu.Lock()
			c := l.cursorStateLocked(closing)
			l.mu.Unlock()
			l.saveMarker(c)
			lastMarker = time.Now()
		}
		if closing {
			return
		}
	}
}

// lingerFor is how much longer the writer waits for more appends before
// writing what is queued (0: write now).
func (l *Log) lingerFor(closing bool) time.Duration {
	if closing || l.opts.Sync == SyncAlways || l.opts.WriteDelay <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.commit == nil || l.queued >= writeBatchBytes || l.writeErr != nil {
		return 0
	}
	return l.opts.WriteDelay - time.Since(l.queuedAt)
}

// cursorStateLocked is the cursor to write now. The watermark may only
// cover records that are durable: otherwise a power loss could leave a
// cursor beyond the data. Closing, with everything written, the
// reservation shrinks to what was used, so a clean restart continues the
// numbering without a jump.
func (l *Log) cursorStateLocked(closing bool) cursorState {
	c := cursorState{acked: min(l.acked, l.durable), durable: l.highRec, reserved: max(l.reserved, l.next-1), id: l.id}
	if closing && l.writeErr == nil && len(l.chunks) == 0 && l.durable == l.next-1 {
		c.reserved = l.next - 1
	}
	return c
}

// flush writes what is queued; with sync it fsyncs before completing the
// commits. Before records above the reservation become durable, a cursor
// with a new reservation is written.
func (l *Log) flush(sync bool) {
	l.mu.Lock()
	chunks, commit := l.chunks, l.commit
	l.chunks, l.commit, l.queued = nil, nil, 0
	last := l.next - 1
	failed := l.writeErr
	var cur cursorState
	reserve := len(chunks) > 0 && last > l.reserved && failed == nil
	if reserve {
		cur = l.cursorStateLocked(false)
		cur.reserved = last + reserveAhead
	}
	if len(chunks) == 0 && commit == nil {
		l.mu.Unlock()
		return
	}
	l.flushing = true
	l.mu.Unlock()
	err := failed
	if reserve {
		if werr := l.writeCursor(cur); werr != nil {
			err = fmt.Errorf("persisting the wal cursor: %w", werr)
		} else {
			l.mu.Lock()
			l.persisted, l.persistHigh, l.reserved = cur.acked, cur.durable, cur.reserved
			l.mu.Unlock()
			l.saveMarker(cur)
		}
	}
	newSeg := false
	var unsynced []File // written since their last fsync, oldest segment first
	var syncDur time.Duration
	syncAll := func() error {
		start := time.Now()
		defer func() { syncDur += time.Since(start) }()
		for _, f := range unsynced {
			if serr := f.Sync(); serr != nil {
				return fmt.Errorf("fsync: %w", serr)
			}
		}
		unsynced = unsynced[:0]
		return nil
	}
	if err == nil {
		for _, ch := range chunks {
			// Syncing, a segment's records are made durable before any of
			// a newer segment's are written (one more fsync per rotation):
			// a power loss must not keep the newer records and lose the
			// older, which recovery would count as lost though their
			// commits never completed.
			if k := len(unsynced); sync && k > 0 && unsynced[k-1] != ch.seg.f {
				if err = syncAll(); err != nil {
					break
				}
			}
			if _, werr := ch.seg.f.WriteAt(ch.data, ch.off); werr != nil {
				err = fmt.Errorf("writing %s: %w", ch.seg.name, werr)
				break
			}
			if k := len(unsynced); k == 0 || unsynced[k-1] != ch.seg.f {
				unsynced = append(unsynced, ch.seg.f)
			}
			newSeg = newSeg || ch.newSeg
		}
	}
	if err == nil && sync {
		err = syncAll()
		l.mu.Lock()
		l.st.Syncs++
		l.st.LastSyncDur = syncDur
		l.mu.Unlock()
	}
	if err == nil && newSeg {
		if derr := l.fs.SyncDir(l.dir); derr != nil {
			err = fmt.Errorf("fsync of the wal directory: %w", derr)
		}
	}
	l.mu.Lock()
	if len(chunks) > 0 {
		l.st.Writes++
	}
	l.flushing = false
	if err != nil {
		if l.writeErr == nil {
			l.writeErr = err
			l.log.Error("wal write failed; appends fail until a write succeeds again (the next append retries)", "err", err)
		}
	} else if last > l.durable {
		l.durable = last
		l.highRec = max(l.highRec, last)
		l.dropIndexesLocked()
	}
	l.recycleLocked(chunks)
	l.mu.Unlock()
	if commit != nil {
		commit.err = err
		close(commit.done)
	}
}

// maxKeptChunk bounds the chunk buffers kept for reuse (a flush of a huge
// backlog does not pin its memory), maxFreeBufs how many are kept.
const (
	maxKeptChunk = 4 << 20
	maxFreeBufs  = 4
)

// recycleLocked keeps the buffers of written chunks (and the list) for the
// next appends, so that chunks are not regrown from empty every flush.
func (l *Log) recycleLocked(chunks []chunk) {
	for i := range chunks {
		if b := chunks[i].data; cap(b) <= maxKeptChunk && len(l.freeBufs) < maxFreeBufs {
			l.freeBufs = append(l.freeBufs, b[:0])
		}
		chunks[i] = chunk{}
	}
	if chunks != nil && l.freeChunks == nil {
		l.freeChunks = chunks[:0]
	}
}

// dropIndexesLocked forgets the per-record offsets of sealed, durable
// segments other than the head (where acks land), those Read handed
// records out of that are not acked yet, and the tail (where appends go),
// so memory does not grow with the backlog; a segment is re-indexed by
// scanning when it is read again.
func (l *Log) dropIndexesLocked() {
	n := len(l.segs)
	for i, s := range l.segs {
		if i == n-1 || !s.known {
			continue
		}
		last := s.lastSlot()
		if last > l.durable || (s.first <= max(l.readPos, l.acked+1) && last > l.acked) {
			continue // not durable yet, the head, or in flight
		}
		s.offs = nil
		s.known = false
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

// persistCursor writes the cursor atomically (tmp, fsync, rename, dir
// fsync) when the watermark or the durable mark moved, then removes
// segments wholly below the watermark.
func (l *Log) persistCursor(closing bool) {
	l.mu.Lock()
	c := l.cursorStateLocked(closing)
	if c.acked == l.persisted && c.durable == l.persistHigh && c.reserved == l.reserved && !closing {
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	if err := l.writeCursor(c); err != nil {
		l.log.Error("persisting the wal cursor failed; acked records may be re-delivered", "err", err)
		return
	}
	l.mu.Lock()
	l.persisted, l.persistHigh, l.reserved = c.acked, c.durable, c.reserved
	var gone []*segment
	for len(l.segs) > 1 && l.segs[1].first-1 <= c.acked {
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

func (l *Log) writeCursor(c cursorState) error {
	return writeFileAtomic(l.fs, l.dir, join(l.dir, "cursor"), encodeCursor(c))
}

// saveMarker rewrites the marker when it says less than c (or never
// existed). Failures are logged: the marker only helps to report.
func (l *Log) saveMarker(c cursorState) {
	if l.markerPath == "" {
		return
	}
	l.mu.Lock()
	same := l.markerState == c
	l.mu.Unlock()
	if same {
		return
	}
	err := writeMarker(l.fs, l.opts.MarkerDir, l.markerPath, marker{Dir: markerKey(l.opts.MarkerDir, l.dir), ID: formatID(c.id),
		Acked: c.acked, Durable: c.durable, Reserved: c.reserved})
	if err != nil {
		l.log.Warn("writing the wal marker failed", "marker", l.markerPath, "err", err)
		return
	}
	l.mu.Lock()
	l.markerState = c
	l.mu.Unlock()
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
	return l.AckRange(1, seq)
}

// AckRange acks every seq in first..last: a batch's range in one call.
// When the range starts at the watermark (acks in order, the usual case)
// the watermark moves over it in one step, with no per-record
// bookkeeping; otherwise each seq is acked as by Ack. Seqs never
// appended, lost or already acked are ignored.
func (l *Log) AckRange(first, last uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	last = min(last, l.next-1)
	first = max(first, l.acked+1)
	if first > last {
		return nil
	}
	if first != l.acked+1 {
		for q := first; q <= last; q++ {
			l.ackLocked(q)
		}
		return nil
	}
	// Segments whose index was dropped are indexed first: that may find
	// damage and move the watermark (reindexLocked).
	l.indexRangeLocked(first, last)
	first = max(first, l.acked+1)
	if first > last {
		return nil
	}
	l.bytes -= l.rangeBytesLocked(first, last)
	if n := uint64(len(l.ackedSet)); n > 0 {
		if n < last-first+1 {
			for q := range l.ackedSet {
				if q <= last {
					delete(l.ackedSet, q)
				}
			}
		} else {
			for q := first; q <= last; q++ {
				delete(l.ackedSet, q)
			}
		}
	}
	for len(l.lost) > 0 && l.lost[0].from <= last {
		r := &l.lost[0]
		if r.to <= last {
			l.lostN -= r.to - r.from + 1
			l.lost = l.lost[1:]
			continue
		}
		l.lostN -= last - r.from + 1
		r.from = last + 1
		break
	}
	l.acked = last
	l.advanceLocked()
	return nil
}

// indexRangeLocked loads the index of every segment holding seqs of
// first..last.
func (l *Log) indexRangeLocked(first, last uint64) {
	for _, s := range l.segs {
		if s.first > last {
			break
		}
		if s.nseq > 0 && s.lastSlot() >= first && !s.known {
			_ = l.reindexLocked(s) // on an error its records count 0 bytes, as in Ack
		}
	}
}

// rangeBytesLocked is the framed size of the records of first..last not
// acked yet (those in ackedSet were counted off when acked).
func (l *Log) rangeBytesLocked(first, last uint64) int64 {
	var b int64
	for _, s := range l.segs {
		if s.first > last {
			break
		}
		if s.nseq == 0 || s.lastSlot() < first || !s.known {
			continue
		}
		from, to := max(first, s.first)-s.first, min(last, s.lastSlot())-s.first
		for i := from; i <= to; i++ {
			if s.offs[i] == holeOff {
				continue
			}
			if len(l.ackedSet) > 0 {
				if _, done := l.ackedSet[s.first+i]; done {
					continue
				}
			}
			b += s.recEnd(i) - int64(s.offs[i])
		}
	}
	return b
}

func (l *Log) ackLocked(seq uint64) {
	if seq <= l.acked || seq >= l.next {
		return
	}
	if _, dup := l.ackedSet[seq]; dup || l.isLostLocked(seq) {
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
		if len(l.lost) > 0 && l.lost[0].from <= n {
			r := l.lost[0]
			l.lost = l.lost[1:]
			if r.to >= n {
				l.lostN -= r.to - max(r.from, n) + 1
				l.acked = r.to
			}
			continue
		}
		return
	}
}

// recSizeLocked is the framed size of seq (0 if unknown).
func (l *Log) recSizeLocked(seq uint64) int64 {
	s := l.segFor(seq)
	if s == nil {
		return 0
	}
	if !s.known {
		if err := l.reindexLocked(s); err != nil {
			return 0
		}
	}
	i := seq - s.first
	if i >= s.nseq || s.offs[i] == holeOff {
		return 0
	}
	return s.recEnd(i) - int64(s.offs[i])
}

func (l *Log) segFor(seq uint64) *segment {
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].first > seq }) - 1
	if i < 0 {
		return nil
	}
	return l.segs[i]
}

func (l *Log) segAfter(s *segment) *segment {
	for i, x := range l.segs {
		if x == s && i+1 < len(l.segs) {
			return l.segs[i+1]
		}
	}
	return nil
}

// Read returns up to max durable, unacked records with seq >= from. Lost
// records are skipped; records that stopped verifying since they were
// indexed are reported and skipped too: damage never makes Read fail.
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
	rescanned := map[*segment]bool{}
	for len(out) < max && from <= l.durable {
		if _, ok := l.ackedSet[from]; ok {
			from++
			continue
		}
		s := l.segFor(from)
		if s == nil {
			if len(l.segs) == 0 || from >= l.segs[0].first {
				break
			}
			from = l.segs[0].first
			continue
		}
		idx := from - s.first
		if idx >= s.nseq {
			// Past the segment's records: a lost or skipped region.
			nx := l.segAfter(s)
			if nx == nil {
				break
			}
			from = nx.first
			continue
		}
		if !s.known {
			if err := l.reindexLocked(s); err != nil {
				return out, err
			}
			rescanned[s] = true
			if from <= l.acked {
				from = l.acked + 1
			}
			continue
		}
		if s.offs[idx] == holeOff {
			from++
			continue
		}
		// A run of present records of this segment, read in one go.
		j := idx
		lastIdx := min(s.nseq-1, l.durable-s.first, idx+uint64(max-len(out))-1)
		for j < lastIdx && s.offs[j+1] != holeOff {
			j++
		}
		startOff := int64(s.offs[idx])
		endOff := s.recEnd(j)
		buf := make([]byte, endOff-startOff)
		if err := l.openSeg(s); err != nil {
			return out, err
		}
		k, rerr := s.f.ReadAt(buf, startOff)
		bad := false
		p := 0
		for seq := from; seq <= s.first+j; seq++ {
			if k < len(buf) && p >= k {
				bad = true
				break
			}
			rs, payload, n, err := DecodeRecord(buf[p:k])
			if err != nil || rs != seq {
				bad = true
				break
			}
			if _, acked := l.ackedSet[seq]; !acked && seq > l.acked {
				// The records of one Read share one buffer, never reused.
				out = append(out, Record{Seq: seq, Data: payload[:len(payload):len(payload)]})
			}
			p += n
			from = seq + 1
		}
		if bad {
			if rerr != nil && !errors.Is(rerr, io.EOF) && k == 0 {
				return out, fmt.Errorf("reading %s: %w", s.name, rerr)
			}
			// It verified when it was indexed: the file changed since.
			if rescanned[s] {
				l.addLostLocked(from, from)
				l.st.LostRecords++
				l.log.Error("wal: record lost to damage", "segment", s.name, "seq", from, "reason", "it keeps failing verification")
				from++
				continue
			}
			if err := l.reindexLocked(s); err != nil {
				return out, err
			}
			rescanned[s] = true
		}
	}
	if n := len(out); n > 0 && out[n-1].Seq > l.readPos {
		l.readPos = out[n-1].Seq
	}
	return out, nil
}

// Stats returns the current figures.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.st
	st.Last = l.last
	st.Acked = l.acked
	st.Records = l.unackedLocked()
	if st.Records > 0 {
		st.First = l.acked + 1
	}
	st.Bytes = uint64(max(l.bytes, 0))
	st.Segments = len(l.segs)
	for _, s := range l.segs {
		st.DiskBytes += s.size
	}
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
