package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[sinkConfig]{
		Name:    "postgres",
		Summary: "Inserts each event as a row of the table `table`",
		Docs: "An event is a record of columns, each `{\"fieldType\": TYPE, \"name\": COLUMN, \"value\": VALUE}` " +
			"(what the postgres onramp emits), and becomes `INSERT INTO table (COLUMN, …) VALUES (…)`. TYPE is one " +
			"of BOOL, CHAR, TEXT, NAME, VARCHAR, UNKNOWN (strings), INT2, INT4, INT8 (integers), JSON, JSONB (a " +
			"string holding JSON), TIMESTAMP, TIMESTAMPTZ (a string such as `2021-01-31 23:59:59.000000 +00:00`); " +
			"a `null` value is NULL. A plain column name is used as written (PostgreSQL folds it to lower case), " +
			"any other is quoted.\n\n" +
			"The rows of a batch are inserted in one transaction and acked once it is committed. An event that is " +
			"not such a record, or that the server refuses (a constraint, a type it cannot take), is failed with " +
			"the reason while the rest of the batch is committed; the reason is permanent, so put a `qos::wal` " +
			"before the offramp only if it may clear up. When the connection is lost, every uncommitted row is " +
			"failed, the circuit breaker opens and the offramp reconnects with backoff. Tremor inserted each " +
			"event on its own and acked it whatever happened.",
		DefaultCodec: "json",
		Acks:         "the transaction holding the row was committed",
		New: func(c *sinkConfig, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
			if !validTable.MatchString(c.Table) {
				return nil, sdk.SinkOptions{}, p.At.Errorf("table", "%q is not a table name (name or schema.name; quote other names with \")", c.Table)
			}
			return &sink{Conn: c.Conn, table: c.Table}, sdk.SinkOptions{NoEncode: true}, nil
		},
	})
}

type sinkConfig struct {
	Conn  `conf:",inline"`
	Table string `conf:"table,required" doc:"The table to insert into (name or schema.name)." example:"events"`
}

type sink struct {
	Conn
	table string
	db    *pgx.Conn
}

var (
	_ sdk.Sink = (*sink)(nil)
	_ sdk.Peer = (*sink)(nil)
)

func (s *sink) Peer() string { return s.Conn.peer() }

func (s *sink) Connect(ctx context.Context) error {
	db, err := pgx.Connect(ctx, s.Conn.url())
	if err != nil {
		return err
	}
	s.db = db
	return nil
}

func (s *sink) Disconnect() error {
	if s.db == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2e9)
	defer cancel()
	err := s.db.Close(ctx)
	s.db = nil
	return err
}

// insert is one row's statement.
type insert struct {
	msg  int
	sql  string
	args []any
}

func (s *sink) statement(v event.Value) (string, []any, error) {
	rec, ok := v.(*event.Record)
	if !ok || rec.Len() == 0 {
		return "", nil, fmt.Errorf("want a record of columns {\"fieldType\": ..., \"name\": ..., \"value\": ...}, got %s", event.MarshalJSON(v))
	}
	cols := make([]string, 0, rec.Len())
	ph := make([]string, 0, rec.Len())
	args := make([]any, 0, rec.Len())
	for i := range rec.Len() {
		k, cv := rec.At(i)
		c, err := readColumn(k, cv)
		if err != nil {
			return "", nil, err
		}
		arg, cast, err := sqlArg(c)
		if err != nil {
			return "", nil, err
		}
		cols = append(cols, ident(c.name))
		ph = append(ph, fmt.Sprintf("$%d::%s", len(args)+1, cast))
		args = append(args, arg)
	}
	return "INSERT INTO " + s.table + " (" + strings.Join(cols, ",") + ") VALUES (" + strings.Join(ph, ",") + ")", args, nil
}

// rowError says whether err is about the row (the server refused it)
// rather than the connection or the server's state.
func rowError(err error) (*pgconn.PgError, bool) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil, false
	}
	switch pe.Code[:2] {
	case "08", "53", "57", "58", "40", "XX":
		return pe, false
	}
	return pe, true
}

func (s *sink) Write(ctx context.Context, b *sdk.Batch) error {
	var rows []insert
	for i := range b.Messages {
		sql, args, err := s.statement(b.Messages[i].Data)
		if err != nil {
			b.Fail(i, "postgres: "+err.Error())
			continue
		}
		rows = append(rows, insert{msg: i, sql: sql, args: args})
	}
	if len(rows) == 0 {
		return nil
	}
	// The common case: all rows in one round trip.
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		for _, r := range rows {
			batch.Queue(r.sql, r.args...)
		}
		return tx.SendBatch(ctx, batch).Close()
	})
	if err == nil {
		return nil
	}
	if _, ok := rowError(err); !ok {
		return err
	}
	// A row was refused: insert them one by one, each behind a savepoint,
	// failing the refused ones.
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		for _, r := range rows {
			sp, err := tx.Begin(ctx)
			if err != nil {
				return err
			}
			if _, err := sp.Exec(ctx, r.sql, r.args...); err != nil {
				pe, isRow := rowError(err)
				if !isRow {
					return err
				}
				if err := sp.Rollback(ctx); err != nil {
					return err
				}
				b.Fail(r.msg, fmt.Sprintf("postgres refused the row: %s (SQLSTATE %s)", pe.Message, pe.Code))
				continue
			}
			if err := sp.Commit(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}
