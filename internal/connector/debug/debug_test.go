package debug

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// counter is the debug offramp's peer: its own counts. An ack means
// counted, which happens in the write itself.
type counter struct{}

func (counter) Config() string     { return "" }
func (counter) Has(string) bool    { return true }
func (counter) Received() []string { return nil }

func TestConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type:       "debug",
		Start:      func(*testing.T) conformance.SinkPeer { return counter{} },
		BadConfigs: []conformance.BadConfig{{Config: "interval: 1\n", Pos: "5:7", Contains: "unknown field `interval`"}},
	})
}

// TestTable: counts per class, in Tremor's layout, printed when an event
// comes after the period, and the rest at Close.
func TestTable(t *testing.T) {
	var out bytes.Buffer
	d := &debug{out: &out, every: time.Hour}
	if err := d.Open(context.Background(), component.Env{}); err != nil {
		t.Fatal(err)
	}
	b := &sdk.Batch{}
	for i := range 5 {
		var meta event.Value
		if i%2 == 0 {
			meta = event.RecordOf("class", "error")
		}
		b.Messages = append(b.Messages, sdk.Message{Meta: meta})
	}
	if err := d.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("printed before the period: %q", out.String())
	}
	d.every = 0 // the next event comes after the period
	time.Sleep(time.Millisecond)
	if err := d.Write(context.Background(), &sdk.Batch{Messages: []sdk.Message{{}}}); err != nil {
		t.Fatal(err)
	}
	want := "\n|classification      | total  |\n|TOTAL               |       5|\n|error               |       3|\n|<unclassified>      |       2|\n"
	if out.String() != want {
		t.Fatalf("table:\n%q\nwant\n%q", out.String(), want)
	}
	out.Reset()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if want := "\n|classification      | total  |\n|TOTAL               |       1|\n|<unclassified>      |       1|\n"; out.String() != want {
		t.Errorf("at close:\n%q\nwant\n%q", out.String(), want)
	}
}
