package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SegmentReport describes one segment as found on disk.
type SegmentReport struct {
	Name      string `json:"name"`
	First     uint64 `json:"first_seq"`
	Last      uint64 `json:"last_seq"` // highest verified seq; 0 when none
	Records   uint64 `json:"records"`  // verified records
	DataBytes int64  `json:"data_bytes"`
	FileBytes int64  `json:"file_bytes"`
	// Skip is how many sequence numbers just below First the header
	// declares absent.
	Skip uint64 `json:"skip,omitempty"`
	// Damage is the first finding in this segment, if any (Report.Findings
	// has them all).
	Damage *Loss `json:"damage,omitempty"`
}

// Report is an offline view of a WAL directory.
type Report struct {
	Dir         string          `json:"dir"`
	Acked       uint64          `json:"acked_seq"`
	Durable     uint64          `json:"durable_seq,omitempty"`
	Reserved    uint64          `json:"reserved_seq,omitempty"`
	Marker      string          `json:"marker,omitempty"`
	CursorError string          `json:"cursor_error,omitempty"`
	Segments    []SegmentReport `json:"segments"`
	First       uint64          `json:"first_unacked_seq"`
	Last        uint64          `json:"last_seq"`
	Unacked     uint64          `json:"unacked_records"`
	// Findings are what recovery would report: damage, missing records,
	// each with its segment, byte range and sequence range; LostRecords
	// sums the undelivered records they cost.
	Findings    []Loss `json:"findings,omitempty"`
	LostRecords uint64 `json:"lost_records"`
	// Problems are the findings in words.
	Problems []string `json:"problems,omitempty"`
	// Notes need no repair: sequence numbers a segment header declares
	// absent (numbering that jumped after an unclean stop, or a loss a
	// repair acknowledged).
	Notes []string `json:"notes,omitempty"`
}

// Healthy reports whether nothing was found wrong.
func (r *Report) Healthy() bool { return len(r.Findings) == 0 }

