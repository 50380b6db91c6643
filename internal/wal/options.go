package wal

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// SyncPolicy says when appended records count as durable.
type SyncPolicy int

const (
	// SyncAlways: durable after the fsync that covers them (group commit:
	// one fsync covers every append that arrived while the previous ran).
	// Survives process kill and power loss.
	SyncAlways SyncPolicy = iota
	// SyncInterval: durable once written to the OS; fsync every
	// SyncInterval. Survives process kill; power loss may take the last
	// interval.
	SyncInterval
	// SyncNone: durable once written to the OS; never fsync (except on
	// Close). Survives process kill only.
	SyncNone
)

func (p SyncPolicy) String() string {
	switch p {
	case SyncAlways:
		return "always"
	case SyncInterval:
		return "interval"
	case SyncNone:
		return "none"
	}
	return fmt.Sprintf("SyncPolicy(%d)", int(p))
}

// ParseSyncPolicy parses "always", "interval" or "none".
func ParseSyncPolicy(s string) (SyncPolicy, error) {
	for _, p := range []SyncPolicy{SyncAlways, SyncInterval, SyncNone} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown sync policy %q (want always, interval or none)", s)
}

// OverflowPolicy says what Append does when the caps are reached.
type OverflowPolicy int

const (
	// OverflowBlock refuses the append with ErrFull (callers apply
	// back-pressure).
	OverflowBlock OverflowPolicy = iota
	// OverflowDropOldest discards the oldest unacknowledged records.
	OverflowDropOldest
	// OverflowDropNewest discards the appended record (ErrDropped).
	OverflowDropNewest
)

func (p OverflowPolicy) String() string {
	switch p {
	case OverflowBlock:
		return "block"
	case OverflowDropOldest:
		return "drop_oldest"
	case OverflowDropNewest:
		return "drop_newest"
	}
	return fmt.Sprintf("OverflowPolicy(%d)", int(p))
}

// ParseOverflowPolicy parses "block", "drop_oldest" or "drop_newest".
func ParseOverflowPolicy(s string) (OverflowPolicy, error) {
	for _, p := range []OverflowPolicy{OverflowBlock, OverflowDropOldest, OverflowDropNewest} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown overflow policy %q (want block, drop_oldest or drop_newest)", s)
}

// Options configure a Log.
type Options struct {
	SegmentSize  int64 // default 64 MiB
	Sync         SyncPolicy
	SyncInterval time.Duration // for SyncInterval; default 100ms
	// WriteDelay, under SyncNone and SyncInterval, is how long the writer
	// may wait for more appends before it writes less than 256 KiB: the
	// most it adds to an append's latency, for fewer, larger writes when
	// many small appends arrive one at a time. Default 0: the writer
	// writes what is queued as soon as it is free, which already makes a
	// write of everything appended during the previous one (a pipeline
	// that appends batches with several in flight gets hundreds of records
	// per write; see BenchmarkAppendBatch), without the wait. SyncAlways
	// never waits (the fsync in progress gathers the next appends).
	WriteDelay  time.Duration
	MaxElements uint64 // cap on unacked records; 0 = none
	MaxBytes    uint64 // cap on unacked framed bytes; 0 = none
	Overflow    OverflowPolicy
	Logger      *slog.Logger
	FS          FS
	// CursorInterval bounds how often the acked cursor is persisted
	// (default 50ms); acks not yet persisted are re-delivered after a crash.
	CursorInterval time.Duration
	// OnDrop, if set, is called for each record that OverflowDropOldest
	// discards, from inside Append (on the appending goroutine, with the
	// log's lock held: it must not call the Log).
	OnDrop func(seq uint64)
	// MarkerDir, if set, holds a small marker per WAL (its identity, acked,
	// durable and reserved sequence numbers), outside the WAL directory, so
	// that a WAL directory deleted or emptied is reported with what it
	// lost, and its numbering continues above the old. Usually
	// <data-dir>/walmarks (MarkerDirName).
	MarkerDir string
}

// DefaultSegmentSize is the default segment size.
const DefaultSegmentSize = 64 << 20

// Errors.
var (
	ErrFull     = errors.New("wal is full")
	ErrDropped  = errors.New("record dropped: wal is full (drop_newest)")
	ErrClosed   = errors.New("wal is closed")
	ErrTooLarge = errors.New("record too large")
	ErrLocked   = errors.New("wal directory is locked by another process")
	// ErrNoSpace: the file system has no room for a new segment. It is
	// not sticky: a later Append tries again (see NoSpaceError).
	ErrNoSpace = errors.New("no space for the wal")
)

// NoSpaceError says how much room a new segment needed and how much the
// file system had.
type NoSpaceError struct {
	Dir         string
	Free        int64 // bytes free for us (-1 if unknown)
	Need        int64 // the smallest segment that holds the record
	SegmentSize int64
	Err         error
}

func (e *NoSpaceError) Error() string {
	free := "an unknown number of"
	if e.Free >= 0 {
		free = fmt.Sprintf("%d", e.Free)
	}
	return fmt.Sprintf("no space for the WAL in %s: a new segment needs at least %d bytes (%d with the full segment_size), %s bytes are free: free some space (appends resume by themselves) or lower segment_size (%v)",
		e.Dir, e.Need, e.SegmentSize, free, e.Err)
}

func (e *NoSpaceError) Unwrap() error { return ErrNoSpace }

// LockedError names the directory and the process holding it.
type LockedError struct {
	Dir string
	Pid int
}

func (e *LockedError) Error() string {
	if e.Pid > 0 {
		return fmt.Sprintf("wal directory %s is in use by process %d", e.Dir, e.Pid)
	}
	return fmt.Sprintf("wal directory %s is in use by another process (or another WAL in this one)", e.Dir)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// Record is one stored record.
type Record struct {
	Seq  uint64
	Data []byte
}

// Stats describe a log.
type Stats struct {
	First       uint64 // oldest retained unacked seq (0 if none)
	Last        uint64 // last appended seq (0 if none ever)
	Acked       uint64 // durable watermark: every seq <= Acked is acked
	Records     uint64 // unacked records
	Bytes       uint64 // unacked framed bytes (approximate for recovered segments not yet read)
	Segments    int
	DiskBytes   int64
	Appended    uint64 // appends since open
	Dropped     uint64 // drops since open (both policies)
	LostRecords uint64 // undelivered records lost to damage: found at open, and since
	DroppedOld  uint64
	DroppedNew  uint64
	Syncs       uint64
	Writes      uint64 // flushes that wrote records (one write per segment touched)
	LastSyncDur time.Duration
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
