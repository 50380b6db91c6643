package wal

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
)

// Loss is one finding of recovery: a region of a segment that does not
// verify, records that are missing, a damaged header or cursor. Records is
// how many undelivered records (sequence numbers above the acked
// watermark) it cost; damage among records already delivered, or in a
// header, costs none.
type Loss struct {
	Kind     string `json:"kind"`
	Segment  string `json:"segment,omitempty"`
	Offset   int64  `json:"offset"`
	Bytes    int64  `json:"bytes"`
	FirstSeq uint64 `json:"first_seq,omitempty"`
	LastSeq  uint64 `json:"last_seq,omitempty"`
	Records  uint64 `json:"records"`
	// MaybeMore: after an unclean stop the cursor's record of what was
	// durable may lag by a moment, so records past LastSeq in a torn tail
	// may have been lost too and cannot be counted.
	MaybeMore bool   `json:"maybe_more,omitempty"`
	Reason    string `json:"reason"`
}

// Kinds of Loss.
const (
	LossDamaged  = "damaged"  // bytes that hold no verifiable record, between or after records
	LossTornTail = "torn"     // the newest segment ends in an incomplete write
	LossMissing  = "missing"  // records absent with no damaged bytes: a file deleted or truncated
	LossEmptied  = "emptied"  // the WAL directory was emptied or deleted
	LossHeader   = "header"   // a segment header that does not verify (its records are kept)
	LossCursor   = "cursor"   // a cursor that does not verify (duplicates, no loss)
	LossReplaced = "replaced" // the directory holds another WAL than its marker names
)

func (x Loss) String() string {
	var b strings.Builder
	if x.Segment != "" {
		fmt.Fprintf(&b, "%s", x.Segment)
		if x.Bytes > 0 {
			fmt.Fprintf(&b, " bytes %d..%d", x.Offset, x.Offset+x.Bytes-1)
		}
		b.WriteString(": ")
	}
	b.WriteString(x.Reason)
	if x.LastSeq >= x.FirstSeq && x.FirstSeq > 0 {
		fmt.Fprintf(&b, "; seq %d..%d", x.FirstSeq, x.LastSeq)
		if x.Records == 0 {
			b.WriteString(" (already delivered: nothing lost)")
		} else {
			fmt.Fprintf(&b, ": %d undelivered records lost", x.Records)
		}
	} else if x.Kind != LossHeader && x.Kind != LossCursor && x.Kind != LossReplaced {
		b.WriteString("; no record lost")
	}
	if x.MaybeMore {
		b.WriteString(" (more records written just before an unclean stop may have been lost with it)")
	}
	return b.String()
}

// RecoveryReport is what Open found.
type RecoveryReport struct {
	Losses         []Loss
	LostRecords    uint64 // undelivered records lost, summed over Losses
	CursorFallback bool
	CursorReason   string
	Truncated      int64 // bytes of torn tail zeroed in the newest segment
}

type seqRange struct{ from, to uint64 }

// dirScan is what recovery learns from a WAL directory's files; Open and
// the offline tools share it.
type dirScan struct {
	dir      string
	fs       FS
	names    []string
	segs     []*segment
	scans    []*scanResult
	cur      cursorState
	curOK    bool
	curFound bool
	curErr   string
	mk       *marker
	mkPath   string
	acked    uint64
	durable  uint64 // highest seq recorded durable (cursor or marker)
	reserved uint64
	id       uint64

	findings []Loss
	lost     uint64
	absent   []seqRange // seqs above acked without a record: lost or skipped
	skipped  []Loss     // gaps a segment header declares (notes, not findings)
	tailEnd  uint64     // highest seq covered by a segment
	next     uint64
	trail    *trailing // the newest segment's trailing span, if any
}

type trailing struct {
	seg *segment
	badSpan
}

