package file

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// filePeer is the file the offramp appends to.
type filePeer struct{ path string }

func (p *filePeer) Config() string { return "file: " + p.path + "\n" }

func (p *filePeer) Received() []string {
	b, _ := os.ReadFile(p.path)
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func (p *filePeer) Has(payload string) bool {
	for _, l := range p.Received() {
		if l == payload {
			return true
		}
	}
	return false
}

func TestSinkConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type: "file",
		Start: func(t *testing.T) conformance.SinkPeer {
			return &filePeer{path: filepath.Join(t.TempDir(), "out.json")}
		},
		Ordered: true,
		BadConfigs: []conformance.BadConfig{
			{Config: "file: /nonexistent/dir/out.json\n", Pos: "5:13", Contains: "does not exist; create it first"},
			{Config: "fsync: true\n", Pos: "5:7", Contains: "`file` is required"},
			{Config: "file: x\nfsync: 1\n", Pos: "6:14", Contains: "must be true or false"},
		},
	})
}

// TestSinkDiskFull: a write the disk refuses (here /dev/full) fails the
// batch and opens the circuit breaker; nothing is acked.
func TestSinkDiskFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	conformance.RunSinkRefusing(t, "file", "file: /dev/full\n")
}

func TestSourceConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type:   "file",
		Finite: true,
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			path := filepath.Join(t.TempDir(), "in.json")
			if err := os.WriteFile(path, []byte(strings.Join(msgs, "\n")), 0o644); err != nil { // no final newline: the last line counts
				t.Fatal(err)
			}
			return "source: " + path + "\n", nil
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "source: /nonexistent/in.json\n", Pos: "5:15", Contains: "cannot read /nonexistent/in.json"},
			{Config: "close_on_done: true\n", Pos: "5:7", Contains: "`source` is required"},
			{Config: "source: /\n", Pos: "5:15", Contains: "is a directory"},
			{Config: "source: x\nsleep_on_done: soon\n", Pos: "6:22", Contains: "must be a non-negative integer"},
		},
	})
}
