package blaster

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type:   "blaster",
		Finite: true,
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			path := filepath.Join(t.TempDir(), "in.json")
			if err := os.WriteFile(path, []byte(strings.Join(msgs, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("source: %s\niters: %d\n", path, len(msgs)), nil
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "iters: 10\n", Pos: "5:7", Contains: "`source` is required"},
			{Config: "source: /\n", Pos: "5:15", Contains: "is a directory"},
			{Config: "source: x\ninterval: 0\n", Pos: "6:17", Contains: "`interval` must be at least 1"},
			{Config: "source: x\niters: -1\n", Pos: "6:14", Contains: "must be a non-negative integer"},
		},
	})
}

// open builds and opens a blaster on the config section.
func open(t *testing.T, c config) *blaster {
	t.Helper()
	src, err := newBlaster(&c, sdk.Params{})
	if err != nil {
		t.Fatal(err)
	}
	b := src.(*blaster)
	if err := b.Open(context.Background(), component.Env{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// readAll reads until the blaster ends, returning every frame.
func readAll(t *testing.T, b *blaster) []string {
	t.Helper()
	var out []string
	for {
		in, err := b.Read(context.Background())
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range in.Frames {
			out = append(out, string(f))
		}
	}
}

func u64(v uint64) *uint64 { return &v }

// TestRepeatsAndStopsAfterIters: the lines come round again and again
// until iters events were handed over.
func TestRepeatsAndStopsAfterIters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte("a\nb\r\nc"), 0o644); err != nil { // CRLF and no final newline, as Rust's lines() reads them
		t.Fatal(err)
	}
	got := readAll(t, open(t, config{Source: path, Iters: u64(3000)}))
	if len(got) != 3000 {
		t.Fatalf("%d events, want 3000", len(got))
	}
	for i, s := range got {
		if want := string("abc"[i%3]); s != want {
			t.Fatalf("event %d is %q, want %q", i, s, want)
		}
	}
}

// TestXZAndBase64: an .xz file is decompressed; base64 lines decoded.
func TestXZAndBase64(t *testing.T) {
	var plain bytes.Buffer
	for i := range 10 {
		plain.WriteString(base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("line %d\x00", i))) + "\n")
	}
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain.Bytes())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "in.b64.xz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, open(t, config{Source: path, Iters: u64(10), Base64: true}))
	for i, s := range got {
		if want := fmt.Sprintf("line %d\x00", i); s != want {
			t.Fatalf("event %d is %q, want %q", i, s, want)
		}
	}
	if len(got) != 10 {
		t.Fatalf("%d events, want 10", len(got))
	}
}

// TestIntervalPaces: with an interval, n events take at least (n-1)
// intervals (a lower bound, so a loaded machine cannot make it fail).
func TestIntervalPaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := readAll(t, open(t, config{Source: path, Iters: u64(50), Interval: u64(uint64(2 * time.Millisecond))}))
	if len(got) != 50 {
		t.Fatalf("%d events, want 50", len(got))
	}
	if took := time.Since(start); took < 49*2*time.Millisecond {
		t.Errorf("50 events at 2ms intervals took only %v", took)
	}
}

func TestOpenRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	notXZ := filepath.Join(dir, "plain.xz")
	notB64 := filepath.Join(dir, "bad.b64")
	os.WriteFile(empty, nil, 0o644)
	os.WriteFile(notXZ, []byte("hello\n"), 0o644)
	os.WriteFile(notB64, []byte("aGVsbG8=\n!!!\n"), 0o644)
	for _, c := range []struct {
		cfg  config
		want string
	}{
		{config{Source: empty}, "holds no line to replay"},
		{config{Source: notXZ}, "is not an xz file"},
		{config{Source: notB64, Base64: true}, "line 2 is not base64"},
	} {
		src, err := newBlaster(&c.cfg, sdk.Params{})
		if err != nil {
			t.Fatal(err)
		}
		err = src.(*blaster).Open(context.Background(), component.Env{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.cfg.Source, err, c.want)
		}
	}
}

// collect keeps what a port of the onramp sends.
type collect struct {
	mu  sync.Mutex
	evs []event.Event
}

func (c *collect) Send(_ context.Context, b *event.Batch, _ sdk.Upstream) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evs = append(c.evs, b.Events...)
	return nil
}

func (c *collect) n() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.evs) }

// TestBadLinesGoToErr: a line the codec cannot decode becomes an error
// event on `err`; the onramp goes on with the next line.
func TestBadLinesGoToErr(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(path, []byte("{\"a\":1}\n{not json\n{\"a\":3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := newBlaster(&config{Source: path, Iters: u64(6)}, sdk.Params{})
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := codec.Registry.Get("json")
	r := sdk.NewSourceRunner("/onramp/b/01", "blaster", src, spec.New(), nil)
	out, errs := &collect{}, &collect{}
	r.Link("out", out)
	r.Link("err", errs)
	if err := r.Open(context.Background(), component.Env{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out.n() != 4 || errs.n() != 2 {
		t.Fatalf("%d events on out, %d on err; want 4 and 2", out.n(), errs.n())
	}
	rec, _ := errs.evs[0].Data.(*event.Record)
	if msg, _ := rec.Get("error"); msg == nil {
		t.Errorf("error event %v", errs.evs[0].Data)
	}
}

// TestMissingFileWarnsAtLoadFailsAtOpen: the file is read when the onramp
// opens, so a missing one is a positioned warning when the deployment
// loads (it may be created before the run) and the error at Open, naming
// the file; created in between, the onramp replays it.
func TestMissingFileWarnsAtLoadFailsAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.json")
	section := "source: " + path + "\n"
	var y yaml.Node
	if err := yaml.Unmarshal([]byte(section), &y); err != nil {
		t.Fatal(err)
	}
	build := func() *blaster {
		built, errs := sdk.NewSource("blaster", conf.FromYAML(&conf.Source{File: "t.yaml", Text: []byte(section)}, y.Content[0]),
			sdk.Params{ID: "b"}, sdk.BuildOptions{})
		if errs.HasErrors() {
			t.Fatalf("a missing file refused the config: %v", errs)
		}
		if len(errs) != 1 || !strings.Contains(errs.Error(), "t.yaml:1:9: ") || !strings.Contains(errs.Error(), "cannot read "+path) {
			t.Fatalf("want one warning at t.yaml:1:9 naming %s, got %q", path, errs.Error())
		}
		return built.Value.(*blaster)
	}
	err := build().Open(context.Background(), component.Env{})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("Open of a missing file: %v; want an error naming %s", err, path)
	}
	b := build()
	if err := os.WriteFile(path, []byte("{\"a\":1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.Open(context.Background(), component.Env{}); err != nil {
		t.Fatalf("file created between load and open: %v", err)
	}
	if len(b.lines) != 1 {
		t.Fatalf("%d lines, want 1", len(b.lines))
	}
}
