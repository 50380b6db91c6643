package kafka

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

// openSource builds and opens a kafka onramp from a config section.
func openSource(t *testing.T, section string, reg *prometheus.Registry) *Source {
	t.Helper()
	src := &conf.Source{File: "test.yaml", Text: []byte(section)}
	node := conf.FromYAML(src, yamlNode(t, section))
	built, errs := sdk.NewSource("kafka", node, sdk.Params{ID: "k", Instance: "01", URL: "/onramp/k/01"}, sdk.BuildOptions{})
	if errs.HasErrors() {
		t.Fatal(errs)
	}
	s := built.Value.(*Source)
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if err := s.Open(context.Background(), component.Env{URL: "/onramp/k/01", Logger: conformance.Logger(t), Metrics: reg}); err != nil {
		t.Fatal(err)
	}
	return s
}

// got is an input read from the onramp, with its records' offsets.
type got struct {
	in   *sdk.Input
	offs []int64
	part int32
}

// readN reads inputs until n records arrived.
func readN(t *testing.T, s *Source, n int) []got {
	t.Helper()
	// Read with a context that lives as long as the onramp, as the
	// runner's does: the onramp takes its end for the engine stopping.
	end := time.Now().Add(20 * time.Second)
	var out []got
	total := 0
	for total < n {
		if time.Now().After(end) {
			t.Fatalf("timed out after %d of %d records", total, n)
		}
		in, err := s.Read(context.Background())
		if err != nil {
			t.Fatalf("after %d of %d records: %v", total, n, err)
		}
		if in == nil {
			continue
		}
		g := got{in: in}
		for _, m := range in.Meta {
			k, _ := m.Get("kafka")
			off, _ := k.(*event.Record).Get("offset")
			part, _ := k.(*event.Record).Get("partition")
			g.offs = append(g.offs, off.(int64))
			g.part = int32(part.(int64))
		}
		out = append(out, g)
		total += len(in.Frames)
	}
	return out
}

// committed is the group's committed offset per partition of topic (-1:
// none).
func committed(t *testing.T, addr, group, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic = topic
	for p := range highWatermarks(t, cl, topic) {
		rt.Partitions = append(rt.Partitions, p)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	for _, tt := range resp.Topics {
		for _, p := range tt.Partitions {
			out[p.Partition] = p.Offset
		}
	}
	return out
}

func waitCommitted(t *testing.T, addr, group, topic string, part int32, want int64) {
	t.Helper()
	conformance.WaitFor(t, fmt.Sprintf("offset %d committed on %s/%d", want, topic, part), func() bool {
		return committed(t, addr, group, topic)[part] == want
	})
}

func values(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`"%s%d"`, prefix, i)
	}
	return out
}

func config(addr, topic, group, extra string) string {
	return fmt.Sprintf("brokers: [\"%s\"]\ntopics: [%s]\ngroup_id: %s\n%s", addr, topic, group, extra)
}

// The committed offset is the end of the longest run of acked records:
// a gap holds it back however many records after it were acked.
func TestCommitsOnlyUpToTheFirstRecordNotAcked(t *testing.T) {
	c := startCluster(t, 1, "t")
	addr := c.ListenAddrs()[0]
	produce(t, addr, "t", values(100, "r")...)
	s := openSource(t, config(addr, "t", "g", "rdkafka_options:\n  auto.commit.interval.ms: \"20\"\n"), nil)
	defer s.Close()
	ins := readN(t, s, 100)
	// Ack everything but offsets 10..19, in reverse order.
	for i := len(ins) - 1; i >= 0; i-- {
		g := ins[i]
		for k, off := range g.offs {
			if off < 10 || off >= 20 {
				g.in.Acks.Ack(k, k+1)
			}
		}
	}
	waitCommitted(t, addr, "g", "t", 0, 10)
	// Acks are taken synchronously: what the onramp would commit now is
	// still the first record not acked.
	s.mu.Lock()
	p := s.parts[tp{"t", 0}]
	next, popped, held := p.commitable(), p.popped, len(p.entries)
	s.mu.Unlock()
	if next != 10 || held != 90 {
		t.Fatalf("with offsets 10..19 unanswered the onramp would commit %d (%d answered, %d held), want 10 (90 held)", next, popped, held)
	}
	if got := committed(t, addr, "g", "t")[0]; got != 10 {
		t.Fatalf("committed %d with offsets 10..19 unanswered, want 10", got)
	}
	for _, g := range ins {
		for k, off := range g.offs {
			if off >= 10 && off < 20 {
				g.in.Acks.Ack(k, k+1)
			}
		}
	}
	waitCommitted(t, addr, "g", "t", 0, 100)
}

