package metronome

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type:      "metronome",
		Generated: true,
		Setup: func(*testing.T, []string) (string, func(sdk.Source) error) {
			return "interval: 1\n", nil
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "interval: 0\n", Pos: "5:17", Contains: "`interval` must be at least 1"},
			{Config: "interval: every second\n", Pos: "5:17", Contains: "must be a non-negative integer, got the string \"every second\""},
			{Config: "", Pos: "2:5", Contains: "`interval` is required"},
		},
	})
}
