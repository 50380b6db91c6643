package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:    "postgres",
		Summary: "Polls `query` over consecutive time windows; each row is an event",
		Docs: "The query gets the window as `$1` (from) and `$2` (until), both `timestamptz`, e.g. " +
			"`SELECT * FROM events WHERE created >= $1 AND created < $2`. The first window runs from " +
			"`consume_from` (or from where the last run stopped, see below) to now; then each window is the next " +
			"`interval_ms` milliseconds, queried as soon as it has passed. Each row becomes a record of its " +
			"columns, `{\"COLUMN\": {\"fieldType\": TYPE, \"name\": COLUMN, \"value\": VALUE}, …}` — the shape the " +
			"postgres offramp inserts — with TYPE as in Tremor (BOOL, CHAR, INT2, INT4, INT8, JSON, JSONB, NAME, " +
			"TEXT, TIMESTAMP, TIMESTAMPTZ, UNKNOWN, VARCHAR; integers as integers, booleans as booleans, the rest " +
			"as strings, times such as `2021-01-31 23:59:59.5 +00:00`). A column of another type is sent as its " +
			"text with its type's name (Tremor refused the row).\n\n" +
			"The rows are transactional. The file `cache.path` records where the first window not yet fully " +
			"delivered starts; it moves on only when every row of a window (and of every window before it) was " +
			"acked, and a restart resumes there. When a row is failed the onramp queries its window again (rows " +
			"acked in it are sent again: at least once). Tremor kept the window in a memory-mapped file that it " +
			"overwrote at every start, and moved on whatever happened to the rows; `cache.size` is accepted and " +
			"unused. When the connection is lost the onramp reconnects with backoff and queries the window again.",
		DefaultCodec: "json",
		New:          newSource,
	})
}

type cacheConfig struct {
	Path string `conf:"path,required" doc:"The file that records the position (created if missing)." example:"/var/lib/temblor/pg-cache.json"`
	Size uint64 `conf:"size" doc:"Accepted for Tremor compatibility (the size of its memory-mapped file); unused."`
}

type sourceConfig struct {
	Conn        `conf:",inline"`
	Query       string      `conf:"query,required" doc:"The query; $1 and $2 are the window's bounds (timestamptz)." example:"SELECT * FROM events WHERE created >= $1 AND created < $2"`
	IntervalMS  uint64      `conf:"interval_ms,required" min:"1" doc:"The length of a window, in milliseconds." example:"1000"`
	ConsumeFrom string      `conf:"consume_from,required" doc:"Where the first window starts when the cache holds no position." example:"2021-01-01 00:00:00.000000 +00:00"`
	Cache       cacheConfig `conf:"cache,required" doc:"Where the position is kept."`
}

// window is one query's time range and the fate of its rows.
type window struct {
	from, until time.Time
	rows, acked int
	failed      bool
	dropped     bool // superseded by a rewind: its answers no longer count
}

type source struct {
	Conn
	query    string
	interval time.Duration
	start    time.Time
	cache    string
	now      func() time.Time

	db *pgx.Conn

	mu      sync.Mutex
	next    time.Time // the start of the next window to query
	open    []*window // queried, not yet fully delivered, oldest first
	rewind  *time.Time
	stored  time.Time // the position in the cache file
	saveErr error
}

var (
	_ sdk.PullSource   = (*source)(nil)
	_ sdk.Reconnector  = (*source)(nil)
	_ component.Opener = (*source)(nil)
	_ component.Closer = (*source)(nil)
)

func newSource(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
	from, err := parseTime(c.ConsumeFrom)
	if err != nil {
		return nil, p.At.Errorf("consume_from", "%v", err)
	}
	if !strings.Contains(c.Query, "$1") || !strings.Contains(c.Query, "$2") {
		return nil, p.At.Errorf("query", "the query must use $1 and $2, the window's bounds, e.g. `WHERE created >= $1 AND created < $2`")
	}
	if dir := filepath.Dir(c.Cache.Path); dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, p.At.Errorf("cache.path", "the directory of %s does not exist; create it first", c.Cache.Path)
		}
	}
	return &source{Conn: c.Conn, query: c.Query, interval: sdk.Millis(c.IntervalMS), start: from, cache: c.Cache.Path, now: time.Now}, nil
}

// position is the cache file's content (Tremor's field names).
type position struct {
	ConsumeFrom  string `json:"consume_from"`
	ConsumeUntil string `json:"consume_until,omitempty"`
}

func (s *source) Open(context.Context, component.Env) error {
	s.next = s.start
	b, err := os.ReadFile(s.cache)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	default:
		var p position
		if err := json.Unmarshal(b, &p); err != nil || p.ConsumeFrom == "" {
			return fmt.Errorf("the cache file %s is not a position written by temblor (%v); move it away to start from consume_from", s.cache, err)
		}
		t, err := parseTime(p.ConsumeFrom)
		if err != nil {
			return fmt.Errorf("the cache file %s: %v", s.cache, err)
		}
		s.next = t
	}
	s.stored = s.next
	return nil
}

func (s *source) Close() error { return nil }

