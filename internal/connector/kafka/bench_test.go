package kafka_test

// BenchmarkRelay measures records/s consumed from a topic, through a
// temblor pipeline, and produced to another topic, beside franz-go's own
// at-least-once consume → produce loop on the same broker in the same run.
// Both run against kfake in this process.

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	_ "github.com/temblor-dev/temblor/internal/builtin"
	"github.com/temblor-dev/temblor/internal/config"
	"github.com/temblor-dev/temblor/internal/runtime"
)

// benchRecords is how many records one relay moves (BENCH_KAFKA_RECORDS).
func benchRecords(b *testing.B) int {
	if v := os.Getenv("BENCH_KAFKA_RECORDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("BENCH_KAFKA_RECORDS=%q: want a positive number", v)
		}
		return n
	}
	return 50000
}

func BenchmarkRelay(b *testing.B) {
	n := benchRecords(b)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(4), kfake.AllowAutoTopicCreation(),
		kfake.ListenFn(func(network, address string) (net.Listener, error) {
			_, port, err := net.SplitHostPort(address)
			if err != nil {
				return nil, err
			}
			return net.Listen(network, net.JoinHostPort("127.0.0.1", port))
		}))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	var rawTotal, temblorTotal time.Duration
	round := 0
	for b.Loop() {
		round++
		raw := fmt.Sprintf("raw-%d", round)
		tem := fmt.Sprintf("temblor-%d", round)
		b.StopTimer()
		fill(b, addr, raw+"-in", n)
		fill(b, addr, tem+"-in", n)
		b.StartTimer()
		rawTotal += rawRelay(b, addr, raw, n)
		temblorTotal += temblorRelay(b, addr, tem, n)
	}
	rawRate := float64(n*round) / rawTotal.Seconds()
	temRate := float64(n*round) / temblorTotal.Seconds()
	b.ReportMetric(temRate, "temblor_rec/s")
	b.ReportMetric(rawRate, "raw_rec/s")
	b.ReportMetric(temRate/rawRate, "ratio")
}

// fill writes n JSON records (keyed, spread over the partitions).
func fill(b *testing.B, addr, topic string, n int) {
	b.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.AllowAutoTopicCreation())
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const chunk = 5000
	for from := 0; from < n; from += chunk {
		recs := make([]*kgo.Record, 0, chunk)
		for i := from; i < min(n, from+chunk); i++ {
			k := strconv.Itoa(i)
			recs = append(recs, &kgo.Record{Key: []byte(k),
				Value: []byte(`{"id":` + k + `,"host":"web-01","level":"info","msg":"GET /index.html 200 1234 0.003"}`)})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			b.Fatal(err)
		}
	}
}

// produced is how many records topic holds (the sum of its high
// watermarks).
func produced(ctx context.Context, cl *kgo.Client, topic string) (int64, error) {
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	meta.Topics = append(meta.Topics, mt)
	mresp, err := meta.RequestWith(ctx, cl)
	if err != nil {
		return 0, err
	}
	if len(mresp.Topics) == 0 || mresp.Topics[0].ErrorCode != 0 {
		return 0, nil // not created yet
	}
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range mresp.Topics[0].Partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p.Partition
		rp.Timestamp = -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			sum += p.Offset
		}
	}
	return sum, nil
}

// rawRelay is the baseline: one franz-go client in a consumer group that
// produces every record it polls to <name>-out, waits for the broker's
// acknowledgements (Flush) and then commits what it polled — the
// at-least-once loop franz-go's documentation shows.
func rawRelay(b *testing.B, addr, name string, n int) time.Duration {
	b.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup(name), kgo.ConsumeTopics(name+"-in"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(), kgo.DefaultProduceTopic(name+"-out"),
		kgo.AllowAutoTopicCreation(), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	moved := 0
	for moved < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			b.Fatalf("raw relay: %d of %d after 5 minutes", moved, n)
		}
		fs.EachRecord(func(r *kgo.Record) {
			cl.Produce(ctx, &kgo.Record{Key: r.Key, Value: r.Value, Headers: r.Headers}, func(_ *kgo.Record, err error) {
				if err != nil {
					b.Error(err)
				}
			})
			moved++
		})
		if err := cl.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// temblorRelay runs a deployment kafka (<name>-in) → system::passthrough
// → kafka (<name>-out) in this process until <name>-out holds n records.
func temblorRelay(b *testing.B, addr, name string, n int) time.Duration {
	b.Helper()
	dir := b.TempDir()
	files := map[string]string{
		"relay.yaml": fmt.Sprintf(`onramp:
  - id: in
    type: kafka
    codec: json
    config:
      brokers: ["%[1]s"]
      topics: ["%[2]s-in"]
      group_id: "%[2]s"
offramp:
  - id: out
    type: kafka
    codec: json
    config:
      brokers: ["%[1]s"]
      topic: "%[2]s-out"
binding:
  - id: relay
    links:
      "/onramp/in/{instance}/out": ["/pipeline/system::passthrough/{instance}/in"]
      "/pipeline/system::passthrough/{instance}/out": ["/offramp/out/{instance}/in"]
mapping:
  /binding/relay/01:
    instance: "01"
`, addr, name),
	}
	var paths []string
	for f, body := range files {
		p := filepath.Join(dir, f)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	dep, err := config.Load(paths)
	if err != nil {
		b.Fatal(err)
	}
	// The out topic must exist before the offramp connects (it checks).
	admin, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	create := kmsg.NewPtrCreateTopicsRequest()
	ct := kmsg.NewCreateTopicsRequestTopic()
	ct.Topic, ct.NumPartitions, ct.ReplicationFactor = name+"-out", 4, 1
	create.Topics = append(create.Topics, ct)
	if _, err := create.RequestWith(context.Background(), admin); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	rt, err := runtime.Build(dep, runtime.Options{DataDir: filepath.Join(dir, "data"), Registry: prometheus.NewRegistry(),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		got, err := produced(ctx, admin, name+"-out")
		if err != nil {
			b.Fatal(err)
		}
		if got >= int64(n) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("temblor relay: %d of %d after 5 minutes", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(start)
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		b.Fatal(err)
	}
	return took
}
