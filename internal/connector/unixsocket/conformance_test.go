package unixsocket

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func send(path string, msgs []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(20 * time.Second))
	w := bufio.NewWriter(c)
	for _, m := range msgs {
		if _, err := w.WriteString(m + "\n"); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return c.(*net.UnixConn).CloseWrite()
}

func TestSourceConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type:          "unix-socket",
		Preprocessors: []string{"lines"},
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			path := filepath.Join(t.TempDir(), "in.sock")
			return "path: " + path + "\n", func(sdk.Source) error { return send(path, msgs) }
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "permissions: 420\n", Pos: "5:7", Contains: "`path` is required"},
			{Config: "path: ''\n", Pos: "5:13", Contains: "must name the socket file"},
			{Config: "path: /tmp/x.sock\nmode: 420\n", Pos: "6:7", Contains: "unknown field `mode`"},
			{Config: "path: /tmp/x.sock\npermissions: 4096\n", Pos: "6:20", Contains: "at most 511"},
		},
	})
}

// A regular file at `path` is an error, not deleted; a stale socket is
// replaced, and the socket file is gone when the onramp closes.
func TestPathHandling(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "not-a-socket")
	if err := os.WriteFile(file, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Source{path: file}
	err := s.Open(context.Background(), component.Env{})
	if err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Fatalf("opening over a regular file: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "keep me" {
		t.Fatal("the regular file was changed")
	}
	sock := filepath.Join(dir, "s.sock")
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	_ = stale.Close() // leaves the socket file behind, as a crash would
	s = &Source{path: sock, mode: 0o600}
	if err := s.Open(context.Background(), component.Env{}); err != nil {
		t.Fatalf("replacing a stale socket: %v", err)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Fatalf("the socket file is still there: %v", err)
	}
}
