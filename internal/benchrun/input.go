package benchrun

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ulikunitz/xz"
)

// WriteEvents writes n of the bench's events, one JSON object per line
// (about 80 bytes each), to w.
func WriteEvents(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	buf := make([]byte, 0, 128)
	for i := range n {
		buf = appendEvent(buf[:0], int64(i), 1600860720749137000)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writePeerEvents writes peerbench's event shape (hostname already set,
// as the peers do not enrich), as its run_rsyslog.sh does.
func writePeerEvents(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	buf := make([]byte, 0, 128)
	for i := 1; i <= n; i++ {
		buf = append(buf[:0], `{"onramp":"metronome","id":`...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, `,"hostname":"h","ingest_ns":1600860720749137000}`+"\n"...)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// tremorEventBytes is the mean size (with newline) of the events in
// Tremor's demo/data/data.json.xz, which its blaster replays.
func tremorEventBytes(tremorSrc string) (float64, error) {
	path := filepath.Join(tremorSrc, "demo", "data", "data.json.xz")
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zr, err := xz.NewReader(bufio.NewReader(f))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	n, size := 0, 0
	for _, l := range bytes.Split(data, []byte{'\n'}) {
		if len(bytes.TrimSpace(l)) > 0 {
			n++
			size += len(l) + 1
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("%s holds no events", path)
	}
	return float64(size) / float64(n), nil
}

// makeFile writes path with gen unless it exists, and returns its size.
func makeFile(path string, gen func(io.Writer) error) (int64, error) {
	if fi, err := os.Stat(path); err == nil {
		return fi.Size(), nil
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	if err := gen(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// linkOrCopy hard-links src to dst (the inputs are read-only), copying
// when the file system cannot link.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
