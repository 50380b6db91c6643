package nats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:    "nats",
		Summary: "Subscribes to `subject` on NATS `hosts`; with `jetstream`, a durable pull consumer that acks a message only once its event was acked",
		Docs: "**Core NATS** (as in Tremor 0.11): a subscription, in the `queue` group when one is given; every message " +
			"is an event with `$nats` = `{subject, reply, headers}` (headers as `{name: [values]}`). Core NATS has no " +
			"acknowledgements: messages that arrive while temblor is disconnected, or that overflow the subscription " +
			"while a circuit breaker holds the onramp, are not kept by the server.\n\n" +
			"**JetStream** (`jetstream: {stream, durable}`): a durable pull consumer on `stream`, filtered on " +
			"`subject`, with explicit acks. A message is acked once every event made from it was acked downstream " +
			"(stored by a `qos::wal` or confirmed by the offramps); when one failed, it is nak'ed with a delay that " +
			"doubles with each delivery (`nak_delay_ms` up to `nak_delay_max_ms`) and the server delivers it again. " +
			"A message not answered within `ack_wait_ms` is delivered again by the server, and at most " +
			"`max_ack_pending` are unanswered at once. Several temblor processes with the same `durable` share its " +
			"messages. `$nats` also holds `stream`, `sequence` (in the stream) and `delivered` (how often).\n\n" +
			"temblor connects and reconnects itself (with backoff); a JetStream consumer resumes where its acks left " +
			"it. `options` are Tremor's.",
		DefaultCodec: "json",
		New:          newSource,
	})
}

type jsSourceConfig struct {
	Stream        string `conf:"stream,required" doc:"The stream to consume." example:"EVENTS"`
	Durable       string `conf:"durable,required" doc:"The durable consumer's name: where the acks are kept; temblor processes with the same name share its messages." example:"temblor"`
	Deliver       string `conf:"deliver" default:"all" enum:"all,new,last" doc:"Where a new durable consumer starts: all the stream, new messages only, or the last one."`
	AckWaitMS     uint64 `conf:"ack_wait_ms" default:"30000" min:"100" doc:"Milliseconds the server waits for a message's ack before it delivers it again."`
	MaxAckPending uint64 `conf:"max_ack_pending" default:"1000" min:"1" max:"1000000" doc:"Messages delivered and not yet acked, at most: it bounds what a crash re-delivers."`
	NakDelayMS    uint64 `conf:"nak_delay_ms" default:"100" doc:"Delay of the first redelivery of a failed message; it doubles with each further delivery."`
	NakDelayMaxMS uint64 `conf:"nak_delay_max_ms" default:"30000" doc:"The longest redelivery delay."`
	Batch         uint64 `conf:"batch" default:"256" min:"1" max:"10000" doc:"Messages asked for at once."`
}

type sourceConfig struct {
	Hosts     []string        `conf:"hosts,required" doc:"NATS servers, as host:port or nats://host:port." example:"[\"127.0.0.1:4222\"]"`
	Subject   string          `conf:"subject,required" doc:"The subject to subscribe to (wildcards allowed); with jetstream, the consumer's filter." example:"events.>"`
	Queue     string          `conf:"queue" doc:"Core NATS queue group: the subscribers of one group share the messages."`
	Options   connectOptions  `conf:"options" doc:"Connection options (Tremor's)."`
	JetStream *jsSourceConfig `conf:"jetstream" doc:"Consume from a JetStream stream with a durable pull consumer (acked, re-delivered) instead of a core subscription."`
}

