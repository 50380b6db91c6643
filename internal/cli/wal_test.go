package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/wal"
)

// TestWALToolExitCodes: check tells healthy (0), damaged (1), not a WAL
// directory (2), in use (3) and unreadable (4) apart; export on a damaged
// WAL writes what verifies and exits 1 naming what it skipped; --help
// lists the codes.
func TestWALToolExitCodes(t *testing.T) {
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(args, &out, &errb)
		return code, out.String(), errb.String()
	}
	dir := t.TempDir()
	l, err := wal.Open(dir, wal.Options{SegmentSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	var c *wal.Commit
	for i := 0; i < 20; i++ {
		_, _, c, _ = l.Append([]byte(strings.Repeat("r", 40)))
	}
	_ = c.Wait(context.Background())
	_ = l.Close()
	if code, out, _ := run("wal", "check", dir); code != 0 || !strings.HasPrefix(out, "ok:") {
		t.Fatalf("healthy: exit %d\n%s", code, out)
	}

	// In use.
	l, err = wal.Open(dir, wal.Options{SegmentSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run("wal", "check", dir); code != 3 || !strings.Contains(errOut, "in use") {
		t.Errorf("in use: exit %d, %s", code, errOut)
	}
	_ = l.Close()

	// Damaged: one flipped payload byte in the third record.
	seg := filepath.Join(dir, "seg-00000000000000000001.wal")
	b, _ := os.ReadFile(seg)
	b[32+2*(16+40)+16+3] ^= 0x20
	_ = os.WriteFile(seg, b, 0o644)
	if code, out, _ := run("wal", "check", dir); code != 1 || !strings.Contains(out, "seq 3..3: 1 undelivered records lost") {
		t.Errorf("damaged: exit %d\n%s", code, out)
	}
	code, out, errOut := run("wal", "export", dir)
	if n := strings.Count(out, "\n"); code != 1 || n != 19 || !strings.Contains(errOut, "skipped") || !strings.Contains(errOut, "seq 3..3") {
		t.Errorf("export of a damaged WAL: exit %d, %d lines, stderr %q", code, n, errOut)
	}
	if code, out, _ := run("wal", "inspect", dir); code != 0 || !strings.Contains(out, "health:     damaged") {
		t.Errorf("inspect of a damaged WAL: exit %d\n%s", code, out)
	}

	// Not a WAL directory.
	if code, _, _ := run("wal", "check", t.TempDir()); code != 2 {
		t.Errorf("not a WAL: exit %d", code)
	}

	// Unreadable: the cursor is a directory.
	bad := t.TempDir()
	if err := os.Mkdir(filepath.Join(bad, "cursor"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "LOCK"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run("wal", "check", bad); code != 4 {
		t.Errorf("unreadable: exit %d, %s", code, errOut)
	}

	if _, out, _ := run("wal", "check", "--help"); !strings.Contains(strings.Join(strings.Fields(out), " "), "3 in use by a running engine") || !strings.Contains(out, "1 damaged") {
		t.Errorf("check --help does not list the exit codes:\n%s", out)
	}
}
