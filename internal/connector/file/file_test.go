package file

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ulikunitz/xz"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

// TestRoundTrip: what the offramp appends (with fsync) the onramp reads
// back, line by line.
func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	o := conformance.StartOfframp(t, "file", "file: "+path+"\nfsync: true\n")
	if err := o.Send(3); err != nil {
		t.Fatal(err)
	}
	o.Drain()
	if a, f := o.Answered(); a != 3 || f != 0 {
		t.Fatalf("%d acked, %d failed", a, f)
	}
	in := conformance.StartOnramp(t, "file", "source: "+path+"\n", nil, nil)
	if err := in.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(in.Data(), ","); got != `{"seq":0},{"seq":1},{"seq":2}` {
		t.Fatalf("read back %q", got)
	}
}

// TestSourceXZAndCloseOnDone: a .xz source is decompressed line by line
// (as Tremor's file onramp did); sleep_on_done waits at the end, and
// close_on_done then ends the onramp with sdk.ErrDone so the runtime
// stops the engine.
func TestSourceXZAndCloseOnDone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.json.xz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, err := xz.NewWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 0; i < 1000; i++ {
		line := fmt.Sprintf(`{"id":%d,"ingest_ns":1600860720749137000}`, i)
		want = append(want, line)
		fmt.Fprintln(zw, line)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	o := conformance.StartOnramp(t, "file", "source: "+path+"\nsleep_on_done: 50\nclose_on_done: true\n", nil, nil)
	if err := o.Wait(20 * time.Second); !errors.Is(err, sdk.ErrDone) {
		t.Fatalf("the onramp ended with %v, want ErrDone", err)
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("sleep_on_done: ended after %v", el)
	}
	if got := strings.Join(o.Data(), "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("read %d lines, want the 1000 written", len(o.Data()))
	}

	// Without close_on_done the onramp just ends; a file that is not xz
	// but named .xz is a clear error.
	o = conformance.StartOnramp(t, "file", "source: "+path+"\n", nil, nil)
	if err := o.Wait(20 * time.Second); err != nil {
		t.Fatalf("without close_on_done: %v", err)
	}
	bad := filepath.Join(dir, "plain.xz")
	if err := os.WriteFile(bad, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := conformance.OpenError(t, "file", "source: "+bad+"\n"); err == nil || !strings.Contains(err.Error(), "is not an xz file") {
		t.Fatalf("a non-xz .xz file: %v", err)
	}
}

// TestSourceLineOverDefaultLimit: a 17 MiB line at the default limit (16
// MiB) does not end the onramp: it is skipped, reported on the err port
// with its number, and the next line arrives.
func TestSourceLineOverDefaultLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.json")
	var b bytes.Buffer
	b.WriteString("{\"id\":1}\n{\"blob\":\"")
	b.Write(bytes.Repeat([]byte("x"), 17<<20))
	b.WriteString("\"}\n{\"id\":3}\n")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	o := conformance.StartOnramp(t, "file", "source: "+path+"\n", nil, nil)
	if err := o.Wait(30 * time.Second); err != nil {
		t.Fatalf("the onramp stopped: %v", err)
	}
	if got := strings.Join(o.Data(), ","); got != `{"id":1},{"id":3}` || len(o.Errors()) != 1 {
		t.Fatalf("lines %q, %d refused; want lines 1 and 3 and line 2 refused", got, len(o.Errors()))
	}
	reason, _ := o.Errors()[0].Data.(*event.Record).Get("error")
	if r := reason.(string); !strings.Contains(r, "line 2 of "+path) || !strings.Contains(r, "max_line_bytes (16777216)") {
		t.Fatalf("refusal %q", r)
	}
}
