package benchrun

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// fsyncRecord is what the raw disk baseline writes before each fdatasync:
// about one small event, as the WAL's group commit does at low rates.
const fsyncRecord = 256

// runFsync measures the raw fdatasync latency of the disk under dir: n
// times a 256-byte pwrite into a preallocated file (as the WAL's segments
// are) followed by fdatasync, each timed.
func runFsync(dir string, n int) (map[string]float64, error) {
	path := filepath.Join(dir, "fsync.probe")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer os.Remove(path)
	defer f.Close()
	size := int64(n) * fsyncRecord
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, size); err != nil {
		return nil, fmt.Errorf("preallocating %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	rec := make([]byte, fsyncRecord)
	for i := range rec {
		rec[i] = 'x'
	}
	lat := make([]time.Duration, n)
	start := time.Now()
	for i := range n {
		t0 := time.Now()
		if _, err := f.WriteAt(rec, int64(i)*fsyncRecord); err != nil {
			return nil, err
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return nil, fmt.Errorf("fdatasync %s: %w", path, err)
		}
		lat[i] = time.Since(t0)
	}
	secs := time.Since(start).Seconds()
	p := percentiles(lat)
	return map[string]float64{
		mP50: p[0], mP99: p[1], mP999: p[2], mMax: p[3],
		mFsyncsPerS:     float64(n) / secs,
		mMeasuredEvents: float64(n),
	}, nil
}