// InspectDir examines a WAL directory without changing it: it takes the
// lock (so it refuses while an engine runs), verifies every record, and
// calls fn (if not nil) for each verified record in order.
func InspectDir(dir string, fn func(rep *Report, seg string, rec Record) error) (*Report, error) {
	rep, d, unlock, err := inspect(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	defer d.closeFiles()
	if fn == nil {
		return rep, nil
	}
	for _, s := range d.segs {
		if err := eachRecord(s, func(seq uint64, payload []byte) error {
			return fn(rep, s.name, Record{Seq: seq, Data: payload})
		}); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// eachRecord calls fn for each verified record of s, in order.
func eachRecord(s *segment, fn func(seq uint64, payload []byte) error) error {
	w := &window{f: s.f, size: s.size}
	for i, o := range s.offs {
		if o == holeOff {
			continue
		}
		end := s.recEnd(uint64(i))
		b := w.at(int64(o), end-int64(o))
		if b == nil {
			return fmt.Errorf("reading %s: %v", s.name, w.err)
		}
		seq, payload, _, err := DecodeRecord(b)
		if err != nil {
			return fmt.Errorf("%s at offset %d: %w", s.name, o, err)
		}
		if err := fn(seq, payload); err != nil {
			return err
		}
	}
	return nil
}

func (d *dirScan) closeFiles() {
	for _, s := range d.segs {
		if s.f != nil {
			_ = s.f.Close()
			s.f = nil
		}
	}
}

// inspect locks dir and scans it read-only. A directory that holds no WAL
// but whose marker says it held one was emptied: that is a finding too.
func inspect(dir string) (*Report, *dirScan, func() error, error) {
	fs := osFS{}
	mk, mkPath := findMarker(dir)
	if err := checkWALDir(dir); err != nil {
		var nw *NotWALDirError
		if !errors.As(err, &nw) || mk == nil || len(nw.Below) > 0 {
			return nil, nil, nil, err
		}
	}
	unlock, pid, err := fs.Lock(join(dir, "LOCK"))
	if err != nil {
		if pid > 0 || errors.Is(err, errWouldBlock) {
			return nil, nil, nil, &LockedError{Dir: dir, Pid: pid}
		}
		return nil, nil, nil, err
	}
	d, err := scanDir(fs, dir, mkPath, false, func(name string) (File, error) {
		f, err := os.Open(join(dir, name))
		if err != nil {
			return nil, err
		}
		return roFile{f}, nil
	})
	if err != nil {
		_ = unlock()
		return nil, nil, nil, err
	}
	rep := &Report{Dir: dir, Acked: d.acked, Durable: d.durable, Reserved: d.reserved, Marker: mkPath,
		CursorError: d.curErr, Findings: d.findings, LostRecords: d.lost}
	for i, s := range d.segs {
		sr := d.scans[i]
		r := SegmentReport{Name: s.name, First: s.first, Records: sr.records, DataBytes: sr.end, FileBytes: sr.size, Skip: s.skip}
		if len(sr.offs) > 0 {
			r.Last = sr.lastSeq(s.first)
			rep.Last = max(rep.Last, r.Last)
		}
		for _, x := range d.findings {
			if x.Segment == s.name {
				x := x
				r.Damage = &x
				break
			}
		}
		for k, o := range sr.offs {
			if seq := s.first + uint64(k); o != holeOff && seq > d.acked {
				if rep.Unacked == 0 {
					rep.First = seq
				}
				rep.Unacked++
			}
		}
		rep.Segments = append(rep.Segments, r)
	}
	for _, x := range d.findings {
		rep.Problems = append(rep.Problems, x.String())
	}
	for _, x := range d.skipped {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s: seq %d..%d: %s", x.Segment, x.FirstSeq, x.LastSeq, x.Reason))
	}
	return rep, d, unlock, nil
}

type roFile struct{ *os.File }

func (f roFile) Sync() error                        { return nil }
func (f roFile) Allocate(int64) error               { return errors.New("read-only") }
func (f roFile) Truncate(int64) error               { return errors.New("read-only") }
func (f roFile) WriteAt([]byte, int64) (int, error) { return 0, errors.New("read-only") }
func (f roFile) Size() (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// run is a stretch of consecutive verified records of one segment.
type run struct {
	from, to       uint64
	offFrom, offTo int64
}

// outSeg is a segment as a repair leaves it.
type outSeg struct {
	src     *segment
	name    string
	r       run
	rewrite bool // written anew from the source's run
	skip    uint64
	flags   uint32
}

// RepairDir returns the plan that makes a damaged WAL healthy and, with
// apply, carries it out. Every verified record is kept: a damaged segment
// is rewritten as one segment per run of verified records, a segment with
// none is removed, and each gap the damage left is declared in the header
// of the segment after it (so the WAL no longer reports it, and never
// reuses those sequence numbers). A bad cursor is rewritten (delivery
// restarts at the oldest retained record: duplicates, no loss).
func RepairDir(dir string, apply bool) ([]string, error) {
	rep, d, unlock, err := inspect(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	defer d.closeFiles()
	if rep.Healthy() {
		return nil, nil
	}
	var plan []string
	var outs []outSeg
	for i, s := range d.segs {
		sr := d.scans[i]
		damaged := sr.hdrErr != nil || len(sr.bad) > 0
		var runs []run
		for k := 0; k < len(s.offs); k++ {
			if s.offs[k] == holeOff {
				continue
			}
			j := k
			for j+1 < len(s.offs) && s.offs[j+1] != holeOff {
				j++
			}
			runs = append(runs, run{from: s.first + uint64(k), to: s.first + uint64(j), offFrom: int64(s.offs[k]), offTo: s.recEnd(uint64(j))})
			k = j
		}
		switch {
		case len(runs) == 0:
			plan = append(plan, fmt.Sprintf("remove %s: it holds no verifiable record", s.name))
		case !damaged:
			outs = append(outs, outSeg{src: s, name: s.name, r: runs[0], skip: s.skip})
		default:
			var parts []string
			for _, r := range runs {
				outs = append(outs, outSeg{src: s, name: segName(r.from), r: r, rewrite: true})
				parts = append(parts, fmt.Sprintf("%s (seq %d..%d)", segName(r.from), r.from, r.to))
			}
			plan = append(plan, fmt.Sprintf("rewrite %s as %s, keeping its %d verified records and dropping the bytes that hold none",
				s.name, strings.Join(parts, ", "), sr.records))
		}
	}
	// Declare every gap in the header of the segment after it.
	prev := d.acked
	for i := range outs {
		o := &outs[i]
		if o.r.from > prev+1 {
			gap := o.r.from - 1 - prev
			declared := uint64(0)
			if !o.rewrite {
				declared = o.skip
			}
			if gap > declared {
				if gap > maxSkip {
					plan = append(plan, fmt.Sprintf("cannot declare seq %d..%d absent in %s: the gap is too large; it stays reported", prev+1, o.r.from-1, o.name))
				} else {
					o.skip, o.flags = gap, flagSkipLost
					plan = append(plan, fmt.Sprintf("declare seq %d..%d lost in the header of %s", prev+1, o.r.from-1, o.name))
				}
			}
		} else if o.rewrite {
			o.skip = 0
		}
		prev = max(prev, o.r.to)
	}
	tailEnd := d.acked
	if len(outs) > 0 {
		tailEnd = max(tailEnd, outs[len(outs)-1].r.to)
	}
	cur := cursorState{acked: d.acked, durable: tailEnd, reserved: max(d.reserved, d.durable, d.next-1), id: d.id}
	if cur.id == 0 {
		cur.id = newWALID()
	}
	fixCursor := d.curErr != "" || (d.curOK && (d.cur.version == 1 || d.cur.durable > tailEnd))
	if fixCursor {
		plan = append(plan, fmt.Sprintf("rewrite the cursor: acked %d, durable %d (records above it are acknowledged lost), reserved %d", cur.acked, cur.durable, cur.reserved))
	}
	fixMarker := d.mk != nil && (d.mk.Durable > tailEnd || parseID(d.mk.ID) != cur.id)
	if fixMarker {
		plan = append(plan, fmt.Sprintf("rewrite the marker %s to match", d.mkPath))
	}
	if !apply {
		return plan, nil
	}
	fs := osFS{}
	// New files first (as *.repair), then renamed into place: a crash in
	// between leaves the old files, or old and new overlapping, which
	// recovery reads without loss; running the repair again finishes it.
	var written []outSeg
	for _, o := range outs {
		if o.rewrite {
			if err := writeRun(fs, dir, o); err != nil {
				return plan, err
			}
			written = append(written, o)
		}
	}
	keep := map[string]bool{}
	for _, o := range outs {
		keep[o.name] = true
	}
	for _, o := range written {
		if err := fs.Rename(join(dir, o.name+".repair"), join(dir, o.name)); err != nil {
			return plan, err
		}
	}
	for _, s := range d.segs {
		if !keep[s.name] {
			if err := fs.Remove(join(dir, s.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return plan, err
			}
		}
	}
	for _, o := range outs {
		if o.rewrite || o.skip == o.src.skip {
			continue
		}
		f, err := fs.OpenFile(join(dir, o.name), os.O_RDWR)
		if err != nil {
			return plan, err
		}
		_, err = f.WriteAt(encodeSegHeader(segHeader{first: o.r.from, skip: o.skip, flags: o.flags}), 0)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return plan, err
		}
	}
	if err := fs.SyncDir(dir); err != nil {
		return plan, err
	}
	if fixCursor {
		if err := writeFileAtomic(fs, dir, join(dir, "cursor"), encodeCursor(cur)); err != nil {
			return plan, err
		}
	}
	if fixMarker {
		md := filepath.Dir(d.mkPath)
		if err := writeMarker(fs, md, d.mkPath, marker{Dir: markerKey(md, dir), ID: formatID(cur.id), Acked: cur.acked, Durable: cur.durable, Reserved: cur.reserved}); err != nil {
			return plan, err
		}
	}
	return plan, nil
}

// writeRun writes one run of a damaged segment's verified records to
// <name>.repair, with a header declaring the gap before it.
func writeRun(fs FS, dir string, o outSeg) error {
	src := o.src
	w := &window{f: src.f, size: src.size}
	data := w.at(o.r.offFrom, o.r.offTo-o.r.offFrom)
	if data == nil {
		return fmt.Errorf("reading %s: %v", src.name, w.err)
	}
	buf := append(encodeSegHeader(segHeader{first: o.r.from, skip: o.skip, flags: o.flags}), data...)
	tmp := join(dir, o.name+".repair")
	f, err := fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	if _, err = f.WriteAt(buf, 0); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// isWALDir reports whether dir holds a WAL's files (its lock, cursor or a
// segment): every directory a Log was opened in has at least its lock.
func isWALDir(dir string) bool {
	names, err := osFS{}.List(dir)
	if err != nil {
		return false
	}
	for _, n := range names {
		if _, seg := parseSegName(n); seg || n == "LOCK" || n == "cursor" {
			return true
		}
	}
	return false
}

// FindDirs lists the WAL directories at or below root (at most 8 levels
// down, as <data-dir>/wal/<pipeline>/<instance>/<operator> is 4, and at
// most 10,000 directories looked at).
func FindDirs(root string) []string {
	var out []string
	visited := 0
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		if visited++; visited > 10000 {
			return // a whole file system was passed; enough looking
		}
		if isWALDir(dir) {
			out = append(out, dir)
			return
		}
		if depth == 8 {
			return
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range ents {
			if e.IsDir() {
				walk(filepath.Join(dir, e.Name()), depth+1)
			}
		}
	}
	walk(root, 0)
	return out
}

// NotWALDirError says a directory given to the tools holds no WAL, and
// which WAL directories lie below it (a --data-dir, say).
type NotWALDirError struct {
	Dir   string
	Below []string
}

func (e *NotWALDirError) Error() string {
	if len(e.Below) == 0 {
		return fmt.Sprintf("%s is not a WAL directory (it has no segments, cursor or lock file), and none lies below it", e.Dir)
	}
	return fmt.Sprintf("%s is not a WAL directory; the WAL directories below it are:\n  %s\npass one of them",
		e.Dir, strings.Join(e.Below, "\n  "))
}

// checkWALDir refuses a directory that holds no WAL before the tools touch
// it (taking the lock would create a LOCK file in it).
func checkWALDir(dir string) error {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s is not a WAL directory", dir)
	}
	if isWALDir(dir) {
		return nil
	}
	return &NotWALDirError{Dir: dir, Below: FindDirs(dir)}
}
