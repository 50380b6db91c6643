package wal

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"
)

// buildLog writes n records into /w with 256-byte segments and closes it;
// it returns the file system and the segment names in order.
func buildLog(t *testing.T, n int, acked uint64) (*memFS, []string) {
	t.Helper()
	fs := newMemFS()
	l := mustOpen(t, "/w", Options{SegmentSize: 256, FS: fs})
	var c *Commit
	for i := 1; i <= n; i++ {
		_, _, c, _ = l.Append(payload(i))
	}
	_ = c.Wait(context.Background())
	if acked > 0 {
		_ = l.AckThrough(acked)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	names, _ := fs.List("/w")
	var segs []string
	for _, nm := range names {
		if _, ok := parseSegName(nm); ok {
			segs = append(segs, "/w/"+nm)
		}
	}
	return fs, segs
}

// endOfData is the offset just past the last record of a segment image.
func endOfData(b []byte) int {
	off := segHeaderSize
	for off+recHeaderSize <= len(b) {
		_, _, n, err := DecodeRecord(b[off:])
		if err != nil {
			break
		}
		off += n
	}
	return off
}

func TestCorruptionCases(t *testing.T) {
	type want struct {
		open      bool   // reopen must succeed (always true here)
		minRecs   int    // at least this many records readable
		maxRecs   int    // at most
		lossMatch string // substring of a reported loss or cursor reason ("" = no finding)
	}
	cases := []struct {
		name   string
		mutate func(t *testing.T, fs *memFS, segs []string)
		want   want
	}{
		{"clean", func(*testing.T, *memFS, []string) {}, want{true, 40, 40, ""}},
		{"torn length", func(t *testing.T, fs *memFS, segs []string) {
			fs.corrupt(segs[len(segs)-1], func(b []byte) []byte {
				end := endOfData(b)
				binary.LittleEndian.PutUint32(b[end:], 0xffff) // a half-written header after the data
				return b
			})
		}, want{true, 40, 40, "torn or corrupt tail"}},
		{"torn payload", func(t *testing.T, fs *memFS, segs []string) {
			fs.corrupt(segs[len(segs)-1], func(b []byte) []byte {
				end := endOfData(b)
				// Rewrite the last record's payload half-way: its CRC fails.
				last := segHeaderSize
				for off := segHeaderSize; off < end; {
					_, _, n, _ := DecodeRecord(b[off:])
					last, off = off, off+n
				}
				for i := last + recHeaderSize + 1; i < end; i++ {
					b[i] ^= 0x5a
				}
				return b
			})
		}, want{true, 39, 39, "torn or corrupt tail"}},
		{"flipped crc in a middle segment", func(t *testing.T, fs *memFS, segs []string) {
			fs.corrupt(segs[1], func(b []byte) []byte { b[segHeaderSize+5] ^= 1; return b })
		}, want{true, 30, 39, "checksum mismatch"}},
		{"zeroed page", func(t *testing.T, fs *memFS, segs []string) {
			fs.corrupt(segs[2], func(b []byte) []byte {
				for i := segHeaderSize + 20; i < len(b); i++ {
					b[i] = 0
				}
				return b
			})
		}, want{true, 30, 39, ""}},
		{"truncated segment", func(t *testing.T, fs *memFS, segs []string) {
			fs.corrupt(segs[len(segs)-1], func(b []byte) []byte { return b[:segHeaderSize+30] })
		}, want{true, 30, 39, "torn or corrupt tail"}},
		{"missing cursor", func(t *testing.T, fs *memFS, segs []string) {
			_ = fs.Remove("/w/cursor")
		}, want{true, 40, 40, "cursor file missing"}},
		{"garbage cursor", func(t *testing.T, fs *memFS, segs []string) {
			fs.corrupt("/w/cursor", func(b []byte) []byte { return []byte("garbage!") })
		}, want{true, 40, 40, "cursor"}},
		{"missing middle segment", func(t *testing.T, fs *memFS, segs []string) {
			_ = fs.Remove(segs[1])
		}, want{true, 30, 39, ""}},
		{"garbage tail header", func(t *testing.T, fs *memFS, segs []string) {
			fs.corrupt(segs[len(segs)-1], func(b []byte) []byte { copy(b, "XXXXXXXX"); return b })
		}, want{true, 25, 39, "bad segment magic"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs, segs := buildLog(t, 40, 0)
			if len(segs) < 4 {
				t.Fatalf("want several segments, got %v", segs)
			}
			c.mutate(t, fs, segs)
			l, err := Open("/w", Options{SegmentSize: 256, FS: fs, Logger: quiet})
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer l.Close()
			recs, err := l.Read(0, 1000)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if len(recs) < c.want.minRecs || len(recs) > c.want.maxRecs {
				t.Fatalf("%d records readable, want %d..%d", len(recs), c.want.minRecs, c.want.maxRecs)
			}
			for _, r := range recs {
				if !bytes.Equal(r.Data, payload(int(r.Seq))) {
					t.Fatalf("record %d returned with wrong bytes", r.Seq)
				}
			}
			rep := l.Recovery()
			var findings []string
			for _, loss := range rep.Losses {
				findings = append(findings, loss.Reason)
			}
			findings = append(findings, rep.CursorReason)
			all := strings.Join(findings, " | ")
			if c.want.lossMatch != "" && !strings.Contains(all, c.want.lossMatch) {
				t.Fatalf("recovery report %q lacks %q", all, c.want.lossMatch)
			}
			// The log keeps working: append and read back.
			_, seq, cm, err := l.Append([]byte("after"))
			if err != nil || cm.Wait(context.Background()) != nil {
				t.Fatalf("append after recovery: %v", err)
			}
			recs, _ = l.Read(seq, 1)
			if len(recs) != 1 || string(recs[0].Data) != "after" {
				t.Fatalf("read after recovery: %v", recs)
			}
			// Acking everything moves the watermark past any lost region.
			_ = l.AckThrough(seq)
			if st := l.Stats(); st.Records != 0 || st.Acked != seq {
				t.Fatalf("after acking all: %+v", st)
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendRecord(nil, 1, []byte("hello")))
	f.Add(appendRecord(nil, 42, nil))
	f.Add(make([]byte, 16))
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, p, n, err := DecodeRecord(b)
		if err != nil {
			return
		}
		if n > len(b) || n != recHeaderSize+len(p) || seq == 0 {
			t.Fatalf("inconsistent decode: seq %d n %d len %d", seq, n, len(b))
		}
		if !bytes.Equal(appendRecord(nil, seq, p), b[:n]) {
			t.Fatalf("decoded record does not re-encode to its bytes")
		}
	})
}
