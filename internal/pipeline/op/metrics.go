package op

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// walMetrics are the qos::wal operator's collectors, labelled by pipeline
// instance and operator id. They exist once per process and are registered
// with the server's registry by RegisterMetrics.
var walMetrics = struct {
	stored, emitted, acked, failed, dropped, refused *prometheus.CounterVec
	lost                                             *prometheus.CounterVec
	backlog, backlogBytes, inflight                  *prometheus.GaugeVec
}{
	stored: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Subsystem: "wal",
		Name: "stored_total", Help: "Events written to the WAL."}, []string{"pipeline", "operator"}),
	emitted: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Subsystem: "wal",
		Name: "emitted_total", Help: "Events emitted downstream (re-sends included)."}, []string{"pipeline", "operator"}),
	acked: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Subsystem: "wal",
		Name: "acked_total", Help: "Events acknowledged by downstream."}, []string{"pipeline", "operator"}),
	failed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Subsystem: "wal",
		Name: "failed_total", Help: "Delivery failures reported by downstream; each leads to a re-send."}, []string{"pipeline", "operator"}),
	dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Subsystem: "wal",
		Name: "dropped_total", Help: "Events discarded by the overflow policy."}, []string{"pipeline", "operator", "policy"}),
	refused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Subsystem: "wal",
		Name: "refused_total", Help: "Events refused while full under the block policy (failed upstream)."}, []string{"pipeline", "operator"}),
	lost: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "temblor", Subsystem: "wal",
		Name: "lost_records_total", Help: "Undelivered records lost to damage in the WAL's files (failed checksums, truncated, emptied or missing files), found at start or while reading; each loss is logged with its segment, byte range and sequence range."}, []string{"pipeline", "operator"}),
	backlog: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "temblor", Subsystem: "wal",
		Name: "backlog_events", Help: "Events stored and not yet acknowledged."}, []string{"pipeline", "operator"}),
	backlogBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "temblor", Subsystem: "wal",
		Name: "backlog_bytes", Help: "Payload bytes stored and not yet acknowledged."}, []string{"pipeline", "operator"}),
	inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "temblor", Subsystem: "wal",
		Name: "inflight_events", Help: "Events emitted and awaiting ack or fail."}, []string{"pipeline", "operator"}),
}

var registerOnce sync.Map // prometheus.Registerer → struct{}

// RegisterMetrics registers the operators' collectors with reg (once).
func RegisterMetrics(reg prometheus.Registerer) {
	if _, loaded := registerOnce.LoadOrStore(reg, struct{}{}); loaded {
		return
	}
	m := walMetrics
	reg.MustRegister(m.stored, m.emitted, m.acked, m.failed, m.dropped, m.refused, m.lost, m.backlog, m.backlogBytes, m.inflight)
}
