package blackhole

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// void is the blackhole's peer: nothing. It "has" whatever it was sent,
// which is what the blackhole's ack promises.
type void struct{}

func (void) Config() string     { return "" }
func (void) Has(string) bool    { return true }
func (void) Received() []string { return nil }

func TestConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type:       "blackhole",
		Start:      func(*testing.T) conformance.SinkPeer { return void{} },
		BadConfigs: []conformance.BadConfig{{Config: "warmup_secs: soon\n", Pos: "5:20", Contains: "must be a non-negative integer"}},
	})
}
