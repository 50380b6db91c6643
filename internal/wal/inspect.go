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
	Last      uint64 `json:"last_seq"` // 0 when empty
	Records   uint64 `json:"records"`
	DataBytes int64  `json:"data_bytes"`
	FileBytes int64  `json:"file_bytes"`
	// Damage is where verification stopped early, if it did.
	Damage *Loss `json:"damage,omitempty"`
}

// Report is an offline view of a WAL directory.
type Report struct {
	Dir         string          `json:"dir"`
	Acked       uint64          `json:"acked_seq"`
	CursorError string          `json:"cursor_error,omitempty"`
	Segments    []SegmentReport `json:"segments"`
	First       uint64          `json:"first_unacked_seq"`
	Last        uint64          `json:"last_seq"`
	Unacked     uint64          `json:"unacked_records"`
	Problems    []string        `json:"problems,omitempty"`
	// Notes are findings that need no repair: a gap of records lost earlier
	// (e.g. zeroed by a repair), which the engine skips.
	Notes []string `json:"notes,omitempty"`
}

// Healthy reports whether nothing was found wrong.
func (r *Report) Healthy() bool { return len(r.Problems) == 0 }

// InspectDir examines a WAL directory without changing it: it takes the
// lock (so it refuses while an engine runs), verifies every record, and
// calls fn (if not nil) for each verified record in order.
func InspectDir(dir string, fn func(rep *Report, seg string, rec Record) error) (*Report, error) {
	fs := osFS{}
	if err := checkWALDir(dir); err != nil {
		return nil, err
	}
	unlock, pid, err := fs.Lock(join(dir, "LOCK"))
	if err != nil {
		if pid > 0 || errors.Is(err, errWouldBlock) {
			return nil, &LockedError{Dir: dir, Pid: pid}
		}
		return nil, err
	}
	defer unlock()
	rep := &Report{Dir: dir}
	names, err := fs.List(dir)
	if err != nil {
		return nil, err
	}
	if raw, err := fs.ReadFile(join(dir, "cursor")); err == nil {
		if rep.Acked, err = decodeCursor(raw); err != nil {
			rep.CursorError = err.Error()
			rep.Problems = append(rep.Problems, "cursor: "+err.Error()+" (the engine falls back to the oldest record: duplicates, no loss)")
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var segs []*segment
	for _, n := range names {
		if first, ok := parseSegName(n); ok {
			segs = append(segs, &segment{first: first, name: n})
		}
	}
	l := &Log{dir: dir, fs: fs, log: discardLogger(), opts: Options{SegmentSize: DefaultSegmentSize}, segs: segs, ackedSet: map[uint64]struct{}{}}
	defer l.closeFiles()
	for i, s := range segs {
		sr := SegmentReport{Name: s.name, First: s.first}
		f, err := os.Open(join(dir, s.name))
		if err != nil {
			return nil, err
		}
		fi, _ := f.Stat()
		f.Close()
		sr.FileBytes = fi.Size()
		isTail := i == len(segs)-1
		lossesBefore := len(l.recovery.Losses)
		// Scan without repairing: pretend every segment is a middle one so
		// the tail is not zeroed, and collect what it reports.
		l.lost = nil
		if _, err := l.scanReadOnly(s); err != nil {
			sr.Damage = &Loss{Segment: s.name, Reason: err.Error()}
		}
		for _, d := range l.recovery.Losses[lossesBefore:] {
			if !strings.HasPrefix(d.Reason, "records ") { // a clean gap is a note, not damage
				d := d
				sr.Damage = &d
			}
		}
		sr.Records = s.count()
		if sr.Records > 0 {
			sr.Last = s.first + sr.Records - 1
		}
		sr.DataBytes = s.end
		if sr.Damage != nil {
			what := "corruption inside the segment: records after it are lost"
			if isTail {
				what = "torn or corrupt tail (a crash mid-write): the engine cuts it on open"
			}
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s at offset %d: %s (%s)", s.name, sr.Damage.Offset, what, sr.Damage.Reason))
		}
		if !isTail && sr.Damage == nil && s.first+s.count() < segs[i+1].first {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: records %d..%d are missing (lost earlier; the engine skips them)", s.name, s.first+s.count(), segs[i+1].first-1))
		}
		if fn != nil && s.f != nil {
			for k := range s.offs {
				seq := s.first + uint64(k)
				end := s.end
				if k+1 < len(s.offs) {
					end = int64(s.offs[k+1])
				}
				buf := make([]byte, end-int64(s.offs[k]))
				if _, err := s.f.ReadAt(buf, int64(s.offs[k])); err != nil {
					return nil, err
				}
				_, payload, _, err := DecodeRecord(buf)
				if err != nil {
					return nil, err
				}
				if err := fn(rep, s.name, Record{Seq: seq, Data: payload}); err != nil {
					return nil, err
				}
			}
		}
		rep.Segments = append(rep.Segments, sr)
		if sr.Last > rep.Last {
			rep.Last = sr.Last
		}
	}
	if len(segs) > 0 && rep.Acked < segs[0].first-1 {
		rep.Acked = segs[0].first - 1
	}
	if rep.Last > rep.Acked {
		rep.First = rep.Acked + 1
		rep.Unacked = rep.Last - rep.Acked
	}
	return rep, nil
}

// scanReadOnly indexes s like scanLocked but never writes.
func (l *Log) scanReadOnly(s *segment) (int, error) {
	f, err := os.Open(join(l.dir, s.name))
	if err != nil {
		return 0, err
	}
	s.f = roFile{f}
	return l.scanLocked(s, false)
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

// RepairDir prints (returns) the plan to repair a damaged WAL and, with
// apply, carries it out: torn tails and corrupt regions are zeroed (their
// records were unverifiable), and a missing or corrupt cursor is rewritten
// to just before the oldest retained record.
func RepairDir(dir string, apply bool) ([]string, error) {
	rep, err := InspectDir(dir, nil)
	if err != nil {
		return nil, err
	}
	var plan []string
	for _, s := range rep.Segments {
		if s.Damage != nil {
			plan = append(plan, fmt.Sprintf("zero %s from offset %d (%s)", s.Name, s.Damage.Offset, s.Damage.Reason))
		}
	}
	if rep.CursorError != "" {
		plan = append(plan, fmt.Sprintf("rewrite the cursor as %d (oldest retained record - 1)", rep.Acked))
	}
	if !apply || len(plan) == 0 {
		return plan, nil
	}
	fs := osFS{}
	unlock, pid, err := fs.Lock(join(dir, "LOCK"))
	if err != nil {
		return plan, &LockedError{Dir: dir, Pid: pid}
	}
	defer unlock()
	l := &Log{dir: dir, fs: fs, log: discardLogger()}
	for _, s := range rep.Segments {
		if s.Damage == nil {
			continue
		}
		f, err := fs.OpenFile(join(dir, s.Name), os.O_RDWR)
		if err != nil {
			return plan, err
		}
		size, _ := f.Size()
		seg := &segment{name: s.Name, f: f}
		l.zeroFrom(seg, s.Damage.Offset, size)
		// zeroFrom stops at the first zero block; a repair clears it all.
		zero := make([]byte, 64<<10)
		for p := s.Damage.Offset; p < size; p += int64(len(zero)) {
			n := min(int64(len(zero)), size-p)
			if _, err := f.WriteAt(zero[:n], p); err != nil {
				f.Close()
				return plan, err
			}
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return plan, err
		}
		f.Close()
	}
	if rep.CursorError != "" {
		if err := l.writeCursor(rep.Acked); err != nil {
			return plan, err
		}
	}
	return plan, nil
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
