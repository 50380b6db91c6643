package codec

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
)

var update = flag.Bool("update", false, "rewrite golden files (testdata/<codec>/*.golden) and fuzz seeds")

// goldenIngestNS is the ingest time influx gives a line without a timestamp.
const goldenIngestNS = 1600860720749137000

// goldenClock fixes the year of RFC 3164 dates that carry none.
var goldenClock = func() time.Time { return time.Date(2021, 6, 15, 12, 0, 0, 0, time.UTC) }

func newGolden(name string) Codec {
	if name == "syslog" {
		return &syslogCodec{now: goldenClock}
	}
	s, _ := Registry.Lookup(name)
	return s.New()
}

// goldenCase renders what a codec makes of one input: the decoded value as
// JSON, the value encoded again, and whether that decodes to the same value.
func goldenCase(c Codec, in []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "== %s\n", in)
	v, err := Decode(c, in, goldenIngestNS)
	switch {
	case errors.Is(err, ErrSkip):
		b.WriteString("-- skipped (no event)\n")
		return b.String()
	case err != nil:
		fmt.Fprintf(&b, "-- decode error: %v\n", err)
		return b.String()
	}
	fmt.Fprintf(&b, "-- decoded\n%s\n", event.MarshalJSON(v))
	out, err := c.Encode(v)
	if err != nil {
		fmt.Fprintf(&b, "-- encode error: %v\n", err)
		return b.String()
	}
	fmt.Fprintf(&b, "-- encoded\n%s\n", out)
	back, err := Decode(c, out, goldenIngestNS)
	switch {
	case err != nil:
		fmt.Fprintf(&b, "-- decoding the encoded form failed: %v\n", err)
	case !event.Equal(back, v):
		fmt.Fprintf(&b, "-- decodes to a different value\n%s\n", event.MarshalJSON(back))
	default:
		b.WriteString("-- round trip: same value\n")
	}
	return b.String()
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -update rewrites it; review the diff):\n%s", path, lineDiff(string(want), got))
	}
}

func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			fmt.Fprintf(&b, "line %d:\n  want %s\n   got %s\n", i+1, w, g)
		}
	}
	return b.String()
}

// TestGoldenLineFormats: each line of testdata/<codec>/cases.in is a case.
func TestGoldenLineFormats(t *testing.T) {
	for _, name := range []string{"influx", "statsd", "syslog"} {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", name, "cases.in"))
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, line := range bytes.Split(bytes.TrimSuffix(in, []byte("\n")), []byte("\n")) {
				b.WriteString(goldenCase(newGolden(name), line))
			}
			checkGolden(t, filepath.Join("testdata", name, "cases.golden"), b.String())
		})
	}
}

// TestGoldenYAML: each testdata/yaml/*.yaml file is a case.
func TestGoldenYAML(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "yaml", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no yaml cases")
	}
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, strings.TrimSuffix(f, ".yaml")+".golden", goldenCase(newGolden("yaml"), in))
	}
}
