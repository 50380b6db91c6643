// Package kv is the kv offramp: a persistent key-value store on local
// disk (bbolt), driven by command events, answering on its `out` and `err`
// ports.
package kv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[config]{
		Name:    "kv",
		Summary: "A persistent key-value store in the directory `dir`, driven by command events; results go out of its `out` port, errors out of `err`",
		Docs: "Each event is one command:\n\n" +
			"| command | result on `out` |\n|---|---|\n" +
			"| `{\"get\": {\"key\": K}}` | `{\"ok\": {\"key\": K, \"value\": V}}` (`null` when absent) |\n" +
			"| `{\"put\": {\"key\": K, \"value\": V}}` | `{\"ok\": {\"key\": K, \"value\": PREVIOUS}}` |\n" +
			"| `{\"delete\": {\"key\": K}}` | `{\"ok\": {\"key\": K, \"value\": PREVIOUS}}` |\n" +
			"| `{\"scan\": {\"start\": K1, \"end\": K2}}` (both optional; from K1 included to K2 excluded) | `{\"ok\": [{\"key\": K, \"value\": V}, …]}` in key order |\n" +
			"| `{\"cas\": {\"key\": K, \"old\": OLD, \"new\": NEW}}` | `{\"ok\": {\"key\": K, \"value\": null}}`, or when the value is not OLD `{\"key\": K, \"error\": {\"current\": V, \"proposed\": NEW}}` |\n\n" +
			"A key is a string or binary (results carry it as binary, which the json codec writes as base64). " +
			"In `cas`, an absent `old` means the key must be absent and an absent `new` deletes it. The result's " +
			"metadata is `{\"kv\": {\"op\": OP}, \"correlation\": C}`, with the command's `$correlation` if it had one, " +
			"so a linked pipeline can match results to requests (link `/offramp/<id>/<instance>/out`).\n\n" +
			"A command that is not one of these is failed with the reason, and `{\"key\": K or null, \"error\": " +
			"REASON}` goes out of `err` (metadata with `error` too). The commands of a batch run in one transaction, " +
			"committed (and synced to disk) before any is acked or answered; if the store cannot be written, the " +
			"batch is failed and the store reopened with backoff.\n\n" +
			"Tremor 0.11 used sled; temblor uses bbolt (`dir/kv.db`), so Tremor's stores are not read. Values are " +
			"stored in temblor's binary value format, whatever the codec. Tremor's error text for an invalid command " +
			"showed Rust's debug form of the value; temblor shows it as JSON.",
		DefaultCodec: "json",
		Acks:         "the command ran and the store committed it to disk (a failed `cas` comparison is an answer, acked)",
		New: func(c *config, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
			if c.Dir == "" {
				return nil, sdk.SinkOptions{}, p.At.Errorf("dir", "`dir` must name a directory")
			}
			if fi, err := os.Stat(c.Dir); err == nil && !fi.IsDir() {
				return nil, sdk.SinkOptions{}, p.At.Errorf("dir", "%s is a file; name a directory (it is created if missing)", c.Dir)
			}
			return &kv{dir: c.Dir, url: p.URL}, sdk.SinkOptions{NoEncode: true}, nil
		},
	})
}

type config struct {
	Dir string `conf:"dir,required" doc:"The directory of the store (created if missing); the data is in dir/kv.db." example:"/var/lib/temblor/kv"`
}

var bucket = []byte("kv")

type kv struct {
	dir, url string
	ctl      sdk.Control
	db       *bolt.DB
}

var (
	_ sdk.Sink     = (*kv)(nil)
	_ sdk.Replying = (*kv)(nil)
	_ sdk.Peer     = (*kv)(nil)
)

func (k *kv) SetControl(c sdk.Control) { k.ctl = c }

// RepliesOnOutAndErr: results leave by `out`, errors by `err` (linked: true).
func (k *kv) RepliesOnOutAndErr() {}
func (k *kv) Peer() string        { return filepath.Join(k.dir, "kv.db") }

func (k *kv) Connect(context.Context) error {
	if err := os.MkdirAll(k.dir, 0o755); err != nil {
		return err
	}
	db, err := bolt.Open(k.Peer(), 0o644, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("%s is in use by another process", k.Peer())
	}
	if err != nil {
		return err
	}
	k.db = db
	return nil
}

func (k *kv) Disconnect() error {
	if k.db == nil {
		return nil
	}
	err := k.db.Close()
	k.db = nil
	return err
}

// command is one parsed command.
type command struct {
	op         string
	key        []byte // nil for scan
	value      event.Value
	start, end []byte
	old, new   event.Value
	hasOld     bool
	hasNew     bool
}

func keyOf(v event.Value, field string) ([]byte, bool) {
	rec, ok := v.(*event.Record)
	if !ok {
		return nil, false
	}
	k, ok := rec.Get(field)
	if !ok {
		return nil, false
	}
	switch k := k.(type) {
	case string:
		return []byte(k), true
	case []byte:
		return k, true
	}
	return nil, false
}

