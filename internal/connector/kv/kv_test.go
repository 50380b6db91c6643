package kv

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func TestMain(m *testing.M) {
	if childMain() {
		return
	}
	goleak.VerifyTestMain(m)
}

// store is the kv offramp's peer: its results, handed out of `out` only
// once the store committed the command.
type store struct {
	dir string
	mu  sync.Mutex
	out map[string]bool // keys put
}

func (s *store) Config() string { return "dir: " + s.dir + "\n" }
func (s *store) Has(payload string) bool {
	var seq int
	fmt.Sscanf(payload, `{"seq":%d}`, &seq)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out[fmt.Sprintf("seq-%d", seq)]
}
func (s *store) Received() []string { return nil }
func (s *store) Replies() map[string]sdk.Target {
	return map[string]sdk.Target{"out": targetFunc(func(b *event.Batch) {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, ev := range b.Events {
			ok, _ := ev.Data.(*event.Record).Get("ok")
			key, _ := ok.(*event.Record).Get("key")
			s.out[string(key.([]byte))] = true
		}
	})}
}

type targetFunc func(*event.Batch)

func (f targetFunc) Send(_ context.Context, b *event.Batch, _ sdk.Upstream) error { f(b); return nil }

func TestConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type: "kv",
		Start: func(t *testing.T) conformance.SinkPeer {
			return &store{dir: filepath.Join(t.TempDir(), "kv"), out: map[string]bool{}}
		},
		Value: func(seq uint64) event.Value {
			return event.RecordOf("put", event.RecordOf("key", fmt.Sprintf("seq-%d", seq), "value", int64(seq)))
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "", Pos: "2:5", Contains: "`dir` is required"},
			{Config: "dir: /etc/passwd\n", Pos: "5:12", Contains: "is a file; name a directory"},
			{Config: "dir: x\npath: y\n", Pos: "6:7", Contains: "unknown field `path`"},
		},
	})
}

// control collects replies.
type control struct {
	out, err []event.Event
}

func (c *control) Trigger(string)   {}
func (c *control) Restore()         {}
func (c *control) Stop(int, string) {}
func (c *control) Reply(_ context.Context, port string, evs []event.Event) error {
	if port == "out" {
		c.out = append(c.out, evs...)
	} else {
		c.err = append(c.err, evs...)
	}
	return nil
}

func open(t *testing.T, dir string) (*kv, *control) {
	t.Helper()
	k := &kv{dir: dir}
	c := &control{}
	k.SetControl(c)
	if err := k.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Disconnect() })
	return k, c
}