// scanDir reads the cursor and marker and verifies every segment. With
// drop, segments wholly below the acked cursor are removed first (Open);
// without, nothing is changed. open opens a segment file.
func scanDir(fs FS, dir, markerPath string, drop bool, open func(name string) (File, error)) (*dirScan, error) {
	d := &dirScan{dir: dir, fs: fs}
	names, err := fs.List(dir)
	if err != nil {
		return nil, err
	}
	d.names = names
	for _, n := range names {
		if first, ok := parseSegName(n); ok && first > 0 {
			d.segs = append(d.segs, &segment{first: first, name: n})
		}
	}
	sort.Slice(d.segs, func(i, j int) bool { return d.segs[i].first < d.segs[j].first })

	raw, err := fs.ReadFile(join(dir, "cursor"))
	switch {
	case err == nil:
		d.curFound = true
		if d.cur, err = decodeCursor(raw); err != nil {
			d.curErr = err.Error()
		} else {
			d.curOK = true
		}
	case errors.Is(err, os.ErrNotExist):
		if len(d.segs) > 0 {
			d.curErr = "cursor file missing"
		}
	default:
		return nil, fmt.Errorf("reading cursor: %w", err)
	}
	if markerPath != "" {
		d.mkPath = markerPath
		m, err := readMarker(fs, markerPath)
		switch {
		case err == nil:
			d.mk = m
		case !errors.Is(err, os.ErrNotExist):
			d.findings = append(d.findings, Loss{Kind: LossCursor, Segment: markerPath, Reason: err.Error() + " (ignored)"})
		}
	}

	// Acked, durable and reserved: the cursor's; a marker's where the
	// cursor is gone (its acked may lag: duplicates, never loss).
	if d.curOK {
		d.acked, d.durable, d.reserved, d.id = d.cur.acked, d.cur.durable, d.cur.reserved, d.cur.id
	}
	if d.mk != nil {
		mid := parseID(d.mk.ID)
		switch {
		case d.curOK && d.cur.id != 0 && d.cur.id != mid:
			d.findings = append(d.findings, Loss{Kind: LossReplaced, Segment: "cursor",
				Reason: fmt.Sprintf("the directory holds WAL %s but marker %s names WAL %s, which held records up to seq %d (acked up to %d): it was replaced; the marker's records are not here",
					formatID(d.cur.id), d.mkPath, d.mk.ID, d.mk.Durable, d.mk.Acked)})
		default:
			if !d.curOK {
				d.acked = d.mk.Acked
			}
			d.durable = max(d.durable, d.mk.Durable)
			d.reserved = max(d.reserved, d.mk.Reserved)
			if d.id == 0 {
				d.id = mid
			}
		}
	}
	if !d.curOK && len(d.segs) > 0 {
		d.acked = max(d.acked, d.segs[0].first-1)
	}
	if d.curErr != "" {
		d.findings = append(d.findings, Loss{Kind: LossCursor, Segment: "cursor",
			Reason: d.curErr + fmt.Sprintf(": delivery restarts after seq %d (events delivered since are sent again: duplicates, no loss)", d.acked)})
	}

	// Segments wholly acked (a crash after persisting the cursor, before
	// removing them) are not needed.
	if drop {
		for len(d.segs) > 1 && d.segs[1].first-1 <= d.acked {
			if err := fs.Remove(join(dir, d.segs[0].name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
			d.segs = d.segs[1:]
		}
	}
	for i, s := range d.segs {
		f, err := open(s.name)
		if err != nil {
			return nil, fmt.Errorf("opening segment %s: %w", s.name, err)
		}
		s.f = f
		var limit uint64
		if i+1 < len(d.segs) {
			limit = d.segs[i+1].first
		}
		sr, err := scanSegment(f, s.first, limit)
		if err != nil {
			return nil, fmt.Errorf("reading segment %s: %w", s.name, err)
		}
		s.apply(sr)
		d.scans = append(d.scans, sr)
	}
	d.walk()
	return d, nil
}

// apply installs a scan's index in s.
func (s *segment) apply(sr *scanResult) {
	s.offs, s.nseq, s.end, s.known = sr.offs, uint64(len(sr.offs)), sr.end, true
	s.bad = s.bad[:0]
	for _, b := range sr.bad {
		s.bad = append(s.bad, b.off)
	}
	if sr.hdrErr == nil {
		s.skip = sr.hdr.skip
	}
	s.size = sr.size
}

// lose records the loss of seqs from..to (those above acked count).
func (d *dirScan) lose(from, to uint64, x Loss) {
	x.FirstSeq, x.LastSeq = from, to
	if to >= from {
		lo := max(from, d.acked+1)
		if to >= lo {
			x.Records = to - lo + 1
			d.lost += x.Records
			d.absent = append(d.absent, seqRange{lo, to})
		}
	} else {
		x.FirstSeq, x.LastSeq = 0, 0
	}
	d.findings = append(d.findings, x)
}

func (d *dirScan) skip(from, to uint64, x Loss) {
	lo := max(from, d.acked+1)
	if to >= lo {
		d.absent = append(d.absent, seqRange{lo, to})
	}
	x.FirstSeq, x.LastSeq = from, to
	d.skipped = append(d.skipped, x)
}

func describeEnd(s *segment, sr *scanResult) string {
	switch {
	case sr.size == 0:
		return fmt.Sprintf("%s is empty (0 bytes)", s.name)
	case len(sr.offs) == 0:
		return fmt.Sprintf("%s holds no verifiable record", s.name)
	default:
		return fmt.Sprintf("%s ends cleanly after seq %d at byte %d of %d", s.name, sr.lastSeq(s.first), sr.end, sr.size)
	}
}

// walk attributes every sequence number above the watermark: present,
// lost (a finding, counted) or skipped (declared by a segment header).
func (d *dirScan) walk() {
	expect := d.acked + 1
	var trail *trailing
	// The newest segments with no record (one, or two when a write that
	// spans a rotation was cut short) are what a crash leaves between
	// creating a segment and writing its first records; Open removes
	// them. They are no evidence of records below them: a header, if
	// written at all, may declare a numbering jump, and once the file is
	// gone nothing would. So they are passed over: what is missing at the
	// end is counted from the durable mark, as for a deleted newest
	// segment, and their first seqs do not raise that mark.
	blanks := len(d.segs)
	for blanks > 0 && len(d.scans[blanks-1].offs) == 0 {
		blanks--
	}
	var blankFirst uint64
	last := -1 // the newest segment that counts
	for i, s := range d.segs {
		sr := d.scans[i]
		blank := i >= blanks
		// Never written at all (empty, or zeros as preallocated): nothing
		// to report.
		fresh := blank && len(sr.bad) == 0 && (sr.size < segHeaderSize || sr.hdrZero)
		if sr.hdrErr != nil && !fresh {
			d.findings = append(d.findings, Loss{Kind: LossHeader, Segment: s.name, Offset: 0, Bytes: min(segHeaderSize, sr.size),
				Reason: "segment header: " + strings.TrimPrefix(sr.hdrErr.Error(), ErrCorrupt.Error()+": ") +
					fmt.Sprintf("; its records are recovered with seq %d from the file name", s.first)})
		}
		if blank {
			blankFirst = s.first
			if len(sr.bad) == 0 {
				continue // a torn tail before it stays the torn tail of the log
			}
		}
		if s.first > expect && !blank {
			from, to := expect, s.first-1
			skipFrom := s.first
			if sr.hdrErr == nil && s.skip > 0 {
				skipFrom = s.first - min(s.skip, s.first-1)
			}
			if lostTo := min(to, skipFrom-1); from <= lostTo {
				switch {
				case trail != nil:
					d.lose(from, lostTo, Loss{Kind: LossDamaged, Segment: trail.seg.name, Offset: trail.off, Bytes: trail.n,
						Reason: trail.reason + "; no record verifies after it in the segment"})
					trail = nil
				case i > 0:
					prev := d.segs[i-1]
					d.lose(from, lostTo, Loss{Kind: LossMissing, Segment: prev.name, Offset: prev.end,
						Reason: fmt.Sprintf("records are missing: %s, and %s starts at seq %d (a segment file was deleted or emptied, or %s was truncated)",
							describeEnd(prev, d.scans[i-1]), s.name, s.first, prev.name)})
				default:
					d.lose(from, lostTo, Loss{Kind: LossMissing, Segment: s.name,
						Reason: fmt.Sprintf("records are missing before the oldest segment %s although the cursor says only seqs up to %d were acknowledged (an older segment file was deleted)", s.name, d.acked)})
				}
			}
			if sf := max(from, skipFrom); sf <= to {
				what := "never assigned (numbering continued above the reservation after an unclean stop)"
				if sr.hdr.flags&flagSkipLost != 0 {
					what = "lost to damage earlier; a repair acknowledged the loss"
				}
				d.skip(sf, to, Loss{Segment: s.name, Reason: "sequence numbers " + what})
			}
		}
		if trail != nil {
			d.findings = append(d.findings, Loss{Kind: LossDamaged, Segment: trail.seg.name, Offset: trail.off, Bytes: trail.n,
				Reason: trail.reason + " after the last record (garbage)"})
			trail = nil
		}
		for _, b := range sr.bad {
			if b.trailing {
				trail = &trailing{seg: s, badSpan: b}
				continue
			}
			d.lose(b.first, b.last, Loss{Kind: LossDamaged, Segment: s.name, Offset: b.off, Bytes: b.n, Reason: b.reason})
		}
		if !blank {
			expect = max(expect, s.first+uint64(len(sr.offs)))
			last = i
		}
	}
	if last < 0 {
		last = len(d.segs) - 1
	}
	d.tailEnd = expect - 1
	switch {
	case d.durable > d.tailEnd && trail != nil:
		d.lose(expect, d.durable, Loss{Kind: LossTornTail, Segment: trail.seg.name, Offset: trail.off, Bytes: trail.n,
			MaybeMore: d.reserved > d.durable,
			Reason:    trail.reason + ": the newest segment ends in bytes that hold no verifiable record"})
	case d.durable > d.tailEnd && len(d.segs) > 0:
		ls := d.segs[last]
		d.lose(expect, d.durable, Loss{Kind: LossMissing, Segment: ls.name, Offset: ls.end,
			Reason: fmt.Sprintf("records are missing after the newest segment: %s, but seqs up to %d were durable (a newer segment file was deleted, or it was truncated)",
				describeEnd(ls, d.scans[last]), d.durable)})
	case d.durable > d.tailEnd && !d.curFound && d.mk != nil:
		d.lose(expect, d.durable, Loss{Kind: LossEmptied,
			Reason: fmt.Sprintf("the WAL directory is empty, but marker %s says it held records up to seq %d, acknowledged up to %d: the directory was emptied or deleted",
				d.mkPath, d.mk.Durable, d.mk.Acked)})
	case d.durable > d.tailEnd:
		d.lose(expect, d.durable, Loss{Kind: LossMissing,
			Reason: fmt.Sprintf("every segment file is missing, but the cursor says seqs up to %d were durable", d.durable)})
	case trail != nil:
		d.findings = append(d.findings, Loss{Kind: LossTornTail, Segment: trail.seg.name, Offset: trail.off, Bytes: trail.n,
			MaybeMore: d.reserved > d.durable,
			Reason:    trail.reason + ": an incomplete final write at the end of the newest segment"})
	}
	if trail != nil {
		d.trail = trail
	}
	d.next = max(expect, d.durable+1, d.reserved+1, d.acked+1, blankFirst)
	if lo := max(expect, d.durable+1); lo <= d.next-1 {
		lo = max(lo, d.acked+1)
		if lo <= d.next-1 {
			d.absent = append(d.absent, seqRange{lo, d.next - 1})
		}
	}
	d.absent = mergeRanges(d.absent)
}

func mergeRanges(rs []seqRange) []seqRange {
	sort.Slice(rs, func(i, j int) bool { return rs[i].from < rs[j].from })
	var out []seqRange
	for _, r := range rs {
		if n := len(out); n > 0 && r.from <= out[n-1].to+1 {
			out[n-1].to = max(out[n-1].to, r.to)
			continue
		}
		out = append(out, r)
	}
	return out
}

// logFindings reports what recovery found, once: one line per finding (at
// most maxLoggedFindings) and a summary.
func logFindings(log *slog.Logger, rep RecoveryReport) {
	const maxLoggedFindings = 20
	for i, x := range rep.Losses {
		if i == maxLoggedFindings {
			log.Warn("wal: more recovery findings not logged; `temblor wal inspect` lists them all", "more", len(rep.Losses)-i)
			break
		}
		args := []any{"kind", x.Kind}
		if x.Segment != "" {
			args = append(args, "segment", x.Segment)
		}
		if x.Bytes > 0 {
			args = append(args, "bytes", fmt.Sprintf("%d..%d", x.Offset, x.Offset+x.Bytes-1))
		} else if x.Segment != "" && x.Kind != LossCursor && x.Kind != LossReplaced {
			args = append(args, "offset", x.Offset)
		}
		if x.FirstSeq > 0 {
			args = append(args, "seqs", fmt.Sprintf("%d..%d", x.FirstSeq, x.LastSeq))
		}
		args = append(args, "lost_records", x.Records)
		if x.MaybeMore {
			args = append(args, "maybe_more", true)
		}
		args = append(args, "reason", x.Reason)
		switch {
		case x.Kind == LossEmptied:
			log.Error("WAL DIRECTORY WAS EMPTIED OR DELETED: its undelivered records are lost", args...)
		case x.Records > 0:
			log.Error("wal: records lost to damage", args...)
		default:
			log.Warn("wal: damage found, no undelivered record lost", args...)
		}
	}
	log.Warn("wal recovered with findings", "findings", len(rep.Losses), "lost_records", rep.LostRecords,
		"cursor_fallback", rep.CursorFallback, "truncated_bytes", rep.Truncated,
		"hint", "`temblor wal inspect` shows them; `temblor wal repair` clears them once the engine is stopped")
}
