package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The Kafka tests run kfake (franz-go's Kafka protocol server) in this test
// process on 127.0.0.1: it outlives every temblor child killed with
// SIGKILL, and the test reads back what reached it.

// kafkaCluster starts a one-broker kfake cluster with the topics given,
// each of partitions partitions, and returns its address.
func kafkaCluster(t *testing.T, partitions int32, topics ...string) (*kfake.Cluster, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...),
		kfake.ListenFn(func(network, address string) (net.Listener, error) {
			_, port, err := net.SplitHostPort(address)
			if err != nil {
				return nil, err
			}
			return net.Listen(network, net.JoinHostPort("127.0.0.1", port))
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()[0]
}

// produceIDs writes the records {"id": i} for i in [from, to) to topic,
// keyed by i (so they spread over the partitions).
func produceIDs(t *testing.T, addr, topic string, from, to int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	recs := make([]*kgo.Record, 0, to-from)
	for i := from; i < to; i++ {
		k := strconv.Itoa(i)
		recs = append(recs, &kgo.Record{Key: []byte(k), Value: []byte(`{"id":` + k + `}`)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// topicReader reads a topic from the start as it grows, counting the ids
// of the records (a record that is not {"id": n} fails the test).
type topicReader struct {
	t      *testing.T
	cl     *kgo.Client
	mu     sync.Mutex
	counts map[int64]int
	total  int
	bad    []string
	cancel context.CancelFunc
	done   chan struct{}
}

func readTopic(t *testing.T, addr, topic string) *topicReader {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &topicReader{t: t, cl: cl, counts: map[int64]int{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(rec *kgo.Record) {
				var v struct {
					ID *int64 `json:"id"`
				}
				r.mu.Lock()
				defer r.mu.Unlock()
				r.total++
				if json.Unmarshal(rec.Value, &v) != nil || v.ID == nil {
					r.bad = append(r.bad, string(rec.Value))
					return
				}
				r.counts[*v.ID]++
			})
		}
	}()
	t.Cleanup(r.stop)
	return r
}

func (r *topicReader) stop() {
	r.cancel()
	<-r.done
	r.cl.Close()
}

// settle waits (bounded) until n distinct ids arrived or nothing more
// arrives for quiet: what the sink holds once the engine stopped.
func (r *topicReader) settle(n int, quiet time.Duration) {
	last, since := -1, time.Now()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r.mu.Lock()
		got, total := len(r.counts), r.total
		r.mu.Unlock()
		if got >= n {
			return
		}
		if total != last {
			last, since = total, time.Now()
		} else if time.Since(since) > quiet {
			return
		}
	}
}

// distinct is how many different ids arrived.
func (r *topicReader) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.counts)
}

// check fails the test unless every id in [0, n) arrived and nothing else
// did; it returns the duplicates (records beyond the first of each id).
func (r *topicReader) check(n int) (dups int) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		r.t.Errorf("%d records are not {\"id\": n}, e.g. %q", len(r.bad), head(r.bad, 3))
	}
	var missing []int64
	for i := range int64(n) {
		if r.counts[i] == 0 {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		r.t.Errorf("%d of %d records never reached the sink: %v", len(missing), n, head(missing, 20))
	}
	for id := range r.counts {
		if id < 0 || id >= int64(n) {
			r.t.Errorf("record id %d was never produced", id)
		}
	}
	return r.total - len(r.counts)
}

// kafkaRelay is a deployment reading topic `in` in group `group` and
// producing every event to topic `out`, through the pipeline given
// (system::passthrough when empty).
func kafkaRelay(t *testing.T, addr, group string, maxInFlight int, trickle string) *deployment {
	t.Helper()
	pipe := "system::passthrough"
	files := map[string]string{
		"kafka.yaml": fmt.Sprintf(`onramp:
  - id: in
    type: kafka
    codec: json
    config:
      brokers: ["%[1]s"]
      topics: ["in"]
      group_id: "%[2]s"
      max_in_flight: %[3]d
offramp:
  - id: out
    type: kafka
    codec: json
    config:
      brokers: ["%[1]s"]
      topic: out
`, addr, group, maxInFlight),
	}
	if trickle != "" {
		pipe = "relay"
		files["relay.trickle"] = trickle
	}
	files["binding.yaml"] = strings.ReplaceAll(`binding:
  - id: default
    links:
      "/onramp/in/{instance}/out": ["/pipeline/PIPE/{instance}/in"]
      "/pipeline/PIPE/{instance}/out": ["/offramp/out/{instance}/in"]
mapping:
  /binding/default/01:
    instance: "01"
`, "PIPE", pipe)
	return writeFiles(t, files)
}

// groupCommitted is what group committed for topic, per partition.
func groupCommitted(t *testing.T, addr, group, topic string) map[int32]int64 {
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
	rt.Partitions = []int32{0, 1, 2, 3, 4, 5, 6, 7}
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	for _, rt := range resp.Topics {
		for _, p := range rt.Partitions {
			if p.Offset >= 0 {
				out[p.Partition] = p.Offset
			}
		}
	}
	return out
}

// TestKafkaKill9ResumesWithoutSkipping: temblor relays topic in → topic out
// and is killed with SIGKILL mid-stream three times; after the last
// restart every record of `in` is in `out`, and the duplicates (records
// re-read from the last commit) are at most the in-flight window per kill.
func TestKafkaKill9ResumesWithoutSkipping(t *testing.T) {
	const n, window, kills = 20000, 500, 3
	_, addr := kafkaCluster(t, 4, "in", "out")
	produceIDs(t, addr, "in", 0, n)
	out := readTopic(t, addr, "out")
	d := kafkaRelay(t, addr, "relay", window, "")
	var runs []*engine
	for k := range kills {
		e := startEngine(t, d)
		runs = append(runs, e)
		at := out.distinct() + (n/(kills+1))/2 // somewhere in the next stretch
		waitFor(t, 2*time.Minute, fmt.Sprintf("%d records in out (run %d)", at, k+1), func() bool { return out.distinct() >= at })
		e.Kill()
		t.Logf("run %d: killed at %d distinct records in out", k+1, out.distinct())
	}
	e := startEngine(t, d)
	runs = append(runs, e)
	// Done when the group committed the end of every partition: every
	// record was acked by then (and a lossy commit gets there too).
	waitFor(t, 3*time.Minute, "the group to commit the end of every partition", func() bool {
		sum := int64(0)
		for _, off := range groupCommitted(t, addr, "relay", "in") {
			sum += off
		}
		return sum == n
	})
	if err := e.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	out.settle(n, 2*time.Second)
	dups := out.check(n)
	// A kill re-delivers at most the window; an event that failed (the
	// offramp's confirmation timed out on a loaded machine) has its
	// record and those after it read again, as the log says.
	again := rereads(runs)
	t.Logf("%d records, %d kills, %d duplicates (bound %d: the window per kill, and %d records read again after failed events or rebalances)",
		n, kills, dups, kills*window+again, again)
	if dups > kills*window+again {
		t.Errorf("%d duplicates, more than the in-flight window (%d) per kill (%d kills) and the %d records read again", dups, window, kills, again)
	}
}

// rereads is how many records the engines' kafka onramps left to be read
// again besides a kill: after failed events (their log of each seek) and
// with partitions revoked or lost in a rebalance (a session that expired
// on a loaded machine).
func rereads(runs []*engine) int {
	n := 0
	for _, e := range runs {
		for _, rec := range e.logRecords("event failed: reading the partition again") {
			if k, ok := rec["records_again"].(float64); ok {
				n += int(k)
			}
		}
		for _, rec := range e.logRecords("their uncommitted records are left to the next owner") {
			if k, ok := rec["uncommitted"].(float64); ok {
				n += int(k)
			}
		}
	}
	return n
}

// producePaced writes {"id": i} for i in [from, n) to topic in batches
// of batch every interval, in the background; wait returns once all were
// written.
func producePaced(t *testing.T, addr, topic string, from, n, batch int, interval time.Duration) (wait func()) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		defer cl.Close()
		for ; from < n; from += batch {
			recs := make([]*kgo.Record, 0, batch)
			for i := from; i < min(n, from+batch); i++ {
				k := strconv.Itoa(i)
				recs = append(recs, &kgo.Record{Key: []byte(k), Value: []byte(`{"id":` + k + `}`)})
			}
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				done <- err
				return
			}
			select {
			case <-ctx.Done():
				done <- ctx.Err()
				return
			case <-time.After(interval):
			}
		}
		done <- nil
	}()
	t.Cleanup(cancel)
	return func() {
		t.Helper()
		if err := <-done; err != nil {
			t.Fatalf("producing to %s: %v", topic, err)
		}
	}
}

