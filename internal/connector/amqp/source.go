package amqp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:    "amqp",
		Summary: "Consumes the queue `queue_name` of an AMQP 0-9-1 broker (RabbitMQ); each message is an event",
		Docs: "The onramp declares the queue with `queue_options` and, when `exchange` is given, binds it to the " +
			"exchange with `routing_key`; then it consumes with manual acknowledgements. A message is acked to " +
			"the broker only once every event made from it was delivered downstream, and rejected with requeue " +
			"when one failed, so the broker delivers it again; at most `prefetch` messages are unacked at once. " +
			"When the connection is lost the onramp reconnects with backoff; the broker redelivers what was not " +
			"acked (at least once). Each event's metadata is `$amqp` = `{\"exchange\", \"routing_key\", " +
			"\"redelivered\"}`.\n\n" +
			"Tremor 0.11 acked each message as soon as it arrived, so a crash lost what was in flight, and bound " +
			"the queue even to the default exchange (which the broker refuses); `prefetch` is temblor's.",
		DefaultCodec: "json",
		New: func(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
			if err := checkURL(c.AMQPAddr); err != nil {
				return nil, p.At.Errorf("amqp_addr", "%v", err)
			}
			return &source{cfg: *c}, nil
		},
	})
}

// queueOptions are lapin's QueueDeclareOptions, as Tremor configs give
// them.
type queueOptions struct {
	Passive    bool `conf:"passive" doc:"Only check that the queue exists; do not create it."`
	Durable    bool `conf:"durable" doc:"The queue survives a broker restart."`
	Exclusive  bool `conf:"exclusive" doc:"Only this connection may use the queue; it is deleted when the connection closes."`
	AutoDelete bool `conf:"auto_delete" doc:"The broker deletes the queue when its last consumer goes."`
	NoWait     bool `conf:"nowait" doc:"Do not wait for the broker to confirm the declaration."`
}

type sourceConfig struct {
	AMQPAddr     string       `conf:"amqp_addr,required" doc:"The broker: amqp://user:password@host:port/vhost." example:"amqp://guest:guest@localhost:5672/"`
	QueueName    string       `conf:"queue_name,required" doc:"The queue to consume." example:"events"`
	QueueOptions queueOptions `conf:"queue_options" doc:"How the queue is declared."`
	RoutingKey   string       `conf:"routing_key" doc:"The binding key of the queue to the exchange."`
	Exchange     string       `conf:"exchange" doc:"The exchange to bind the queue to; none: the default exchange, which routes by queue name."`
	Prefetch     uint64       `conf:"prefetch" default:"256" min:"1" max:"65535" doc:"The most messages delivered and not yet acked."`
}

type source struct {
	cfg sourceConfig

	conn       *amqp091.Connection
	ch         *amqp091.Channel
	deliveries <-chan amqp091.Delivery

	mu  sync.Mutex
	gen int // connection generation: answers for an older one are moot
}

var (
	_ sdk.PullSource  = (*source)(nil)
	_ sdk.Reconnector = (*source)(nil)
)

func (s *source) Connect(ctx context.Context) error {
	conn, err := amqp091.DialConfig(s.cfg.AMQPAddr, amqp091.Config{Dial: amqp091.DefaultDial(5 * time.Second)})
	if err != nil {
		return fmt.Errorf("%s: %w", redact(s.cfg.AMQPAddr), err)
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Qos(int(s.cfg.Prefetch), 0, false)
	}
	q := s.cfg.QueueOptions
	if err == nil && q.Passive {
		_, err = ch.QueueDeclarePassive(s.cfg.QueueName, q.Durable, q.AutoDelete, q.Exclusive, q.NoWait, nil)
	} else if err == nil {
		_, err = ch.QueueDeclare(s.cfg.QueueName, q.Durable, q.AutoDelete, q.Exclusive, q.NoWait, nil)
	}
	if err == nil && s.cfg.Exchange != "" {
		err = ch.QueueBind(s.cfg.QueueName, s.cfg.RoutingKey, s.cfg.Exchange, false, nil)
	}
	var d <-chan amqp091.Delivery
	if err == nil {
		d, err = ch.ConsumeWithContext(ctx, s.cfg.QueueName, "", false, false, false, false, nil)
	}
	if err != nil {
		conn.Close()
		return fmt.Errorf("queue %s: %w", s.cfg.QueueName, err)
	}
	s.mu.Lock()
	s.conn, s.ch, s.deliveries = conn, ch, d
	s.gen++
	s.mu.Unlock()
	return nil
}

func (s *source) Disconnect() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.CloseDeadline(time.Now().Add(2 * time.Second))
	if errors.Is(err, amqp091.ErrClosed) {
		err = nil
	}
	s.conn, s.ch, s.deliveries = nil, nil, nil
	s.gen++
	return err
}

// maxBatch bounds the messages handed over at once.
const maxBatch = 256

func (s *source) Read(ctx context.Context) (*sdk.Input, error) {
	var first amqp091.Delivery
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case d, ok := <-s.deliveries:
		if !ok {
			return nil, errors.New("the broker closed the channel")
		}
		first = d
	}
	ds := []amqp091.Delivery{first}
more:
	for len(ds) < maxBatch {
		select {
		case d, ok := <-s.deliveries:
			if !ok {
				break more
			}
			ds = append(ds, d)
		default:
			break more
		}
	}
	in := &sdk.Input{Frames: make([][]byte, len(ds)), Meta: make([]*event.Record, len(ds))}
	tags := make([]uint64, len(ds))
	for i, d := range ds {
		in.Frames[i] = d.Body
		in.Meta[i] = event.RecordOf("amqp", event.RecordOf("exchange", d.Exchange, "routing_key", d.RoutingKey, "redelivered", d.Redelivered))
		tags[i] = d.DeliveryTag
	}
	s.mu.Lock()
	in.Acks = &acks{s: s, ch: s.ch, gen: s.gen, tags: tags}
	s.mu.Unlock()
	return in, nil
}

// acks answers the broker for the messages of one Input.
type acks struct {
	s    *source
	ch   *amqp091.Channel
	gen  int
	tags []uint64
}

func (a *acks) current() bool {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.s.gen == a.gen
}

// Ack acks the messages [from, to). Answers for a connection that is gone
// are dropped: the broker redelivers those messages.
func (a *acks) Ack(from, to int) {
	if !a.current() {
		return
	}
	for _, tag := range a.tags[from:to] {
		_ = a.ch.Ack(tag, false)
	}
}

func (a *acks) Fail(from, to int, _ string) {
	if !a.current() {
		return
	}
	for _, tag := range a.tags[from:to] {
		_ = a.ch.Nack(tag, false, true)
	}
}
