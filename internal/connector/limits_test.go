package connector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"
)

// The line reader: lines as bufio.ScanLines gives them (CRLF, a last line
// without a newline, empty lines), and a line over the limit skipped with
// its number and size while the lines after it are read.
func TestLineSourceSkipsLongLines(t *testing.T) {
	const max = 8
	cases := []struct {
		name, in string
		want     []string // "!N:S" is line N skipped with S bytes
	}{
		{"plain", "a\nbb\n", []string{"a", "bb"}},
		{"crlf and last line without newline", "a\r\nb", []string{"a", "b"}},
		{"empty lines", "\n\nx\n", []string{"", "", "x"}},
		{"exactly the limit", "12345678\n", []string{"12345678"}},
		{"exactly the limit with crlf", "12345678\r\n", []string{"12345678"}},
		{"one over", "123456789\nnext\n", []string{"!1:9", "next"}},
		{"far over, in the middle", "a\n" + strings.Repeat("x", 200_000) + "\nb\nc", []string{"a", "!2:200000", "b", "c"}},
		{"far over, last line", "a\n" + strings.Repeat("y", 100_000), []string{"a", "!2:100000"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := &lineSource{open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(tc.in)), nil },
				maxLine: max, name: "test", log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			out := &recOut{}
			if err := src.Run(context.Background(), out); err != nil {
				t.Fatal(err)
			}
			var got []string
			lines := out.bytes[0]
			// Interleave by line number: refusals carry theirs, lines are
			// in order around them.
			for _, r := range out.refused {
				no, _ := r.info.Get("line")
				size, _ := r.info.Get("bytes")
				if !strings.Contains(r.reason, fmt.Sprintf("line %d of test is %d bytes, over max_line_bytes (8)", no, size)) {
					t.Errorf("reason %q lacks the line, its size or the limit", r.reason)
				}
				at := int(no.(int64)) - 1
				for len(got) < at && len(lines) > 0 {
					got, lines = append(got, lines[0]), lines[1:]
				}
				got = append(got, fmt.Sprintf("!%d:%d", no, size))
			}
			got = append(got, lines...)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// A 17 MiB line at the default limit (16 MiB) no longer ends the source:
// it is skipped and the next line arrives.
func TestFileSourceLineOverDefaultLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.json")
	var b bytes.Buffer
	b.WriteString("{\"id\":1}\n{\"blob\":\"")
	b.Write(bytes.Repeat([]byte("x"), 17<<20))
	b.WriteString("\"}\n{\"id\":3}\n")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := newFileSource(Params{Config: yamlConfig("source: " + path + "\n")})
	if err != nil {
		t.Fatal(err)
	}
	out := &recOut{}
	if err := src.Run(context.Background(), out); err != nil {
		t.Fatalf("the source stopped: %v", err)
	}
	if got := strings.Join(out.bytes[0], ","); got != `{"id":1},{"id":3}` || len(out.refused) != 1 {
		t.Fatalf("lines %q, %d refused; want lines 1 and 3 and line 2 refused", got, len(out.refused))
	}
	if r := out.refused[0]; !strings.Contains(r.reason, "line 2 of "+path) || !strings.Contains(r.reason, "max_line_bytes (16777216)") {
		t.Fatalf("refusal %q", r.reason)
	}
	if _, err := newFileSource(Params{Config: yamlConfig("source: " + path + "\nmax_line_bytes: 0\n")}); err == nil {
		t.Fatal("max_line_bytes: 0 accepted")
	}
}

// startWS runs a websocket onramp on a free port with out and returns its
// URL and a stop function.
func startWS(t *testing.T, cfg string, out *recOut) (string, func()) {
	t.Helper()
	s, err := newWSSource(Params{Config: yamlConfig("host: 127.0.0.1\nport: 0\n" + cfg), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ws := s.(*WSSource)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = ws.Run(ctx, out); close(done) }()
	addr, err := ws.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return "ws://" + addr.String() + "/", func() { cancel(); <-done }
}

// A message over max_message_bytes is skipped and reported; the connection
// stays up and the messages after it arrive (the library's own limit closed
// the connection instead, and the sender re-sent the message forever).
func TestWSSourceSkipsOversizedMessages(t *testing.T) {
	out := &recOut{}
	url, stop := startWS(t, "max_message_bytes: 100\n", out)
	defer stop()
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.CloseRead(ctx) // read for pongs
	for _, m := range []string{"a", strings.Repeat("x", 101), "b", strings.Repeat("y", 5000), "c"} {
		if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	// The pong proves the onramp read everything before the ping on the
	// same connection.
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("the connection did not survive the oversized messages: %v", err)
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	var stream uint64
	for s := range out.bytes {
		stream = s
	}
	if got := strings.Join(out.bytes[stream], ","); got != "a,b,c" || len(out.refused) != 2 {
		t.Fatalf("messages %q, %d refused; want a,b,c and 2 refused", got, len(out.refused))
	}
	if r := out.refused[1]; r.reason != "message of 5000 bytes is over max_message_bytes (100); skipped" {
		t.Fatalf("refusal reason %q", r.reason)
	}
}

// The onramp is transactional: it answers the ping behind messages only
// after they were answered downstream (Settle), and closes the connection
// without answering when they failed, so the sender re-sends them.
func TestWSSourceAnswersPingOnlyAfterDelivery(t *testing.T) {
	release := make(chan error)
	var settled atomic.Bool
	out := &recOut{settle: func(ctx context.Context, _ uint64) error {
		select {
		case err := <-release:
			settled.Store(true)
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	url, stop := startWS(t, "", out)
	defer stop()
	ctx := context.Background()
	for _, outcome := range []error{nil, errors.New("the sink failed it")} {
		settled.Store(false)
		c, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.CloseRead(ctx) // read for pongs
		if err := c.Write(ctx, websocket.MessageText, []byte("m")); err != nil {
			t.Fatal(err)
		}
		pinged := make(chan error, 1)
		go func() { pinged <- c.Ping(ctx) }()
		select {
		case release <- outcome: // the onramp waits in Settle for the ping
		case err := <-pinged:
			t.Fatalf("the ping was answered (err %v) before the onramp asked whether the messages were delivered", err)
		}
		err = <-pinged
		switch {
		case !settled.Load():
			t.Fatal("the ping was answered before the messages were settled")
		case outcome == nil && err != nil:
			t.Fatalf("delivered messages: ping failed: %v", err)
		case outcome != nil && err == nil:
			t.Fatal("failed messages: the ping was answered; the sender would drop them")
		}
		c.CloseNow()
	}
}
