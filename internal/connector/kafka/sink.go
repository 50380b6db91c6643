package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[sinkConfig]{
		Name:    "kafka",
		Summary: "Idempotent producer to `topic`; an event is acked once the broker acknowledged every record made from it",
		Docs: "Each encoded payload is one record. `$kafka.key` (a string or bytes; else `key`), `$kafka.headers` " +
			"(a record of strings or bytes; a list of them gives the header once per element) and `$kafka.partition` " +
			"(an integer: this partition, not the partitioner's choice) come from the event's metadata, so an event " +
			"read by the kafka onramp keeps its key and headers.\n\n" +
			"The producer is idempotent with acks=all: an event is acked once the broker acknowledged all its " +
			"records, and failed when one is refused or not acknowledged within `message.timeout.ms` (default " +
			"5000): the offramp then reconnects and a `qos::wal` before it re-sends the event, so nothing is lost " +
			"(an event failed after some of its records arrived is sent again whole: at-least-once). The " +
			"connection is checked at connect: a broker that cannot be reached, or a `topic` it does not have, " +
			"keeps the circuit breaker open (with the reason in the log) until it can.\n\n" +
			"Keys go to partitions as librdkafka placed them (crc32, Tremor's behaviour) unless `partitioner` says " +
			"otherwise. Differences from Tremor 0.11: `$kafka.partition` is honoured; the offramp reconnects itself " +
			"instead of reporting errors upstream.\n\n" +
			"`rdkafka_options` are read as follows; any other is an error naming it.\n\n" + optionsDoc(producer),
		DefaultCodec: "json",
		Acks:         "the broker acknowledged every record made from the event (idempotent producer, acks=all)",
		New:          newSink,
	})
}

type sinkConfig struct {
	Brokers        []string          `conf:"brokers,required" doc:"Bootstrap brokers, as host:port." example:"[\"localhost:9092\"]"`
	Topic          string            `conf:"topic,required" doc:"The topic to produce to." example:"logs"`
	Key            *string           `conf:"key" doc:"The key of records whose event has no $kafka.key (none when absent)."`
	Hostname       string            `conf:"hostname" doc:"Used in the client id (temblor-<hostname>); the machine's host name when absent."`
	RdkafkaOptions map[string]string `conf:"rdkafka_options" doc:"librdkafka options, mapped onto franz-go where it has an equivalent (see the table); an option without one is an error."`
}

func newSink(c *sinkConfig, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
	if len(c.Brokers) == 0 {
		return nil, sdk.SinkOptions{}, p.At.Errorf("brokers", "`brokers` is empty; name at least one broker as host:port")
	}
	for i, b := range c.Brokers {
		if err := checkBroker(b); err != nil {
			return nil, sdk.SinkOptions{}, p.At.Errorf(fmt.Sprintf("brokers.%d", i), "%v", err)
		}
	}
	if strings.TrimSpace(c.Topic) == "" {
		return nil, sdk.SinkOptions{}, p.At.Errorf("topic", "`topic` is empty")
	}
	set, errs := parseOptions(c.RdkafkaOptions, producer, p.At)
	if len(errs) > 0 {
		return nil, sdk.SinkOptions{}, errs
	}
	s := &Sink{url: p.URL, brokers: c.Brokers, topic: c.Topic, hostname: c.Hostname, set: set, timeout: set.deliveryTimeout}
	if s.timeout == 0 {
		s.timeout = 5 * time.Second
	}
	if c.Key != nil {
		s.key = []byte(*c.Key)
	}
	// The runner's bound on a write and a confirmation is a little longer
	// than the broker's, so that the broker's own error is what is seen.
	// Queue: batches of one event each (the per-event pipelines) wait while a
	// burst is confirmed, so that the next burst is large.
	return s, sdk.SinkOptions{ConfirmTimeout: s.timeout + 2*time.Second, MaxUnconfirmed: 4096, Queue: 512}, nil
}