// TestTremorsSequence replays the commands of Tremor's kv-linked
// integration test and compares the results and their metadata with what
// Tremor answered (its invalid-command text aside, see the docs).
func TestTremorsSequence(t *testing.T) {
	in := []string{
		`{"get": {"key": "snot"}}`,
		`{"put": {"key": "snot", "value": "badger"}}`,
		`{"get": {"key": "snot"}, "batch": true}`,
		`{"put": {"key": "heinz", "value": "ketchup"}, "batch": true}`,
		`{"get": {"key": "heinz"}}`,
		`{"scan": {}}`,
		`{"scan": {"start": "snot"}}`,
		`{"scan": {"start": "heinz", "stop": "meins"}}`,
		`{"scan": {"stop": "heinz"}}`,
		`{"cas": {"key": "heinz", "old": "gies", "new": "ketchup"}}`,
		`{"cas": {"key": "heinz", "old": "ketchup", "new": "gies"}}`,
		`{"delete": {"key": "matthias", "reason": "jokes way too bad"}}`,
		`{"get": {"key": "matthias"}}`,
		`{"delete": {"key": "heinz", "reason": "ketchup"}}`,
		`{"get": {"key": "heinz"}}`,
		`{"delete": {"key": "snot"}}`,
		`{"get": {"key": "snot"}}`,
		`{"garbage": true}`,
	}
	want := []string{
		`{"ok":{"key":"c25vdA==","value":null}} {"kv":{"op":"get"},"correlation":0}`,
		`{"ok":{"key":"c25vdA==","value":null}} {"kv":{"op":"put"},"correlation":1}`,
		`{"ok":{"key":"c25vdA==","value":"badger"}} {"kv":{"op":"get"},"correlation":2}`,
		`{"ok":{"key":"aGVpbno=","value":null}} {"kv":{"op":"put"},"correlation":3}`,
		`{"ok":{"key":"aGVpbno=","value":"ketchup"}} {"kv":{"op":"get"},"correlation":4}`,
		`{"ok":[{"key":"aGVpbno=","value":"ketchup"},{"key":"c25vdA==","value":"badger"}]} {"kv":{"op":"scan"},"correlation":5}`,
		`{"ok":[{"key":"c25vdA==","value":"badger"}]} {"kv":{"op":"scan"},"correlation":6}`,
		`{"ok":[{"key":"aGVpbno=","value":"ketchup"},{"key":"c25vdA==","value":"badger"}]} {"kv":{"op":"scan"},"correlation":7}`,
		`{"ok":[{"key":"aGVpbno=","value":"ketchup"},{"key":"c25vdA==","value":"badger"}]} {"kv":{"op":"scan"},"correlation":8}`,
		`{"key":"aGVpbno=","error":{"current":"ketchup","proposed":"ketchup"}} {"kv":{"op":"cas"},"correlation":9}`,
		`{"ok":{"key":"aGVpbno=","value":null}} {"kv":{"op":"cas"},"correlation":10}`,
		`{"ok":{"key":"bWF0dGhpYXM=","value":null}} {"kv":{"op":"delete"},"correlation":11}`,
		`{"ok":{"key":"bWF0dGhpYXM=","value":null}} {"kv":{"op":"get"},"correlation":12}`,
		`{"ok":{"key":"aGVpbno=","value":"gies"}} {"kv":{"op":"delete"},"correlation":13}`,
		`{"ok":{"key":"aGVpbno=","value":null}} {"kv":{"op":"get"},"correlation":14}`,
		`{"ok":{"key":"c25vdA==","value":"badger"}} {"kv":{"op":"delete"},"correlation":15}`,
		`{"ok":{"key":"c25vdA==","value":null}} {"kv":{"op":"get"},"correlation":16}`,
	}
	k, c := open(t, t.TempDir())
	for i, line := range in { // one batch each, as the events came one by one
		v, err := event.ParseJSON([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		b := &sdk.Batch{Messages: []sdk.Message{{Data: v, Meta: event.RecordOf("correlation", int64(i))}}}
		if err := k.Write(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.out) != len(want) {
		t.Fatalf("%d results, want %d", len(c.out), len(want))
	}
	for i, ev := range c.out {
		if got := string(event.MarshalJSON(ev.Data)) + " " + string(event.MarshalJSON(ev.Meta)); got != want[i] {
			t.Errorf("result %d:\n got %s\nwant %s", i, got, want[i])
		}
	}
	if len(c.err) != 1 {
		t.Fatalf("%d errors, want 1", len(c.err))
	}
	if got := string(event.MarshalJSON(c.err[0].Data)); got != `{"key":null,"error":"Invalid KV command: {\"garbage\":true}"}` {
		t.Errorf("error event %s", got)
	}
}

// TestPersistsAcrossReopen: what was put is there after the store is
// closed and opened again.
func TestPersistsAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	k, _ := open(t, dir)
	put := event.RecordOf("put", event.RecordOf("key", []byte{0, 1}, "value", event.RecordOf("n", uint64(1<<63+5), "b", []byte("x"))))
	if err := k.Write(context.Background(), &sdk.Batch{Messages: []sdk.Message{{Data: put}}}); err != nil {
		t.Fatal(err)
	}
	k.Disconnect()
	k2, c := open(t, dir)
	get := event.RecordOf("get", event.RecordOf("key", []byte{0, 1}))
	if err := k2.Write(context.Background(), &sdk.Batch{Messages: []sdk.Message{{Data: get}}}); err != nil {
		t.Fatal(err)
	}
	if got := string(event.MarshalJSON(c.out[0].Data)); got != `{"ok":{"key":"AAE=","value":{"n":9223372036854775813,"b":"eA=="}}}` {
		t.Errorf("after reopening: %s", got)
	}
}

// TestInUse: a store another process holds is an error that says so.
func TestInUse(t *testing.T) {
	dir := t.TempDir()
	open(t, dir)
	k := &kv{dir: dir}
	err := k.Connect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("second open: %v", err)
	}
}
