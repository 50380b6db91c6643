package amqp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[sinkConfig]{
		Name:    "amqp",
		Summary: "Publishes each event to the exchange `exchange` of an AMQP 0-9-1 broker (RabbitMQ) with `routing_key`",
		Docs: "The offramp publishes with publisher confirms: an event is acked once the broker confirmed every " +
			"message made from it — for a persistent message (`persistent: true`, the default) routed to a durable " +
			"queue, once it is on the broker's disk. A message the broker rejects (a negative confirm) is failed; " +
			"with `publish_options.mandatory: true` a message no queue takes is returned by the broker and failed " +
			"(without it the broker drops such messages and confirms them, as AMQP says). When the connection is " +
			"lost, everything unconfirmed is failed, the circuit breaker opens and the offramp reconnects with " +
			"backoff. `headers` are set on every message.\n\n" +
			"Tremor 0.11 published transient messages and acked on publish; it ignored `headers`. RabbitMQ does not " +
			"implement `immediate`, so it is refused.",
		DefaultCodec: "json",
		Acks:         "the broker confirmed the message (publisher confirms); for persistent messages to durable queues, on its disk",
		New: func(c *sinkConfig, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
			if err := checkURL(c.AMQPAddr); err != nil {
				return nil, sdk.SinkOptions{}, p.At.Errorf("amqp_addr", "%v", err)
			}
			if c.PublishOptions.Immediate {
				return nil, sdk.SinkOptions{}, p.At.Errorf("publish_options.immediate", "RabbitMQ does not implement `immediate` (it closes the connection); use `mandatory`, or a queue with a TTL")
			}
			return &sink{cfg: *c}, sdk.SinkOptions{}, nil
		},
	})
}

type publishOptions struct {
	Mandatory bool `conf:"mandatory" doc:"Fail a message that no queue takes (the broker returns it)."`
	Immediate bool `conf:"immediate" doc:"Not implemented by RabbitMQ; refused."`
}

type sinkConfig struct {
	AMQPAddr       string              `conf:"amqp_addr,required" doc:"The broker: amqp://user:password@host:port/vhost." example:"amqp://guest:guest@localhost:5672/"`
	RoutingKey     string              `conf:"routing_key" doc:"The routing key of every message."`
	Exchange       string              `conf:"exchange" doc:"The exchange to publish to; none: the default exchange, which routes to the queue named by the routing key."`
	PublishOptions publishOptions      `conf:"publish_options" doc:"AMQP publish flags."`
	Headers        map[string][]string `conf:"headers" doc:"Headers set on every message (a name to a list of values)."`
	Persistent     bool                `conf:"persistent" default:"true" doc:"Publish persistent messages (delivery mode 2), so a durable queue keeps them across a broker restart."`
}

type sink struct {
	cfg     sinkConfig
	conn    *amqp091.Connection
	ch      *amqp091.Channel
	returns chan amqp091.Return
	headers amqp091.Table
	seq     uint64
	once    sync.Once
}

var (
	_ sdk.Sink = (*sink)(nil)
	_ sdk.Peer = (*sink)(nil)
)

func (s *sink) Peer() string { return redact(s.cfg.AMQPAddr) }

func (s *sink) Connect(context.Context) error {
	s.once.Do(func() {
		if len(s.cfg.Headers) > 0 {
			s.headers = amqp091.Table{}
			for k, vs := range s.cfg.Headers {
				if len(vs) == 1 {
					s.headers[k] = vs[0]
					continue
				}
				list := make([]any, len(vs))
				for i, v := range vs {
					list[i] = v
				}
				s.headers[k] = list
			}
		}
	})
	conn, err := amqp091.DialConfig(s.cfg.AMQPAddr, amqp091.Config{Dial: amqp091.DefaultDial(5 * time.Second)})
	if err != nil {
		return err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		conn.Close()
		return err
	}
	s.conn, s.ch = conn, ch
	s.returns = ch.NotifyReturn(make(chan amqp091.Return, 1024))
	return nil
}

func (s *sink) Disconnect() error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.CloseDeadline(time.Now().Add(2 * time.Second))
	if errors.Is(err, amqp091.ErrClosed) {
		err = nil
	}
	s.conn, s.ch = nil, nil
	return err
}

type pending struct {
	msg  int
	id   string
	conf *amqp091.DeferredConfirmation
}

func (s *sink) Write(ctx context.Context, b *sdk.Batch) error {
	mode := amqp091.Transient
	if s.cfg.Persistent {
		mode = amqp091.Persistent
	}
	var ps []pending
	for i, m := range b.Messages {
		for _, p := range m.Payloads {
			s.seq++
			id := strconv.FormatUint(s.seq, 10)
			dc, err := s.ch.PublishWithDeferredConfirmWithContext(ctx, s.cfg.Exchange, s.cfg.RoutingKey,
				s.cfg.PublishOptions.Mandatory, false,
				amqp091.Publishing{Body: p, DeliveryMode: mode, MessageId: id, Headers: s.headers})
			if err != nil {
				return fmt.Errorf("publishing: %w", err)
			}
			ps = append(ps, pending{msg: i, id: id, conf: dc})
		}
	}
	for _, p := range ps {
		acked, err := p.conf.WaitContext(ctx)
		if err != nil {
			return fmt.Errorf("waiting for the broker's confirmation: %w", err)
		}
		if !acked {
			b.Fail(p.msg, "the broker refused the message (negative publisher confirm)")
		}
	}
	// The broker returns an unroutable mandatory message before it
	// confirms it, and the client queues returns before confirms.
	for {
		select {
		case r, ok := <-s.returns:
			if !ok { // the channel closed: the connection is gone
				return errors.New("the broker closed the channel")
			}
			for _, p := range ps {
				if p.id == r.MessageId {
					b.Fail(p.msg, fmt.Sprintf("the broker returned the message: %d %s (no queue takes routing key %q on exchange %q)",
						r.ReplyCode, r.ReplyText, r.RoutingKey, r.Exchange))
				}
			}
		default:
			return nil
		}
	}
}