// Sink is the kafka offramp. The runner drives it from one goroutine;
// promises arrive on franz-go's.
type Sink struct {
	url      string
	brokers  []string
	topic    string
	key      []byte
	hostname string
	set      *settings
	timeout  time.Duration

	log  *slog.Logger
	m    *producerMetrics
	opts []kgo.Opt
	c    *conn
}

// conn is one producer client and what it has not confirmed yet.
type conn struct {
	s      *Sink
	cl     *kgo.Client
	ctx    context.Context
	cancel context.CancelFunc

	mu          sync.Mutex
	outstanding int
	err         error         // the first failure since the last Confirm
	idle        chan struct{} // closed while outstanding == 0
}

var (
	_ sdk.Sink         = (*Sink)(nil)
	_ sdk.Confirmer    = (*Sink)(nil)
	_ sdk.Peer         = (*Sink)(nil)
	_ component.Opener = (*Sink)(nil)
)

// Open prepares the client options (reading certificate files).
func (s *Sink) Open(_ context.Context, env component.Env) error {
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("offramp", s.url)
	s.m = newProducerMetrics(env.Metrics, s.url)
	extra, err := s.set.finish(producer)
	if err != nil {
		return fmt.Errorf("kafka offramp %s: %w", s.url, err)
	}
	host := s.hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	s.opts = append([]kgo.Opt{
		kgo.SeedBrokers(s.brokers...),
		kgo.ClientID("temblor-" + host),
		kgo.DefaultProduceTopic(s.topic),
		kgo.RecordDeliveryTimeout(s.timeout),
		kgo.ProducerLinger(0),
		kgo.WithLogger(&kgoLogger{log: s.log, debug: s.set.debug}),
	}, extra...)
	return nil
}

// Peer names the brokers and topic, for logs.
func (s *Sink) Peer() string { return "kafka " + strings.Join(s.brokers, ",") + " topic " + s.topic }

// Connect creates a producer and checks that the brokers answer and have
// the topic.
func (s *Sink) Connect(ctx context.Context) error {
	cl, err := kgo.NewClient(s.opts...)
	if err != nil {
		return err
	}
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(s.topic)
	req.Topics = append(req.Topics, rt)
	req.AllowAutoTopicCreation = false
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		for _, t := range resp.Topics {
			if e := kerr.ErrorForCode(t.ErrorCode); e != nil {
				err = fmt.Errorf("topic %q: %w", s.topic, e)
			}
		}
	}
	if err != nil {
		cl.Close()
		return err
	}
	cctx, cancel := context.WithCancel(context.Background())
	s.c = &conn{s: s, cl: cl, ctx: cctx, cancel: cancel, idle: make(chan struct{})}
	close(s.c.idle)
	return nil
}

// Disconnect drops the producer; what it had not confirmed is failed by
// the runner.
func (s *Sink) Disconnect() error {
	if s.c == nil {
		return nil
	}
	s.c.cancel()
	s.c.cl.Close()
	s.c = nil
	return nil
}

// Close releases the producer if the runner left it open.
func (s *Sink) Close() error { return s.Disconnect() }

type partKey struct{}

// Write hands the batch's records to the producer; Confirm waits for the
// broker's acknowledgements.
func (s *Sink) Write(_ context.Context, b *sdk.Batch) error {
	c := s.c
	if c == nil {
		return fmt.Errorf("not connected")
	}
	for i := range b.Messages {
		msg := &b.Messages[i]
		key, headers, part, hasPart := s.meta(msg.Meta)
		for _, payload := range msg.Payloads {
			r := &kgo.Record{Topic: s.topic, Key: key, Value: payload, Headers: headers}
			if hasPart {
				r.Context = context.WithValue(c.ctx, partKey{}, part)
			}
			c.mu.Lock()
			if c.outstanding == 0 {
				c.idle = make(chan struct{})
			}
			c.outstanding++
			c.mu.Unlock()
			c.cl.Produce(c.ctx, r, c.promise)
		}
	}
	return nil
}

