package kafka

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// registerOrGet registers c, or returns the collector of the same
// description registered before (every kafka onramp of the process shares
// one family, told apart by labels).
func registerOrGet[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// consumerMetrics are one kafka onramp's collectors.
type consumerMetrics struct {
	url                               string
	lag, committed, inflight          *prometheus.GaugeVec
	records, retried, skipped, errors prometheus.Counter
	commits, commitErrors             prometheus.Counter
	rebalances                        *prometheus.CounterVec
}

// partMetrics are one partition's gauges.
type partMetrics struct {
	lag, committed, inflight prometheus.Gauge
}

func newConsumerMetrics(reg prometheus.Registerer, url string) *consumerMetrics {
	labels := []string{"onramp", "topic", "partition"}
	lag := registerOrGet(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "temblor", Name: "kafka_consumer_lag",
		Help: "Records in the partition after the last one read (high watermark - next offset), at the last fetch."}, labels))
	committed := registerOrGet(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "temblor", Name: "kafka_committed_offset",
		Help: "The offset the onramp last committed for the partition (every record before it was acked)."}, labels))
	inflight := registerOrGet(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "temblor", Name: "kafka_in_flight_records",
		Help: "Records of the partition handed to the pipelines and not yet all answered in order."}, labels))
	counter := func(name, help string) *prometheus.CounterVec {
		return registerOrGet(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Name: name, Help: help}, []string{"onramp"}))
	}
	rebalances := registerOrGet(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Name: "kafka_rebalances_total",
		Help: "Partition assignments changes seen by the onramp, by kind (assigned, revoked, lost)."}, []string{"onramp", "kind"}))
	return &consumerMetrics{url: url, lag: lag, committed: committed, inflight: inflight,
		records:      counter("kafka_records_total", "Records the kafka onramp handed to the pipelines (re-reads included).").WithLabelValues(url),
		retried:      counter("kafka_records_retried_total", "Records read again because an event failed (retry_failed_events).").WithLabelValues(url),
		skipped:      counter("kafka_records_skipped_total", "Failed records counted as done because retry_failed_events is false (lost).").WithLabelValues(url),
		errors:       counter("kafka_consumer_errors_total", "Errors the kafka consumer reported (franz-go retries them).").WithLabelValues(url),
		commits:      counter("kafka_commits_total", "Offset commits the kafka onramp sent.").WithLabelValues(url),
		commitErrors: counter("kafka_commit_errors_total", "Offset commits that failed (retried at the next commit).").WithLabelValues(url),
		rebalances:   rebalances,
	}
}

func (m *consumerMetrics) partition(t tp) partMetrics {
	p := strconv.Itoa(int(t.part))
	return partMetrics{lag: m.lag.WithLabelValues(m.url, t.topic, p), committed: m.committed.WithLabelValues(m.url, t.topic, p),
		inflight: m.inflight.WithLabelValues(m.url, t.topic, p)}
}

// forget removes a partition's series once it is no longer assigned here.
func (m *consumerMetrics) forget(t tp) {
	p := strconv.Itoa(int(t.part))
	m.lag.DeleteLabelValues(m.url, t.topic, p)
	m.committed.DeleteLabelValues(m.url, t.topic, p)
	m.inflight.DeleteLabelValues(m.url, t.topic, p)
}

// producerMetrics are one kafka offramp's collectors.
type producerMetrics struct {
	records, errors prometheus.Counter
}

func newProducerMetrics(reg prometheus.Registerer, url string) *producerMetrics {
	counter := func(name, help string) *prometheus.CounterVec {
		return registerOrGet(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Name: name, Help: help}, []string{"offramp"}))
	}
	return &producerMetrics{
		records: counter("kafka_produced_records_total", "Records the kafka offramp had acknowledged by the broker.").WithLabelValues(url),
		errors:  counter("kafka_produce_errors_total", "Records the broker refused or did not acknowledge in time (their events are failed).").WithLabelValues(url),
	}
}
