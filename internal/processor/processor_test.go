package processor

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Tremor 0.11.12's names, from its preprocessor and postprocessor lookups.
var (
	tremorPre = []string{"base64", "decompress", "gelf-chunking", "gelf-chunking-tcp", "gzip", "ingest-ns",
		"length-prefixed", "lines", "lines-cr-no-buffer", "lines-no-buffer", "lines-null", "lines-pipe", "lz4",
		"remove-empty", "snappy", "textual-length-prefix", "xz2", "zlib"}
	tremorPost = []string{"base64", "gelf-chunking", "gzip", "ingest-ns", "length-prefixed", "lines", "lz4",
		"snappy", "textual-length-prefix", "xz2", "zlib"}
)

func TestTremorNames(t *testing.T) {
	if got := Pre.Names(); !slices.Equal(got, tremorPre) {
		t.Errorf("preprocessors:\n got %v\nwant %v", got, tremorPre)
	}
	if got := Post.Names(); !slices.Equal(got, tremorPost) {
		t.Errorf("postprocessors:\n got %v\nwant %v", got, tremorPost)
	}
	for _, n := range Pre.Names() {
		if s, _ := Pre.Lookup(n); s.Doc == "" || s.New() == nil {
			t.Errorf("preprocessor %s: no doc or constructor", n)
		}
	}
	for _, n := range Post.Names() {
		if s, _ := Post.Lookup(n); s.Doc == "" || s.New() == nil {
			t.Errorf("postprocessor %s: no doc or constructor", n)
		}
	}
}

func newPre(t testing.TB, name string) Processor {
	t.Helper()
	s, ok := Pre.Lookup(name)
	if !ok {
		t.Fatalf("no preprocessor %s", name)
	}
	return s.New()
}

func newPost(t testing.TB, name string) Processor {
	t.Helper()
	s, ok := Post.Lookup(name)
	if !ok {
		t.Fatalf("no postprocessor %s", name)
	}
	return s.New()
}

