package kafka

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// startCluster starts a kfake cluster (a real Kafka protocol server in
// this process) on 127.0.0.1 with the topics given, each of partitions
// partitions; it is closed at the end of the test.
func startCluster(t testing.TB, partitions int32, topics ...string) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...), kfake.ListenFn(loopback))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// loopback makes kfake listen on 127.0.0.1 only.
func loopback(network, address string) (net.Listener, error) {
	_, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	return net.Listen(network, net.JoinHostPort("127.0.0.1", port))
}

// produce writes values to topic synchronously with a plain client.
func produce(t testing.TB, addr, topic string, values ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	recs := make([]*kgo.Record, len(values))
	for i, v := range values {
		recs[i] = &kgo.Record{Value: []byte(v)}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// consumeAll reads every record of topic from the start, until the high
// watermarks.
func consumeAll(t testing.TB, addr, topic string) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	want := highWatermarks(t, cl, topic)
	seen := map[int32]int64{}
	var out []*kgo.Record
	done := func() bool {
		for p, hwm := range want {
			if seen[p] < hwm {
				return false
			}
		}
		return true
	}
	for !done() {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s back: %d of %v", topic, len(out), want)
		}
		fs.EachRecord(func(r *kgo.Record) {
			out = append(out, r)
			seen[r.Partition] = r.Offset + 1
		})
	}
	return out
}

func highWatermarks(t testing.TB, cl *kgo.Client, topic string) map[int32]int64 {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	meta.Topics = append(meta.Topics, mt)
	mresp, err := meta.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range mresp.Topics[0].Partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p.Partition
		rp.Timestamp = -1 // the end
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	for _, p := range resp.Topics[0].Partitions {
		out[p.Partition] = p.Offset
	}
	return out
}

// broker is a kfake cluster that records every record produced to it as
// it receives it (a control function on Produce), and can be killed and
// restarted on the same port, or hang (receive produce requests and never
// answer them).
type broker struct {
	t     testing.TB
	topic string
	port  int

	mu     sync.Mutex
	c      *kfake.Cluster
	got    map[string]bool
	order  []string
	unhang chan struct{}
}

func newBroker(t testing.TB, topic string) *broker {
	b := &broker{t: t, topic: topic, got: map[string]bool{}}
	b.start(0)
	t.Cleanup(b.Kill)
	return b
}

func (b *broker) start(port int) {
	var c *kfake.Cluster
	var err error
	for i := 0; i < 100; i++ { // the port may linger after a kill
		if c, err = kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(1, b.topic), kfake.ListenFn(loopback)); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		b.record(req.(*kmsg.ProduceRequest))
		b.mu.Lock()
		unhang := b.unhang
		b.mu.Unlock()
		if unhang != nil {
			c.SleepControl(func() { <-unhang })
		}
		return nil, nil, false
	})
	_, p, _ := net.SplitHostPort(c.ListenAddrs()[0])
	b.port, _ = strconv.Atoi(p)
	b.mu.Lock()
	b.c = c
	b.mu.Unlock()
}

func (b *broker) addr() string { return "127.0.0.1:" + strconv.Itoa(b.port) }

// record notes the values of the records in a produce request (the
// producer sends them uncompressed: see Config).
func (b *broker) record(req *kmsg.ProduceRequest) {
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			for _, v := range batchValues(b.t, p.Records) {
				b.mu.Lock()
				if !b.got[v] {
					b.got[v] = true
					b.order = append(b.order, v)
				}
				b.mu.Unlock()
			}
		}
	}
}

// batchValues decodes the values of uncompressed record batches.
func batchValues(t testing.TB, raw []byte) []string {
	var out []string
	for len(raw) > 0 {
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(raw); err != nil {
			t.Errorf("undecodable record batch: %v", err)
			return out
		}
		if rb.Attributes&7 != 0 {
			t.Errorf("the test broker reads uncompressed batches only (attributes %d)", rb.Attributes)
			return out
		}
		recs := rb.Records
		for i := int32(0); i < rb.NumRecords; i++ {
			n, w := binary.Varint(recs)
			if w <= 0 || int(n)+w > len(recs) {
				t.Errorf("undecodable record")
				return out
			}
			var r kmsg.Record
			if err := r.ReadFrom(recs[:w+int(n)]); err != nil {
				t.Errorf("undecodable record: %v", err)
				return out
			}
			out = append(out, string(r.Value))
			recs = recs[w+int(n):]
		}
		raw = raw[12+int(rb.Length):]
	}
	return out
}

func (b *broker) Config() string {
	return fmt.Sprintf("brokers: [\"%s\"]\ntopic: %s\nrdkafka_options:\n  compression.codec: none\n", b.addr(), b.topic)
}

func (b *broker) Has(s string) bool { b.mu.Lock(); defer b.mu.Unlock(); return b.got[s] }

func (b *broker) Received() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.order...)
}

// Kill closes the cluster: connections drop, nothing listens.
func (b *broker) Kill() {
	b.mu.Lock()
	c, unhang := b.c, b.unhang
	b.c, b.unhang = nil, nil
	b.mu.Unlock()
	if unhang != nil {
		close(unhang)
	}
	if c != nil {
		c.Close()
	}
}

// Restart starts a new cluster on the same port.
func (b *broker) Restart() { b.start(b.port) }

// Hang makes the broker take produce requests and never answer them.
func (b *broker) Hang() {
	b.mu.Lock()
	b.unhang = make(chan struct{})
	b.mu.Unlock()
}
