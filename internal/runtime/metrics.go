package runtime

import "github.com/prometheus/client_golang/prometheus"

// metrics are the runtime's own Prometheus collectors.
type metrics struct {
	sourceEvents *prometheus.CounterVec
	decodeErrors *prometheus.CounterVec
	refused      *prometheus.CounterVec
	sinkEvents   *prometheus.CounterVec
	breaker      *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		sourceEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "temblor", Name: "onramp_events_total", Help: "Events emitted by onramps, by port.",
		}, []string{"onramp", "port"}),
		decodeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "temblor", Name: "onramp_decode_errors_total", Help: "Input that a preprocessor or codec rejected.",
		}, []string{"onramp"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "temblor", Name: "onramp_refused_total", Help: "Input an onramp skipped because it is over a size limit (a line over max_line_bytes, a message over max_message_bytes).",
		}, []string{"onramp"}),
		sinkEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "temblor", Name: "offramp_events_total", Help: "Events handled by offramps, by outcome (acked, failed, encode_error).",
		}, []string{"offramp", "outcome"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "temblor", Name: "offramp_circuit_open", Help: "1 while the offramp's circuit breaker is open (it cannot deliver).",
		}, []string{"offramp"}),
	}
	if reg != nil {
		reg.MustRegister(m.sourceEvents, m.decodeErrors, m.refused, m.sinkEvents, m.breaker)
	}
	return m
}