// copyExample copies the files of an example directory into a new
// directory, with every `localhost:9092` replaced by addr.
func copyExample(t *testing.T, example, addr string) *deployment {
	t.Helper()
	ents, err := os.ReadDir(example)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range ents {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(example, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = strings.ReplaceAll(string(b), "localhost:9092", addr)
	}
	return writeFiles(t, files)
}

// assignedPartitions is how many partitions the engine's kafka onramp
// holds (from its log of each change).
func assignedPartitions(e *engine) int {
	recs := e.logRecords("kafka partitions ")
	if len(recs) == 0 {
		return 0
	}
	parts, _ := recs[len(recs)-1]["holding"].(string)
	return len(strings.Fields(parts))
}

// TestKafkaGroupSurvivorTakesOver runs examples/kafka-scaleout as two
// temblor processes in one consumer group while records are produced; one
// is killed with SIGKILL once both hold partitions; the survivor takes
// its partitions over and every record reaches logs-enriched.
func TestKafkaGroupSurvivorTakesOver(t *testing.T) {
	const n, window = 20000, 1000 // window: max_in_flight in the example
	_, addr := kafkaCluster(t, 4, "logs", "logs-enriched")
	out := readTopic(t, addr, "logs-enriched")
	// A backlog (so that records are in flight at the kill), then more
	// while the processes run.
	produceIDs(t, addr, "logs", 0, n/2)
	wait := producePaced(t, addr, "logs", n/2, n, 250, 100*time.Millisecond)
	a := startEngine(t, copyExample(t, "../examples/kafka-scaleout", addr))
	waitFor(t, time.Minute, "the first process to be assigned partitions", func() bool { return assignedPartitions(a) > 0 })
	b := startEngine(t, copyExample(t, "../examples/kafka-scaleout", addr))
	waitFor(t, time.Minute, "both processes to hold partitions", func() bool {
		return assignedPartitions(b) > 0 && assignedPartitions(a) > 0 && assignedPartitions(a)+assignedPartitions(b) == 4
	})
	at := out.distinct() + 1000
	waitFor(t, time.Minute, "records flowing after the rebalance", func() bool { return out.distinct() > at })
	a.Kill()
	t.Logf("killed the process holding %d of 4 partitions at %d distinct records in out", assignedPartitions(a), out.distinct())
	waitFor(t, time.Minute, "the survivor to take every partition", func() bool { return assignedPartitions(b) == 4 })
	wait()
	waitFor(t, 3*time.Minute, "the group to commit the end of every partition", func() bool {
		sum := int64(0)
		for _, off := range groupCommitted(t, addr, "temblor-scaleout", "logs") {
			sum += off
		}
		return sum == n
	})
	if err := b.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	out.settle(n, 2*time.Second)
	dups := out.check(n)
	again := rereads([]*engine{a, b})
	t.Logf("%d records, one process killed, %d duplicates (bound %d: its window, one per rebalance, and %d records left uncommitted by failed events or rebalances)",
		n, dups, 2*window+again, again)
	if dups > 2*window+again {
		t.Errorf("%d duplicates, more than twice the in-flight window (%d) and the %d records read again", dups, window, again)
	}
}

// TestKafkaExamplesValidate: the Kafka examples load (`--validate`).
func TestKafkaExamplesValidate(t *testing.T) {
	for _, dir := range []string{"../examples/kafka-wal", "../examples/kafka-scaleout"} {
		out, err := exec.Command(temblorBin, "server", "run", "--validate", "--data-dir", t.TempDir(), "-f", dir).CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", dir, err, out)
		}
	}
}

