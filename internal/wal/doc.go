// Package wal is temblor's write-ahead log storage engine: an append-only,
// segmented log on local disk with group commit, a durable "acked up to"
// cursor, capacity caps with an overflow policy, and recovery that keeps
// every record whose checksum verifies.
//
// It knows nothing of events or pipelines: bytes in, sequence numbers out.
//
// A pipeline appends a batch per call: fill a reused Batch (Add, or
// Next/Done to encode a record in place), call AppendBatch (the prefix
// that fits is appended; the error says what to do with the next record),
// Drop what was appended, and wait on the returned Commit, which every
// append of the same flush shares. Acks of a batch go back as one
// AckRange(first, last).
// It must never return a record it cannot verify, never panic on what it
// reads from disk, and never signal durability before the policy's
// guarantee holds.
//
// On-disk layout of a WAL directory:
//
//	LOCK                 flock'ed by the owner; holds its pid
//	cursor               acked watermark: magic, version, seq, crc32c
//	seg-<first seq>.wal  segments, preallocated to SegmentSize
//	spare.tmp            the next segment, preallocated ahead of need
//
// A segment is a 32-byte header (magic "TMBLWAL\x00", version, first seq,
// header crc) followed by records framed as
//
//	[len u32][crc32c u32][seq u64][payload len bytes]
//
// where the crc covers len, seq and payload. A header of all zero bytes
// marks the end of the data (segments are zero-filled when preallocated).
package wal
