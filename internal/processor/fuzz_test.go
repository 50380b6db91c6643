package processor

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpora under testdata/fuzz")

// fuzzSeeds are written to testdata/fuzz/<target>/ by -update: what each
// postprocessor makes of a few payloads, plus the usual suspects.
func fuzzSeeds(t testing.TB, post string) [][]byte {
	seeds := [][]byte{{}, []byte("snot\nbadger\n"), []byte(`{"a":1}`), {0x1e, 0x0f, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 'x'}}
	if post != "" {
		for _, pl := range [][]byte{[]byte("snot"), bytes.Repeat([]byte("ab"), 100), []byte("line1\nline2\n")} {
			m := Meta{IngestNS: 1600860720749137000}
			out, err := Run(newPost(t, post), &m, pl)
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, bytes.Join(out, nil))
		}
	}
	return seeds
}

// fuzzPre feeds data to the preprocessor whole and split at cut, checking
// that it never panics, never produces more than MaxFrame in one frame and,
// for preprocessors that frame a stream, finds the same frames both ways.
func fuzzPre(f *testing.F, name, post string) {
	target := "FuzzPre_" + strings.ReplaceAll(name, "-", "_")
	if *update {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			f.Fatal(err)
		}
		for i, s := range fuzzSeeds(f, post) {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\nuint(%d)\n", strconv.Quote(string(s)), len(s)/2)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i)), []byte(body), 0o644); err != nil {
				f.Fatal(err)
			}
		}
	}
	streaming := map[string]bool{"lines": true, "lines-null": true, "lines-pipe": true, "length-prefixed": true, "textual-length-prefix": true}[name]
	f.Fuzz(func(t *testing.T, data []byte, cut uint) {
		whole, errWhole := feed(newPre(t, name), data)
		for _, fr := range whole {
			if len(fr) > MaxFrame {
				t.Fatalf("frame of %d bytes", len(fr))
			}
		}
		if !streaming || len(data) == 0 {
			return
		}
		c := int(cut % uint(len(data)))
		split, errSplit := feed(newPre(t, name), data[:c], data[c:])
		if errWhole == nil && errSplit == nil && !equalFrames(whole, split) {
			t.Fatalf("split at %d: %q, whole: %q", c, split, whole)
		}
	})
}

func equalFrames(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func FuzzPre_lines(f *testing.F)              { fuzzPre(f, "lines", "lines") }
func FuzzPre_lines_null(f *testing.F)         { fuzzPre(f, "lines-null", "") }
func FuzzPre_lines_pipe(f *testing.F)         { fuzzPre(f, "lines-pipe", "") }
func FuzzPre_lines_no_buffer(f *testing.F)    { fuzzPre(f, "lines-no-buffer", "lines") }
func FuzzPre_lines_cr_no_buffer(f *testing.F) { fuzzPre(f, "lines-cr-no-buffer", "") }
func FuzzPre_base64(f *testing.F)             { fuzzPre(f, "base64", "base64") }
func FuzzPre_gzip(f *testing.F)               { fuzzPre(f, "gzip", "gzip") }
func FuzzPre_zlib(f *testing.F)               { fuzzPre(f, "zlib", "zlib") }
func FuzzPre_xz2(f *testing.F)                { fuzzPre(f, "xz2", "xz2") }
func FuzzPre_snappy(f *testing.F)             { fuzzPre(f, "snappy", "snappy") }
func FuzzPre_lz4(f *testing.F)                { fuzzPre(f, "lz4", "lz4") }
func FuzzPre_decompress(f *testing.F)         { fuzzPre(f, "decompress", "gzip") }
func FuzzPre_remove_empty(f *testing.F)       { fuzzPre(f, "remove-empty", "") }
func FuzzPre_gelf_chunking(f *testing.F)      { fuzzPre(f, "gelf-chunking", "gelf-chunking") }
func FuzzPre_gelf_chunking_tcp(f *testing.F)  { fuzzPre(f, "gelf-chunking-tcp", "gelf-chunking") }
func FuzzPre_ingest_ns(f *testing.F)          { fuzzPre(f, "ingest-ns", "ingest-ns") }
func FuzzPre_length_prefixed(f *testing.F)    { fuzzPre(f, "length-prefixed", "length-prefixed") }
func FuzzPre_textual_length_prefix(f *testing.F) {
	fuzzPre(f, "textual-length-prefix", "textual-length-prefix")
}
