package op

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DroppedCounter exposes the drop counter of one operator to the tests.
func DroppedCounter(pipeline, operator, policy string) prometheus.Counter {
	return walMetrics.dropped.With(prometheus.Labels{"pipeline": pipeline, "operator": operator, "policy": policy})
}

// SetProgressEvery shortens the backlog progress period for a test.
func SetProgressEvery(d time.Duration) func() {
	old := progressEvery
	progressEvery = d
	return func() { progressEvery = old }
}