// TestKafkaWALExampleRuns runs examples/kafka-wal (kafka → trickle →
// qos::wal → ws) against kfake and a websocket listener; the relay is
// killed with SIGKILL mid-stream and restarted: every record reaches the
// listener, with its partition and offset.
func TestKafkaWALExampleRuns(t *testing.T) {
	const n = 6000
	_, addr := kafkaCluster(t, 3, "logs")
	l := newListener(t)
	d := copyExample(t, "../examples/kafka-wal", addr)
	ws := filepath.Join(d.dir, "ws.yaml")
	b, err := os.ReadFile(ws)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ws, []byte(strings.ReplaceAll(string(b), "ws://localhost:8080/", l.URL())), 0o644); err != nil {
		t.Fatal(err)
	}
	produceIDs(t, addr, "logs", 0, n/2)
	wait := producePaced(t, addr, "logs", n/2, n, 100, 50*time.Millisecond)
	distinct := func() int {
		seen := map[int64]bool{}
		for _, m := range l.Messages() {
			seen[m.ID] = true
		}
		return len(seen)
	}
	e := startEngine(t, d)
	waitFor(t, time.Minute, "records at the listener", func() bool { return distinct() > n/4 })
	e.Kill()
	t.Logf("killed at %d distinct records at the listener", distinct())
	e = startEngine(t, d)
	wait()
	waitFor(t, 2*time.Minute, fmt.Sprintf("all %d records at the listener", n), func() bool { return distinct() >= n })
	if err := e.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for _, m := range l.Messages() {
		seen[m.ID]++
	}
	for i := range int64(n) {
		if seen[i] == 0 {
			t.Errorf("record %d never reached the listener", i)
		}
	}
	t.Logf("%d records, %d messages at the listener", n, len(l.Messages()))
}

