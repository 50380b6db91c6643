// Package postgres is the PostgreSQL connector family of Tremor 0.11: an
// onramp that polls a query over consecutive time windows, and an offramp
// that inserts each event as a row. Rows are records of columns, each
// {"fieldType": TYPE, "name": NAME, "value": VALUE}, the same shape both
// ways. The client is jackc/pgx.
package postgres

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
)

// Conn is the connection part of both configs.
type Conn struct {
	Host     string `conf:"host,required" doc:"The server's host." example:"localhost"`
	Port     uint64 `conf:"port,required" min:"1" max:"65535" doc:"The server's port." example:"5432"`
	User     string `conf:"user,required" doc:"The user to log in as."`
	Password string `conf:"password,required" doc:"The user's password."`
	DBName   string `conf:"dbname,required" doc:"The database."`
}

// url is the connection URL (no TLS, as Tremor; a connect timeout).
func (c *Conn) url() string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(c.User, c.Password),
		Host: c.Host + ":" + strconv.FormatUint(c.Port, 10), Path: "/" + c.DBName,
		RawQuery: "sslmode=disable&connect_timeout=5"}
	return u.String()
}

func (c *Conn) peer() string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.DBName)
}

// timeLayout is Tremor's "%Y-%m-%d %H:%M:%S%.6f %:z".
const timeLayout = "2006-01-02 15:04:05.000000 -07:00"

// parseTime reads a time as Tremor wrote and read them: with six
// fractional digits (or none) and a numeric zone.
func parseTime(s string) (time.Time, error) {
	for _, l := range []string{timeLayout, "2006-01-02 15:04:05.999999999 -07:00", "2006-01-02 15:04:05 -07:00"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time such as \"2021-01-31 23:59:59.000000 +00:00\"", s)
}

// chronoString formats a time as chrono's Display did for Tremor's rows:
// fractional seconds only when not zero, in 3, 6 or 9 digits.
func chronoString(t time.Time, zone string) string {
	s := t.Format("2006-01-02 15:04:05")
	if ns := t.Nanosecond(); ns != 0 {
		switch {
		case ns%1_000_000 == 0:
			s += fmt.Sprintf(".%03d", ns/1_000_000)
		case ns%1_000 == 0:
			s += fmt.Sprintf(".%06d", ns/1_000)
		default:
			s += fmt.Sprintf(".%09d", ns)
		}
	}
	return s + " " + zone
}

var plainIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// ident is a column name for SQL: as written when it is a plain
// identifier (PostgreSQL folds it to lower case, as it did for Tremor),
// else quoted.
func ident(name string) string {
	if plainIdent.MatchString(name) {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// validTable: one or two plain or quoted identifiers separated by a dot.
var validTable = regexp.MustCompile(`^(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")(?:\.(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+"))?$`)

// column is one {"fieldType", "name", "value"} record.
type column struct {
	typ, name string
	value     event.Value
}

func readColumn(key string, v event.Value) (column, error) {
	rec, ok := v.(*event.Record)
	if !ok {
		return column{}, fmt.Errorf("column %q: want a record {\"fieldType\": ..., \"name\": ..., \"value\": ...}, got %s", key, event.TypeName(v))
	}
	t, _ := rec.Get("fieldType")
	ts, ok := t.(string)
	if !ok {
		return column{}, fmt.Errorf("column %q: `fieldType` missing or not a string", key)
	}
	n, _ := rec.Get("name")
	ns, ok := n.(string)
	if !ok {
		return column{}, fmt.Errorf("column %q: `name` missing or not a string", key)
	}
	val, ok := rec.Get("value")
	if !ok {
		return column{}, fmt.Errorf("column %q: `value` missing", key)
	}
	return column{typ: ts, name: ns, value: val}, nil
}

// sqlArg converts a column's value to what pgx sends, and the cast its
// placeholder gets.
func sqlArg(c column) (any, string, error) {
	bad := func(want string) (any, string, error) {
		return nil, "", fmt.Errorf("column %q (%s): want %s, got %s", c.name, c.typ, want, event.MarshalJSON(c.value))
	}
	if c.value == nil {
		cast := map[string]string{"BOOL": "bool", "INT2": "int2", "INT4": "int4", "INT8": "int8", "JSON": "json",
			"JSONB": "jsonb", "TIMESTAMPTZ": "timestamptz", "TIMESTAMP": "timestamp"}[c.typ]
		if cast == "" {
			cast = "text"
		}
		return nil, cast, nil
	}
	switch c.typ {
	case "BOOL":
		b, ok := c.value.(bool)
		if !ok {
			return bad("a boolean")
		}
		return b, "bool", nil
	case "VARCHAR", "UNKNOWN", "CHAR", "TEXT", "NAME":
		s, ok := c.value.(string)
		if !ok {
			return bad("a string")
		}
		return s, map[string]string{"VARCHAR": "varchar", "UNKNOWN": "text", "CHAR": "text", "TEXT": "text", "NAME": "name"}[c.typ], nil
	case "INT2", "INT4", "INT8":
		n, ok := c.value.(int64)
		lim := map[string]int64{"INT2": 1 << 15, "INT4": 1 << 31, "INT8": 0}[c.typ]
		if !ok || (lim != 0 && (n < -lim || n >= lim)) {
			return bad("an integer that fits " + strings.ToLower(c.typ))
		}
		return n, strings.ToLower(c.typ), nil
	case "JSON", "JSONB":
		s, ok := c.value.(string)
		if !ok {
			return bad("a string holding JSON")
		}
		return s, strings.ToLower(c.typ), nil
	case "TIMESTAMPTZ", "TIMESTAMP":
		s, ok := c.value.(string)
		if !ok {
			return bad("a time as a string")
		}
		t, err := parseTime(s)
		if err != nil {
			return nil, "", fmt.Errorf("column %q (%s): %v", c.name, c.typ, err)
		}
		if c.typ == "TIMESTAMP" {
			return t.UTC().Format("2006-01-02 15:04:05.999999"), "timestamp", nil
		}
		return t, "timestamptz", nil
	}
	return nil, "", fmt.Errorf("column %q: fieldType %q is not one of BOOL, CHAR, TEXT, NAME, VARCHAR, UNKNOWN, INT2, INT4, INT8, JSON, JSONB, TIMESTAMP, TIMESTAMPTZ", c.name, c.typ)
}