// feed runs chunks through p and flushes it.
func feed(p Processor, chunks ...[]byte) (out [][]byte, err error) {
	for _, c := range chunks {
		fr, e := p.Process(c)
		out = append(out, fr...)
		err = errors.Join(err, e)
	}
	fr, e := p.Finish()
	return append(out, fr...), errors.Join(err, e)
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// payloads cover empty, tiny, binary, compressible and multi-chunk sizes.
var payloads = [][]byte{
	{},
	[]byte("snot"),
	[]byte(`{"snot":"badger","ingest_ns":1600860720749137000}`),
	bytes.Repeat([]byte("abcdefgh"), 10000),
	randBytes(20000),
}

// TestRoundTrips: every postprocessor's output is read back by the
// preprocessor of the same name (and by decompress where it applies), for
// each payload, whether the bytes arrive whole or in 1-byte, 7-byte or
// halved chunks where the preprocessor frames a stream.
func TestRoundTrips(t *testing.T) {
	streamed := map[string]bool{"length-prefixed": true, "textual-length-prefix": true}
	for _, name := range Post.Names() {
		if name == "lines" {
			continue // lines drops empty lines and splits binary payloads: tested on its own
		}
		for i, pl := range payloads {
			t.Run(fmt.Sprintf("%s/%d", name, i), func(t *testing.T) {
				post := newPost(t, name)
				wire, err := post.Process(pl)
				if err != nil {
					t.Fatal(err)
				}
				readers := []string{name}
				switch name {
				case "gzip", "zlib", "xz2", "snappy", "lz4":
					readers = append(readers, "decompress")
				}
				for _, rd := range readers {
					got, err := feed(newPre(t, rd), wire...)
					if err != nil {
						t.Fatalf("%s: %v", rd, err)
					}
					if len(got) != 1 || !bytes.Equal(got[0], pl) {
						t.Fatalf("%s: %d frames, first %.40q; want %.40q", rd, len(got), first(got), pl)
					}
				}
				if streamed[name] {
					joined := bytes.Join(wire, nil)
					for _, size := range []int{1, 7, len(joined)/2 + 1} {
						var chunks [][]byte
						for b := joined; len(b) > 0; b = b[min(size, len(b)):] {
							chunks = append(chunks, b[:min(size, len(b))])
						}
						got, err := feed(newPre(t, name), chunks...)
						if err != nil || len(got) != 1 || !bytes.Equal(got[0], pl) {
							t.Fatalf("chunks of %d: %d frames, err %v", size, len(got), err)
						}
					}
				}
			})
		}
	}
}

func first(b [][]byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b[0]
}

// TestTremorWireFormats pins the bytes Tremor's postprocessors wrote (from
// its unit tests), so that Tremor peers read what we write.
func TestTremorWireFormats(t *testing.T) {
	cases := []struct{ post, in, want string }{
		{"lines", "foob", "foob\n"},
		{"lines", "", "\n"},
		{"base64", "snot", "c25vdA=="},
		{"base64", "\n", "Cg=="},
		{"base64", "snot badger", "c25vdCBiYWRnZXI="},
		{"base64", "", ""},
		{"textual-length-prefix", "\x01\x02\x03", "3 \x01\x02\x03"},
		{"textual-length-prefix", "", "0 "},
		{"length-prefixed", "abc", "\x00\x00\x00\x00\x00\x00\x00\x03abc"},
	}
	for _, c := range cases {
		out, err := newPost(t, c.post).Process([]byte(c.in))
		if err != nil || len(out) != 1 || string(out[0]) != c.want {
			t.Errorf("%s(%q) = %q, %v; want %q", c.post, c.in, out, err, c.want)
		}
	}
	magic := map[string][]byte{"gzip": {0x1f, 0x8b}, "zlib": {0x78}, "xz2": {0xfd, '7', 'z', 'X', 'Z', 0}, "snappy": {0xff, 6, 0, 0, 's', 'N', 'a', 'P', 'p', 'Y'}, "lz4": {0x04, 0x22, 0x4d, 0x18}}
	for name, m := range magic {
		out, _ := newPost(t, name).Process([]byte("snot"))
		if !bytes.HasPrefix(out[0], m) {
			t.Errorf("%s output starts % x, want % x", name, out[0][:min(len(out[0]), 10)], m)
		}
	}
}

func TestLinesVariants(t *testing.T) {
	cases := []struct {
		name   string
		chunks []string
		want   []string
	}{
		{"lines", []string{"a\nb", "c\n", "\n", "d\r\ne", "f"}, []string{"a", "bc", "d\r", "ef"}},
		{"lines-null", []string{"a\x00b", "c\x00"}, []string{"a", "bc"}},
		{"lines-pipe", []string{"a|b", "c|"}, []string{"a", "bc"}},
		{"lines-no-buffer", []string{"snot\nbadger", "x\n", "\nsnot", "\n"}, []string{"snot", "badger", "x", "snot"}},
		{"lines-cr-no-buffer", []string{"snot\rbadger", "x\r", "\rsnot", "\r"}, []string{"snot", "badger", "x", "snot"}},
	}
	for _, c := range cases {
		var chunks [][]byte
		for _, s := range c.chunks {
			chunks = append(chunks, []byte(s))
		}
		got, err := feed(newPre(t, c.name), chunks...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		if !slices.Equal(gs, c.want) {
			t.Errorf("%s: got %q want %q", c.name, gs, c.want)
		}
	}
}

func TestRemoveEmpty(t *testing.T) {
	got, _ := feed(newPre(t, "remove-empty"), []byte{}, []byte("x"), nil)
	if len(got) != 1 || string(got[0]) != "x" {
		t.Fatalf("%q", got)
	}
}

func TestDecompressPassesThroughUnknown(t *testing.T) {
	for _, in := range []string{"", "abc", `{"a":1}`, "plain text that is long enough"} {
		got, err := feed(newPre(t, "decompress"), []byte(in))
		if err != nil || len(got) != 1 || string(got[0]) != in {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
}

func TestIngestNS(t *testing.T) {
	post, pre := newPost(t, "ingest-ns"), newPre(t, "ingest-ns")
	const ns = 1600860720749137000
	wire, err := Run(post, &Meta{IngestNS: ns, EgressNS: 1}, []byte{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	var m Meta
	out, err := Run(pre, &m, wire[0])
	if err != nil || m.IngestNS != ns || !bytes.Equal(out[0], []byte{1, 2, 3}) {
		t.Fatalf("%v %d %v", out, m.IngestNS, err)
	}
	if _, err := pre.Process([]byte{1, 2, 3}); err == nil {
		t.Fatal("a frame shorter than 8 bytes was accepted")
	}
	if out, err := pre.Process(make([]byte, 8)); err != nil || len(out) != 1 || len(out[0]) != 0 {
		t.Fatalf("exactly 8 bytes: %q %v", out, err)
	}
}

func TestLengthPrefixedErrors(t *testing.T) {
	p := newPre(t, "length-prefixed")
	if _, err := p.Process([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1}); err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Fatalf("huge length: %v", err)
	}
	// The stream goes on after the error.
	out, err := p.Process([]byte{0, 0, 0, 0, 0, 0, 0, 1, 'x'})
	if err != nil || len(out) != 1 || string(out[0]) != "x" {
		t.Fatalf("after the error: %q %v", out, err)
	}
	// An empty frame at the end of the input is not held back (Tremor waited
	// for a ninth byte).
	out, _ = p.Process(make([]byte, 8))
	if len(out) != 1 || len(out[0]) != 0 {
		t.Fatalf("empty frame: %q", out)
	}
	_, _ = p.Process([]byte{0, 0, 0, 0, 0, 0, 0, 5, 'a'})
	if _, err := p.Finish(); err == nil || !strings.Contains(err.Error(), "1 of 5 bytes") {
		t.Fatalf("truncated stream: %v", err)
	}
}

func TestTextualLengthPrefix(t *testing.T) {
	// Tremor's own loop case: chunks that split prefixes and multi-byte characters.
	datas := []string{
		"24 '?\U000d617eѨR\u202e\U000f8f7c\U000ede29\U000ac78436 ?{¥?MȺ\r\U000bac419\U0005bbbb\r\U0001c46c\U0004ba79¥\u007f*?:\u0000$i",
		"60 %\U000a825a\U000a4269\U00039e0c\U000b3e21<ì\U000f6c20ѨÛ`HW\U0009523fV",
		"\u0003\U000605fe%Fq\U00089b5e\U00093780Q3",
		"¥?\ufeff9",
		" '\ufffd2\U0004269b",
	}
	var chunks [][]byte
	for _, d := range datas {
		chunks = append(chunks, []byte(d))
	}
	got, err := feed(newPre(t, "textual-length-prefix"), chunks...)
	if err != nil {
		t.Fatal(err)
	}
	var lens []int
	for _, g := range got {
		lens = append(lens, len(g))
	}
	if !slices.Equal(lens, []int{24, 36, 60, 9}) {
		t.Fatalf("lengths %v", lens)
	}
	for _, bad := range []string{"x3 abc", "12345678901234 x", " abc", "99999999999 "} {
		p := newPre(t, "textual-length-prefix")
		if _, err := p.Process([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
		// and recovers
		out, err := p.Process([]byte("2 ok"))
		if err != nil || len(out) != 1 || string(out[0]) != "ok" {
			t.Errorf("after %q: %q %v", bad, out, err)
		}
	}
	p := newPre(t, "textual-length-prefix")
	_, _ = p.Process([]byte("5 ab"))
	if _, err := p.Finish(); err == nil {
		t.Fatal("a truncated frame at the end of the stream went unreported")
	}
}

func TestGelf(t *testing.T) {
	// Tremor's own case: 20 bytes in chunks of 20 (8 payload bytes each).
	post := &gelfPost{}
	in := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	big := bytes.Repeat([]byte("x"), 3*8180+5)
	chunks, err := post.Process(big)
	if err != nil || len(chunks) != 4 {
		t.Fatalf("%d chunks, %v", len(chunks), err)
	}
	for i, c := range chunks {
		if len(c) > 8192 || c[10] != byte(i) || c[11] != 4 {
			t.Fatalf("chunk %d: len %d header % x", i, len(c), c[:12])
		}
	}
	// Out of order, interleaved with another message and an unchunked one.
	pre := newGelfPre(false)
	other, _ := post.Process(in)
	order := [][]byte{chunks[3], chunks[1], other[0], []byte(`{"short_message":"x"}`), chunks[0], chunks[2]}
	var got [][]byte
	m := Meta{IngestNS: 1e18}
	for _, c := range order {
		out, err := pre.ProcessMeta(&m, c)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out...)
	}
	if len(got) != 3 || !bytes.Equal(got[0], in) || string(got[1]) != `{"short_message":"x"}` || !bytes.Equal(got[2], big) {
		t.Fatalf("got %d messages", len(got))
	}
	if pre.bytes != 0 || len(pre.cur)+len(pre.old) != 0 {
		t.Fatalf("buffers not released: %d bytes", pre.bytes)
	}
	// Too big to chunk.
	if _, err := post.Process(make([]byte, 129*8180)); err == nil {
		t.Fatal("a frame needing 129 chunks was accepted")
	}
	// Bad headers.
	for _, bad := range [][]byte{{}, {'{'}, {0x1e, 0x0f, 1}, []byte("hello")} {
		if _, err := pre.Process(bad); err == nil {
			t.Errorf("% x accepted", bad)
		}
	}
	// An incomplete message expires after 5 to 10 s of ingest time.
	pre = newGelfPre(false)
	m = Meta{IngestNS: 1e18}
	_, _ = pre.ProcessMeta(&m, chunks[0])
	m.IngestNS += 6e9
	_, _ = pre.ProcessMeta(&m, other[0]) // swap: chunks[0] now old
	m.IngestNS += 6e9
	_, _ = pre.ProcessMeta(&m, other[0]) // swap: dropped
	if pre.bytes != 0 {
		t.Fatalf("expired message still buffered: %d bytes", pre.bytes)
	}
	// A duplicate chunk discards its message.
	pre = newGelfPre(false)
	_, _ = pre.Process(chunks[0])
	if _, err := pre.Process(chunks[0]); err == nil || pre.bytes != 0 {
		t.Fatalf("duplicate: %v, %d bytes", err, pre.bytes)
	}
	// TCP: the NUL terminator goes.
	tcp := newGelfPre(true)
	out, _ := tcp.Process([]byte("{\"a\":1}\x00"))
	if string(out[0]) != `{"a":1}` {
		t.Fatalf("tcp: %q", out)
	}
	out, _ = tcp.Process([]byte("\x1f\x3cwelf"))
	if string(out[0]) != "welf" {
		t.Fatalf("welf: %q", out)
	}
}

// TestGarbageIsAnError: every decoding preprocessor rejects garbage with an
// error (never a panic, never silently).
func TestGarbageIsAnError(t *testing.T) {
	garbage := map[string][]byte{
		"base64": []byte("!!!"),
		"gzip":   []byte("\x1f\x8bnot really gzip"),
		"zlib":   []byte("\x78\x9cnot zlib"),
		"xz2":    []byte("\xfd7zXZ\x00garbage"),
		"snappy": []byte("\xff\x06\x00\x00sNaPpYgarbage"),
		"lz4":    []byte("\x04\x22\x4d\x18garbage"),
	}
	for name, g := range garbage {
		if _, err := feed(newPre(t, name), g); err == nil {
			t.Errorf("%s accepted garbage", name)
		}
		if _, err := feed(newPre(t, "decompress"), g); name != "base64" && err == nil {
			t.Errorf("decompress accepted %s garbage", name)
		}
	}
}

// TestDecompressionBomb: a small input that inflates past the limit
// (MaxFrame; 256 KiB here, to keep the test fast) is an error, not an
// out-of-memory, for every decompressor and through decompress.
func TestDecompressionBomb(t *testing.T) {
	const small = 256 << 10
	if (limit(0)).bytes() != MaxFrame {
		t.Fatal("the default limit is not MaxFrame")
	}
	zeros := make([]byte, small+1)
	pres := map[string]Processor{"gzip": &gzipPre{limit: small}, "zlib": &zlibPre{limit: small}, "xz2": xzPre{limit: small},
		"lz4": &lz4Pre{limit: small}, "snappy": &snappyPre{limit: small}}
	for name, pre := range pres {
		wire, err := newPost(t, name).Process(zeros)
		if err != nil {
			t.Fatal(err)
		}
		if len(wire[0]) > small/10 {
			t.Fatalf("%s: %d bytes is no bomb", name, len(wire[0]))
		}
		for _, p := range []Processor{pre, &decompressPre{limit: small}} {
			if _, err := feed(p, wire...); err == nil || !strings.Contains(err.Error(), "larger than") {
				t.Errorf("%s: %v", name, err)
			}
		}
		if out, err := feed(pre, wire[0]); err == nil || out != nil {
			t.Errorf("%s: the limit did not hold on reuse", name)
		}
	}
}

func TestChain(t *testing.T) {
	specs := func(names ...string) []Spec {
		var s []Spec
		for _, n := range names {
			sp, _ := Pre.Lookup(n)
			s = append(s, sp)
		}
		return s
	}
	// Each line carries its own ingest time; a bad line costs only itself.
	c := NewChain(specs("lines", "base64", "ingest-ns"))
	var in []byte
	for _, ns := range []uint64{7, 9} {
		post, _ := Run(newPost(t, "ingest-ns"), &Meta{IngestNS: ns}, []byte(fmt.Sprint("event", ns)))
		b, _ := newPost(t, "base64").Process(post[0])
		in = append(append(in, b[0]...), '\n')
		in = append(in, "!!notbase64\n"...)
	}
	out, errs := c.Process(Frame{Data: in, Meta: Meta{IngestNS: 1}})
	if len(out) != 2 || len(errs) != 2 {
		t.Fatalf("%d frames, errs %v", len(out), errs)
	}
	for i, want := range []uint64{7, 9} {
		if out[i].Meta.IngestNS != want || string(out[i].Data) != fmt.Sprint("event", want) {
			t.Errorf("frame %d: %q at %d", i, out[i].Data, out[i].Meta.IngestNS)
		}
	}
	var pe *Error
	if !errors.As(errs[0], &pe) || pe.Processor != "base64" {
		t.Errorf("error does not name its processor: %v", errs[0])
	}
	// Finish flushes a partial line through the rest of the chain.
	c = NewChain(specs("lines", "base64"))
	out, _ = c.Process(Frame{Data: []byte("c25vdA==\nYmFkZ2Vy")})
	rest, errs := c.Finish(Meta{IngestNS: 3})
	if len(out) != 1 || len(rest) != 1 || string(rest[0].Data) != "badger" || rest[0].Meta.IngestNS != 3 || errs != nil {
		t.Fatalf("%v %v %v", out, rest, errs)
	}
}
