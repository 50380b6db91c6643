package kafka

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// kfake's and franz-go's timers may outlive a closed client briefly.
		goleak.IgnoreTopFunction("time.Sleep"),
		goleak.IgnoreTopFunction("github.com/twmb/franz-go/pkg/kfake.(*Cluster).run"),
		// kfake's control goroutine can still be waiting for the cluster's
		// lock when the test cluster closes (seen once in a clean-clone CI
		// run): kfake's own goroutine, not one of ours.
		goleak.IgnoreAnyFunction("github.com/twmb/franz-go/pkg/kfake.(*Cluster).runControl.func1"))
}

func TestSinkConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type:    "kafka",
		Start:   func(t *testing.T) conformance.SinkPeer { return newBroker(t, "out") },
		Ordered: true,
		BadConfigs: []conformance.BadConfig{
			{Config: "topic: x\n", Pos: "5:7", Contains: "`brokers` is required"},
			{Config: "brokers: [localhost]\ntopic: x\n", Pos: "5:17", Contains: "is not host:port"},
			{Config: "brokers: [\"a:1\"]\ntopic: x\nrdkafka_options:\n  linger.mss: \"5\"\n", Pos: "8:21", Contains: "rdkafka option `linger.mss` has no equivalent"},
			{Config: "brokers: [\"a:1\"]\ntopic: x\nrdkafka_options:\n  acks: \"0\"\n", Pos: "8:15", Contains: "acks=0"},
			{Config: "brokers: [\"a:1\"]\ntopic: x\nrdkafka_options:\n  session.timeout.ms: \"6000\"\n", Pos: "8:29", Contains: "is for the kafka onramp"},
			{Config: "brokers: [\"a:1\"]\ntopic: x\nrdkafka_options:\n  bootstrap.servers: \"a:1\"\n", Pos: "8:28", Contains: "set `brokers` instead"},
			{Config: "brokers: [\"a:1\"]\ntopic: x\nrdkafka_options:\n  message.timeout.ms: soon\n", Pos: "8:29", Contains: "whole number of milliseconds"},
		},
	})
}

func TestSourceConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type: "kafka",
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			c := startCluster(t, 1, "in")
			addr := c.ListenAddrs()[0]
			produce(t, addr, "in", msgs...)
			return fmt.Sprintf("brokers: [\"%s\"]\ntopics: [in]\ngroup_id: conformance\n", addr), nil
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "topics: [a]\ngroup_id: g\n", Pos: "5:7", Contains: "`brokers` is required"},
			{Config: "brokers: [\"a:1\"]\ntopics: []\ngroup_id: g\n", Pos: "6:15", Contains: "`topics` is empty"},
			{Config: "brokers: [\"a:1\"]\ntopics: [a]\ngroup_id: g\nrdkafka_options:\n  session.timeout: \"6000\"\n", Pos: "9:26", Contains: "did you mean `session.timeout.ms`"},
			{Config: "brokers: [\"a:1\"]\ntopics: [a]\ngroup_id: g\nrdkafka_options:\n  linger.ms: \"5\"\n", Pos: "9:20", Contains: "is for the kafka offramp"},
			{Config: "brokers: [\"a:1\"]\ntopics: [a]\ngroup_id: g\nrdkafka_options:\n  enable.partition.eof: \"true\"\n", Pos: "9:31", Contains: "no end-of-partition events"},
			{Config: "brokers: [\"a:1\"]\ntopics: [a]\ngroup_id: g\nmax_in_flight: 0\n", Pos: "8:22", Contains: "must be at least 1"},
		},
	})
}
