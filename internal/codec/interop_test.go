package codec

import (
	"bytes"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
)

// Interoperability with real implementations from Debian: python3-msgpack
// and python3-yaml (PyYAML) write what we read and read what we write;
// util-linux's logger sends syslog (RFC 5424 and 3164) that we parse.

// python finds a python3 with the module, or skips visibly.
func python(t *testing.T, module, pkg string) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import "+module).Run() == nil {
			return py
		}
	}
	t.Skipf("python3 module %s is not installed (apt-get install %s); interoperability not checked", module, pkg)
	return ""
}

func pyRun(t *testing.T, py, script string, stdin []byte) []byte {
	t.Helper()
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v: %s", err, stderr.String())
	}
	return out
}

// pyJSON turns what Python decoded into our JSON form (bytes as base64,
// key order kept, floats with a fraction) so the two sides can be compared.
const pyJSON = `
import base64, json, math, sys
def conv(v):
    if isinstance(v, (bytes, bytearray)): return base64.b64encode(bytes(v)).decode()
    if isinstance(v, dict): return {str(k): conv(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [conv(x) for x in v]
    return v
class F(float):
    def __repr__(self): return repr(float(self)) if not float(self).is_integer() else '%.1f' % self
def fl(v):
    if isinstance(v, float): return F(v)
    if isinstance(v, dict): return {k: fl(x) for k, x in v.items()}
    if isinstance(v, list): return [fl(x) for x in v]
    return v
def out(v):
    sys.stdout.write(json.JSONEncoder(separators=(',', ':'), ensure_ascii=False).encode(fl(conv(v))).replace('Infinity', 'null'))
`

func TestInteropMsgpackPython(t *testing.T) {
	py := python(t, "msgpack", "python3-msgpack")
	c := newCodec(t, "msgpack")
	// Python writes, we read.
	wire := pyRun(t, py, `import msgpack, sys
doc = {"z": 1, "ingest_ns": 1600860720749137000, "max": 2**64-1, "min": -2**63, "f": 1.5, "f32": None,
       "s": "ünï", "b": b"\x00\xff", "l": [1, "two", None, True], "m": {"b": 1, "a": {}}}
sys.stdout.buffer.write(msgpack.packb(doc, use_bin_type=True))`, nil)
	v, err := c.Decode(wire)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"z":1,"ingest_ns":1600860720749137000,"max":18446744073709551615,"min":-9223372036854775808,"f":1.5,"f32":null,"s":"ünï","b":"AP8=","l":[1,"two",null,true],"m":{"b":1,"a":{}}}`
	if got := string(event.MarshalJSON(v)); got != want {
		t.Fatalf("we read Python's msgpack as\n%s\nwant\n%s", got, want)
	}
	// We write, Python reads (key order, exact integers, bin as bytes).
	ours, err := c.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(pyRun(t, py, pyJSON+`
import msgpack
out(msgpack.unpackb(sys.stdin.buffer.read(), raw=False))`, ours)); got != want {
		t.Fatalf("Python read our msgpack as\n%s\nwant\n%s", got, want)
	}
}

func TestInteropYAMLPython(t *testing.T) {
	py := python(t, "yaml", "python3-yaml")
	c := newCodec(t, "yaml")
	v := event.RecordOf("z", int64(1), "ingest_ns", int64(1600860720749137000), "max", uint64(18446744073709551615),
		"f", 82.0, "s", "true", "multi", "a\nb", "b", []byte{0, 0xff}, "n", nil,
		"l", []any{int64(1), "two", event.RecordOf("k", "v")}, "empty", event.NewRecord(0))
	want := string(event.MarshalJSON(v))
	ours, err := c.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(pyRun(t, py, pyJSON+`
import yaml
out(yaml.safe_load(sys.stdin.buffer.read()))`, ours)); got != want {
		t.Fatalf("PyYAML read our YAML\n%s\nas\n%s\nwant\n%s", ours, got, want)
	}
	wire := pyRun(t, py, pyJSON+`
import yaml
doc = {"z": 1, "ingest_ns": 1600860720749137000, "max": 2**64-1, "f": 82.0, "s": "true", "multi": "a\nb",
       "b": b"\x00\xff", "n": None, "l": [1, "two", {"k": "v"}], "empty": {}}
sys.stdout.write(yaml.safe_dump(doc, sort_keys=False))`, nil)
	back, err := c.Decode(wire)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(event.MarshalJSON(back)); got != want {
		t.Fatalf("we read PyYAML's\n%s\nas\n%s\nwant\n%s", wire, got, want)
	}
}

// TestInteropSyslogLogger: util-linux's logger sends to a Unix datagram
// socket we listen on; we parse what it wrote.
func TestInteropSyslogLogger(t *testing.T) {
	if _, err := exec.LookPath("logger"); err != nil {
		t.Skip("logger is not installed (Debian package bsdutils); interoperability not checked")
	}
	sock := filepath.Join(t.TempDir(), "log.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &syslogCodec{now: time.Now}
	cases := []struct {
		args []string
		want map[string]event.Value
	}{
		{[]string{"--rfc5424", "--msgid", "ID47", "--sd-id", "ex@32473", "--sd-param", `iut="3"`, "-t", "evntslog", "-p", "local4.notice", "hello 5424"},
			map[string]event.Value{"protocol": "RFC5424", "protocol_version": int64(1), "facility": "local4", "severity": "notice", "appname": "evntslog", "msgid": "ID47", "msg": "hello 5424"}},
		{[]string{"--rfc3164", "-t", "app", "-i", "-p", "user.err", "hello 3164"},
			map[string]event.Value{"protocol": "RFC3164", "facility": "user", "severity": "err", "appname": "app", "msg": "hello 3164"}},
	}
	for _, tc := range cases {
		cmd := exec.Command("logger", append([]string{"-u", sock}, tc.args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("logger %v: %v: %s", tc.args, err, out)
		}
		buf := make([]byte, 64<<10)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		line := buf[:n]
		v, err := c.Decode(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		r := v.(*event.Record)
		for k, want := range tc.want {
			if got, _ := r.Get(k); !event.Equal(got, want) {
				t.Errorf("%q: %s = %v, want %v", line, k, got, want)
			}
		}
		if ts, ok := r.Get("timestamp"); !ok || ts == nil {
			t.Errorf("%q: no timestamp", line)
		}
		if host, _ := r.Get("hostname"); host == nil {
			t.Errorf("%q: no hostname", line)
		}
		if pid, _ := r.Get("procid"); tc.want["protocol"] == "RFC3164" && pid == nil {
			t.Errorf("%q: logger -i sent a pid, we found none", line)
		}
		if tc.want["protocol"] == "RFC5424" && !strings.Contains(string(event.MarshalJSON(r)), `"ex@32473":[{"iut":"3"}]`) {
			t.Errorf("%q: structured data lost: %s", line, event.MarshalJSON(r))
		}
		// What we encode from it, logger's peers can read: it parses back the same.
		out, err := c.Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := c.Decode(out)
		if err != nil || !event.Equal(back, r) {
			t.Errorf("re-encoded %q decodes to %s, want %s", out, event.MarshalJSON(back), event.MarshalJSON(r))
		}
	}
}
