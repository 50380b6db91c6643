package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/wal"
)

// The corruption matrix end to end: the tutorial's engine fills a WAL with
// the listener down and stops; the WAL's files are damaged; `temblor wal
// check` must count the loss, `wal repair --apply` (on a copy) must leave a
// healthy WAL, and the engine, started again with the listener up, must
// deliver exactly the stored events the damage did not hit, report the
// loss once in its log and in temblor_wal_lost_records_total, and go on
// delivering new events.

const corruptSegSize = 16 << 10

// storedWAL is a filled, stopped deployment and where each stored event's
// record lies.
type storedWAL struct {
	d      *deployment
	walDir string
	segs   []string          // segment paths, oldest first
	keys   map[uint64]string // seq -> event key
	loc    map[uint64]recAt
}

type recAt struct {
	seg       int
	off, size int64
}

func (s *storedWAL) seqsIn(seg int) []uint64 {
	var out []uint64
	for q, r := range s.loc {
		if r.seg == seg {
			out = append(out, q)
		}
	}
	slices.Sort(out)
	return out
}

// fillWAL runs the tutorial (metronome every ms) with the listener down
// until the WAL holds at least n events in several segments, and stops it.
func fillWAL(t *testing.T, policy string, n int) *storedWAL {
	t.Helper()
	l := newListener(t)
	l.Kill()
	d := writeTutorial(t, l.URL(), 1, fmt.Sprintf("  read_count = 20,\n  max_elements = 100000,\n  segment_size = %d,\n  sync = %q", corruptSegSize, policy))
	e := startEngine(t, d, "--metrics-addr", "127.0.0.1:0", "--shutdown-timeout", "1s")
	url := metricsURL(t, e)
	waitFor(t, 30*time.Second, fmt.Sprintf("%d events stored", n), func() bool {
		return metric(scrape(t, url), "temblor_wal_stored_total") >= float64(n)
	})
	if err := e.Stop(20 * time.Second); err != nil {
		t.Fatalf("stopping the filling engine: %v", err)
	}
	s := &storedWAL{d: d, walDir: filepath.Join(d.dataDir, "wal", "main", "01", "on_disk_wal"), keys: map[uint64]string{}, loc: map[uint64]recAt{}}
	for k, v := range exportKeys(t, s.walDir) {
		s.keys[k] = v
	}
	s.mapRecords(t)
	if len(s.segs) < 5 || len(s.keys) < n {
		t.Fatalf("the WAL holds %d events in %d segments; want at least %d in 5", len(s.keys), len(s.segs), n)
	}
	return s
}

func (s *storedWAL) mapRecords(t *testing.T) {
	t.Helper()
	s.segs, s.loc = nil, map[uint64]recAt{}
	names, _ := filepath.Glob(filepath.Join(s.walDir, "seg-*.wal"))
	sort.Strings(names)
	s.segs = names
	for i, p := range names {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(32); off < int64(len(b)); {
			seq, _, n, err := wal.DecodeRecord(b[off:])
			if err != nil {
				break
			}
			s.loc[seq] = recAt{seg: i, off: off, size: int64(n)}
			off += int64(n)
		}
	}
	for seq := range s.keys {
		if _, ok := s.loc[seq]; !ok {
			t.Fatalf("stored event %d not found in the segment files", seq)
		}
	}
}