func newSource(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
	url, err := servers(c.Hosts, p.At)
	if err != nil {
		return nil, err
	}
	if err := checkOptions(&c.Options, p.At); err != nil {
		return nil, err
	}
	if c.Subject == "" {
		return nil, p.At.Errorf("subject", "`subject` is empty")
	}
	s := &Source{url: url, subject: c.Subject, queue: c.Queue, opts: c.Options, name: "temblor " + p.URL}
	if js := c.JetStream; js != nil {
		if c.Queue != "" {
			return nil, p.At.Errorf("queue", "`queue` is a core NATS queue group; with `jetstream` the processes that share `durable` share its messages")
		}
		if js.NakDelayMaxMS < js.NakDelayMS {
			return nil, p.At.Errorf("jetstream.nak_delay_max_ms", "`nak_delay_max_ms` must be at least `nak_delay_ms` (%d)", js.NakDelayMS)
		}
		s.js = js
	}
	return s, nil
}

// Source is the nats onramp: a Reconnector the runner connects.
type Source struct {
	url, subject, queue, name string
	opts                      connectOptions
	js                        *jsSourceConfig

	log   *slog.Logger
	naks  prometheus.Counter
	nc    *natsgo.Conn
	sub   *natsgo.Subscription
	ch    chan *natsgo.Msg
	iter  jetstream.MessagesContext
	retry chan struct{} // closed when the connection closes
}

var (
	_ sdk.PullSource   = (*Source)(nil)
	_ sdk.Reconnector  = (*Source)(nil)
	_ component.Opener = (*Source)(nil)
	_ component.Closer = (*Source)(nil)
)

// Open takes the logger and metrics; the runner connects.
func (s *Source) Open(_ context.Context, env component.Env) error {
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	s.naks = registerCounter(env.Metrics, "nats_naks_total", "JetStream messages nak'ed (their event failed) for redelivery.", "onramp").WithLabelValues(env.URL)
	return nil
}

// Connect connects and subscribes (or binds the durable consumer).
func (s *Source) Connect(ctx context.Context) error {
	closed := make(chan struct{})
	opts := append(s.opts.natsOptions(s.name), natsgo.ClosedHandler(func(*natsgo.Conn) { close(closed) }))
	nc, err := natsgo.Connect(s.url, opts...)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", s.url, err)
	}
	s.nc, s.retry = nc, closed
	if s.js == nil {
		s.ch = make(chan *natsgo.Msg, 8192)
		if s.queue != "" {
			s.sub, err = nc.ChanQueueSubscribe(s.subject, s.queue, s.ch)
		} else {
			s.sub, err = nc.ChanSubscribe(s.subject, s.ch)
		}
		if err == nil {
			err = nc.FlushTimeout(5 * time.Second) // the server has the subscription
		}
	} else {
		err = s.consume(ctx)
	}
	if err != nil {
		nc.Close()
		return err
	}
	return nil
}

// consume binds the durable pull consumer.
func (s *Source) consume(ctx context.Context) error {
	js, err := jetstream.New(s.nc)
	if err != nil {
		return err
	}
	deliver := map[string]jetstream.DeliverPolicy{"all": jetstream.DeliverAllPolicy, "new": jetstream.DeliverNewPolicy, "last": jetstream.DeliverLastPolicy}[s.js.Deliver]
	cons, err := js.CreateOrUpdateConsumer(ctx, s.js.Stream, jetstream.ConsumerConfig{
		Durable: s.js.Durable, FilterSubject: s.subject, AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: deliver,
		AckWait: time.Duration(s.js.AckWaitMS) * time.Millisecond, MaxAckPending: int(s.js.MaxAckPending),
	})
	if err != nil {
		return fmt.Errorf("jetstream consumer %q on stream %q: %w", s.js.Durable, s.js.Stream, err)
	}
	s.iter, err = cons.Messages(jetstream.PullMaxMessages(int(s.js.Batch)))
	return err
}

// Disconnect closes the connection.
func (s *Source) Disconnect() error {
	if s.iter != nil {
		s.iter.Stop()
		s.iter = nil
	}
	if s.nc != nil {
		s.nc.Close()
		s.nc = nil
	}
	return nil
}

// Close closes the connection if the runner left it open.
func (s *Source) Close() error { return s.Disconnect() }

// readWait bounds one Read, so that the runner checks in.
const readWait = 500 * time.Millisecond

