package wal

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// Room and Append share one definition of the caps: whatever Room says
// about a record of n bytes, an Append of it does, through fills, acks and
// a reopen, for max_elements and max_bytes alone and together. (The
// operator relies on it: a mismatch made it retry a held event forever.)
func TestRoomAgreesWithAppend(t *testing.T) {
	for _, o := range []Options{
		{MaxBytes: 2000},
		{MaxElements: 17},
		{MaxElements: 30, MaxBytes: 1500},
	} {
		dir := t.TempDir()
		rng := rand.New(rand.NewPCG(1, uint64(o.MaxBytes+o.MaxElements)))
		l := mustOpen(t, dir, o)
		var unacked []uint64
		fulls, appends := 0, 0
		for step := 0; step < 3000; step++ {
			if step == 1500 { // the same after a restart
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				l = mustOpen(t, dir, o)
			}
			if len(unacked) > 0 && rng.IntN(3) == 0 {
				i := rng.IntN(len(unacked))
				if err := l.Ack(unacked[i]); err != nil {
					t.Fatal(err)
				}
				unacked = append(unacked[:i], unacked[i+1:]...)
				continue
			}
			n := rng.IntN(120)
			room := l.Room(n)
			seq, _, _, err := l.Append(make([]byte, n))
			if (room == nil) != (err == nil) || (room != nil && !errors.Is(err, ErrFull)) || (room != nil && !errors.Is(room, ErrFull)) {
				t.Fatalf("%+v step %d: Room(%d) = %v but Append = %v", o, step, n, room, err)
			}
			if err == nil {
				appends++
				unacked = append(unacked, seq)
			} else {
				fulls++
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if fulls == 0 || appends == 0 {
			t.Fatalf("%+v: %d appends, %d refused: the walk never reached the cap", o, appends, fulls)
		}
	}
}

// A record larger than max_bytes (or a segment) can never be stored: Room
// and Append both say ErrTooLarge, whatever the backlog.
func TestRoomTooLarge(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{MaxBytes: 1000, SegmentSize: 4096})
	defer l.Close()
	for _, n := range []int{1000, 5000} {
		if err := l.Room(n); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Room(%d) = %v, want ErrTooLarge", n, err)
		}
		if _, _, _, err := l.Append(make([]byte, n)); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Append(%d bytes) = %v, want ErrTooLarge", n, err)
		}
	}
	if err := l.Room(900); err != nil {
		t.Errorf("Room(900) = %v with max_bytes 1000 and nothing stored", err)
	}
}

// AppendPastCaps stores records a full log would refuse (and nothing is
// dropped for them), but not records that are too large.
func TestAppendPastCaps(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{MaxElements: 2, Overflow: OverflowDropOldest})
	defer l.Close()
	if _, _, _, err := l.Append([]byte("a"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := l.AppendPastCaps([]byte("c"), []byte("d")); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.Records != 4 || st.Dropped != 0 {
		t.Fatalf("after AppendPastCaps: %d records, %d dropped; want 4 and 0", st.Records, st.Dropped)
	}
	if _, _, _, err := l.AppendPastCaps(make([]byte, DefaultSegmentSize)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a record larger than a segment: %v", err)
	}
}
