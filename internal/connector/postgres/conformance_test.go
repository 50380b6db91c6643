package postgres

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func TestMain(m *testing.M) {
	code := m.Run()
	removeTemplate()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// table is the offramp's peer: a table of a real server.
type table struct {
	*server
	mu   sync.Mutex
	conn *pgx.Conn
	// later holds payloads acked while the server could not be asked (it
	// was being killed): checked when the test ends, with the server back.
	later []string
}

func (p *table) Config() string { return p.config() + "table: events\n" }

func (p *table) query(sql string, args ...any) (pgx.Rows, error) {
	ctx := context.Background()
	if p.conn == nil {
		c, err := pgx.Connect(ctx, p.url("temblor"))
		if err != nil {
			return nil, err
		}
		p.conn = c
	}
	rows, err := p.conn.Query(ctx, sql, args...)
	if err != nil {
		p.conn.Close(ctx)
		p.conn = nil
	}
	return rows, err
}

func (p *table) Has(payload string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	has, known := p.has(payload)
	if !known {
		p.later = append(p.later, payload)
		return true
	}
	return has
}

// has asks the server; known is false when it cannot be reached.
func (p *table) has(payload string) (has, known bool) {
	for range 3 { // the server may just have come back
		rows, err := p.query("SELECT count(*) FROM events WHERE payload = $1", payload)
		if err != nil {
			continue
		}
		n, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[int64])
		if err != nil {
			p.conn.Close(context.Background())
			p.conn = nil
			continue
		}
		return n > 0, true
	}
	return false, false
}

// verifyLater checks the payloads acked while the server was away.
func (p *table) verifyLater(t *testing.T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, payload := range p.later {
		if has, known := p.has(payload); !has || !known {
			t.Errorf("%s was acked while the server was going away, and the server does not have it (reachable: %v)", payload, known)
		}
	}
}

func (p *table) Received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	rows, err := p.query("SELECT payload FROM events ORDER BY id")
	if err != nil {
		return nil
	}
	out, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	return out
}

// Hang stops the server's processes (SIGSTOP): connections stay open
// and nothing answers.
func (p *table) Hang() {
	pid := p.cmd.Process.Pid
	for _, k := range append(children(pid), pid) {
		syscall.Kill(k, syscall.SIGSTOP)
	}
}

func (p *table) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		p.conn.Close(ctx)
		cancel()
	}
}

func textColumn(name, v string) *event.Record {
	return event.RecordOf("fieldType", "TEXT", "name", name, "value", v)
}

func TestSinkConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type: "postgres",
		Start: func(t *testing.T) conformance.SinkPeer {
			s := startServer(t)
			s.exec("CREATE TABLE events (id bigserial PRIMARY KEY, payload text NOT NULL)")
			p := &table{server: s}
			t.Cleanup(func() {
				if s.cmd != nil {
					p.verifyLater(t)
				}
				p.close()
			})
			return p
		},
		Value: func(seq uint64) event.Value {
			return event.RecordOf("payload", textColumn("payload", fmt.Sprintf(`{"seq":%d}`, seq)))
		},
		Ordered: true,
		BadConfigs: []conformance.BadConfig{
			{Config: "host: h\nport: 5432\nuser: u\npassword: p\ndbname: d\n", Pos: "5:7", Contains: "`table` is required"},
			{Config: "host: h\nport: 0\nuser: u\npassword: p\ndbname: d\ntable: t\n", Pos: "6:13", Contains: "`port` must be at least 1"},
			{Config: "host: h\nport: 1\nuser: u\npassword: p\ndbname: d\ntable: \"t; DROP TABLE x\"\n", Pos: "10:14", Contains: "is not a table name"},
		},
	})
}

// rowText is the message a source row stands for: its payload column.
func rowText(v event.Value) string {
	rec, _ := v.(*event.Record)
	if rec == nil {
		return ""
	}
	c, _ := rec.Get("payload")
	cr, _ := c.(*event.Record)
	if cr == nil {
		return ""
	}
	s, _ := cr.Get("value")
	str, _ := s.(string)
	return str
}

// base is the time the source tests' rows are stamped from.
var base = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

func srcSection(s *server, cache string) string {
	return s.config() + "query: SELECT payload FROM src WHERE created >= $1 AND created < $2 ORDER BY created\n" +
		"interval_ms: 100\nconsume_from: \"" + base.Add(-time.Second).Format(timeLayout) + "\"\n" +
		"cache:\n  path: " + cache + "\n  size: 4096\n"
}

func insertRows(s *server, msgs []string, from int) {
	c := s.connect(context.Background())
	defer c.Close(context.Background())
	for i, m := range msgs {
		if _, err := c.Exec(context.Background(), "INSERT INTO src (created, payload) VALUES ($1, $2)",
			base.Add(time.Duration(from+i)*time.Millisecond), m); err != nil {
			s.t.Fatal(err)
		}
	}
}

func TestSourceConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type: "postgres",
		Text: rowText,
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			s := startServer(t)
			s.exec("CREATE TABLE src (created timestamptz NOT NULL, payload text NOT NULL)")
			insertRows(s, msgs, 0)
			return srcSection(s, filepath.Join(t.TempDir(), "cache.json")), nil
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "host: h\nport: 1\nuser: u\npassword: p\ndbname: d\nquery: SELECT 1\ninterval_ms: 1\nconsume_from: \"2021-01-01 00:00:00.000000 +00:00\"\ncache: {path: x}\n",
				Pos: "10:14", Contains: "the query must use $1 and $2"},
			{Config: "host: h\nport: 1\nuser: u\npassword: p\ndbname: d\nquery: q $1 $2\ninterval_ms: 1\nconsume_from: yesterday\ncache: {path: x}\n",
				Pos: "12:21", Contains: "\"yesterday\" is not a time"},
			{Config: "host: h\nport: 1\nuser: u\npassword: p\ndbname: d\nquery: q $1 $2\ninterval_ms: 1\nconsume_from: \"2021-01-01 00:00:00 +00:00\"\ncache: {path: /nonexistent/c}\n",
				Pos: "13:21", Contains: "the directory of /nonexistent/c does not exist"},
			{Config: "host: h\nport: 1\nuser: u\npassword: p\ndbname: d\nquery: q $1 $2\nconsume_from: \"2021-01-01 00:00:00 +00:00\"\ncache: {path: x}\n",
				Pos: "5:7", Contains: "`interval_ms` is required"},
		},
	})
}
