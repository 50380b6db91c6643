package nats

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSinkConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type: "nats",
		Start: func(t *testing.T) conformance.SinkPeer {
			return &sinkPeer{natsServer: startServer(t), config: func(n *natsServer) string {
				return fmt.Sprintf("hosts: [\"%s\"]\nsubject: out\n", n.addr())
			}}
		},
		Ordered: true,
		BadConfigs: []conformance.BadConfig{
			{Config: "subject: x\n", Pos: "5:7", Contains: "`hosts` is required"},
			{Config: "hosts: [\"a:1\", \"b c\"]\nsubject: x\n", Pos: "5:22", Contains: "is not a server address"},
			{Config: "hosts: [\"a:1\"]\nsubject: x\noptions:\n  username: u\n", Pos: "8:19", Contains: "`username` and `password` go together"},
			{Config: "hosts: [\"a:1\"]\nsubject: x\njetstream: yes please\n", Pos: "7:18", Contains: "`jetstream` must be"},
		},
	})
}

func TestJetStreamSinkConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type: "nats",
		Start: func(t *testing.T) conformance.SinkPeer {
			n := startServer(t)
			n.stream(t, "OUT", "out")
			return &sinkPeer{natsServer: n, config: func(n *natsServer) string {
				return fmt.Sprintf("hosts: [\"%s\"]\nsubject: out\njetstream: true\n", n.addr())
			}}
		},
		Ordered: true,
		BadConfigs: []conformance.BadConfig{
			{Config: "hosts: [\"a:1\"]\n", Pos: "5:7", Contains: "`subject` is required"},
		},
	})
}

// sinkPeer is a server as an offramp's peer.
type sinkPeer struct {
	*natsServer
	config func(*natsServer) string
}

func (p *sinkPeer) Config() string { return p.config(p.natsServer) }

func TestSourceConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type: "nats",
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			n := startServer(t)
			return fmt.Sprintf("hosts: [\"%s\"]\nsubject: in\n", n.addr()), func(src sdk.Source) error {
				// Core NATS keeps nothing for absent subscribers: publish
				// once the onramp subscribed.
				deadline := time.Now().Add(20 * time.Second)
				for !n.s.GlobalAccount().SubscriptionInterest("in") {
					if time.Now().After(deadline) {
						return fmt.Errorf("the onramp never subscribed")
					}
					time.Sleep(5 * time.Millisecond)
				}
				nc := n.connect(t)
				for _, m := range msgs {
					if err := nc.Publish("in", []byte(m)); err != nil {
						return err
					}
				}
				return nc.Flush()
			}
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "hosts: [\"a:1\"]\n", Pos: "5:7", Contains: "`subject` is required"},
			{Config: "hosts: [\"a:1\"]\nsubject: x\nqueue: q\njetstream: {stream: S, durable: d}\n", Pos: "7:14", Contains: "`queue` is a core NATS queue group"},
			{Config: "hosts: [\"a:1\"]\nsubject: x\njetstream: {stream: S}\n", Pos: "7:18", Contains: "`jetstream.durable` is required"},
			{Config: "hosts: [\"a:1\"]\nsubject: x\njetstream: {stream: S, durable: d, nak_delay_ms: 10, nak_delay_max_ms: 5}\n", Pos: "7:78", Contains: "must be at least `nak_delay_ms`"},
		},
	})
}

func TestJetStreamSourceConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type: "nats",
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			n := startServer(t)
			n.stream(t, "IN", "in.>")
			nc := n.connect(t)
			js, err := jetstreamNew(nc)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				if _, err := js.Publish(context.Background(), "in.x", []byte(m)); err != nil {
					t.Fatal(err)
				}
			}
			return fmt.Sprintf("hosts: [\"%s\"]\nsubject: in.>\njetstream:\n  stream: IN\n  durable: conformance\n", n.addr()), nil
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "hosts: [\"a:1\"]\nsubject: x\njetstream:\n  stream: S\n  durable: d\n  deliver: first\n", Pos: "10:18", Contains: "must be one of"},
		},
	})
}
