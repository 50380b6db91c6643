package wal

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
)

// memFS is a simulated file system for crash tests. It remembers, per
// file, what an fsync made durable and the writes since; per directory,
// which entries a directory fsync made durable. crashImage builds the file
// system a crash could leave behind.
type memFS struct {
	mu       sync.Mutex
	entries  map[string]*memFile // current names
	durable  map[string]*memFile // names as of the last SyncDir
	locked   map[string]bool
	ops      int
	failSync bool
	capacity int64 // bytes the file system holds; 0 = unlimited
	// onOp is called after each mutating operation with mu held, so that
	// nothing changes the file system until it returns: the crash images
	// it takes (crashImageLocked) are the state right after op, and what it
	// copies from a test's model then is the model at op. It must not call
	// fs's methods.
	onOp func(op int)
	// blocked counts the goroutines waiting for mu (see lock).
	blocked atomic.Int32
}

type memOp struct {
	off  int64
	data []byte // nil for a truncate/allocate to size
	size int64
}

type memFile struct {
	data    []byte
	synced  []byte
	pending []memOp
}

func newMemFS() *memFS {
	return &memFS{entries: map[string]*memFile{}, durable: map[string]*memFile{}, locked: map[string]bool{}}
}

// lock takes mu, counting the goroutines that had to wait for it, so a
// test can tell that an operation is held up rather than done.
func (fs *memFS) lock() {
	if fs.mu.TryLock() {
		return
	}
	fs.blocked.Add(1)
	fs.mu.Lock()
	fs.blocked.Add(-1)
}

// bump counts an operation and calls onOp, with mu held.
func (fs *memFS) bump() {
	fs.ops++
	if fs.onOp != nil {
		fs.onOp(fs.ops)
	}
}

func (fs *memFS) MkdirAll(string) error { return nil }

// usedLocked is the bytes the current files take.
func (fs *memFS) usedLocked() int64 {
	var n int64
	seen := map[*memFile]bool{}
	for _, f := range fs.entries {
		if !seen[f] {
			seen[f] = true
			n += int64(len(f.data))
		}
	}
	return n
}

// roomLocked fails with ENOSPC when growing a file by grow bytes does not
// fit the capacity.
func (fs *memFS) roomLocked(op string, grow int64) error {
	if fs.capacity > 0 && grow > 0 && fs.usedLocked()+grow > fs.capacity {
		return &os.PathError{Op: op, Path: "memfs", Err: syscall.ENOSPC}
	}
	return nil
}

func (fs *memFS) Free(string) (int64, error) {
	fs.lock()
	defer fs.mu.Unlock()
	if fs.capacity == 0 {
		return 1 << 40, nil
	}
	return max(fs.capacity-fs.usedLocked(), 0), nil
}

func (fs *memFS) setCapacity(n int64) {
	fs.lock()
	fs.capacity = n
	fs.mu.Unlock()
}

func (fs *memFS) OpenFile(name string, flag int) (File, error) {
	fs.lock()
	defer fs.mu.Unlock()
	f, ok := fs.entries[name]
	if !ok {
		if flag&os.O_CREATE == 0 {
			return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
		}
		f = &memFile{}
		fs.entries[name] = f
		defer fs.bump()
	}
	if flag&os.O_TRUNC != 0 && len(f.data) > 0 {
		f.data = f.data[:0]
		f.pending = append(f.pending, memOp{size: 0})
		defer fs.bump()
	}
	return &memHandle{fs: fs, f: f}, nil
}

func (fs *memFS) ReadFile(name string) ([]byte, error) {
	fs.lock()
	defer fs.mu.Unlock()
	f, ok := fs.entries[name]
	if !ok {
		return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
	}
	return append([]byte(nil), f.data...), nil
}

func (fs *memFS) Rename(o, n string) error {
	fs.lock()
	defer fs.mu.Unlock()
	f, ok := fs.entries[o]
	if !ok {
		return &os.PathError{Op: "rename", Path: o, Err: os.ErrNotExist}
	}
	delete(fs.entries, o)
	fs.entries[n] = f
	fs.bump()
	return nil
}

func (fs *memFS) Remove(name string) error {
	fs.lock()
	defer fs.mu.Unlock()
	if _, ok := fs.entries[name]; !ok {
		return &os.PathError{Op: "remove", Path: name, Err: os.ErrNotExist}
	}
	delete(fs.entries, name)
	fs.bump()
	return nil
}

func (fs *memFS) List(dir string) ([]string, error) {
	fs.lock()
	defer fs.mu.Unlock()
	var names []string
	for n := range fs.entries {
		if filepath.Dir(n) == filepath.Clean(dir) {
			names = append(names, filepath.Base(n))
		}
	}
	sort.Strings(names)
	return names, nil
}

func (fs *memFS) SyncDir(string) error {
	fs.lock()
	defer fs.mu.Unlock()
	fs.durable = map[string]*memFile{}
	for n, f := range fs.entries {
		fs.durable[n] = f
	}
	fs.bump()
	return nil
}