func (s *source) Connect(ctx context.Context) error {
	cfg, err := pgx.ParseConfig(s.Conn.url())
	if err != nil {
		return err
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	cfg.RuntimeParams["datestyle"] = "ISO, YMD"
	db, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	if _, err := db.Prepare(ctx, "window", s.query); err != nil {
		db.Close(ctx)
		return fmt.Errorf("the query: %w", err)
	}
	s.db = db
	return nil
}

func (s *source) Disconnect() error {
	if s.db == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.db.Close(ctx)
	s.db = nil
	return err
}

func (s *source) Read(ctx context.Context) (*sdk.Input, error) {
	s.mu.Lock()
	if s.rewind != nil {
		s.next, s.rewind = *s.rewind, nil
	}
	from := s.next
	saveErr := s.saveErr
	s.mu.Unlock()
	if saveErr != nil {
		return nil, saveErr
	}
	until := from.Add(s.interval)
	if now := s.now(); !until.After(now) {
		until = now // catching up: one window to now
	} else {
		t := time.NewTimer(until.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	rows, err := s.db.Query(ctx, "window", pgx.QueryResultFormats{pgx.TextFormatCode}, from, until)
	if err != nil {
		return nil, err
	}
	vals, err := s.records(rows)
	if err != nil {
		return nil, err
	}
	w := &window{from: from, until: until, rows: len(vals)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rewind != nil { // a window before this one failed meanwhile
		return nil, nil
	}
	s.next = until
	s.open = append(s.open, w)
	if len(vals) == 0 {
		s.settleLocked()
		return nil, nil
	}
	return &sdk.Input{Values: vals, Acks: &rowAcks{s: s, w: w}}, nil
}

// records reads the rows as Tremor's records of columns.
func (s *source) records(rows pgx.Rows) ([]event.Value, error) {
	defer rows.Close()
	fields := rows.FieldDescriptions()
	var out []event.Value
	for rows.Next() {
		raw := rows.RawValues()
		rec := event.NewRecord(len(fields))
		for i, f := range fields {
			typ, v, err := s.column(f.DataTypeOID, raw[i])
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", f.Name, err)
			}
			rec.Set(f.Name, event.RecordOf("fieldType", typ, "value", v, "name", f.Name))
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// The OIDs of the types Tremor named.
const (
	oidBool, oidChar, oidName, oidInt8, oidInt2, oidInt4, oidText = 16, 18, 19, 20, 21, 23, 25
	oidJSON, oidUnknown, oidBPChar, oidVarchar                    = 114, 705, 1042, 1043
	oidTimestamp, oidTimestamptz, oidJSONB                        = 1114, 1184, 3802
)

// column converts one value in text format.
func (s *source) column(oid uint32, raw []byte) (string, event.Value, error) {
	name := map[uint32]string{oidBool: "BOOL", oidChar: "CHAR", oidBPChar: "CHAR", oidName: "NAME", oidInt8: "INT8",
		oidInt2: "INT2", oidInt4: "INT4", oidText: "TEXT", oidJSON: "JSON", oidJSONB: "JSONB", oidUnknown: "UNKNOWN",
		oidVarchar: "VARCHAR", oidTimestamp: "TIMESTAMP", oidTimestamptz: "TIMESTAMPTZ"}[oid]
	if name == "" {
		name = "UNKNOWN"
		if t, ok := s.db.TypeMap().TypeForOID(oid); ok {
			name = strings.ToUpper(t.Name)
		}
	}
	if raw == nil {
		return name, nil, nil
	}
	text := string(raw)
	switch oid {
	case oidBool:
		return name, text == "t", nil
	case oidInt2, oidInt4, oidInt8:
		n, err := strconv.ParseInt(text, 10, 64)
		return name, n, err
	case oidTimestamptz, oidTimestamp:
		t, err := time.Parse("2006-01-02 15:04:05.999999999Z07:00", text)
		if err != nil {
			t, err = time.Parse("2006-01-02 15:04:05.999999999Z07", text)
		}
		if err != nil {
			t, err = time.Parse("2006-01-02 15:04:05.999999999", text)
		}
		if err != nil {
			return name, nil, err
		}
		if oid == oidTimestamp {
			return name, chronoString(t, "UTC"), nil
		}
		return name, chronoString(t.UTC(), "+00:00"), nil
	}
	return name, text, nil
}

// rowAcks is the Acks of one window's rows.
type rowAcks struct {
	s *source
	w *window
}

func (a *rowAcks) Ack(i, j int) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.w.acked += j - i
	a.s.settleLocked()
}

func (a *rowAcks) Fail(_, _ int, _ string) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if a.w.dropped || a.w.failed {
		return
	}
	a.w.failed = true
	// Query this window again, and forget the answers of the later ones
	// (they are queried again too).
	for _, w := range a.s.open {
		if !w.from.Before(a.w.from) {
			w.dropped = true
		}
	}
	from := a.w.from
	if a.s.rewind == nil || from.Before(*a.s.rewind) {
		a.s.rewind = &from
	}
	a.s.settleLocked()
}

// settleLocked drops the delivered and superseded windows at the head and
// records the new position.
func (s *source) settleLocked() {
	pos := s.stored
	for len(s.open) > 0 {
		w := s.open[0]
		if w.dropped {
			// Superseded: the rewind re-queries from its start.
			s.open = s.open[1:]
			continue
		}
		if w.acked < w.rows {
			break
		}
		pos = w.until
		s.open = s.open[1:]
	}
	if s.rewind != nil && s.rewind.Before(pos) {
		pos = *s.rewind
	}
	if !pos.Equal(s.stored) {
		if err := s.saveLocked(pos); err != nil {
			s.saveErr = fmt.Errorf("recording the position in %s: %w", s.cache, err)
			return
		}
		s.stored = pos
	}
}

// saveLocked writes the position durably (a temporary file, fsync,
// rename).
func (s *source) saveLocked(pos time.Time) error {
	b, _ := json.Marshal(position{ConsumeFrom: pos.UTC().Format(timeLayout)})
	tmp := s.cache + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.cache); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(s.cache)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
