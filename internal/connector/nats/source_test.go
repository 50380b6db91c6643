package nats

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func yamlNode(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

// connectSource builds, opens and connects a nats onramp.
func connectSource(t *testing.T, section string) *Source {
	t.Helper()
	src := &conf.Source{File: "test.yaml", Text: []byte(section)}
	built, errs := sdk.NewSource("nats", conf.FromYAML(src, yamlNode(t, section)), sdk.Params{ID: "n", Instance: "01", URL: "/onramp/n/01"}, sdk.BuildOptions{})
	if errs.HasErrors() {
		t.Fatal(errs)
	}
	s := built.Value.(*Source)
	if err := s.Open(context.Background(), component.Env{URL: "/onramp/n/01", Logger: conformance.Logger(t), Metrics: prometheus.NewRegistry()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// readN reads inputs until n messages arrived.
func readN(t *testing.T, s *Source, n int) []*sdk.Input {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	var out []*sdk.Input
	for total := 0; total < n; {
		if time.Now().After(end) {
			t.Fatalf("read %d of %d", total, n)
		}
		in, err := s.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if in != nil {
			out = append(out, in)
			total += len(in.Frames)
		}
	}
	return out
}

func natsMeta(in *sdk.Input, i int) *event.Record {
	v, _ := in.Meta[i].Get("nats")
	return v.(*event.Record)
}

func publishJS(t *testing.T, n *natsServer, subject string, msgs ...string) {
	t.Helper()
	js, err := jetstream.New(n.connect(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if _, err := js.Publish(context.Background(), subject, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
}

func consumerInfo(t *testing.T, n *natsServer, stream, durable string) *jetstream.ConsumerInfo {
	t.Helper()
	js, err := jetstream.New(n.connect(t))
	if err != nil {
		t.Fatal(err)
	}
	c, err := js.Consumer(context.Background(), stream, durable)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// A JetStream message is acked only once its event is: unacked ones are
// delivered again to the next consumer of the durable (a restart).
func TestJetStreamAcksOnlyAckedEvents(t *testing.T) {
	n := startServer(t)
	n.stream(t, "S", "in.>")
	var msgs []string
	for i := range 20 {
		msgs = append(msgs, fmt.Sprintf(`{"i":%d}`, i))
	}
	publishJS(t, n, "in.a", msgs...)
	cfg := fmt.Sprintf("hosts: [\"%s\"]\nsubject: in.>\njetstream: {stream: S, durable: d, ack_wait_ms: 60000}\n", n.addr())
	s := connectSource(t, cfg)
	ins := readN(t, s, 20)
	if m := natsMeta(ins[0], 0); m.Len() == 0 {
		t.Fatal("no $nats")
	}
	if seq, _ := natsMeta(ins[0], 0).Get("sequence"); seq != int64(1) {
		t.Errorf("$nats.sequence of the first message = %v, want 1", seq)
	}
	// Ack the even ones only.
	acked := map[string]bool{}
	for _, in := range ins {
		for i := range in.Frames {
			if i%2 == 0 {
				in.Acks.Ack(i, i+1)
				acked[string(in.Frames[i])] = true
			}
		}
	}
	conformance.WaitFor(t, "the server to count the acks", func() bool {
		return consumerInfo(t, n, "S", "d").NumAckPending == 20-len(acked)
	})
	// A restart: the durable gives the unacked ones again, and only them.
	if err := s.Disconnect(); err != nil {
		t.Fatal(err)
	}
	s2 := connectSource(t, fmt.Sprintf("hosts: [\"%s\"]\nsubject: in.>\njetstream: {stream: S, durable: d, ack_wait_ms: 100}\n", n.addr()))
	again := readN(t, s2, 20-len(acked))
	for _, in := range again {
		for i, f := range in.Frames {
			if acked[string(f)] {
				t.Errorf("acked message %s delivered again", f)
			}
			if d, _ := natsMeta(in, i).Get("delivered"); d.(int64) < 2 {
				t.Errorf("message %s: $nats.delivered = %v, want >= 2", f, d)
			}
			in.Acks.Ack(i, i+1)
		}
	}
	conformance.WaitFor(t, "every message acked", func() bool { return consumerInfo(t, n, "S", "d").NumAckPending == 0 })
}

// A failed event's message is nak'ed with a delay and delivered again.
func TestJetStreamNaksFailedEventsWithBackoff(t *testing.T) {
	n := startServer(t)
	n.stream(t, "S", "in.>")
	publishJS(t, n, "in.a", `"x"`)
	s := connectSource(t, fmt.Sprintf("hosts: [\"%s\"]\nsubject: in.>\njetstream: {stream: S, durable: d, nak_delay_ms: 200}\n", n.addr()))
	in := readN(t, s, 1)[0]
	failed := time.Now()
	in.Acks.Fail(0, 1, "test")
	again := readN(t, s, 1)[0]
	if waited := time.Since(failed); waited < 150*time.Millisecond {
		t.Errorf("delivered again after %v, want the nak delay of 200ms", waited)
	}
	if d, _ := natsMeta(again, 0).Get("delivered"); d != int64(2) {
		t.Errorf("$nats.delivered = %v, want 2", d)
	}
	again.Acks.Ack(0, 1)
}

func TestNakDelayDoubles(t *testing.T) {
	s := &Source{js: &jsSourceConfig{NakDelayMS: 100, NakDelayMaxMS: 1000}}
	for delivered, want := range map[uint64]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		if got := s.nakDelay(delivered); got != want {
			t.Errorf("delivery %d: delay %v, want %v", delivered, got, want)
		}
	}
}

// Core NATS: $nats holds the subject, reply and headers.
func TestCoreMeta(t *testing.T) {
	n := startServer(t)
	s := connectSource(t, fmt.Sprintf("hosts: [\"%s\"]\nsubject: in\n", n.addr()))
	nc := n.connect(t)
	msg := &natsMsg{Subject: "in", Reply: "back", Data: []byte(`1`), Header: map[string][]string{"h": {"a", "b"}}}
	if err := nc.PublishMsg(msg); err != nil {
		t.Fatal(err)
	}
	in := readN(t, s, 1)[0]
	m := natsMeta(in, 0)
	h, _ := m.Get("headers")
	want := event.RecordOf("subject", "in", "reply", "back", "headers", event.RecordOf("h", []event.Value{"a", "b"}))
	if !event.Equal(m, want) {
		t.Errorf("$nats = %v, want %v (%v)", m, want, h)
	}
}
