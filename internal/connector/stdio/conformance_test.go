package stdio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
)

// The tests redirect the process's standard streams, so they do not run
// in parallel. (No goleak here: a read of stdin cannot be interrupted, so
// its reader goroutine ends only with the input.)

// streamPeer is a file standing in for standard output or error: written
// and flushed there is what the offramp promises.
type streamPeer struct{ path string }

func (p *streamPeer) Config() string { return "" }
func (p *streamPeer) Received() []string {
	b, _ := os.ReadFile(p.path)
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
func (p *streamPeer) Has(payload string) bool {
	for _, l := range p.Received() {
		if l == payload {
			return true
		}
	}
	return false
}

func redirect(t *testing.T, std **os.File) conformance.SinkPeer {
	path := filepath.Join(t.TempDir(), "stream")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	old := *std
	*std = f
	t.Cleanup(func() { *std = old; f.Close() })
	return &streamPeer{path: path}
}

func TestStdoutConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type: "stdout", Ordered: true,
		Start:      func(t *testing.T) conformance.SinkPeer { return redirect(t, &os.Stdout) },
		BadConfigs: []conformance.BadConfig{{Config: "prefix: x\n", Pos: "5:7", Contains: "unknown field `prefix`"}},
	})
}

func TestStderrConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type: "stderr", Ordered: true,
		Start:      func(t *testing.T) conformance.SinkPeer { return redirect(t, &os.Stderr) },
		BadConfigs: []conformance.BadConfig{{Config: "raw: true\n", Pos: "5:7", Contains: "unknown field `raw`"}},
	})
}

func TestStdinConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type:   "stdin",
		Finite: true,
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			old := os.Stdin
			os.Stdin = r
			t.Cleanup(func() { os.Stdin = old; w.Close(); r.Close() })
			return "", func(sdk.Source) error {
				defer w.Close()
				for _, m := range msgs {
					if _, err := w.WriteString(m + "\n"); err != nil {
						return err
					}
				}
				return nil
			}
		},
		BadConfigs: []conformance.BadConfig{{Config: "file: x\n", Pos: "5:7", Contains: "unknown field `file`"}},
	})
}