// parse reads a command as Tremor did: the first of get, put, cas, delete
// and scan that the record has.
func parse(v event.Value) (command, error) {
	rec, _ := v.(*event.Record)
	get := func(k string) (event.Value, bool) {
		if rec == nil {
			return nil, false
		}
		return rec.Get(k)
	}
	badKey := errors.New("missing or invalid `key` field (a string or binary)")
	if g, ok := get("get"); ok {
		key, ok := keyOf(g, "key")
		if !ok {
			return command{op: "get"}, badKey
		}
		return command{op: "get", key: key}, nil
	}
	if p, ok := get("put"); ok {
		key, ok := keyOf(p, "key")
		if !ok {
			return command{op: "put"}, badKey
		}
		pr, _ := p.(*event.Record)
		val, ok := pr.Get("value")
		if !ok {
			return command{op: "put", key: key}, errors.New("missing `value` field")
		}
		return command{op: "put", key: key, value: val}, nil
	}
	if c, ok := get("cas"); ok {
		key, ok := keyOf(c, "key")
		if !ok {
			return command{op: "cas"}, badKey
		}
		cr := c.(*event.Record)
		cmd := command{op: "cas", key: key}
		cmd.old, cmd.hasOld = cr.Get("old")
		cmd.new, cmd.hasNew = cr.Get("new")
		return cmd, nil
	}
	if d, ok := get("delete"); ok {
		key, ok := keyOf(d, "key")
		if !ok {
			return command{op: "delete"}, badKey
		}
		return command{op: "delete", key: key}, nil
	}
	if s, ok := get("scan"); ok {
		cmd := command{op: "scan"}
		cmd.start, _ = keyOf(s, "start")
		cmd.end, _ = keyOf(s, "end")
		return cmd, nil
	}
	return command{}, fmt.Errorf("Invalid KV command: %s", event.MarshalJSON(v))
}

func decode(b []byte) (event.Value, error) {
	if b == nil {
		return nil, nil
	}
	v, _, err := event.DecodeBinary(b)
	if err != nil {
		return nil, fmt.Errorf("a stored value is damaged: %w", err)
	}
	return v, nil
}

func ok(key []byte, v event.Value) event.Value {
	return event.RecordOf("ok", event.RecordOf("key", key, "value", v))
}

// run runs one command in tx.
func run(bk *bolt.Bucket, c command) (event.Value, error) {
	prev := func() (event.Value, error) { return decode(bk.Get(c.key)) }
	switch c.op {
	case "get":
		v, err := prev()
		if err != nil {
			return nil, err
		}
		return ok(c.key, v), nil
	case "put":
		v, err := prev()
		if err != nil {
			return nil, err
		}
		if err := bk.Put(c.key, event.AppendBinary(nil, c.value)); err != nil {
			return nil, err
		}
		return ok(c.key, v), nil
	case "delete":
		v, err := prev()
		if err != nil {
			return nil, err
		}
		if err := bk.Delete(c.key); err != nil {
			return nil, err
		}
		return ok(c.key, v), nil
	case "cas":
		cur := bk.Get(c.key)
		var want []byte
		if c.hasOld {
			want = event.AppendBinary(nil, c.old)
		}
		if (cur == nil) != (want == nil) || !bytes.Equal(cur, want) {
			curV, err := decode(cur)
			if err != nil {
				return nil, err
			}
			var proposed event.Value
			if c.hasNew {
				proposed = c.new
			}
			return event.RecordOf("key", c.key, "error", event.RecordOf("current", curV, "proposed", proposed)), nil
		}
		var err error
		if c.hasNew {
			err = bk.Put(c.key, event.AppendBinary(nil, c.new))
		} else {
			err = bk.Delete(c.key)
		}
		if err != nil {
			return nil, err
		}
		return ok(c.key, nil), nil
	case "scan":
		var out []event.Value
		cur := bk.Cursor()
		var k, v []byte
		if c.start != nil {
			k, v = cur.Seek(c.start)
		} else {
			k, v = cur.First()
		}
		for ; k != nil && (c.end == nil || bytes.Compare(k, c.end) < 0); k, v = cur.Next() {
			val, err := decode(v)
			if err != nil {
				return nil, err
			}
			out = append(out, event.RecordOf("key", bytes.Clone(k), "value", val))
		}
		if out == nil {
			out = []event.Value{}
		}
		return event.RecordOf("ok", out), nil
	}
	return nil, fmt.Errorf("unknown op %s", c.op)
}

func correlated(meta event.Value, m *event.Record) *event.Record {
	if rec, ok := meta.(*event.Record); ok {
		if c, ok := rec.Get("correlation"); ok {
			m.Set("correlation", event.DeepCopy(c))
		}
	}
	return m
}

func (k *kv) Write(ctx context.Context, b *sdk.Batch) error {
	var outs, errs []event.Event
	now := uint64(time.Now().UnixNano())
	err := k.db.Update(func(tx *bolt.Tx) error {
		outs, errs = outs[:0], errs[:0]
		bk, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		for i := range b.Messages {
			m := &b.Messages[i]
			// A generic::batch event carries several commands: each runs
			// and answers on its own; the event fails if one of them does.
			for _, part := range m.Parts() {
				cmd, err := parse(part.Data)
				var res event.Value
				if err == nil {
					res, err = run(bk, cmd)
				}
				var op event.Value
				if cmd.op != "" {
					op = cmd.op
				}
				if err != nil {
					b.Fail(i, "kv: "+err.Error())
					var key event.Value
					if cmd.key != nil {
						key = cmd.key
					}
					meta := correlated(part.Meta, event.RecordOf("kv", event.RecordOf("op", op), "error", err.Error()))
					errs = append(errs, event.Event{IngestNS: now, Data: event.RecordOf("key", key, "error", err.Error()), Meta: meta})
					continue
				}
				meta := correlated(part.Meta, event.RecordOf("kv", event.RecordOf("op", op)))
				outs = append(outs, event.Event{IngestNS: now, Data: res, Meta: meta})
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("kv store %s: %w", k.Peer(), err)
	}
	// Committed: answer. A reply that cannot be handed over (the engine
	// stops) does not undo the commit.
	if len(outs) > 0 {
		if err := k.ctl.Reply(ctx, "out", outs); err != nil {
			return sdk.Rejected(fmt.Errorf("kv: results committed but not handed on: %w", err))
		}
	}
	if len(errs) > 0 {
		_ = k.ctl.Reply(ctx, "err", errs)
	}
	return nil
}
