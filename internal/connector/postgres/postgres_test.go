package postgres

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/conf"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func quietEnv(t *testing.T) component.Env {
	return component.Env{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: prometheus.NewRegistry(), DataDir: t.TempDir()}
}

func node(t *testing.T, section string) *conf.Node {
	t.Helper()
	var y yaml.Node
	if err := yaml.Unmarshal([]byte(section), &y); err != nil {
		t.Fatal(err)
	}
	return conf.FromYAML(&conf.Source{File: "t.yaml", Text: []byte(section)}, y.Content[0])
}

func jsonCodec(t *testing.T) codec.Codec {
	s, err := codec.Registry.Get("json")
	if err != nil {
		t.Fatal(err)
	}
	return s.New()
}

// collector takes a source's events, answering each as answer says.
type collector struct {
	mu     sync.Mutex
	got    []string
	answer func(text string, n int) bool // n: how often text came before; false fails it
}

func (c *collector) Send(_ context.Context, b *event.Batch, from sdk.Upstream) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range b.Events {
		text := rowText(ev.Data)
		n := 0
		for _, g := range c.got {
			if g == text {
				n++
			}
		}
		c.got = append(c.got, text)
		act := event.ActAck
		if c.answer != nil && !c.answer(text, n) {
			act = event.ActFail
		}
		from.Contraflow(event.Insight{Action: act, IDs: ev.ID, Reason: "test"})
	}
	return nil
}

func (c *collector) distinct() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]int{}
	for _, g := range c.got {
		m[g]++
	}
	return m
}

