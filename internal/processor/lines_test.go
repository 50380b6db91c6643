package processor

import (
	"bytes"
	"strings"
	"testing"
)

func TestLinesAcrossChunks(t *testing.T) {
	spec, _ := Pre.Lookup("lines")
	p := spec.New()
	var got []string
	for _, chunk := range []string{"a\nb", "c\n", "\n", "d\ne", "f"} {
		frames, err := p.Process([]byte(chunk))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range frames {
			got = append(got, string(f))
		}
	}
	rest, _ := p.Finish()
	for _, f := range rest {
		got = append(got, string(f))
	}
	if strings.Join(got, "|") != "a|bc|d|ef" {
		t.Fatalf("got %q", got)
	}
}

func TestLinesCap(t *testing.T) {
	spec, _ := Pre.Lookup("lines")
	p := spec.New()
	big := bytes.Repeat([]byte("x"), MaxLine/2+1)
	if _, err := p.Process(big); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Process(big); err == nil {
		t.Fatal("unbounded line accepted")
	}
}

func TestPostLinesAndBase64(t *testing.T) {
	l, _ := Post.Lookup("lines")
	out, _ := l.New().Process([]byte("x"))
	enc, _ := Post.Lookup("base64")
	dec, _ := Pre.Lookup("base64")
	b, _ := enc.New().Process([]byte("hello"))
	back, err := dec.New().Process(b[0])
	if string(out[0]) != "x\n" || err != nil || string(back[0]) != "hello" {
		t.Fatalf("%q %q %v", out, back, err)
	}
}

// FuzzLines: whatever the chunks, the frames are exactly the input's
// non-empty lines, in order: no byte lost, none added, and no two lines
// glued together (or one split), whatever the chunk boundaries.
func FuzzLines(f *testing.F) {
	f.Add([]byte("a\nb\n"), []byte("c"))
	f.Add([]byte("a"), []byte("b\nc\n\nd"))
	f.Add([]byte("\n\nx"), []byte("\ny\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		spec, _ := Pre.Lookup("lines")
		p := spec.New()
		var got [][]byte
		for _, c := range [][]byte{a, b} {
			fr, err := p.Process(c)
			if err != nil {
				t.Fatalf("lines failed on %d+%d bytes: %v", len(a), len(b), err)
			}
			got = append(got, fr...)
		}
		rest, err := p.Finish()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rest...)
		var want [][]byte
		for _, l := range bytes.Split(append(append([]byte(nil), a...), b...), []byte("\n")) {
			if len(l) > 0 {
				want = append(want, l)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%q+%q: %d frames %q, want the %d lines %q", a, b, len(got), got, len(want), want)
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("%q+%q: frame %d is %q, want %q", a, b, i, got[i], want[i])
			}
		}
	})
}