// A failed record is read again with everything after it, and nothing
// from it on is committed before the re-read records are acked.
func TestFailedRecordIsReadAgain(t *testing.T) {
	c := startCluster(t, 1, "t")
	addr := c.ListenAddrs()[0]
	produce(t, addr, "t", values(50, "r")...)
	s := openSource(t, config(addr, "t", "g", "rdkafka_options:\n  auto.commit.interval.ms: \"20\"\n"), nil)
	defer s.Close()
	first := readN(t, s, 50)
	for _, g := range first {
		for k, off := range g.offs {
			switch {
			case off == 30:
				g.in.Acks.Fail(k, k+1, "test")
			case off < 30:
				g.in.Acks.Ack(k, k+1)
			}
		}
	}
	waitCommitted(t, addr, "g", "t", 0, 30)
	// Acks of the records after the failed one, from the first reading,
	// count for nothing: they are read again.
	for _, g := range first {
		for k, off := range g.offs {
			if off > 30 {
				g.in.Acks.Ack(k, k+1)
			}
		}
	}
	again := readN(t, s, 20)
	var offs []int64
	for _, g := range again {
		offs = append(offs, g.offs...)
	}
	for i, off := range offs {
		if off != int64(30+i) {
			t.Fatalf("read again %v, want 30..49", offs)
		}
	}
	if got := committed(t, addr, "g", "t")[0]; got != 30 {
		t.Fatalf("committed %d before the records read again were acked, want 30", got)
	}
	for _, g := range again {
		g.in.Acks.Ack(0, len(g.offs))
	}
	waitCommitted(t, addr, "g", "t", 0, 50)
	if got := testutil.ToFloat64(s.m.retried); got != 20 {
		t.Errorf("temblor_kafka_records_retried_total = %v, want 20", got)
	}
}