// runSource runs a postgres onramp until stop is called.
func runSource(t *testing.T, section string, c *collector) (stop func()) {
	t.Helper()
	built, errs := sdk.NewSource("postgres", node(t, section), sdk.Params{ID: "pg", URL: "/onramp/pg/01"}, sdk.BuildOptions{})
	if errs.HasErrors() {
		t.Fatal(errs)
	}
	r := sdk.NewSourceRunner("/onramp/pg/01", "postgres", built.Value, jsonCodec(t), nil)
	r.Link("out", c)
	if err := r.Open(context.Background(), quietEnv(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	return func() { cancel(); <-done; r.Close() }
}

func messagesN(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("row-%d", from+i)
	}
	return out
}

// TestSourceResumesWhereItStopped: a second run starts at the recorded
// position: the windows delivered before are not sent again, the rows
// added since are.
func TestSourceResumesWhereItStopped(t *testing.T) {
	s := startServer(t)
	s.exec("CREATE TABLE src (created timestamptz NOT NULL, payload text NOT NULL)")
	insertRows(s, messagesN(0, 100), 0)
	cache := filepath.Join(t.TempDir(), "cache.json")
	c1 := &collector{}
	stop := runSource(t, srcSection(s, cache), c1)
	conformance.WaitFor(t, "100 rows", func() bool { return len(c1.distinct()) == 100 })
	conformance.WaitFor(t, "the position to move past them", func() bool {
		b, _ := os.ReadFile(cache)
		return strings.Contains(string(b), "consume_from")
	})
	stop()
	insertRows(s, messagesN(100, 50), 100)
	// The new rows are stamped in the past, inside the first run's
	// windows; stamp them after its position instead.
	s.exec("UPDATE src SET created = now() + interval '200 milliseconds' WHERE payload >= 'row-100' AND length(payload) = 7")
	c2 := &collector{}
	stop = runSource(t, srcSection(s, cache), c2)
	defer stop()
	conformance.WaitFor(t, "the 50 new rows", func() bool { return len(c2.distinct()) >= 50 })
	for text := range c2.distinct() {
		var n int
		fmt.Sscanf(text, "row-%d", &n)
		if n < 100 {
			t.Errorf("%s was delivered again after the restart although its window was acked", text)
		}
	}
}

// TestSourceFailedRowIsQueriedAgain: a failed row makes the onramp query
// its window again, so it arrives again (with its window: at least once).
func TestSourceFailedRowIsQueriedAgain(t *testing.T) {
	s := startServer(t)
	s.exec("CREATE TABLE src (created timestamptz NOT NULL, payload text NOT NULL)")
	insertRows(s, messagesN(0, 20), 0)
	c := &collector{answer: func(text string, n int) bool { return !(text == "row-7" && n == 0) }}
	stop := runSource(t, srcSection(s, filepath.Join(t.TempDir(), "cache.json")), c)
	defer stop()
	conformance.WaitFor(t, "row-7 twice", func() bool { return c.distinct()["row-7"] >= 2 })
	d := c.distinct()
	for i := range 20 {
		if d[fmt.Sprintf("row-%d", i)] == 0 {
			t.Errorf("row-%d never arrived", i)
		}
	}
}

// TestSourceSurvivesTheServerGoingAway: the server is killed and comes
// back; every row arrives and nothing acked is lost.
func TestSourceSurvivesTheServerGoingAway(t *testing.T) {
	s := startServer(t)
	s.exec("CREATE TABLE src (created timestamptz NOT NULL, payload text NOT NULL)")
	cache := filepath.Join(t.TempDir(), "cache.json")
	insertRows(s, messagesN(0, 50), 0)
	c := &collector{}
	stop := runSource(t, srcSection(s, cache), c)
	defer stop()
	conformance.WaitFor(t, "the first rows", func() bool { return len(c.distinct()) == 50 })
	s.Kill()
	time.Sleep(300 * time.Millisecond) // a few windows pass while it is away
	s.Restart()
	s.exec("INSERT INTO src (created, payload) SELECT now() + interval '100 milliseconds', 'row-' || g FROM generate_series(50, 99) g")
	conformance.WaitFor(t, "every row", func() bool { return len(c.distinct()) == 100 })
}

// TestRoundTrip: rows of every type Tremor named go out of the onramp and
// into another table through the offramp, unchanged.
func TestRoundTrip(t *testing.T) {
	s := startServer(t)
	cols := "created timestamptz NOT NULL, b bool, i2 int2, i4 int4, i8 int8, t text, v varchar(20), c char(3), " +
		"j json, jb jsonb, ts timestamp, n int8"
	s.exec("CREATE TABLE src (" + cols + ")")
	s.exec("CREATE TABLE dst (" + cols + ")")
	s.exec(`INSERT INTO src VALUES ($1, true, -3, 70000, 9223372036854775807, 'tëxt', 'var', 'abc', '{"a": [1, 2]}', '{"b": null}', '2021-02-03 04:05:06.5', NULL)`, base)
	s.exec(`INSERT INTO src VALUES ($1, false, 0, 0, -1, '', '', '   ', '1', '"s"', '1999-12-31 23:59:59', 5)`, base.Add(time.Millisecond))
	c := &collector{}
	section := s.config() + "query: SELECT * FROM src WHERE created >= $1 AND created < $2 ORDER BY created\n" +
		"interval_ms: 100\nconsume_from: \"" + base.Add(-time.Second).Format(timeLayout) + "\"\n" +
		"cache:\n  path: " + filepath.Join(t.TempDir(), "c.json") + "\n"
	var rows []event.Value
	var mu sync.Mutex
	c.answer = func(string, int) bool { return true }
	tap := &tapTarget{c: c, rows: &rows, mu: &mu}
	built, errs := sdk.NewSource("postgres", node(t, section), sdk.Params{}, sdk.BuildOptions{})
	if errs.HasErrors() {
		t.Fatal(errs)
	}
	r := sdk.NewSourceRunner("/onramp/pg/01", "postgres", built.Value, jsonCodec(t), nil)
	r.Link("out", tap)
	if err := r.Open(context.Background(), quietEnv(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	conformance.WaitFor(t, "2 rows", func() bool { mu.Lock(); defer mu.Unlock(); return len(rows) == 2 })
	cancel()
	<-done
	r.Close()
	mu.Lock()
	first := string(event.MarshalJSON(rows[0]))
	mu.Unlock()
	want := `{"created":{"fieldType":"TIMESTAMPTZ","value":"2021-03-04 05:06:07 +00:00","name":"created"},` +
		`"b":{"fieldType":"BOOL","value":true,"name":"b"},"i2":{"fieldType":"INT2","value":-3,"name":"i2"},` +
		`"i4":{"fieldType":"INT4","value":70000,"name":"i4"},"i8":{"fieldType":"INT8","value":9223372036854775807,"name":"i8"},` +
		`"t":{"fieldType":"TEXT","value":"tëxt","name":"t"},"v":{"fieldType":"VARCHAR","value":"var","name":"v"},` +
		`"c":{"fieldType":"CHAR","value":"abc","name":"c"},"j":{"fieldType":"JSON","value":"{\"a\": [1, 2]}","name":"j"},` +
		`"jb":{"fieldType":"JSONB","value":"{\"b\": null}","name":"jb"},"ts":{"fieldType":"TIMESTAMP","value":"2021-02-03 04:05:06.500 UTC","name":"ts"},` +
		`"n":{"fieldType":"INT8","value":null,"name":"n"}}`
	if first != want {
		t.Errorf("row:\n got %s\nwant %s", first, want)
	}
	// Into dst through the offramp (TIMESTAMP values come back in
	// Tremor's input format).
	mu.Lock()
	for _, row := range rows {
		ts, _ := row.(*event.Record).Get("ts")
		v, _ := ts.(*event.Record).Get("value")
		tt, err := time.Parse("2006-01-02 15:04:05.999 UTC", v.(string))
		if err != nil {
			t.Fatal(err)
		}
		ts.(*event.Record).Set("value", tt.Format(timeLayout))
	}
	mu.Unlock()
	sink, _, err := newTestSink(t, s, "dst")
	if err != nil {
		t.Fatal(err)
	}
	b := &sdk.Batch{}
	for _, row := range rows {
		b.Messages = append(b.Messages, sdk.Message{Data: row})
	}
	if err := sink.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	s.exec("DO $$ BEGIN IF (SELECT count(*) FROM (SELECT row_to_json(s)::text FROM src s EXCEPT SELECT row_to_json(d)::text FROM dst d) x) > 0 " +
		"OR (SELECT count(*) FROM dst) <> 2 THEN RAISE 'dst differs from src'; END IF; END $$")
}

type tapTarget struct {
	c    *collector
	rows *[]event.Value
	mu   *sync.Mutex
}

func (tt *tapTarget) Send(ctx context.Context, b *event.Batch, from sdk.Upstream) error {
	tt.mu.Lock()
	for _, ev := range b.Events {
		*tt.rows = append(*tt.rows, ev.Data)
	}
	tt.mu.Unlock()
	return tt.c.Send(ctx, b, from)
}

func newTestSink(t *testing.T, s *server, table string) (*sink, sdk.SinkOptions, error) {
	built, errs := sdk.NewSink("postgres", node(t, s.config()+"table: "+table+"\n"), sdk.Params{}, sdk.BuildOptions{})
	if errs.HasErrors() {
		return nil, sdk.SinkOptions{}, errs
	}
	k := built.Value.(*sink)
	if err := k.Connect(context.Background()); err != nil {
		return nil, built.Options, err
	}
	t.Cleanup(func() { k.Disconnect() })
	return k, built.Options, nil
}

// TestSinkFailsRefusedRowsAndCommitsTheRest: a row the server refuses (a
// constraint) and an event that is not a row are failed with their
// reasons; the others are committed.
func TestSinkFailsRefusedRowsAndCommitsTheRest(t *testing.T) {
	s := startServer(t)
	s.exec("CREATE TABLE events (id int8 PRIMARY KEY, payload text NOT NULL)")
	k, _, err := newTestSink(t, s, "events")
	if err != nil {
		t.Fatal(err)
	}
	row := func(id int64, p event.Value) event.Value {
		return event.RecordOf("id", event.RecordOf("fieldType", "INT8", "name", "id", "value", id),
			"payload", event.RecordOf("fieldType", "TEXT", "name", "payload", "value", p))
	}
	b := &sdk.Batch{Messages: []sdk.Message{
		{Data: row(1, "a")}, {Data: row(1, "dup")}, {Data: "not a row"}, {Data: row(2, nil)}, {Data: row(3, int64(7))}, {Data: row(4, "d")},
	}}
	// Observe Batch.Fail through a runner-free check: Write returns nil
	// and the refused messages are the failed ones.
	if err := k.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	c := s.connect(context.Background())
	defer c.Close(context.Background())
	var n int
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE id IN (1, 4)").Scan(&n); err != nil || n != 2 {
		t.Errorf("committed rows: %d, %v", n, err)
	}
	for _, i := range []int{1, 2, 3, 4} {
		if reason := failedReason(b, i); reason == "" {
			t.Errorf("message %d was not failed", i)
		} else {
			t.Logf("message %d: %s", i, reason)
		}
	}
	for _, i := range []int{0, 5} {
		if reason := failedReason(b, i); reason != "" {
			t.Errorf("message %d failed: %s", i, reason)
		}
	}
}

func failedReason(b *sdk.Batch, i int) string {
	r, _ := b.Failed(i)
	return r
}
