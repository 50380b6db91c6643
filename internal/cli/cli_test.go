package cli

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/wal"
)

var update = flag.Bool("update", false, "rewrite the golden expected.txt files")

// TestConfigGolden runs `temblor server run --validate -f .` in each
// testdata/config/<case>/ folder and compares the exit status and output
// with the folder's expected.txt (regenerate with -update).
func TestConfigGolden(t *testing.T) {
	root, err := filepath.Abs("../../testdata/config")
	if err != nil {
		t.Fatal(err)
	}
	cases, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			dir := filepath.Join(root, c.Name())
			t.Chdir(dir)
			var out, errb bytes.Buffer
			code := Main([]string{"server", "run", "--validate", "--data-dir", t.TempDir(), "-f", "."}, &out, &errb)
			got := "exit " + itoa(code) + "\n" + out.String() + normalizeLog(errb.String(), host)
			golden := filepath.Join(dir, "expected.txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
			if strings.HasPrefix(c.Name(), "ok_") != (code == 0) {
				t.Errorf("exit status %d for case %s", code, c.Name())
			}
			if code != 0 && !regexp.MustCompile(`\.(yaml|trickle):\d+:\d+(: |\n)`).MatchString(got) {
				t.Errorf("error output lacks file:line:col:\n%s", got)
			}
		})
	}
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0'+i))) }

// normalizeLog keeps the log lines out of golden files (they carry times).
func normalizeLog(s, host string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "time=") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.ReplaceAll(strings.Join(keep, "\n"), host, "HOST")
}

func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "temblor ") {
		t.Fatalf("version: %d %q %q", code, out.String(), errb.String())
	}
}

func TestBadFlagsAreUsageErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"server", "run", "--log-levl", "x"}, &out, &errb); code == 0 {
		t.Fatal("unknown flag accepted")
	}
	if code := Main([]string{"server", "run", "-f", "/nonexistent/x.yaml"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "no such file") {
		t.Fatalf("missing file: %d %s", code, errb.String())
	}
	errb.Reset()
	if code := Main([]string{"server", "run"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "server run -f etc/tremor/config/") {
		t.Fatalf("no files: %d %s", code, errb.String())
	}
}

// TestValidateTouchesNothing: `--validate` checks the tutorial without
// creating --data-dir or opening its WAL, so it also works beside a running
// engine that holds the WAL's lock.
func TestValidateTouchesNothing(t *testing.T) {
	cfg, err := filepath.Abs("../../examples/tutorial/etc/tremor/config")
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	var out, errb bytes.Buffer
	if code := Main([]string{"server", "run", "--validate", "--data-dir", dataDir, "-f", cfg}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	if !strings.HasPrefix(out.String(), "ok: ") {
		t.Errorf("no summary: %q", out.String())
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("--validate created %s (%v)", dataDir, err)
	}

	// The engine's WAL directory is locked by another opener.
	walDir := filepath.Join(dataDir, "wal", "main", "01", "on_disk_wal")
	l, err := wal.Open(walDir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out.Reset()
	errb.Reset()
	if code := Main([]string{"server", "run", "--validate", "--data-dir", dataDir, "-f", cfg}, &out, &errb); code != 0 {
		t.Fatalf("beside a running engine: exit %d: %s%s", code, out.String(), errb.String())
	}
}

// TestWALToolsOnADataDir: pointing the WAL tools at --data-dir (not at a WAL
// in it) is a usage error that lists the WALs below, and leaves no LOCK file
// behind in the directory.
func TestWALToolsOnADataDir(t *testing.T) {
	dataDir := t.TempDir()
	walDir := filepath.Join(dataDir, "wal", "main", "01", "on_disk_wal")
	l, err := wal.Open(walDir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"inspect", "check", "export", "repair"} {
		var out, errb bytes.Buffer
		code := Main([]string{"wal", cmd, dataDir}, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "is not a WAL directory") || !strings.Contains(errb.String(), walDir) {
			t.Errorf("wal %s DATA_DIR: exit %d, stderr %q", cmd, code, errb.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "LOCK")); !os.IsNotExist(err) {
		t.Errorf("a LOCK file was left in the data dir (%v)", err)
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"wal", "check", walDir}, &out, &errb); code != 0 {
		t.Errorf("wal check on the WAL itself: exit %d: %s", code, errb.String())
	}
	// While an engine (here: this process) holds it, the tools say so.
	l, err = wal.Open(walDir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	errb.Reset()
	code := Main([]string{"wal", "inspect", walDir}, &out, &errb)
	if want := fmt.Sprintf("stop process %d first", os.Getpid()); code != 3 || !strings.Contains(errb.String(), want) {
		t.Errorf("wal inspect on a held WAL: exit %d, stderr %q, want %q", code, errb.String(), want)
	}
}

func TestDocCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := Main([]string{"doc", "--check", "--dir", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "missing") {
		t.Fatalf("check of an empty dir: exit %d: %s", code, errb.String())
	}
	out.Reset()
	if code := Main([]string{"doc", "--dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("doc: exit %d: %s", code, errb.String())
	}
	out.Reset()
	if code := Main([]string{"doc", "--check", "--dir", dir}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "ok: ") {
		t.Fatalf("check after doc: exit %d: %s%s", code, out.String(), errb.String())
	}
}