// sinkBroker is a kfake cluster persisting to a directory, so that it can
// be closed (unavailable) and started again on the same port with what it
// had stored, and made to refuse produce requests for a while.
type sinkBroker struct {
	t       *testing.T
	dir     string
	port    int
	mu      sync.Mutex
	c       *kfake.Cluster
	refuse  bool
	refused int
}

func newSinkBroker(t *testing.T, topic string) *sinkBroker {
	b := &sinkBroker{t: t, dir: t.TempDir()}
	b.start(kfake.SeedTopics(4, topic))
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.c != nil {
			b.c.Close()
		}
	})
	return b
}

func (b *sinkBroker) start(extra ...kfake.Opt) {
	b.t.Helper()
	var c *kfake.Cluster
	var err error
	for range 50 { // the port may linger for a moment after a close
		c, err = kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.Ports(b.port), kfake.DataDir(b.dir),
			kfake.ListenFn(func(network, address string) (net.Listener, error) {
				_, port, err := net.SplitHostPort(address)
				if err != nil {
					return nil, err
				}
				return net.Listen(network, net.JoinHostPort("127.0.0.1", port))
			})}, extra...)...)
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		b.mu.Lock()
		defer b.mu.Unlock()
		if !b.refuse {
			return nil, nil, false
		}
		b.refused++
		// Refused: every partition answers POLICY_VIOLATION, an error
		// the producer does not retry.
		preq := req.(*kmsg.ProduceRequest)
		resp := preq.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range preq.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.PolicyViolation.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	b.mu.Lock()
	b.c = c
	if b.port == 0 {
		_, p, _ := net.SplitHostPort(c.ListenAddrs()[0])
		b.port, _ = strconv.Atoi(p)
	}
	b.mu.Unlock()
}