func (fs *memFS) Lock(name string) (func() error, int, error) {
	fs.lock()
	defer fs.mu.Unlock()
	if fs.locked[name] {
		return nil, 4242, errWouldBlock
	}
	fs.locked[name] = true
	return func() error {
		fs.lock()
		delete(fs.locked, name)
		fs.mu.Unlock()
		return nil
	}, 0, nil
}

type memHandle struct {
	fs *memFS
	f  *memFile
}

func (h *memHandle) ReadAt(p []byte, off int64) (int, error) {
	h.fs.lock()
	defer h.fs.mu.Unlock()
	if off >= int64(len(h.f.data)) {
		return 0, io.EOF
	}
	n := copy(p, h.f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func grow(b []byte, size int64) []byte {
	if int64(len(b)) >= size {
		return b
	}
	return append(b, make([]byte, size-int64(len(b)))...)
}

func (h *memHandle) WriteAt(p []byte, off int64) (int, error) {
	h.fs.lock()
	defer h.fs.mu.Unlock()
	if err := h.fs.roomLocked("write", off+int64(len(p))-int64(len(h.f.data))); err != nil {
		return 0, err
	}
	h.f.data = grow(h.f.data, off+int64(len(p)))
	copy(h.f.data[off:], p)
	h.f.pending = append(h.f.pending, memOp{off: off, data: append([]byte(nil), p...)})
	h.fs.bump()
	return len(p), nil
}

func (h *memHandle) Sync() error {
	h.fs.lock()
	defer h.fs.mu.Unlock()
	if h.fs.failSync {
		return errors.New("simulated fsync failure")
	}
	h.f.synced = append([]byte(nil), h.f.data...)
	h.f.pending = nil
	h.fs.bump()
	return nil
}

func (h *memHandle) Size() (int64, error) {
	h.fs.lock()
	defer h.fs.mu.Unlock()
	return int64(len(h.f.data)), nil
}

func (h *memHandle) Allocate(size int64) error {
	h.fs.lock()
	defer h.fs.mu.Unlock()
	if int64(len(h.f.data)) >= size {
		return nil
	}
	if err := h.fs.roomLocked("fallocate", size-int64(len(h.f.data))); err != nil {
		return err
	}
	h.f.data = grow(h.f.data, size)
	h.f.pending = append(h.f.pending, memOp{size: size})
	h.fs.bump()
	return nil
}

func (h *memHandle) Truncate(size int64) error {
	h.fs.lock()
	defer h.fs.mu.Unlock()
	if size < int64(len(h.f.data)) {
		h.f.data = h.f.data[:size]
	} else {
		h.f.data = grow(h.f.data, size)
	}
	h.f.pending = append(h.f.pending, memOp{size: size})
	h.fs.bump()
	return nil
}

func (h *memHandle) Close() error { return nil }

// crashMode picks which unsynced state survives a crash.
type crashMode int

const (
	crashPowerLoss   crashMode = iota // only fsynced data and fsynced directory entries
	crashProcessKill                  // everything written to the OS survives
	crashDirOnly                      // directory changes survive, unsynced file data does not
	crashTornLast                     // like process kill, but each file's last unsynced write is torn in half
	crashDataNoDir                    // unsynced data survives, unsynced directory changes do not
	numCrashModes
)

func (m crashMode) String() string {
	return [...]string{"power-loss", "process-kill", "dir-only", "torn-last-write", "data-not-dir"}[m]
}

// crashImage returns the file system a crash in mode would leave.
func (fs *memFS) crashImage(mode crashMode) *memFS {
	fs.lock()
	defer fs.mu.Unlock()
	return fs.crashImageLocked(mode)
}

// crashImageLocked is crashImage for a caller holding mu (onOp).
func (fs *memFS) crashImageLocked(mode crashMode) *memFS {
	img := newMemFS()
	names := fs.durable
	if mode == crashProcessKill || mode == crashDirOnly || mode == crashTornLast {
		names = fs.entries
	}
	copies := map[*memFile]*memFile{}
	for n, f := range names {
		c, ok := copies[f]
		if !ok {
			var data []byte
			switch mode {
			case crashPowerLoss, crashDirOnly:
				data = append([]byte(nil), f.synced...)
			case crashProcessKill, crashDataNoDir:
				data = append([]byte(nil), f.data...)
			case crashTornLast:
				data = append([]byte(nil), f.synced...)
				for i, op := range f.pending {
					if op.data == nil {
						if op.size < int64(len(data)) {
							data = data[:op.size]
						} else {
							data = grow(data, op.size)
						}
						continue
					}
					d := op.data
					if i == len(f.pending)-1 {
						d = d[:len(d)/2]
					}
					data = grow(data, op.off+int64(len(d)))
					copy(data[op.off:], d)
				}
			}
			c = &memFile{data: data, synced: append([]byte(nil), data...)}
			copies[f] = c
		}
		img.entries[n] = c
		img.durable[n] = c
	}
	return img
}

// corrupt applies fn to the current content of the file name.
func (fs *memFS) corrupt(name string, fn func([]byte) []byte) {
	fs.lock()
	defer fs.mu.Unlock()
	f := fs.entries[name]
	f.data = fn(f.data)
	f.synced = append([]byte(nil), f.data...)
}
