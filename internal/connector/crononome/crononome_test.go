package crononome

import (
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

func TestConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type:      "crononome",
		Generated: true,
		Setup: func(*testing.T, []string) (string, func(sdk.Source) error) {
			return "entries:\n  - name: every-second\n    expr: \"* * * * * *\"\n    payload: {a: [1, 2]}\n", nil
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "entries:\n  - name: a\n    expr: \"* * * * * *\"\n  - name: b\n    expr: \"* * * *\"\n", Pos: "9:17", Contains: "entry \"b\": a cron expression has 6 or 7 fields"},
			{Config: "entries:\n  - name: a\n    expr: \"0 0 0 * * 8\"\n", Pos: "7:17", Contains: "use 1 (Sunday) to 7 (Saturday)"},
			{Config: "entries:\n  - expr: \"* * * * * *\"\n", Pos: "6:11", Contains: "`entries[0].name` is required"},
			{Config: "", Pos: "2:5", Contains: "`entries` is required"},
		},
	})
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestScheduleDialect: Tremor's cron dialect — seconds first, a year
// field, 1 = Sunday, and both day fields must match.
func TestScheduleDialect(t *testing.T) {
	for _, c := range []struct {
		expr, from string
		want       []string
	}{
		{"* * * * * *", "2021-03-04 05:06:07", []string{"2021-03-04 05:06:08", "2021-03-04 05:06:09"}},
		{"0 30 9,12,15 1,15 May-Aug Mon,Wed,Fri 2018/2", "2018-01-01 00:00:00", []string{
			"2018-06-01 09:30:00", "2018-06-01 12:30:00", "2018-06-01 15:30:00",
			"2018-06-15 09:30:00", "2018-06-15 12:30:00", "2018-06-15 15:30:00",
			"2018-08-01 09:30:00", "2018-08-01 12:30:00", "2018-08-01 15:30:00",
			"2018-08-15 09:30:00", "2018-08-15 12:30:00"}},
		{"0 0 12 * * 2", "2021-03-04 00:00:00", []string{"2021-03-08 12:00:00", "2021-03-15 12:00:00"}},   // 2 = Monday
		{"0 0 12 * * 1-2", "2021-03-06 00:00:00", []string{"2021-03-07 12:00:00", "2021-03-08 12:00:00"}}, // Sunday, Monday
		{"0 0 0 13 * Fri", "2021-01-01 00:00:00", []string{"2021-08-13 00:00:00", "2022-05-13 00:00:00"}}, // Friday the 13th
		{"* * * * * * 1970", "2021-01-01 00:00:00", nil},
		{"0 0 0 1 1 * 2038", "2021-01-01 00:00:00", []string{"2038-01-01 00:00:00", ""}},
	} {
		s, err := parseSchedule(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		at := utc(c.from)
		if c.want == nil {
			if n := s.Next(at); !n.IsZero() {
				t.Errorf("%s: fires at %v, want never", c.expr, n)
			}
			continue
		}
		for _, w := range c.want {
			at = s.Next(at)
			got := ""
			if !at.IsZero() {
				got = at.Format("2006-01-02 15:04:05")
			}
			if got != w {
				t.Errorf("%s: got %q, want %q", c.expr, got, w)
				break
			}
		}
	}
}

// TestEvent: the event's shape, ids counting from 0, the payload kept.
func TestEvent(t *testing.T) {
	c := &config{Entries: []entry{{Name: "tick", Expr: "* * * * * *", Payload: event.RecordOf("x", int64(1))}}}
	src, err := newCrononome(c, sdk.Params{})
	if err != nil {
		t.Fatal(err)
	}
	cr := src.(*crononome)
	if err := cr.Open(context.Background(), component.Env{}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		in, err := cr.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rec := in.Values[0].(*event.Record)
		if keys := rec.Keys(); len(keys) != 4 || keys[0] != "onramp" || keys[1] != "ingest_ns" || keys[2] != "id" || keys[3] != "trigger" {
			t.Errorf("keys %v", keys)
		}
		if id, _ := rec.Get("id"); id != int64(i) {
			t.Errorf("id %v, want %d", id, i)
		}
		tr, _ := rec.Get("trigger")
		if got := string(event.MarshalJSON(tr)); got != `{"name":"tick","payload":{"x":1}}` {
			t.Errorf("trigger %s", got)
		}
	}
}
