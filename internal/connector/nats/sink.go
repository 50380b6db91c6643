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
	sdk.RegisterSink(sdk.SinkSpec[sinkConfig]{
		Name:    "nats",
		Summary: "Publishes each event to `subject` on NATS `hosts`; with `jetstream`, acked once the stream stored it",
		Docs: "Each encoded payload is one message on `subject`, with the reply subject from `$nats.reply` (else " +
			"`reply`) and the headers of `headers` plus `$nats.headers` (`{name: [values]}`), as in Tremor 0.11.\n\n" +
			"**Core NATS**: an event is acked once the server received its messages — temblor sends a PING behind " +
			"them and waits for the PONG (Tremor acked as soon as the message was buffered). Core NATS does not " +
			"keep messages for subscribers that are not there.\n\n" +
			"**JetStream** (`jetstream: true`): each message is published with a publish acknowledgement, and the " +
			"event is acked once the stream stored all of its messages; a negative or missing acknowledgement fails " +
			"it (a `qos::wal` before the offramp re-sends it). The subject must belong to a stream: connecting " +
			"checks it, and the circuit breaker stays open, with the reason in the log, until one does.\n\n" +
			"A lost connection fails what was not confirmed and temblor reconnects with backoff.",
		DefaultCodec: "json",
		Acks:         "core NATS: the server received the messages (a PING/PONG behind them); JetStream: the stream stored them (publish acknowledgement)",
		New:          newSink,
	})
}

type sinkConfig struct {
	Hosts     []string            `conf:"hosts,required" doc:"NATS servers, as host:port or nats://host:port." example:"[\"127.0.0.1:4222\"]"`
	Subject   string              `conf:"subject,required" doc:"The subject to publish to." example:"events.out"`
	Reply     string              `conf:"reply" doc:"The reply subject of messages whose event has no $nats.reply."`
	Headers   map[string][]string `conf:"headers" doc:"Headers of every message (name: [values]); $nats.headers adds to them."`
	Options   connectOptions      `conf:"options" doc:"Connection options (Tremor's)."`
	JetStream bool                `conf:"jetstream" doc:"Publish to JetStream and ack an event only once the stream stored it."`
}

func newSink(c *sinkConfig, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
	url, err := servers(c.Hosts, p.At)
	if err != nil {
		return nil, sdk.SinkOptions{}, err
	}
	if err := checkOptions(&c.Options, p.At); err != nil {
		return nil, sdk.SinkOptions{}, err
	}
	if c.Subject == "" {
		return nil, sdk.SinkOptions{}, p.At.Errorf("subject", "`subject` is empty")
	}
	return &Sink{url: url, subject: c.Subject, reply: c.Reply, headers: c.Headers, opts: c.Options, js: c.JetStream, name: "temblor " + p.URL},
		sdk.SinkOptions{MaxUnconfirmed: 1024}, nil
}

// Sink is the nats offramp, driven by the runner from one goroutine.
type Sink struct {
	url, subject, reply, name string
	headers                   map[string][]string
	opts                      connectOptions
	js                        bool

	log     *slog.Logger
	refused prometheus.Counter
	nc      *natsgo.Conn
	jsc     jetstream.JetStream
	futures []jetstream.PubAckFuture
}

var (
	_ sdk.Sink         = (*Sink)(nil)
	_ sdk.Confirmer    = (*Sink)(nil)
	_ sdk.Peer         = (*Sink)(nil)
	_ component.Opener = (*Sink)(nil)
	_ component.Closer = (*Sink)(nil)
)

// Open takes the logger and metrics.
func (s *Sink) Open(_ context.Context, env component.Env) error {
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	s.refused = registerCounter(env.Metrics, "nats_publish_refused_total", "Messages the NATS server or JetStream refused or did not confirm.", "offramp").WithLabelValues(env.URL)
	return nil
}

