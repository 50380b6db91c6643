package wal

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// TestProperty drives random append/ack/read/close/reopen/crash sequences
// against a model, for every sync policy, with tiny segments. The model
// holds every appended record and the contiguous acked watermark; acks
// beyond it may be forgotten by a reopen (duplicates), never records.
func TestProperty(t *testing.T) {
	for _, pol := range policies {
		t.Run(pol.String(), func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				fs := newMemFS()
				opts := Options{SegmentSize: 128 + int64(rapid.IntRange(0, 256).Draw(rt, "seg")), Sync: pol, Logger: quiet, FS: fs, CursorInterval: 1}
				l, err := Open("/w", opts)
				if err != nil {
					rt.Fatal(err)
				}
				defer func() { _ = l.Close() }()
				model := map[uint64][]byte{}
				var last, watermark uint64
				ackedOOO := map[uint64]bool{}
				check := func(where string) {
					st := l.Stats()
					if st.Last != last {
						rt.Fatalf("%s: last %d, model %d", where, st.Last, last)
					}
					if st.Acked < watermark && where != "reopen" {
						rt.Fatalf("%s: watermark went back: %d < %d", where, st.Acked, watermark)
					}
					watermark = st.Acked
					recs, err := l.Read(0, 1<<20)
					if err != nil {
						rt.Fatalf("%s: read: %v", where, err)
					}
					var want []uint64
					for s := watermark + 1; s <= last; s++ {
						if !ackedOOO[s] {
							want = append(want, s)
						}
					}
					if len(recs) != len(want) {
						rt.Fatalf("%s: read %d records, model has %d unacked (watermark %d, last %d)", where, len(recs), len(want), watermark, last)
					}
					for i, r := range recs {
						if r.Seq != want[i] || !bytes.Equal(r.Data, model[r.Seq]) {
							rt.Fatalf("%s: record %d = seq %d, want %d", where, i, r.Seq, want[i])
						}
					}
				}
				steps := rapid.IntRange(1, 60).Draw(rt, "steps")
				for i := 0; i < steps; i++ {
					switch rapid.IntRange(0, 9).Draw(rt, "op") {
					case 0, 1, 2, 3:
						p := rapid.SliceOfN(rapid.Byte(), 0, 60).Draw(rt, "payload")
						_, seq, c, err := l.Append(p)
						if err != nil {
							rt.Fatalf("append: %v", err)
						}
						if err := c.Wait(context.Background()); err != nil {
							rt.Fatal(err)
						}
						last = seq
						model[seq] = append([]byte(nil), p...)
					case 4, 5:
						if last > watermark {
							s := watermark + 1 + uint64(rapid.IntRange(0, int(last-watermark-1)).Draw(rt, "ack"))
							_ = l.Ack(s)
							ackedOOO[s] = true
							for ackedOOO[watermark+1] {
								delete(ackedOOO, watermark+1)
								watermark++
							}
						}
					case 6:
						check("read")
					case 7:
						_ = l.Close()
						l, err = Open("/w", opts)
						if err != nil {
							rt.Fatalf("reopen: %v", err)
						}
						ackedOOO = map[uint64]bool{} // out-of-order acks are not persisted
						check("reopen")
					case 8, 9:
						// Crash: a process kill keeps what reached the OS;
						// under SyncAlways a power loss keeps it too.
						mode := crashProcessKill
						if pol == SyncAlways && rapid.Bool().Draw(rt, "powerloss") {
							mode = crashPowerLoss
						}
						img := fs.crashImage(mode)
						_ = l.Close()
						fs = img
						opts.FS = fs
						l, err = Open("/w", opts)
						if err != nil {
							rt.Fatalf("reopen after %s: %v", mode, err)
						}
						ackedOOO = map[uint64]bool{}
						watermark = min(watermark, l.Stats().Acked)
						check(fmt.Sprintf("crash (%s)", mode))
					}
				}
				check("end")
			})
		})
	}
}
