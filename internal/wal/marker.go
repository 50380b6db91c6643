package wal

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// MarkerDirName is the directory, under a data directory, that holds one
// marker per WAL (Options.MarkerDir).
const MarkerDirName = "walmarks"

// marker is a small record of a WAL kept outside its directory: its
// identity and how far it had got. A WAL directory that is deleted or
// emptied takes its cursor with it; the marker still proves that the WAL
// existed, how many records it held, and where numbering must continue.
type marker struct {
	Version  int    `json:"version"`
	Dir      string `json:"dir"`
	ID       string `json:"id"`
	Acked    uint64 `json:"acked_seq"`
	Durable  uint64 `json:"durable_seq"`
	Reserved uint64 `json:"reserved_seq"`
	Updated  string `json:"updated"`
}

// markerKey names a WAL directory in its marker: relative to the data
// directory (the marker directory's parent) when it lies below it, so a
// data directory can be moved, else absolute.
func markerKey(markerDir, dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = filepath.Clean(dir)
	}
	base, err := filepath.Abs(filepath.Dir(markerDir))
	if err == nil {
		if rel, err := filepath.Rel(base, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(abs)
}

// markerPath is the marker file of the WAL in dir.
func markerPath(markerDir, dir string) string {
	key := markerKey(markerDir, dir)
	sum := sha256.Sum256([]byte(key))
	readable := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, strings.TrimPrefix(key, "wal/"))
	if len(readable) > 60 {
		readable = readable[len(readable)-60:]
	}
	return filepath.Join(markerDir, readable+"-"+hex.EncodeToString(sum[:6])+".json")
}

func readMarker(fs FS, path string) (*marker, error) {
	raw, err := fs.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m marker
	if err := json.Unmarshal(raw, &m); err != nil || m.Version != 1 || m.ID == "" {
		return nil, fmt.Errorf("%w: marker %s cannot be read (%v)", ErrCorrupt, path, err)
	}
	return &m, nil
}

// writeMarker replaces the marker atomically.
func writeMarker(fs FS, markerDir, path string, m marker) error {
	if err := fs.MkdirAll(markerDir); err != nil {
		return err
	}
	m.Version = 1
	m.Updated = time.Now().UTC().Format(time.RFC3339)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(fs, markerDir, path, append(b, '\n'))
}

// writeFileAtomic writes data to path through a temporary file, fsync,
// rename and a directory fsync.
func writeFileAtomic(fs FS, dir, path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	if _, err = f.WriteAt(data, 0); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = fs.Remove(tmp)
		return err
	}
	if err := fs.Rename(tmp, path); err != nil {
		return err
	}
	return fs.SyncDir(dir)
}

func newWALID() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := binary.LittleEndian.Uint64(b[:])
	if id == 0 {
		id = 1
	}
	return id
}

func formatID(id uint64) string { return fmt.Sprintf("%016x", id) }

func parseID(s string) uint64 {
	var id uint64
	_, _ = fmt.Sscanf(s, "%x", &id)
	return id
}

// findMarker looks for the marker of dir in a walmarks directory of each
// of its ancestors (the offline tools do not know the data directory).
func findMarker(dir string) (*marker, string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, ""
	}
	for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
		md := filepath.Join(p, MarkerDirName)
		if fi, err := os.Stat(md); err == nil && fi.IsDir() {
			path := markerPath(md, abs)
			if m, err := readMarker(osFS{}, path); err == nil {
				return m, path
			} else if !errors.Is(err, os.ErrNotExist) {
				return nil, ""
			}
		}
		if p == filepath.Dir(p) {
			return nil, ""
		}
	}
}