func (b *sinkBroker) addr() string { return "127.0.0.1:" + strconv.Itoa(b.port) }

func (b *sinkBroker) setRefuse(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refuse = on
}

func (b *sinkBroker) refusedRequests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refused
}

// close makes the broker unavailable (its listener and connections gone).
func (b *sinkBroker) close() {
	b.mu.Lock()
	c := b.c
	b.c = nil
	b.mu.Unlock()
	c.Close()
}

// TestKafkaSinkOutageResentFromWAL: kafka (topic in) → qos::wal → kafka
// (topic out on another broker). The out broker first refuses produce
// requests, then goes away altogether and comes back on the same port:
// the offramp fails the events it could not deliver, the WAL re-sends
// them, and every record of `in` is in `out`.
func TestKafkaSinkOutageResentFromWAL(t *testing.T) {
	const n = 12000
	_, inAddr := kafkaCluster(t, 4, "in")
	sink := newSinkBroker(t, "out")
	produceIDs(t, inAddr, "in", 0, n/4)
	wait := producePaced(t, inAddr, "in", n/4, n, 200, 50*time.Millisecond) // ~4 s
	out := readTopic(t, sink.addr(), "out")
	d := writeFiles(t, map[string]string{
		"kafka.yaml": fmt.Sprintf(`onramp:
  - id: in
    type: kafka
    codec: json
    config:
      brokers: ["%s"]
      topics: ["in"]
      group_id: wal
offramp:
  - id: out
    type: kafka
    codec: json
    config:
      brokers: ["%s"]
      topic: out
      rdkafka_options:
        message.timeout.ms: "2000"
`, inAddr, sink.addr()),
		"relay.trickle": "define qos::wal operator wal\nwith\n  read_count = 100,\n  max_elements = 100000,\n  max_bytes = 104857600\nend;\n" +
			"create operator wal;\nselect event from in into wal;\nselect event from wal into out;\n",
		"binding.yaml": `binding:
  - id: default
    links:
      "/onramp/in/{instance}/out": ["/pipeline/relay/{instance}/in"]
      "/pipeline/relay/{instance}/out": ["/offramp/out/{instance}/in"]
mapping:
  /binding/default/01:
    instance: "01"
`,
	})
	e := startEngine(t, d)
	waitFor(t, time.Minute, "records in out", func() bool { return out.distinct() > n/10 })
	sink.setRefuse(true)
	waitFor(t, 30*time.Second, "the broker to refuse produce requests", func() bool { return sink.refusedRequests() >= 3 })
	sink.setRefuse(false)
	at := out.distinct()
	waitFor(t, time.Minute, "records in out after the refusals", func() bool { return out.distinct() > at+n/10 })
	out.stop() // its client would reconnect to the new cluster mid-read
	sink.close()
	t.Logf("broker refused %d produce requests, then closed at %d distinct records", sink.refusedRequests(), at)
	wait()
	// The WAL stores what the offramp cannot deliver: the onramp commits
	// the whole topic while the broker is away.
	waitFor(t, 2*time.Minute, "the onramp to commit every record of in", func() bool {
		sum := int64(0)
		for _, off := range groupCommitted(t, inAddr, "wal", "in") {
			sum += off
		}
		return sum == n
	})
	sink.start()
	final := readTopic(t, sink.addr(), "out")
	final.settle(n, 20*time.Second)
	if err := e.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	final.settle(n, 2*time.Second)
	dups := final.check(n)
	if len(e.logRecords("circuit breaker open")) == 0 {
		t.Error("the offramp never noticed the outage (no 'circuit breaker open' in the log)")
	}
	t.Logf("%d records, %d duplicates (events failed after some of their records arrived, re-sent whole)", n, dups)
}