// Without retry_failed_events a failed record counts as done (Tremor's
// behaviour) — but not when it failed because the engine stops.
func TestFailedRecordSkippedWithoutRetry(t *testing.T) {
	c := startCluster(t, 1, "t")
	addr := c.ListenAddrs()[0]
	produce(t, addr, "t", values(10, "r")...)
	s := openSource(t, config(addr, "t", "g", "retry_failed_events: false\nrdkafka_options:\n  auto.commit.interval.ms: \"20\"\n"), nil)
	ins := readN(t, s, 10)
	for _, g := range ins {
		for k, off := range g.offs {
			if off == 3 {
				g.in.Acks.Fail(k, k+1, "test")
			} else if off < 6 {
				g.in.Acks.Ack(k, k+1)
			}
		}
	}
	waitCommitted(t, addr, "g", "t", 0, 6)
	if got := testutil.ToFloat64(s.m.skipped); got != 1 {
		t.Errorf("temblor_kafka_records_skipped_total = %v, want 1", got)
	}
	// The engine stops: the runner fails what is in flight. That is no
	// reason to skip it.
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	for _, g := range ins {
		for k, off := range g.offs {
			if off >= 6 {
				g.in.Acks.Fail(k, k+1, "onramp stopped")
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := committed(t, addr, "g", "t")[0]; got != 6 {
		t.Fatalf("committed %d after a stop with 6..9 in flight, want 6", got)
	}
}

// Two members of one group: the second joins while the first has records
// in flight. The first's partitions move; its acks that come after the
// move are ignored, the new owner reads from the committed offset, and
// every record is acked by one or the other, none skipped.
func TestRebalanceLosesNothing(t *testing.T) {
	const parts, per = 4, 50
	c := startCluster(t, parts, "t")
	addr := c.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("t"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < parts; p++ {
		for i := 0; i < per; i++ {
			r := &kgo.Record{Partition: p, Value: []byte(fmt.Sprintf(`"p%dr%d"`, p, i))}
			if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	cl.Close()
	cfg := config(addr, "t", "g", "rdkafka_options:\n  auto.commit.interval.ms: \"20\"\n  session.timeout.ms: \"6000\"\n")
	a := openSource(t, cfg, nil)
	defer a.Close()
	first := readN(t, a, parts*per)
	// Ack the first half of every partition; keep the rest in flight.
	var late []func()
	for _, g := range first {
		for k, off := range g.offs {
			if off < per/2 {
				g.in.Acks.Ack(k, k+1)
			} else {
				in, k := g.in, k
				late = append(late, func() { in.Acks.Ack(k, k+1) })
			}
		}
	}
	for p := int32(0); p < parts; p++ {
		waitCommitted(t, addr, "g", "t", p, per/2)
	}
	a.revokeWait = 10 * time.Millisecond // do not wait for the held records
	b := openSource(t, cfg, nil)
	defer b.Close()
	var mu sync.Mutex
	moved := map[int32]bool{}
	// b reads what it was given, from the committed offsets.
	ctx := context.Background()
	end := time.Now().Add(20 * time.Second)
	conformance.WaitFor(t, "a partition to move to the second member", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		for t := range b.parts {
			mu.Lock()
			moved[t.part] = true
			mu.Unlock()
		}
		return len(b.parts) > 0
	})
	// a's held acks arrive now, too late for the moved partitions: a
	// commits them for the partitions it kept, never for the moved ones
	// (the new owner has not even read them yet).
	for _, f := range late {
		f()
	}
	a.commit(context.Background())
	now := committed(t, addr, "g", "t")
	for p := range moved {
		if now[p] != per/2 {
			t.Fatalf("partition %d moved, then the old owner committed %d (its late acks), want %d", p, now[p], per/2)
		}
	}
	readB := map[int32][]int64{}
	for {
		done := true
		for p := range moved {
			if int64(len(readB[p])) < per/2 {
				done = false
			}
		}
		if done {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("second member read only %v", readB)
		}
		in, err := b.Read(ctx)
		if err != nil {
			t.Fatalf("second member: %v (read %v)", err, readB)
		}
		if in == nil {
			continue
		}
		for k, m := range in.Meta {
			kk, _ := m.Get("kafka")
			off, _ := kk.(*event.Record).Get("offset")
			part, _ := kk.(*event.Record).Get("partition")
			readB[int32(part.(int64))] = append(readB[int32(part.(int64))], off.(int64))
			in.Acks.Ack(k, k+1)
		}
	}
	for p := range moved {
		offs := readB[p]
		if offs[0] != per/2 {
			t.Errorf("partition %d: the new owner started at %d, want %d (the first record the old owner had not committed)", p, offs[0], per/2)
		}
		waitCommitted(t, addr, "g", "t", p, per)
	}
	// The partitions that stayed with a were committed to the end by a.
	for p := int32(0); p < parts; p++ {
		if !moved[p] {
			waitCommitted(t, addr, "g", "t", p, per)
		}
	}
	t.Logf("partitions moved to the second member: %v", moved)
}

// The per-partition metrics are in the env's registry.
func TestPartitionMetrics(t *testing.T) {
	c := startCluster(t, 2, "t")
	addr := c.ListenAddrs()[0]
	produce(t, addr, "t", values(40, "r")...)
	reg := prometheus.NewRegistry()
	s := openSource(t, config(addr, "t", "g", "rdkafka_options:\n  auto.commit.interval.ms: \"20\"\n"), reg)
	defer s.Close()
	ins := readN(t, s, 40)
	conformance.WaitFor(t, "in-flight gauges", func() bool {
		n, _ := testutil.GatherAndCount(reg, "temblor_kafka_in_flight_records")
		return n >= 1
	})
	var inflight float64
	s.mu.Lock()
	for _, p := range s.parts {
		inflight += testutil.ToFloat64(p.m.inflight)
	}
	s.mu.Unlock()
	if inflight != 40 {
		t.Errorf("in flight %v, want 40", inflight)
	}
	for _, g := range ins {
		g.in.Acks.Ack(0, len(g.offs))
	}
	conformance.WaitFor(t, "committed offsets in the metrics", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		var sum float64
		for _, p := range s.parts {
			sum += testutil.ToFloat64(p.m.committed)
		}
		return sum == 40
	})
	out, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range out {
		names = append(names, mf.GetName())
	}
	for _, want := range []string{"temblor_kafka_consumer_lag", "temblor_kafka_committed_offset", "temblor_kafka_in_flight_records"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("metric %s missing from %v", want, names)
		}
	}
}

func yamlNode(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

// max_in_flight bounds the records handed over and not committed, even
// when a poll brought more: what a crash re-delivers is at most that.
func TestWindowBoundsWhatIsHandedOver(t *testing.T) {
	c := startCluster(t, 1, "t")
	addr := c.ListenAddrs()[0]
	produce(t, addr, "t", values(100, "r")...)
	s := openSource(t, config(addr, "t", "g", "max_in_flight: 10\n"), nil)
	defer s.Close()
	first := readN(t, s, 10)
	queued := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		n := 0
		for _, c := range s.queue {
			n += len(c.recs)
		}
		return n
	}
	conformance.WaitFor(t, "records polled beyond the window", func() bool {
		if queued() == 0 {
			if err := s.poll(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		return queued() > 0
	})
	if in := s.serve(); in != nil {
		t.Fatalf("handed over %d more records with 10 in flight and max_in_flight 10", len(in.Frames))
	}
	for _, g := range first {
		g.in.Acks.Ack(0, len(g.in.Frames))
	}
	s.commit(context.Background())
	waitCommitted(t, addr, "g", "t", 0, 10)
	in := s.serve()
	if in == nil || len(in.Frames) == 0 || len(in.Frames) > 10 {
		t.Fatalf("after the commit: %v, want 1 to 10 records", in)
	}
}
