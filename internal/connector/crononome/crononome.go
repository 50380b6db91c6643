// Package crononome is the crononome onramp: events on cron schedules.
package crononome

import (
	"container/heap"
	"context"
	"strconv"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[config]{
		Name:    "crononome",
		Summary: "Emits an event each time one of its cron `entries` fires",
		Docs: "Each entry has a `name`, a cron expression `expr` in Tremor's dialect (UTC; six or seven fields: " +
			"seconds, minutes, hours, day of month, month, day of week with 1 = Sunday … 7 = Saturday or names, " +
			"and an optional year; a day must match both day fields) and an optional `payload`. When it fires the " +
			"onramp emits\n\n" +
			"```\n{\"onramp\": \"crononome\", \"ingest_ns\": T, \"id\": N, \"trigger\": {\"name\": NAME, \"payload\": PAYLOAD}}\n```\n\n" +
			"with N counting events from 0 (`payload` only when the entry has one). An entry whose expression " +
			"has no time left (a year in the past) never fires. A bad expression is an error at load time, " +
			"positioned at the entry; Tremor reported it when the onramp started. robfig/cron parses the " +
			"expressions. While a circuit breaker downstream is open the onramp pauses; firings missed meanwhile " +
			"are skipped (each entry resumes at its next time), as the metronome does.",
		DefaultCodec: "json",
		New:          newCrononome,
	})
}

type entry struct {
	Name    string      `conf:"name,required" doc:"Names the entry in the events (trigger.name)."`
	Expr    string      `conf:"expr,required" doc:"The cron expression: sec min hour day-of-month month day-of-week [year], UTC." example:"0 */5 * * * *"`
	Payload event.Value `conf:"payload" doc:"Any value, sent as trigger.payload."`
}

type config struct {
	Entries []entry `conf:"entries,required" doc:"The schedules."`
}

type item struct {
	at    time.Time
	entry int
}

// queue is a min-heap of the entries' next times.
type queue []item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at.Equal(q[j].at) {
		return q[i].entry < q[j].entry
	}
	return q[i].at.Before(q[j].at)
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(item)) }
func (q *queue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

type crononome struct {
	entries []entry
	scheds  []*schedule
	q       queue
	id      int64
	now     func() time.Time
}

var (
	_ sdk.PullSource   = (*crononome)(nil)
	_ component.Opener = (*crononome)(nil)
)

func newCrononome(c *config, p sdk.Params) (sdk.Source, error) {
	cr := &crononome{entries: c.Entries, now: time.Now}
	for i, e := range c.Entries {
		s, err := parseSchedule(e.Expr)
		if err != nil {
			return nil, p.At.Errorf("entries."+strconv.Itoa(i)+".expr", "entry %q: %v", e.Name, err)
		}
		cr.scheds = append(cr.scheds, s)
	}
	return cr, nil
}

func (c *crononome) Open(context.Context, component.Env) error {
	now := c.now()
	for i, s := range c.scheds {
		c.schedule(i, s.Next(now))
	}
	return nil
}

func (c *crononome) schedule(i int, at time.Time) {
	if !at.IsZero() {
		heap.Push(&c.q, item{at: at, entry: i})
	}
}

// Read waits for the next firing. Firings that passed while the onramp
// was paused are skipped: each entry is rescheduled from now.
func (c *crononome) Read(ctx context.Context) (*sdk.Input, error) {
	if len(c.q) == 0 { // nothing will ever fire
		<-ctx.Done()
		return nil, ctx.Err()
	}
	next := c.q[0]
	if wait := time.Until(next.at); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	heap.Pop(&c.q)
	now := c.now()
	due := c.scheds[next.entry].Next(next.at)
	if !due.IsZero() && due.Before(now) {
		due = c.scheds[next.entry].Next(now) // missed while paused
	}
	c.schedule(next.entry, due)
	e := c.entries[next.entry]
	trigger := event.RecordOf("name", e.Name)
	if e.Payload != nil {
		trigger.Set("payload", event.DeepCopy(e.Payload))
	}
	rec := event.RecordOf("onramp", "crononome", "ingest_ns", now.UnixNano(), "id", c.id, "trigger", trigger)
	c.id++
	return &sdk.Input{Values: []event.Value{rec}}, nil
}