// Peer names the servers and subject, for logs.
func (s *Sink) Peer() string { return "nats " + s.url + " subject " + s.subject }

// Connect connects; with JetStream it checks that a stream takes the
// subject.
func (s *Sink) Connect(ctx context.Context) error {
	nc, err := natsgo.Connect(s.url, s.opts.natsOptions(s.name)...)
	if err != nil {
		return err
	}
	if s.js {
		js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(8192))
		if err == nil {
			_, err = js.StreamNameBySubject(ctx, s.subject)
			if err != nil {
				err = fmt.Errorf("no JetStream stream takes subject %q: %w", s.subject, err)
			}
		}
		if err != nil {
			nc.Close()
			return err
		}
		s.jsc = js
	}
	s.nc = nc
	return nil
}

// Disconnect closes the connection.
func (s *Sink) Disconnect() error {
	if s.nc != nil {
		s.nc.Close()
		s.nc, s.jsc = nil, nil
	}
	clear(s.futures)
	s.futures = s.futures[:0]
	return nil
}

// Close closes the connection if the runner left it open.
func (s *Sink) Close() error { return s.Disconnect() }

// Write publishes the batch; Confirm waits for the server.
func (s *Sink) Write(_ context.Context, b *sdk.Batch) error {
	if s.nc == nil {
		return errors.New("not connected")
	}
	for i := range b.Messages {
		m := &b.Messages[i]
		reply, headers := s.meta(m.Meta)
		for _, p := range m.Payloads {
			msg := &natsgo.Msg{Subject: s.subject, Reply: reply, Data: p, Header: headers}
			if s.jsc == nil {
				if err := s.nc.PublishMsg(msg); err != nil {
					return err
				}
				continue
			}
			f, err := s.jsc.PublishMsgAsync(msg)
			if err != nil {
				return err
			}
			s.futures = append(s.futures, f)
		}
	}
	return nil
}

// Confirm returns once the server has what was written: core NATS, a
// PING/PONG behind it; JetStream, every publish acknowledgement.
func (s *Sink) Confirm(ctx context.Context) error {
	if s.nc == nil {
		return errors.New("not connected")
	}
	if s.jsc == nil {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
		}
		return s.nc.FlushWithContext(ctx)
	}
	defer func() {
		clear(s.futures)
		s.futures = s.futures[:0]
	}()
	var first error
	for _, f := range s.futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			s.refused.Inc()
			if first == nil {
				first = fmt.Errorf("JetStream did not store a message: %w", err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return first
}

// meta reads $nats.reply and $nats.headers.
func (s *Sink) meta(m event.Value) (string, natsgo.Header) {
	reply := s.reply
	var h natsgo.Header
	if len(s.headers) > 0 {
		h = natsgo.Header{}
		for k, vs := range s.headers {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
	}
	rec, _ := m.(*event.Record)
	if rec == nil {
		return reply, h
	}
	nv, _ := rec.Get("nats")
	n, _ := nv.(*event.Record)
	if n == nil {
		return reply, h
	}
	if r, ok := n.Get("reply"); ok {
		if rs, ok := r.(string); ok {
			reply = rs
		}
	}
	if hv, ok := n.Get("headers"); ok {
		if hr, ok := hv.(*event.Record); ok {
			for _, k := range hr.Keys() {
				v, _ := hr.Get(k)
				add := func(v event.Value) {
					if h == nil {
						h = natsgo.Header{}
					}
					switch t := v.(type) {
					case string:
						h.Add(k, t)
					case []byte:
						h.Add(k, string(t))
					}
				}
				if list, ok := v.([]event.Value); ok {
					for _, e := range list {
						add(e)
					}
				} else {
					add(v)
				}
			}
		}
	}
	return reply, h
}

// registerCounter registers a counter family (or returns the one already
// registered: every nats connector of the process shares it).
func registerCounter(reg prometheus.Registerer, name, help, label string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Name: name, Help: help}, []string{label})
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}
