package stdio

import (
	"bufio"
	"bytes"
	"context"
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
		BadConfigs: []conformance.BadConfig{{Config: "prefx: x\n", Pos: "5:7", Contains: "unknown field `prefx`"}, {Config: "prefix: [x]\n", Pos: "5:15", Contains: "must be a string"}},
	})
}

func TestStderrConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type: "stderr", Ordered: true,
		Start:      func(t *testing.T) conformance.SinkPeer { return redirect(t, &os.Stderr) },
		BadConfigs: []conformance.BadConfig{{Config: "raw: yes please\n", Pos: "5:12", Contains: "must be true or false"}},
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

// TestPrefixAndRaw: every payload is written as prefix, payload, newline;
// a payload that is not text as a list of byte values unless raw.
func TestPrefixAndRaw(t *testing.T) {
	for _, c := range []struct {
		cfg  writerConfig
		want string
	}{
		{writerConfig{Prefix: ">>> "}, ">>> {\"a\":1}\n>>> [255, 0, 10]\n>>> line\n\n"},
		{writerConfig{Prefix: "\\o/ ", Raw: true}, "\\o/ {\"a\":1}\n\\o/ \xff\x00\n\n\\o/ line\n\n"},
	} {
		var buf bytes.Buffer
		w := &writer{w: bufio.NewWriter(&buf), prefix: c.cfg.Prefix, raw: c.cfg.Raw}
		b := &sdk.Batch{Messages: []sdk.Message{
			{Payloads: [][]byte{[]byte(`{"a":1}`), {0xff, 0, '\n'}}},
			{Payloads: [][]byte{[]byte("line\n")}},
		}}
		if err := w.Write(context.Background(), b); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != c.want {
			t.Errorf("%+v: wrote %q, want %q", c.cfg, got, c.want)
		}
	}
}
