package wal

// Batch is a set of records for one AppendBatch call: their payloads lie
// back to back in one buffer, so filling a batch of any size costs no
// allocation once the buffer has grown to the batch's usual size. Reuse a
// Batch from one call to the next (Reset keeps its memory).
//
// A record is either copied in (Add) or encoded in place:
//
//	dst := b.Next()              // the buffer, to append one record to
//	dst = appendMyEncoding(dst, ev)
//	b.Done(dst)                  // that record ends here
//
// A Batch is not safe for concurrent use.
type Batch struct {
	data []byte
	ends []int // ends[i] is where record i's payload ends in data
}

// maxKeptBatch is the buffer a Batch keeps across Reset when its last use
// needed far less (one huge batch does not pin its memory for ever).
const maxKeptBatch = 4 << 20

// Add appends a record with payload p (copied).
func (b *Batch) Add(p []byte) {
	b.data = append(b.data, p...)
	b.ends = append(b.ends, len(b.data))
}

// Next returns the batch's buffer for the caller to append one record's
// payload to; Done(dst) then ends that record. Nothing may be added to
// the batch in between.
func (b *Batch) Next() []byte { return b.data }

// Done ends the record appended to the buffer Next returned (dst is what
// appending to it returned).
func (b *Batch) Done(dst []byte) {
	b.data = dst
	b.ends = append(b.ends, len(dst))
}

// Len is the number of records.
func (b *Batch) Len() int { return len(b.ends) }

// Bytes is the payload bytes of all records.
func (b *Batch) Bytes() int { return len(b.data) }

// Record returns the payload of record i (valid until Reset).
func (b *Batch) Record(i int) []byte {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.data[start:b.ends[i]:b.ends[i]]
}

// Reset empties the batch, keeping its memory for the next one (unless it
// is large and was mostly unused this time).
func (b *Batch) Reset() {
	if cap(b.data) > maxKeptBatch && len(b.data) < cap(b.data)/4 {
		b.data = nil
	}
	b.data = b.data[:0]
	b.ends = b.ends[:0]
}

// Drop removes the first n records (those AppendBatch appended), keeping
// the rest in order, so the caller can retry or hold what was left.
func (b *Batch) Drop(n int) {
	if n <= 0 {
		return
	}
	if n >= len(b.ends) {
		b.Reset()
		return
	}
	cut := b.ends[n-1]
	b.data = b.data[:copy(b.data, b.data[cut:])]
	k := copy(b.ends, b.ends[n:])
	b.ends = b.ends[:k]
	for i := range b.ends {
		b.ends[i] -= cut
	}
}
