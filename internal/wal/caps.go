package wal

import "fmt"

// The caps (Options.MaxElements, Options.MaxBytes) have one definition,
// overLocked, used by Append and by Room: a caller that asks Room before
// appending gets exactly the answer Append would give.

// overLocked reports whether n more records of size framed bytes in all
// would exceed a cap.
func (l *Log) overLocked(n uint64, size int64) bool {
	return (l.opts.MaxElements > 0 && l.unackedLocked()+n > l.opts.MaxElements) ||
		(l.opts.MaxBytes > 0 && uint64(l.bytes+size) > l.opts.MaxBytes)
}

// tooLargeLocked says whether a record with a payload of n bytes can never
// be appended: it does not fit a segment, or exceeds MaxBytes on its own.
func (l *Log) tooLargeLocked(n int) error {
	framed := int64(recHeaderSize) + int64(n)
	if framed > l.opts.SegmentSize-segHeaderSize || n > maxPayload {
		return fmt.Errorf("%w: %d bytes does not fit a segment of %d", ErrTooLarge, n, l.opts.SegmentSize)
	}
	if l.opts.MaxBytes > 0 && uint64(framed) > l.opts.MaxBytes {
		return fmt.Errorf("%w: %d bytes exceeds max_bytes %d", ErrTooLarge, n, l.opts.MaxBytes)
	}
	return nil
}

// Room reports whether one record with a payload of n bytes could be
// appended now within the caps: nil if so; an error wrapping ErrTooLarge
// when it never can; one wrapping ErrFull while the records not yet acked
// leave no room for it (acks make room). It ignores the overflow policy:
// under drop_oldest or drop_newest, Append makes room or drops instead.
// Room(0) is whether the log is full for any record at all.
func (l *Log) Room(n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.tooLargeLocked(n); err != nil {
		return err
	}
	if l.overLocked(1, int64(recHeaderSize+n)) {
		return fmt.Errorf("%w: %d records, %d bytes unacknowledged (caps: max_elements %d, max_bytes %d)",
			ErrFull, l.unackedLocked(), l.bytes, l.opts.MaxElements, l.opts.MaxBytes)
	}
	return nil
}

// AppendPastCaps is Append without the caps (it still refuses records that
// are too large). It is for the few records a caller accepted while the
// log was full and must not lose when it closes; nothing is dropped for
// them whatever the overflow policy.
func (l *Log) AppendPastCaps(payloads ...[]byte) (first, last uint64, c *Commit, err error) {
	return l.append(false, payloads)
}