func (c *conn) promise(_ *kgo.Record, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.s.m.errors.Inc()
		if c.err == nil {
			c.err = err
		}
	} else {
		c.s.m.records.Inc()
	}
	c.outstanding--
	if c.outstanding == 0 {
		close(c.idle)
	}
}

// Confirm waits until the broker acknowledged (or refused) every record
// written; it reports the first refusal.
func (s *Sink) Confirm(ctx context.Context) error {
	c := s.c
	if c == nil {
		return fmt.Errorf("not connected")
	}
	// The runner writes a burst and then confirms it: the records need not
	// linger for more (Flush sends them at once; the default linger of
	// 10 ms made a confirmation wait for it).
	if err := c.cl.Flush(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	idle := c.idle
	c.mu.Unlock()
	select {
	case <-idle:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.mu.Lock()
	err := c.err
	c.err = nil
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("the broker did not take a record: %w", err)
	}
	return nil
}

// meta reads $kafka.key, $kafka.headers and $kafka.partition.
func (s *Sink) meta(m event.Value) (key []byte, headers []kgo.RecordHeader, part int32, hasPart bool) {
	key = s.key
	rec, _ := m.(*event.Record)
	if rec == nil {
		return
	}
	kv, _ := rec.Get("kafka")
	k, _ := kv.(*event.Record)
	if k == nil {
		return
	}
	if v, ok := k.Get("key"); ok {
		switch t := v.(type) {
		case string:
			key = []byte(t)
		case []byte:
			key = t
		}
	}
	if v, ok := k.Get("headers"); ok {
		if h, ok := v.(*event.Record); ok {
			for _, name := range h.Keys() {
				hv, _ := h.Get(name)
				add := func(v event.Value) {
					switch t := v.(type) {
					case string:
						headers = append(headers, kgo.RecordHeader{Key: name, Value: []byte(t)})
					case []byte:
						headers = append(headers, kgo.RecordHeader{Key: name, Value: t})
					}
				}
				if list, ok := hv.([]event.Value); ok {
					for _, e := range list {
						add(e)
					}
				} else {
					add(hv)
				}
			}
		}
	}
	if v, ok := k.Get("partition"); ok {
		if n, ok := v.(int64); ok && n >= 0 && n <= 1<<31-1 {
			part, hasPart = int32(n), true
		}
	}
	return
}

// metaPartitioner honours $kafka.partition and otherwise asks base.
type metaPartitioner struct{ base kgo.Partitioner }

func (m *metaPartitioner) ForTopic(t string) kgo.TopicPartitioner {
	base := m.base.ForTopic(t)
	if nb, ok := base.(kgo.TopicPartitionerOnNewBatch); ok {
		return &metaTopicPartitionerBatch{metaTopicPartitioner{base}, nb}
	}
	return &metaTopicPartitioner{base}
}

type metaTopicPartitioner struct{ base kgo.TopicPartitioner }

func explicit(r *kgo.Record) (int, bool) {
	if r.Context == nil {
		return 0, false
	}
	p, ok := r.Context.Value(partKey{}).(int32)
	return int(p), ok
}

func (m *metaTopicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	if _, ok := explicit(r); ok {
		return true
	}
	return m.base.RequiresConsistency(r)
}

// Partition returns the partition asked for; one the topic does not have
// fails the record (franz-go refuses an index out of range).
func (m *metaTopicPartitioner) Partition(r *kgo.Record, n int) int {
	if p, ok := explicit(r); ok {
		return p
	}
	return m.base.Partition(r, n)
}

type metaTopicPartitionerBatch struct {
	metaTopicPartitioner
	nb kgo.TopicPartitionerOnNewBatch
}

func (m *metaTopicPartitionerBatch) OnNewBatch() { m.nb.OnNewBatch() }
