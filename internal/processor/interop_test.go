package processor

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/golang/snappy"
)

// Interoperability with the real tools: what the Debian command line tools
// (gzip, xz, lz4; Python's zlib) write, our preprocessors read, and what our
// postprocessors write, the tools read. Snappy's framing format has no
// working command line tool in Debian 12 (python3-snappy's stream mode
// fails on Python 3.11), so it is checked against the reference Go
// implementation, github.com/golang/snappy.

// tool is a command that compresses (or decompresses) stdin to stdout.
type tool struct {
	name       string
	compress   []string
	decompress []string
	module     string // a Python module the command needs, if any
}

var tools = map[string]tool{
	"gzip": {name: "gzip", compress: []string{"gzip", "-c"}, decompress: []string{"gzip", "-dc"}},
	"xz2":  {name: "xz", compress: []string{"xz", "-c"}, decompress: []string{"xz", "-dc"}},
	"lz4":  {name: "lz4", compress: []string{"lz4", "-c"}, decompress: []string{"lz4", "-dc"}},
	"zlib": {name: "python3 zlib", module: "zlib",
		compress:   []string{"python3", "-c", "import sys,zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))"},
		decompress: []string{"python3", "-c", "import sys,zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))"}},
}

// findTool resolves the command, trying the system python when the first
// python3 on PATH lacks the module; it skips the test visibly when absent.
func findTool(t *testing.T, tl tool) tool {
	t.Helper()
	if tl.module == "" {
		if _, err := exec.LookPath(tl.compress[0]); err != nil {
			t.Skipf("%s is not installed (Debian package %s); interoperability not checked", tl.name, tl.compress[0])
		}
		return tl
	}
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import "+tl.module).Run() == nil {
			tl.compress = append([]string{py}, tl.compress[1:]...)
			tl.decompress = append([]string{py}, tl.decompress[1:]...)
			return tl
		}
	}
	t.Skipf("%s is not installed (Debian package python3); interoperability not checked", tl.name)
	return tl
}

func run(t *testing.T, args []string, stdin []byte) []byte {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func TestInteropWithRealTools(t *testing.T) {
	inputs := map[string][]byte{
		"lines":  []byte(strings.Repeat(`{"snot":"badger","ingest_ns":1600860720749137000}`+"\n", 500)),
		"binary": randBytes(100_000),
		"empty":  {},
	}
	for name, tl := range tools {
		t.Run(name, func(t *testing.T) {
			tl := findTool(t, tl)
			for what, in := range inputs {
				// The tool writes, we read (by name and by magic number).
				wire := run(t, tl.compress, in)
				for _, pre := range []string{name, "decompress"} {
					if what == "empty" && pre == "decompress" && len(wire) < 6 {
						continue // too short to carry a magic number: passed through as is
					}
					got, err := feed(newPre(t, pre), wire)
					if err != nil {
						t.Fatalf("%s reading %s's %s: %v", pre, tl.name, what, err)
					}
					if len(got) != 1 || !bytes.Equal(got[0], in) {
						t.Fatalf("%s reading %s's %s: %d frames, %d bytes; want %d", pre, tl.name, what, len(got), len(bytes.Join(got, nil)), len(in))
					}
				}
				// We write, the tool reads.
				ours, err := newPost(t, name).Process(in)
				if err != nil {
					t.Fatal(err)
				}
				if back := run(t, tl.decompress, ours[0]); !bytes.Equal(back, in) {
					t.Fatalf("%s reading our %s: %d bytes, want %d", tl.name, what, len(back), len(in))
				}
			}
		})
	}
}

// TestInteropVariants: settings Tremor's peers used, and multi-member input.
func TestInteropVariants(t *testing.T) {
	payload := []byte(strings.Repeat("snot badger\n", 2000))
	cases := []struct {
		tool string
		pre  string
		args []string
	}{
		{"gzip", "gzip", []string{"gzip", "-c", "-9"}},
		{"xz2", "xz2", []string{"xz", "-c", "-9"}}, // Tremor's preset
		{"xz2", "xz2", []string{"xz", "-c", "--check=sha256"}},
		{"lz4", "lz4", []string{"lz4", "-c", "-9"}},
		{"lz4", "lz4", []string{"lz4", "-c", "--content-size", "--no-frame-crc"}},
		{"lz4", "lz4", []string{"lz4", "-c", "-BD", "-B4"}}, // linked 64 KiB blocks
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			findTool(t, tools[c.tool])
			wire := run(t, c.args, payload)
			got, err := feed(newPre(t, c.pre), wire)
			if err != nil || len(got) != 1 || !bytes.Equal(got[0], payload) {
				t.Fatalf("%d frames, %v", len(got), err)
			}
		})
	}
	t.Run("gzip members concatenated", func(t *testing.T) {
		findTool(t, tools["gzip"])
		var wire []byte
		for i := range 3 {
			wire = append(wire, run(t, []string{"gzip", "-c"}, []byte(fmt.Sprintf("part %d\n", i)))...)
		}
		got, err := feed(newPre(t, "gzip"), wire)
		if err != nil || len(got) != 1 || string(got[0]) != "part 0\npart 1\npart 2\n" {
			t.Fatalf("%q %v", got, err)
		}
	})
	t.Run("xz streams concatenated", func(t *testing.T) {
		findTool(t, tools["xz2"])
		wire := append(run(t, []string{"xz", "-c"}, []byte("a\n")), run(t, []string{"xz", "-c"}, []byte("b\n"))...)
		got, err := feed(newPre(t, "xz2"), wire)
		if err != nil || len(got) != 1 || string(got[0]) != "a\nb\n" {
			t.Fatalf("%q %v", got, err)
		}
	})
}

func TestInteropSnappyReference(t *testing.T) {
	for _, in := range [][]byte{{}, []byte("snot"), []byte(strings.Repeat("snot badger\n", 10000)), randBytes(200_000)} {
		var ref bytes.Buffer
		w := snappy.NewBufferedWriter(&ref)
		if _, err := w.Write(in); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		for _, pre := range []string{"snappy", "decompress"} {
			got, err := feed(newPre(t, pre), ref.Bytes())
			if err != nil || len(got) != 1 || !bytes.Equal(got[0], in) {
				t.Fatalf("%s reading the reference's %d bytes: %d frames, %v", pre, len(in), len(got), err)
			}
		}
		ours, err := newPost(t, "snappy").Process(in)
		if err != nil {
			t.Fatal(err)
		}
		back, err := io.ReadAll(snappy.NewReader(bytes.NewReader(ours[0])))
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("the reference reading our %d bytes: %d bytes, %v", len(in), len(back), err)
		}
	}
}
