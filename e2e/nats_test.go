package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startNATS embeds a nats-server with JetStream (file store) in the test
// process on 127.0.0.1: it outlives the temblor children killed with
// SIGKILL.
func startNATS(t *testing.T) (jetstream.JetStream, string) {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	nc, err := natsgo.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js, s.Addr().String()
}

// streamIDs reads every message of stream from the start with an ordered
// consumer and counts the ids ({"id": n}) in it.
func streamIDs(t *testing.T, js jetstream.JetStream, stream string) (counts map[int64]int, total int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts = map[int64]int{}
	if info.State.Msgs == 0 {
		return counts, 0
	}
	c, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for total < int(info.State.Msgs) {
		batch, err := c.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			total++
			var v struct {
				ID *int64 `json:"id"`
			}
			if json.Unmarshal(m.Data(), &v) != nil || v.ID == nil {
				t.Fatalf("message %q in %s is not {\"id\": n}", m.Data(), stream)
			}
			counts[*v.ID]++
		}
		if err := batch.Error(); err != nil && ctx.Err() != nil {
			t.Fatal(err)
		}
	}
	return counts, total
}

// TestJetStreamKill9Redelivers: temblor relays the JetStream stream IN
// (durable pull consumer) to the stream OUT (publish acks), and is killed
// with SIGKILL mid-stream twice; after the restart every message of IN is
// in OUT: the messages it had not acked were delivered again, and the
// duplicates are at most max_ack_pending per kill.
func TestJetStreamKill9Redelivers(t *testing.T) {
	const n, pending, kills = 12000, 300, 2
	js, addr := startNATS(t)
	ctx := context.Background()
	for name, subj := range map[string]string{"IN": "in.>", "OUT": "out.>"} {
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subj}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if _, err := js.PublishAsync("in.events", []byte(`{"id":`+strconv.Itoa(i)+`}`)); err != nil {
			t.Fatal(err)
		}
		if i%1000 == 999 || i == n-1 { // within nats.go's bound on outstanding publishes
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(time.Minute):
				t.Fatal("publishing to IN did not complete")
			}
		}
	}
	d := writeFiles(t, map[string]string{
		"nats.yaml": fmt.Sprintf(`onramp:
  - id: in
    type: nats
    codec: json
    config:
      hosts: ["%[1]s"]
      subject: "in.>"
      jetstream:
        stream: IN
        durable: relay
        max_ack_pending: %[2]d
        ack_wait_ms: 5000
offramp:
  - id: out
    type: nats
    codec: json
    config:
      hosts: ["%[1]s"]
      subject: out.events
      jetstream: true
`, addr, pending),
		"binding.yaml": `binding:
  - id: default
    links:
      "/onramp/in/{instance}/out": ["/pipeline/system::passthrough/{instance}/in"]
      "/pipeline/system::passthrough/{instance}/out": ["/offramp/out/{instance}/in"]
mapping:
  /binding/default/01:
    instance: "01"
`,
	})
	stored := func() int {
		st, err := js.Stream(ctx, "OUT")
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(info.State.Msgs)
	}
	for k := range kills {
		e := startEngine(t, d)
		at := stored() + n/(kills+2)
		waitFor(t, 2*time.Minute, fmt.Sprintf("%d messages in OUT (run %d)", at, k+1), func() bool { return stored() >= at })
		e.Kill()
		t.Logf("run %d: killed at %d messages in OUT", k+1, stored())
	}
	e := startEngine(t, d)
	// Done when the durable consumer has nothing left: every message was
	// acked (a lossy ack gets there too).
	waitFor(t, 3*time.Minute, "the durable consumer to have every message acked", func() bool {
		c, err := js.Consumer(ctx, "IN", "relay")
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.AckFloor.Stream == uint64(n)
	})
	if err := e.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	counts, total := streamIDs(t, js, "OUT")
	var missing []int
	for i := range n {
		if counts[int64(i)] == 0 {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d messages never reached OUT: %v", len(missing), n, head(missing, 20))
	}
	dups := total - len(counts)
	t.Logf("%d messages, %d kills, %d duplicates (bound %d)", n, kills, dups, kills*pending)
	if dups > kills*pending {
		t.Errorf("%d duplicates, more than max_ack_pending (%d) per kill (%d kills)", dups, pending, kills)
	}
}