// exportKeys runs `temblor wal export --events` and maps seq -> event key.
func exportKeys(t *testing.T, walDir string) map[uint64]string {
	t.Helper()
	out, err := exec.Command(temblorBin, "wal", "export", "--events", walDir).Output()
	if err != nil {
		t.Fatalf("wal export: %v", err)
	}
	keys := map[uint64]string{}
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var rec struct {
			Seq  uint64   `json:"seq"`
			Data received `json:"data"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("wal export line %q: %v", line, err)
		}
		keys[rec.Seq] = rec.Data.key()
	}
	return keys
}

func metricsURL(t *testing.T, e *engine) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if recs := e.logRecords("serving metrics"); len(recs) > 0 {
			if url, _ := recs[0]["url"].(string); url != "" {
				return url
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no metrics address in the engine's log after 20 s:\n%s", e.Log())
	return ""
}

// metric sums the series of a metric family.
func metric(m map[string]float64, name string) float64 {
	var v float64
	for k, x := range m {
		if k == name || strings.HasPrefix(k, name+",") {
			v += x
		}
	}
	return v
}

func patch(t *testing.T, path string, fn func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, fn(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, path string, off int64, mask byte) {
	t.Helper()
	patch(t, path, func(b []byte) []byte { b[off] ^= mask; return b })
}

// e2eCorruption damages a stopped WAL and returns exactly the seqs that
// costs.
type e2eCorruption struct {
	name   string
	damage func(t *testing.T, s *storedWAL) []uint64
	// repaired: `wal repair --apply` runs on the damaged WAL before the
	// engine starts, which must then find nothing.
	repaired bool
}

func e2eCorruptions() []e2eCorruption {
	const mid = 2
	rec := func(s *storedWAL, seg, k int) (uint64, recAt) {
		q := s.seqsIn(seg)[k]
		return q, s.loc[q]
	}
	newest := func(s *storedWAL) int { return len(s.segs) - 1 }
	trunc := func(t *testing.T, p string, n int64) {
		if err := os.Truncate(p, n); err != nil {
			t.Fatal(err)
		}
	}
	rm := func(t *testing.T, p string) {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
	return []e2eCorruption{
		{name: "clean", damage: func(*testing.T, *storedWAL) []uint64 { return nil }},
		{name: "bit flip in a record's length", damage: func(t *testing.T, s *storedWAL) []uint64 {
			q, r := rec(s, mid, 10)
			flip(t, s.segs[mid], r.off+1, 0x02)
			return []uint64{q}
		}},
		{name: "bit flip in a record's payload", damage: func(t *testing.T, s *storedWAL) []uint64 {
			q, r := rec(s, mid, 11)
			flip(t, s.segs[mid], r.off+r.size-5, 0x40)
			return []uint64{q}
		}},
		{name: "bit flip in a record's checksum", damage: func(t *testing.T, s *storedWAL) []uint64 {
			q, r := rec(s, mid, 12)
			flip(t, s.segs[mid], r.off+6, 0x01)
			return []uint64{q}
		}},
		{name: "bit flip in the middle of the newest segment", damage: func(t *testing.T, s *storedWAL) []uint64 {
			seqs := s.seqsIn(newest(s))
			q := seqs[len(seqs)/2]
			flip(t, s.segs[newest(s)], s.loc[q].off+s.loc[q].size/2, 0x04)
			return []uint64{q}
		}},
		{name: "bit flip in a middle segment's header", damage: func(t *testing.T, s *storedWAL) []uint64 {
			flip(t, s.segs[mid], 20, 0x10)
			return nil
		}},
		{name: "bit flip in the newest segment's header", damage: func(t *testing.T, s *storedWAL) []uint64 {
			flip(t, s.segs[newest(s)], 0, 0x01)
			return nil
		}},
		{name: "bit flip in the cursor", damage: func(t *testing.T, s *storedWAL) []uint64 {
			flip(t, filepath.Join(s.walDir, "cursor"), 13, 0x80)
			return nil
		}},
		{name: "zeroed 4 KiB page", damage: func(t *testing.T, s *storedWAL) []uint64 {
			var lost []uint64
			for _, q := range s.seqsIn(mid) {
				if r := s.loc[q]; r.off < 8192 && r.off+r.size > 4096 {
					lost = append(lost, q)
				}
			}
			patch(t, s.segs[mid], func(b []byte) []byte { clear(b[4096:8192]); return b })
			return lost
		}},
		{name: "truncated tail", damage: func(t *testing.T, s *storedWAL) []uint64 {
			seqs := s.seqsIn(newest(s))
			k := len(seqs) / 2
			trunc(t, s.segs[newest(s)], s.loc[seqs[k]].off+9)
			return seqs[k:]
		}},
		{name: "truncated middle", damage: func(t *testing.T, s *storedWAL) []uint64 {
			seqs := s.seqsIn(mid)
			k := len(seqs) / 3
			trunc(t, s.segs[mid], s.loc[seqs[k]].off+30)
			return seqs[k:]
		}},
		{name: "0-byte middle segment", damage: func(t *testing.T, s *storedWAL) []uint64 {
			trunc(t, s.segs[mid], 0)
			return s.seqsIn(mid)
		}},
		{name: "missing middle segment", damage: func(t *testing.T, s *storedWAL) []uint64 {
			rm(t, s.segs[mid])
			return s.seqsIn(mid)
		}},
		{name: "missing newest segment", damage: func(t *testing.T, s *storedWAL) []uint64 {
			rm(t, s.segs[newest(s)])
			return s.seqsIn(newest(s))
		}},
		{name: "missing oldest segment", damage: func(t *testing.T, s *storedWAL) []uint64 {
			rm(t, s.segs[0])
			return s.seqsIn(0)
		}},
		{name: "garbage appended", damage: func(t *testing.T, s *storedWAL) []uint64 {
			patch(t, s.segs[newest(s)], func(b []byte) []byte { return append(b, "\x01\x02 not a record \xfe\xff"...) })
			patch(t, s.segs[mid], func(b []byte) []byte { return append(b, bytes.Repeat([]byte{0x5a}, 70)...) })
			return nil
		}},
		{name: "0-byte middle segment then repair", repaired: true, damage: func(t *testing.T, s *storedWAL) []uint64 {
			trunc(t, s.segs[mid], 0)
			return s.seqsIn(mid)
		}},
		{name: "bit flips in a middle header and a record then repair", repaired: true, damage: func(t *testing.T, s *storedWAL) []uint64 {
			flip(t, s.segs[mid+1], 17, 0x08)
			q, r := rec(s, mid+1, 7)
			flip(t, s.segs[mid+1], r.off+r.size-1, 0x01)
			return []uint64{q}
		}},
		{name: "WAL directory deleted", damage: func(t *testing.T, s *storedWAL) []uint64 {
			rm(t, s.walDir)
			var all []uint64
			for q := range s.keys {
				all = append(all, q)
			}
			slices.Sort(all)
			return all
		}},
	}
}

// copyTree copies a directory tree (the data dir, before damage).
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func runTool(args ...string) (int, string) {
	out, err := exec.Command(temblorBin, args...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		return -1, err.Error()
	}
	return 0, string(out)
}

func TestCorruptionMatrixEndToEnd(t *testing.T) {
	policies := []string{"always", "interval", "none"}
	if testing.Short() {
		policies = policies[:1]
	}
	for _, pol := range policies {
		t.Run(pol, func(t *testing.T) {
			base := fillWAL(t, pol, 900)
			for _, c := range e2eCorruptions() {
				t.Run(c.name, func(t *testing.T) {
					corruptionEndToEnd(t, base, c)
				})
			}
		})
	}
}

func corruptionEndToEnd(t *testing.T, base *storedWAL, c e2eCorruption) {
	// A copy of the whole deployment's data dir (markers included).
	s := &storedWAL{d: &deployment{dir: base.d.dir, dataDir: filepath.Join(t.TempDir(), "data")}, keys: base.keys}
	copyTree(t, base.d.dataDir, s.d.dataDir)
	s.walDir = filepath.Join(s.d.dataDir, "wal", "main", "01", "on_disk_wal")
	s.mapRecords(t)
	lost := c.damage(t, s)
	lostKeys := map[string]bool{}
	for _, q := range lost {
		lostKeys[s.keys[q]] = true
	}
	clean := c.name == "clean" || c.repaired
	if c.repaired {
		if code, out := runTool("wal", "repair", "--apply", s.walDir); code != 0 || !strings.Contains(out, "is healthy now") {
			t.Fatalf("wal repair --apply: exit %d\n%s", code, out)
		}
	}

	// wal check counts the loss (the deleted directory is the engine's to
	// report: there is nothing left to check).
	if c.name != "WAL directory deleted" {
		code, out := runTool("wal", "check", s.walDir)
		switch {
		case clean && code != 0:
			t.Fatalf("wal check of a clean (or repaired) WAL: exit %d\n%s", code, out)
		case !clean && (code != 1 || !strings.Contains(out, fmt.Sprintf(", %d undelivered records lost", len(lost)))):
			t.Fatalf("wal check: exit %d, want 1 and %d undelivered records lost\n%s", code, len(lost), out)
		}
		// repair --apply on a copy: healthy afterwards, the same records.
		fixed := filepath.Join(t.TempDir(), "fixed")
		copyTree(t, s.walDir, fixed)
		if code, out := runTool("wal", "repair", "--apply", fixed); code != 0 {
			t.Fatalf("wal repair --apply: exit %d\n%s", code, out)
		}
		if code, out := runTool("wal", "check", fixed); code != 0 {
			t.Fatalf("wal check after repair --apply: exit %d\n%s", code, out)
		}
		after := exportKeys(t, fixed)
		if want := len(s.keys) - len(lost); len(after) != want {
			t.Fatalf("after repair the WAL holds %d events, want %d", len(after), want)
		}
		for q, k := range after {
			if lostKeys[k] || s.keys[q] != k {
				t.Fatalf("after repair, seq %d holds %s (lost: %v)", q, k, lostKeys[k])
			}
		}
	}

	// The engine delivers exactly the others, and goes on.
	l := newListener(t)
	d := writeTutorial(t, l.URL(), 5, "  read_count = 50,\n  max_elements = 100000,\n  segment_size = 16384")
	d.dataDir = s.d.dataDir
	restart := time.Now().UnixNano()
	e := startEngine(t, d, "--metrics-addr", "127.0.0.1:0")
	url := metricsURL(t, e)
	want := len(s.keys) - len(lost)
	waitFor(t, 60*time.Second, fmt.Sprintf("the %d stored events the damage did not hit", want), func() bool {
		got := map[string]bool{}
		for _, m := range l.Messages() {
			if m.IngestNS < restart {
				got[m.key()] = true
			}
		}
		return len(got) >= want
	})
	n := l.Count()
	waitFor(t, 20*time.Second, "new events after the backlog", func() bool { return l.Count() >= n+20 })
	m := scrape(t, url)
	wantLost := len(lost)
	if c.repaired {
		wantLost = 0 // the repair acknowledged the loss
	}
	if got := metric(m, "temblor_wal_lost_records_total"); got != float64(wantLost) {
		t.Errorf("temblor_wal_lost_records_total = %v, want %d", got, wantLost)
	}
	if err := e.Stop(15 * time.Second); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	seen := map[string]bool{}
	for _, m := range l.Messages() {
		if m.IngestNS < restart {
			if lostKeys[m.key()] {
				t.Errorf("event %s was delivered although the damage hit its record", m.key())
			}
			seen[m.key()] = true
		}
	}
	for q, k := range s.keys {
		if !seen[k] && !lostKeys[k] {
			t.Errorf("stored event seq %d (%s) was not delivered", q, k)
		}
	}
	summaries := len(e.logRecords("wal recovered with findings"))
	switch {
	case clean && summaries != 0:
		t.Errorf("a clean (or repaired) WAL logged findings:\n%s", e.Log())
	case !clean && summaries != 1:
		t.Errorf("%d 'wal recovered with findings' lines, want exactly 1:\n%s", summaries, e.Log())
	}
	if len(lost) > 0 && !c.repaired {
		recs := e.logRecords("records lost to damage")
		recs = append(recs, e.logRecords("WAL DIRECTORY WAS EMPTIED OR DELETED")...)
		var counted float64
		for _, r := range recs {
			v, _ := r["lost_records"].(float64)
			counted += v
			if _, ok := r["seqs"]; !ok {
				t.Errorf("a loss line without its seq range: %v", r)
			}
			if _, ok := r["segment"]; !ok && c.name != "WAL directory deleted" {
				t.Errorf("a loss line without its segment: %v", r)
			}
		}
		if counted != float64(len(lost)) {
			t.Errorf("the log counts %v lost records, want %d:\n%s", counted, len(lost), e.Log())
		}
	}
	t.Logf("%d stored, %d lost to the damage (exactly the records it hit), the rest delivered, then new events", len(s.keys), len(lost))
}