// Read returns the messages that arrived: at least one, at most a batch.
func (s *Source) Read(ctx context.Context) (*sdk.Input, error) {
	if s.nc == nil {
		return nil, errors.New("not connected")
	}
	if s.js != nil {
		return s.readJetStream(ctx)
	}
	t := time.NewTimer(readWait)
	defer t.Stop()
	in := &sdk.Input{}
	select {
	case m := <-s.ch:
		s.add(in, m, nil)
	case <-s.retry:
		return nil, fmt.Errorf("the connection to %s closed: %v", s.url, s.nc.LastError())
	case <-t.C:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for len(in.Frames) < 1024 {
		select {
		case m := <-s.ch:
			s.add(in, m, nil)
			continue
		default:
		}
		break
	}
	return in, nil
}

func (s *Source) readJetStream(ctx context.Context) (*sdk.Input, error) {
	rctx, cancel := context.WithTimeout(ctx, readWait)
	m, err := s.iter.Next(jetstream.NextContext(rctx))
	cancel()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoHeartbeat) && s.nc.IsConnected():
		return nil, nil
	default:
		return nil, fmt.Errorf("jetstream consumer %q: %w", s.js.Durable, err)
	}
	a := &jsAcks{s: s, msgs: []jetstream.Msg{m}}
	in := &sdk.Input{Acks: a}
	s.add(in, nil, m)
	for len(in.Frames) < int(s.js.Batch) {
		m, err := s.iter.Next(jetstream.NextMaxWait(time.Microsecond))
		if err != nil {
			break
		}
		a.msgs = append(a.msgs, m)
		s.add(in, nil, m)
	}
	return in, nil
}

// add appends a core message (m) or a JetStream one (jm) and its $nats.
func (s *Source) add(in *sdk.Input, m *natsgo.Msg, jm jetstream.Msg) {
	meta := event.NewRecord(6)
	var headers natsgo.Header
	if m != nil {
		in.Frames = append(in.Frames, m.Data)
		meta.Set("subject", m.Subject)
		if m.Reply != "" {
			meta.Set("reply", m.Reply)
		}
		headers = m.Header
	} else {
		in.Frames = append(in.Frames, jm.Data())
		meta.Set("subject", jm.Subject())
		headers = jm.Headers()
	}
	if len(headers) > 0 {
		h := event.NewRecord(len(headers))
		for k, vs := range headers {
			list := make([]event.Value, len(vs))
			for i, v := range vs {
				list[i] = v
			}
			h.Set(k, list)
		}
		meta.Set("headers", h)
	}
	if jm != nil {
		if md, err := jm.Metadata(); err == nil {
			meta.Set("stream", md.Stream)
			meta.Set("sequence", int64(md.Sequence.Stream))
			meta.Set("delivered", int64(md.NumDelivered))
		}
	}
	in.Meta = append(in.Meta, event.RecordOf("nats", meta))
}

// jsAcks answers the JetStream messages of one input.
type jsAcks struct {
	s    *Source
	msgs []jetstream.Msg
}

func (a *jsAcks) Ack(from, to int) {
	for _, m := range a.msgs[from:to] {
		// A lost ack costs a redelivery after ack_wait_ms, nothing more.
		_ = m.Ack()
	}
}

func (a *jsAcks) Fail(from, to int, _ string) {
	for _, m := range a.msgs[from:to] {
		delivered := uint64(1)
		if md, err := m.Metadata(); err == nil {
			delivered = md.NumDelivered
		}
		_ = m.NakWithDelay(a.s.nakDelay(delivered))
		a.s.naks.Inc()
	}
}

// nakDelay doubles the delay with each delivery, up to the maximum.
func (s *Source) nakDelay(delivered uint64) time.Duration {
	d := time.Duration(s.js.NakDelayMS) * time.Millisecond
	maxD := time.Duration(s.js.NakDelayMaxMS) * time.Millisecond
	for i := uint64(1); i < delivered && d < maxD; i++ {
		d *= 2
	}
	return min(d, maxD)
}
