package event

import (
	"cmp"
	"iter"
	"slices"
	"strconv"
	"strings"
)

// Range is a contiguous run of sequence numbers, Start..End inclusive, of
// one stream of one source (an onramp instance or an operator such as
// qos::wal that re-emits under IDs of its own).
type Range struct {
	Source SourceID
	Stream uint64
	Start  uint64
	End    uint64 // >= Start
}

// Len is the number of sequence numbers in r.
func (r Range) Len() uint64 { return r.End - r.Start + 1 }

func (r Range) String() string {
	s := strconv.FormatUint(uint64(r.Source), 10) + ":" + strconv.FormatUint(r.Stream, 10) + ":" + strconv.FormatUint(r.Start, 10)
	if r.End != r.Start {
		s += "-" + strconv.FormatUint(r.End, 10)
	}
	return s
}

// touches reports whether a and b overlap or are adjacent.
func touches(a, b Range) bool {
	const maxSeq = ^uint64(0)
	return (a.Start <= b.End && b.Start <= a.End) ||
		(a.End != maxSeq && a.End+1 == b.Start) || (b.End != maxSeq && b.End+1 == a.Start)
}

// sameStream reports whether r and o number the same stream.
func (r Range) sameStream(o Range) bool { return r.Source == o.Source && r.Stream == o.Stream }

// IDs is the set of event IDs an event (or an answer) stands for, as
// ranges. The common case, one range, is held inline and costs no
// allocation; an event made of many (a batch, a window, a group) holds a
// few ranges, from as many sources as it combines.
//
// An IDs value shares its extra ranges with its copies: build one with
// Add on a value you own, then treat it as immutable.
type IDs struct {
	first Range // valid unless first.Source == 0 (sources are never 0)
	more  []Range
}

// One is the IDs of a single event.
func One(src SourceID, stream, seq uint64) IDs {
	return IDs{first: Range{Source: src, Stream: stream, Start: seq, End: seq}}
}

// First is the first range (the only one of a single event's IDs); a
// comparable key for tests and maps.
func (ids IDs) First() Range { return ids.first }

// Clone returns ids with its extra ranges copied, so that adding to the
// copy never shows in ids.
func (ids IDs) Clone() IDs {
	if len(ids.more) > 0 {
		ids.more = append([]Range(nil), ids.more...)
	}
	return ids
}

// Of is the IDs of the given ranges.
func Of(rs ...Range) IDs {
	var ids IDs
	for _, r := range rs {
		ids.Add(r)
	}
	return ids
}

// IsZero reports whether ids holds nothing.
func (ids IDs) IsZero() bool { return ids.first.Source == 0 }

// Len is the number of ranges.
func (ids IDs) Len() int {
	if ids.IsZero() {
		return 0
	}
	return 1 + len(ids.more)
}

// At returns the i-th range, 0 <= i < Len().
func (ids IDs) At(i int) Range {
	if i == 0 {
		return ids.first
	}
	return ids.more[i-1]
}

// Count is the number of event IDs (sequence numbers) in ids.
func (ids IDs) Count() uint64 {
	var n uint64
	for i := range ids.Len() {
		n += ids.At(i).Len()
	}
	return n
}

// Add puts r into ids, extending the last range when r continues it.
func (ids *IDs) Add(r Range) {
	if r.Source == 0 || r.End < r.Start {
		return
	}
	if ids.IsZero() {
		ids.first = r
		return
	}
	last := &ids.first
	if len(ids.more) > 0 {
		last = &ids.more[len(ids.more)-1]
	}
	if last.sameStream(r) && touches(*last, r) {
		last.Start, last.End = min(last.Start, r.Start), max(last.End, r.End)
		return
	}
	ids.more = append(ids.more, r)
}

// AddAll puts every range of o into ids.
func (ids *IDs) AddAll(o IDs) {
	for i := range o.Len() {
		ids.Add(o.At(i))
	}
}

// Contains reports whether ids holds the given event ID.
func (ids IDs) Contains(src SourceID, stream, seq uint64) bool {
	for i := range ids.Len() {
		r := ids.At(i)
		if r.Source == src && r.Stream == stream && r.Start <= seq && seq <= r.End {
			return true
		}
	}
	return false
}

// HasSource reports whether any range of ids was numbered by src.
func (ids IDs) HasSource(src SourceID) bool {
	for i := range ids.Len() {
		if ids.At(i).Source == src {
			return true
		}
	}
	return false
}

// Events yields every event ids names, as a one-sequence Range each (for
// operators that keep per-event state; an ack of a batch names it as one
// range).
func (ids IDs) Events() iter.Seq[Range] {
	return func(yield func(Range) bool) {
		for i := range ids.Len() {
			r := ids.At(i)
			for seq := r.Start; ; seq++ {
				if !yield(Range{Source: r.Source, Stream: r.Stream, Start: seq, End: seq}) {
					return
				}
				if seq == r.End {
					break
				}
			}
		}
	}
}

// Split separates the ranges numbered by src from the others.
func (ids IDs) Split(src SourceID) (own, rest IDs) {
	if ids.Len() == 1 {
		if ids.first.Source == src {
			return ids, IDs{}
		}
		return IDs{}, ids
	}
	for i := range ids.Len() {
		if r := ids.At(i); r.Source == src {
			own.Add(r)
		} else {
			rest.Add(r)
		}
	}
	return own, rest
}

// Normalized returns ids sorted by source, stream and start, with
// overlapping and adjacent ranges merged: the canonical form, for
// comparing.
func (ids IDs) Normalized() IDs {
	if ids.Len() <= 1 {
		return ids
	}
	rs := make([]Range, 0, ids.Len())
	for i := range ids.Len() {
		rs = append(rs, ids.At(i))
	}
	slices.SortFunc(rs, func(a, b Range) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Stream, b.Stream), cmp.Compare(a.Start, b.Start))
	})
	var out IDs
	for _, r := range rs {
		out.Add(r)
	}
	return out
}

// Equal reports whether ids and o name the same event IDs.
func (ids IDs) Equal(o IDs) bool {
	a, b := ids.Normalized(), o.Normalized()
	if a.Len() != b.Len() {
		return false
	}
	for i := range a.Len() {
		if a.At(i) != b.At(i) {
			return false
		}
	}
	return true
}

func (ids IDs) String() string {
	if ids.IsZero() {
		return "-"
	}
	if len(ids.more) == 0 {
		return ids.first.String()
	}
	var b strings.Builder
	for i := range ids.Len() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(ids.At(i).String())
	}
	return b.String()
}
