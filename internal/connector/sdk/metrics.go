package sdk

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// registerOrGet registers c with reg, or returns the collector of the same
// description registered before (several connector instances share one
// family, told apart by labels), so no collector is a package global.
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

// sinkMetrics are one offramp instance's collectors, resolved once.
type sinkMetrics struct {
	acked, failed, encodeErrors prometheus.Counter
	connects                    prometheus.Counter
	breaker, inflight           prometheus.Gauge
}

func newSinkMetrics(reg prometheus.Registerer, url string) *sinkMetrics {
	events := registerOrGet(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "temblor", Name: "offramp_events_total", Help: "Events handled by offramps, by outcome (acked, failed, encode_error).",
	}, []string{"offramp", "outcome"}))
	breaker := registerOrGet(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "temblor", Name: "offramp_circuit_open", Help: "1 while the offramp's circuit breaker is open (it cannot deliver).",
	}, []string{"offramp"}))
	inflight := registerOrGet(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "temblor", Name: "offramp_unconfirmed_events", Help: "Events written to the peer and not yet confirmed.",
	}, []string{"offramp"}))
	connects := registerOrGet(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "temblor", Name: "offramp_connects_total", Help: "Connections an offramp established (reconnects included).",
	}, []string{"offramp"}))
	return &sinkMetrics{
		acked: events.WithLabelValues(url, "acked"), failed: events.WithLabelValues(url, "failed"),
		encodeErrors: events.WithLabelValues(url, "encode_error"),
		connects:     connects.WithLabelValues(url),
		breaker:      breaker.WithLabelValues(url), inflight: inflight.WithLabelValues(url),
	}
}

// sourceMetrics are one onramp instance's collectors.
type sourceMetrics struct {
	out, errPort, decodeErrors, refused prometheus.Counter
	replies                             *prometheus.CounterVec // by onramp, outcome
}

func newSourceMetrics(reg prometheus.Registerer, url string) *sourceMetrics {
	events := registerOrGet(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "temblor", Name: "onramp_events_total", Help: "Events emitted by onramps, by port.",
	}, []string{"onramp", "port"}))
	decode := registerOrGet(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "temblor", Name: "onramp_decode_errors_total", Help: "Input that a preprocessor or codec rejected.",
	}, []string{"onramp"}))
	refused := registerOrGet(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "temblor", Name: "onramp_refused_total", Help: "Input an onramp skipped because it is over a size limit (a line over max_line_bytes, a message over max_message_bytes).",
	}, []string{"onramp"}))
	replies := registerOrGet(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "temblor", Name: "onramp_replies_total", Help: "Replies a linked onramp got on its `in` port, by outcome (sent, failed, no_peer: the peer was gone).",
	}, []string{"onramp", "outcome"}))
	return &sourceMetrics{out: events.WithLabelValues(url, "out"), errPort: events.WithLabelValues(url, "err"),
		decodeErrors: decode.WithLabelValues(url), refused: refused.WithLabelValues(url), replies: replies}
}
