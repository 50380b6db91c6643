package event

import "testing"

func TestIDsAddMergesRuns(t *testing.T) {
	var ids IDs
	if !ids.IsZero() || ids.Len() != 0 || ids.String() != "-" {
		t.Fatal("zero IDs")
	}
	for seq := uint64(10); seq < 20; seq++ {
		ids.Add(Range{Source: 1, Stream: 0, Start: seq, End: seq})
	}
	if ids.Len() != 1 || ids.String() != "1:0:10-19" || ids.Count() != 10 {
		t.Fatalf("a run of single events is one range: %s", ids)
	}
	ids.Add(Range{Source: 2, Stream: 0, Start: 3, End: 3})
	ids.Add(Range{Source: 1, Stream: 1, Start: 20, End: 20}) // another stream: not merged
	ids.Add(Range{Source: 3, Stream: 0, Start: 5, End: 7})
	if ids.Len() != 4 || ids.Count() != 15 || ids.String() != "1:0:10-19,2:0:3,1:1:20,3:0:5-7" {
		t.Fatalf("got %s (%d)", ids, ids.Count())
	}
	if !ids.Contains(3, 0, 6) || ids.Contains(3, 0, 8) || !ids.HasSource(2) || ids.HasSource(4) {
		t.Error("Contains/HasSource")
	}
	own, rest := ids.Split(1)
	if own.String() != "1:0:10-19,1:1:20" || rest.String() != "2:0:3,3:0:5-7" {
		t.Errorf("split: %s | %s", own, rest)
	}
	one := One(5, 0, 9)
	if own, rest := one.Split(5); own.String() != "5:0:9" || !rest.IsZero() {
		t.Error("split of one range")
	}
}

func TestIDsSingleRangeDoesNotAllocate(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		var ids IDs
		for seq := uint64(0); seq < 1000; seq++ {
			ids.Add(Range{Source: 7, Start: seq, End: seq})
		}
		own, _ := ids.Split(7)
		if own.Count() != 1000 {
			panic("count")
		}
	})
	if n != 0 {
		t.Errorf("%v allocations for a run of 1,000 single events", n)
	}
}

func TestIDsNormalizedAndEqual(t *testing.T) {
	a := Of(Range{Source: 2, Start: 5, End: 6}, Range{Source: 1, Start: 3, End: 4}, Range{Source: 2, Start: 1, End: 4}, Range{Source: 1, Start: 1, End: 1})
	if got := a.Normalized().String(); got != "1:0:1,1:0:3-4,2:0:1-6" {
		t.Errorf("normalized: %s", got)
	}
	b := Of(Range{Source: 2, Start: 1, End: 6}, Range{Source: 1, Start: 3, End: 4}, Range{Source: 1, Start: 1, End: 1})
	if !a.Equal(b) || a.Equal(One(1, 0, 1)) {
		t.Error("Equal")
	}
	var huge IDs
	huge.Add(Range{Source: 1, Start: 1<<64 - 2, End: 1<<64 - 1})
	huge.Add(Range{Source: 1, Start: 0, End: 0}) // no wrap-around merge
	if huge.Len() != 2 {
		t.Errorf("wrapped: %s", huge)
	}
}

func TestIDsEdges(t *testing.T) {
	const max = ^uint64(0)
	var ids IDs
	ids.Add(Range{Source: 1, Start: max - 1, End: max})
	ids.Add(Range{Source: 1, Start: 0, End: 0})
	ids.Add(Range{Source: 1, Start: max, End: max})
	if ids.String() != "1:0:18446744073709551614-18446744073709551615,1:0:0,1:0:18446744073709551615" || ids.Normalized().String() != "1:0:0,1:0:18446744073709551614-18446744073709551615" {
		t.Errorf("%s", ids)
	}
	ids = IDs{}
	ids.Add(Range{Source: 1, Start: 5, End: 9})
	ids.Add(Range{Source: 1, Start: 2, End: 4}) // adjacent below
	ids.Add(Range{Source: 1, Start: 7, End: 12})
	ids.Add(Range{Source: 0, Start: 1, End: 1}) // no source: ignored
	ids.Add(Range{Source: 1, Start: 9, End: 8}) // empty: ignored
	if ids.String() != "1:0:2-12" {
		t.Errorf("%s", ids)
	}
}
