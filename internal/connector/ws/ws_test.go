package ws

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

// TestSinkBinaryFrames: with `binary: true` (Tremor 0.11's option) events
// go as binary frames; without it, valid UTF-8 goes as text.
func TestSinkBinaryFrames(t *testing.T) {
	for _, binary := range []bool{false, true} {
		types := make(chan websocket.MessageType, 1)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			for {
				typ, _, err := c.Read(r.Context())
				if err != nil {
					return
				}
				select {
				case types <- typ:
				default:
				}
			}
		})}
		go srv.Serve(ln)
		o := conformance.StartOfframp(t, "ws", fmt.Sprintf("url: ws://%s/\nbinary: %v\n", ln.Addr(), binary))
		if err := o.Send(1); err != nil {
			t.Fatal(err)
		}
		o.Drain()
		want := websocket.MessageText
		if binary {
			want = websocket.MessageBinary
		}
		select {
		case got := <-types:
			if got != want {
				t.Errorf("binary=%v: frame type %v, want %v", binary, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("binary=%v: the peer got nothing", binary)
		}
		if a, _ := o.Answered(); a != 1 {
			t.Errorf("binary=%v: %d acks", binary, a)
		}
		_ = srv.Close()
	}
}

// TestSourceStreams: each connection is a stream of its own.
func TestSourceStreams(t *testing.T) {
	o := conformance.StartOnramp(t, "ws", "host: 127.0.0.1\nport: 0\n", nil, nil)
	url := "ws://" + o.Source.(*Source).Addr().String() + "/"
	ctx := context.Background()
	for c := 0; c < 2; c++ {
		conn, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			_ = conn.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf("c%d-%d", c, i)))
		}
		conn.Close(websocket.StatusNormalClosure, "")
	}
	conformance.WaitFor(t, "6 events", func() bool { return len(o.Events()) == 6 })
	byStream := map[uint64][]string{}
	for _, ev := range o.Events() {
		byStream[ev.ID.First().Stream] = append(byStream[ev.ID.First().Stream], ev.Data.(string))
	}
	if len(byStream) != 2 {
		t.Fatalf("streams: %v", byStream)
	}
	for _, msgs := range byStream {
		if len(msgs) != 3 || !strings.HasSuffix(msgs[2], "-2") || msgs[0][:2] != msgs[2][:2] {
			t.Fatalf("stream messages: %v", msgs)
		}
	}
}

// TestSourceSkipsOversizedMessages: a message over max_message_bytes is
// skipped and reported on the err port; the connection stays up and the
// messages after it arrive (the library's own limit closed the connection
// instead, and the sender re-sent the message forever).
func TestSourceSkipsOversizedMessages(t *testing.T) {
	o := conformance.StartOnramp(t, "ws", "host: 127.0.0.1\nport: 0\nmax_message_bytes: 100\n", nil,
		func(*event.Event) event.Action { return event.ActAck })
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws://"+o.Source.(*Source).Addr().String()+"/", nil)
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
	// The pong proves the onramp read (and delivered) everything before
	// the ping on the same connection.
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("the connection did not survive the oversized messages: %v", err)
	}
	conformance.WaitFor(t, "2 refusals on err", func() bool { return len(o.Errors()) == 2 })
	if got := strings.Join(o.Data(), ","); got != "a,b,c" {
		t.Fatalf("messages %q, want a,b,c", got)
	}
	reason, _ := o.Errors()[1].Data.(*event.Record).Get("error")
	if reason != "message of 5000 bytes is over max_message_bytes (100); skipped" {
		t.Fatalf("refusal reason %q", reason)
	}
}

// TestSourceAnswersPingOnlyAfterDelivery: the onramp is transactional. A
// ping behind messages is answered once they were acked downstream; when
// one failed, or none answered within ack_timeout_ms, the connection is
// closed without a pong, so the sender re-sends them. (An onramp that
// answered pings at once would pass the first case and fail the others.)
func TestSourceAnswersPingOnlyAfterDelivery(t *testing.T) {
	for _, c := range []struct {
		name   string
		answer event.Action
		pong   bool
	}{
		{"acked", event.ActAck, true},
		{"failed", event.ActFail, false},
		{"not answered", event.ActNone, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := conformance.StartOnramp(t, "ws", "host: 127.0.0.1\nport: 0\nack_timeout_ms: 300\n", nil,
				func(*event.Event) event.Action { return c.answer })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, _, err := websocket.Dial(ctx, "ws://"+o.Source.(*Source).Addr().String()+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseNow()
			conn.CloseRead(ctx) // read for pongs
			if err := conn.Write(ctx, websocket.MessageText, []byte("m")); err != nil {
				t.Fatal(err)
			}
			err = conn.Ping(ctx)
			switch {
			case c.pong && err != nil:
				t.Fatalf("delivered messages: ping failed: %v", err)
			case !c.pong && err == nil:
				t.Fatal("the ping was answered although the message was not delivered; the sender would drop it")
			case !c.pong && ctx.Err() != nil:
				t.Fatal("the connection was neither answered nor closed")
			}
			if len(o.Events()) != 1 {
				t.Fatalf("%d events", len(o.Events()))
			}
		})
	}
}
