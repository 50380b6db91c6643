package amqp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

// collector takes an onramp's events, answering each as answer says.
type collector struct {
	mu     sync.Mutex
	seen   map[string]int
	answer func(text string, n int) bool
}

func (c *collector) Send(_ context.Context, b *event.Batch, from sdk.Upstream) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range b.Events {
		text, _ := ev.Data.(string)
		n := c.seen[text]
		c.seen[text]++
		act := event.ActAck
		if c.answer != nil && !c.answer(text, n) {
			act = event.ActFail
		}
		from.Contraflow(event.Insight{Action: act, IDs: ev.ID, Reason: "test"})
	}
	return nil
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

func runSource(t *testing.T, section string, c sdk.Target) func() {
	t.Helper()
	var y yaml.Node
	if err := yaml.Unmarshal([]byte(section), &y); err != nil {
		t.Fatal(err)
	}
	built, errs := sdk.NewSource("amqp", conf.FromYAML(&conf.Source{File: "t.yaml", Text: []byte(section)}, y.Content[0]),
		sdk.Params{URL: "/onramp/amqp/01"}, sdk.BuildOptions{})
	if errs.HasErrors() {
		t.Fatal(errs)
	}
	spec, _ := codec.Registry.Get("string")
	r := sdk.NewSourceRunner("/onramp/amqp/01", "amqp", built.Value, spec.New(), nil)
	r.Link("out", c)
	env := component.Env{Logger: slog.New(slog.NewTextHandler(logOut, nil)), Metrics: prometheus.NewRegistry()}
	if err := r.Open(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	return func() { cancel(); <-done; r.Close() }
}

func msgs(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("m-%d", from+i)
	}
	return out
}

// TestSourceFailedMessageIsRedelivered: a message whose event failed is
// rejected with requeue; the broker delivers it again.
func TestSourceFailedMessageIsRedelivered(t *testing.T) {
	b := sharedBroker(t)
	q := newQueue()
	publish(t, b, q, msgs(0, 20))
	c := &collector{seen: map[string]int{}, answer: func(text string, n int) bool { return !(text == "m-5" && n == 0) }}
	stop := runSource(t, fmt.Sprintf("amqp_addr: %s\nqueue_name: %s\nqueue_options: {durable: true}\n", b.url(), q), c)
	defer stop()
	conformance.WaitFor(t, "m-5 twice", func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.seen["m-5"] >= 2 })
	conformance.WaitFor(t, "all 20", func() bool { return c.count() == 20 })
}

// TestSourceSurvivesTheBrokerGoingAway: the broker is killed with
// messages unacked and comes back; every message arrives, those not
// acked before the kill again.
func TestSourceSurvivesTheBrokerGoingAway(t *testing.T) {
	b := sharedBroker(t)
	q := newQueue()
	publish(t, b, q, msgs(0, 100))
	gate := make(chan struct{})
	c := &collector{seen: map[string]int{}}
	// Hold back the answers until the broker was killed.
	stop := runSource(t, fmt.Sprintf("amqp_addr: %s\nqueue_name: %s\nqueue_options: {durable: true}\nprefetch: 50\n", b.url(), q),
		&gated{c: c, gate: gate})
	defer stop()
	conformance.WaitFor(t, "50 unacked deliveries", func() bool { return c.count() >= 50 })
	b.kill()
	close(gate)
	if err := b.start(); err != nil {
		t.Fatal(err)
	}
	publish(t, b, q, msgs(100, 50))
	// The broker recovers its queues, the onramp reconnects with backoff:
	// give it longer than one WaitFor on a loaded machine.
	for end := time.Now().Add(40 * time.Second); c.count() < 150 && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
	}
	conformance.WaitFor(t, "all 150 messages", func() bool { return c.count() == 150 })
	c.mu.Lock()
	defer c.mu.Unlock()
	again := 0
	for _, n := range c.seen {
		if n > 1 {
			again++
		}
	}
	if again == 0 {
		t.Error("no message was delivered again, although 50 were unacked when the broker died")
	}
}

// gated delays the answers (not the events) until gate closes.
type gated struct {
	c    *collector
	gate chan struct{}
}

func (g *gated) Send(ctx context.Context, b *event.Batch, from sdk.Upstream) error {
	return g.c.Send(ctx, b, upstreamFunc(func(in event.Insight) {
		go func() { <-g.gate; from.Contraflow(in) }()
	}))
}

type upstreamFunc func(event.Insight)

func (f upstreamFunc) Contraflow(in event.Insight) { f(in) }

// TestSinkMandatoryUnroutableIsFailed: with mandatory, a message no
// queue takes is failed; without, the broker confirms (and drops) it.
func TestSinkMandatoryUnroutableIsFailed(t *testing.T) {
	b := sharedBroker(t)
	for _, mandatory := range []bool{true, false} {
		s := &sink{cfg: sinkConfig{AMQPAddr: b.url(), RoutingKey: "no-such-queue", Persistent: true,
			PublishOptions: publishOptions{Mandatory: mandatory}}}
		if err := s.Connect(context.Background()); err != nil {
			t.Fatal(err)
		}
		batch := &sdk.Batch{Messages: []sdk.Message{{Payloads: [][]byte{[]byte("x")}}}}
		if err := s.Write(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		reason, failed := batch.Failed(0)
		if failed != mandatory {
			t.Errorf("mandatory %v: failed %v (%s)", mandatory, failed, reason)
		}
		s.Disconnect()
	}
}

var logOut io.Writer = io.Discard
