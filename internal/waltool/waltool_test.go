package waltool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/wal"
)

func rec(i int) []byte { return []byte(strings.Repeat("x", i%50) + "!") }

// build writes 200 records in 4 KiB segments and acks 150.
func build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	l, err := wal.Open(dir, wal.Options{SegmentSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	var c *wal.Commit
	for i := 0; i < 200; i++ {
		_, _, c, _ = l.Append(rec(i))
	}
	_ = c.Wait(context.Background())
	_ = l.AckThrough(150)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestInspectExportCheck(t *testing.T) {
	dir := build(t)
	var out bytes.Buffer
	if err := Inspect(&out, dir, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "acked:      150") || !strings.Contains(out.String(), "unacked:    50 records (151..200)") || !strings.Contains(out.String(), "health:     ok") {
		t.Fatalf("inspect:\n%s", out.String())
	}
	out.Reset()
	if err := Inspect(&out, dir, true); err != nil || !json.Valid(out.Bytes()) {
		t.Fatalf("inspect --json: %v %s", err, out.String())
	}
	out.Reset()
	var warn bytes.Buffer
	if err := Export(&out, &warn, dir, 0, false); err != nil || warn.Len() > 0 {
		t.Fatal(err, warn.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 50 || !strings.Contains(lines[0], `"seq":151`) {
		t.Fatalf("export: %d lines, first %s", len(lines), lines[0])
	}
	out.Reset()
	ok, err := Check(&out, dir)
	if err != nil || !ok {
		t.Fatalf("check: %v %v %s", ok, err, out.String())
	}
}

// exportSeqs exports a WAL (unacked records) and returns their seqs.
func exportSeqs(t *testing.T, dir string) ([]uint64, error, string) {
	t.Helper()
	var out, warn bytes.Buffer
	err := Export(&out, &warn, dir, 0, false)
	var seqs []uint64
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line == "" {
			continue
		}
		var e exported
		if jerr := json.Unmarshal([]byte(line), &e); jerr != nil {
			t.Fatal(jerr)
		}
		seqs = append(seqs, e.Seq)
	}
	return seqs, err, warn.String()
}

// TestCheckAndRepairDamage: a flipped byte in an unacked record is found
// by check (naming the segment and the seq), export writes every other
// record and exits with a DamagedError listing what it skipped, repair
// without --apply changes nothing, and repair --apply leaves a WAL that
// checks healthy and still holds exactly the 49 other unacked records.
func TestCheckAndRepairDamage(t *testing.T) {
	dir := build(t)
	rep, err := wal.InspectDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The record with seq 170: find its segment and offset.
	var seg string
	var off int64
	for _, s := range rep.Segments {
		if s.First <= 170 && s.Last >= 170 {
			seg = filepath.Join(dir, s.Name)
		}
	}
	b, _ := os.ReadFile(seg)
	for o := int64(32); ; {
		seq, _, n, err := wal.DecodeRecord(b[o:])
		if err != nil {
			t.Fatal("record 170 not found")
		}
		if seq == 170 {
			off = o
			break
		}
		o += int64(n)
	}
	b[off+20] ^= 0xff
	_ = os.WriteFile(seg, b, 0o644)

	var out bytes.Buffer
	ok, err := Check(&out, dir)
	if err != nil || ok || !strings.Contains(out.String(), "damaged") || !strings.Contains(out.String(), "seq 170..170: 1 undelivered records lost") || !strings.Contains(out.String(), filepath.Base(seg)) {
		t.Fatalf("check of a damaged wal: %v %v\n%s", ok, err, out.String())
	}
	seqs, err, warn := exportSeqs(t, dir)
	var de *DamagedError
	if !errors.As(err, &de) || de.LostRecords != 1 || len(seqs) != 49 || !strings.Contains(warn, "skipped") || !strings.Contains(warn, "seq 170..170") {
		t.Fatalf("export of a damaged wal: %d records, err %v\n%s", len(seqs), err, warn)
	}
	out.Reset()
	if err := Repair(&out, dir, false); err != nil || !strings.Contains(out.String(), "not applied") {
		t.Fatalf("repair plan: %v %s", err, out.String())
	}
	after, _ := os.ReadFile(seg)
	if !bytes.Equal(after, b) {
		t.Fatal("repair without --apply changed the file")
	}
	out.Reset()
	if err := Repair(&out, dir, true); err != nil || !strings.Contains(out.String(), "is healthy now") {
		t.Fatalf("repair --apply: %v\n%s", err, out.String())
	}
	out.Reset()
	if ok, _ := Check(&out, dir); !ok || !strings.Contains(out.String(), "note:") {
		t.Fatalf("still damaged after repair (or the acknowledged loss is not noted):\n%s", out.String())
	}
	got, err, _ := exportSeqs(t, dir)
	if err != nil || len(got) != 49 {
		t.Fatalf("after repair: %d records survive (want the 49 undamaged unacked ones): %v", len(got), err)
	}
	for i, s := range got {
		want := uint64(151 + i)
		if want >= 170 {
			want++
		}
		if s != want {
			t.Fatalf("after repair, record %d is seq %d, want %d", i, s, want)
		}
	}
	// The engine delivers exactly these, and finds nothing.
	l, err := wal.Open(dir, wal.Options{SegmentSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	recs, _ := l.Read(0, 1000)
	if len(recs) != 49 || len(l.Recovery().Losses) != 0 {
		t.Fatalf("the engine reads %d records from the repaired WAL, findings %v", len(recs), l.Recovery().Losses)
	}
	for _, r := range recs {
		if !bytes.Equal(r.Data, rec(int(r.Seq-1))) {
			t.Fatalf("record %d has other bytes after the repair", r.Seq)
		}
	}
}

func TestToolsRefuseALockedWAL(t *testing.T) {
	dir := t.TempDir()
	l, err := wal.Open(dir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out bytes.Buffer
	err = Inspect(&out, dir, false)
	var le *wal.LockedError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "in use by process") {
		t.Fatalf("inspect of a running wal: %v", err)
	}
}
