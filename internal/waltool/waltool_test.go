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

func build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	l, err := wal.Open(dir, wal.Options{SegmentSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	var c *wal.Commit
	for i := 0; i < 200; i++ {
		_, _, c, _ = l.Append([]byte(strings.Repeat("x", i%50) + "!"))
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
	if err := Export(&out, dir, 0, false); err != nil {
		t.Fatal(err)
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

func TestCheckAndRepairDamage(t *testing.T) {
	dir := build(t)
	// Flip a byte in the middle of the first remaining segment.
	matches, _ := filepath.Glob(filepath.Join(dir, "seg-*.wal"))
	b, _ := os.ReadFile(matches[0])
	b[100] ^= 0xff
	_ = os.WriteFile(matches[0], b, 0o644)
	var out bytes.Buffer
	ok, err := Check(&out, dir)
	if err != nil || ok || !strings.Contains(out.String(), "damaged") {
		t.Fatalf("check of a damaged wal: %v %v %s", ok, err, out.String())
	}
	out.Reset()
	if err := Repair(&out, dir, false); err != nil || !strings.Contains(out.String(), "not applied") {
		t.Fatalf("repair plan: %v %s", err, out.String())
	}
	after, _ := os.ReadFile(matches[0])
	if !bytes.Equal(after, b) {
		t.Fatal("repair without --apply changed the file")
	}
	out.Reset()
	if err := Repair(&out, dir, true); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if ok, _ := Check(&out, dir); !ok {
		t.Fatalf("still damaged after repair: %s", out.String())
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
