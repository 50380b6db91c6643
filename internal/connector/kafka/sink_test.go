package kafka

import (
	"context"
	"fmt"
	"hash/crc32"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

// answers records what an offramp answers.
type answers struct {
	mu                 sync.Mutex
	acked, failed      int
	triggers, restores int
	reasons            []string
}

func (a *answers) Contraflow(in event.Insight) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for i := range in.IDs.Len() {
		r := in.IDs.At(i)
		n += int(r.End - r.Start + 1)
	}
	switch in.Action {
	case event.ActAck:
		a.acked += n
	case event.ActFail:
		a.failed += n
	case event.ActTrigger:
		a.triggers++
		a.reasons = append(a.reasons, in.Reason)
	case event.ActRestore:
		a.restores++
	}
}

func (a *answers) get() (acked, failed, triggers, restores int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.acked, a.failed, a.triggers, a.restores
}

// startSink runs a kafka offramp from a config section.
func startSink(t *testing.T, section string) (*sdk.SinkRunner, *answers) {
	t.Helper()
	src := &conf.Source{File: "test.yaml", Text: []byte(section)}
	built, errs := sdk.NewSink("kafka", conf.FromYAML(src, yamlNode(t, section)), sdk.Params{ID: "k", Instance: "01", URL: "/offramp/k/01"}, sdk.BuildOptions{})
	if errs.HasErrors() {
		t.Fatal(errs)
	}
	jc, err := codec.Registry.Get("json")
	if err != nil {
		t.Fatal(err)
	}
	r := sdk.NewSinkRunner("/offramp/k/01", "kafka", built.Value, jc.New(), nil, built.Options)
	up := &answers{}
	r.AddUpstream(up)
	ctx, cancel := context.WithCancel(context.Background())
	if err := r.Open(ctx, component.Env{URL: "/offramp/k/01", Logger: conformance.Logger(t), Metrics: prometheus.NewRegistry()}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; _ = r.Close() })
	return r, up
}

// Key, headers and partition come from $kafka; keys are placed as
// librdkafka placed them (crc32), so a migrated deployment keeps its
// partitioning.
func TestSinkKeyHeadersPartitionFromMeta(t *testing.T) {
	c := startCluster(t, 3, "out")
	addr := c.ListenAddrs()[0]
	r, up := startSink(t, fmt.Sprintf("brokers: [\"%s\"]\ntopic: out\nkey: fallback\n", addr))
	var b event.Batch
	meta := []event.Value{
		event.RecordOf("kafka", event.RecordOf("key", "user-7", "headers", event.RecordOf("h", "v", "bin", []byte{1, 2}))),
		event.RecordOf("kafka", event.RecordOf("key", []byte("user-8"), "partition", int64(2), "headers", event.RecordOf("multi", []event.Value{"a", "b"}))),
		nil,
	}
	for i, m := range meta {
		b.Events = append(b.Events, event.Event{ID: event.One(1, 0, uint64(i)), Data: int64(i), Meta: m, Transactional: true})
	}
	if err := r.Send(context.Background(), &b, up); err != nil {
		t.Fatal(err)
	}
	conformance.WaitFor(t, "3 acks", func() bool { a, _, _, _ := up.get(); return a == 3 })
	recs := consumeAll(t, addr, "out")
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	byValue := map[string]int{}
	for i, rec := range recs {
		byValue[string(rec.Value)] = i
	}
	r0, r1, r2 := recs[byValue["0"]], recs[byValue["1"]], recs[byValue["2"]]
	if string(r0.Key) != "user-7" || int(r0.Partition) != int(crc32.ChecksumIEEE([]byte("user-7"))%3) {
		t.Errorf("record 0: key %q partition %d, want user-7 on crc32's partition %d", r0.Key, r0.Partition, crc32.ChecksumIEEE([]byte("user-7"))%3)
	}
	if len(r0.Headers) != 2 || r0.Headers[0].Key != "h" || string(r0.Headers[0].Value) != "v" || string(r0.Headers[1].Value) != "\x01\x02" {
		t.Errorf("record 0 headers: %+v", r0.Headers)
	}
	if string(r1.Key) != "user-8" || r1.Partition != 2 || len(r1.Headers) != 2 || string(r1.Headers[1].Value) != "b" {
		t.Errorf("record 1: key %q partition %d headers %+v", r1.Key, r1.Partition, r1.Headers)
	}
	if string(r2.Key) != "fallback" {
		t.Errorf("record 2: key %q, want the configured fallback", r2.Key)
	}
}

// A topic the broker does not have keeps the breaker open, saying why;
// events sent meanwhile are failed, none acked.
func TestSinkMissingTopicKeepsBreakerOpen(t *testing.T) {
	c := startCluster(t, 1, "other")
	r, up := startSink(t, fmt.Sprintf("brokers: [\"%s\"]\ntopic: missing\n", c.ListenAddrs()[0]))
	conformance.WaitFor(t, "the breaker to open", func() bool { _, _, tr, _ := up.get(); return tr > 0 })
	up.mu.Lock()
	reason := up.reasons[0]
	up.mu.Unlock()
	if want := `topic "missing"`; !strings.Contains(reason, want) {
		t.Errorf("breaker reason %q does not name the topic", reason)
	}
	b := &event.Batch{Events: []event.Event{{ID: event.One(1, 0, 0), Data: "x", Transactional: true}}}
	if err := r.Send(context.Background(), b, up); err != nil {
		t.Fatal(err)
	}
	conformance.WaitFor(t, "the event failed", func() bool { _, f, _, _ := up.get(); return f == 1 })
	if a, _, _, _ := up.get(); a != 0 {
		t.Errorf("%d acked with no topic", a)
	}
}
