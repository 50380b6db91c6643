package cb

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
	"github.com/temblor-dev/temblor/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSourceConformance(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type:   "cb",
		Finite: true,
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			path := filepath.Join(t.TempDir(), "in.json")
			if err := os.WriteFile(path, []byte(strings.Join(msgs, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return "source: " + path + "\ntimeout: 20000\n", nil
		},
		BadConfigs: []conformance.BadConfig{
			{Config: "timeout: 10\n", Pos: "5:7", Contains: "`source` is required"},
			{Config: "source: /nonexistent\n", Pos: "5:15", Contains: "cannot read /nonexistent"},
			{Config: "source: x\nexpect_batched: 2\n", Pos: "6:23", Contains: "must be true or false"},
		},
	})
}

// commanded is the cb offramp's peer: the contraflow itself. It "has"
// every event, which carry the command `ack`.
type commanded struct{}

func (commanded) Config() string     { return "" }
func (commanded) Has(string) bool    { return true }
func (commanded) Received() []string { return nil }

func TestSinkConformance(t *testing.T) {
	conformance.RunSink(t, conformance.Sink{
		Type:       "cb",
		Start:      func(*testing.T) conformance.SinkPeer { return commanded{} },
		Value:      func(seq uint64) event.Value { return event.RecordOf("seq", int64(seq), "cb", "ack") },
		BadConfigs: []conformance.BadConfig{{Config: "mode: ack\n", Pos: "5:7", Contains: "unknown field `mode`"}},
	})
}

// control records the breaker commands.
type control struct {
	mu  sync.Mutex
	log []string
}

func (c *control) Trigger(string)                                     { c.mu.Lock(); c.log = append(c.log, "trigger"); c.mu.Unlock() }
func (c *control) Restore()                                           { c.mu.Lock(); c.log = append(c.log, "restore"); c.mu.Unlock() }
func (c *control) Stop(int, string)                                   {}
func (c *control) Reply(context.Context, string, []event.Event) error { return nil }

// TestSinkCommands: meta before value; ack before fail; trigger before
// restore, with Tremor's synonyms; no command acks.
func TestSinkCommands(t *testing.T) {
	c := &control{}
	s := &sink{}
	s.SetControl(c)
	msgs := []sdk.Message{
		{Data: event.RecordOf("cb", "ack")},
		{Data: event.RecordOf("cb", "ack"), Meta: event.RecordOf("cb", "fail")},
		{Meta: event.RecordOf("cb", []event.Value{"ack", "open", "fail"})},
		{Data: event.RecordOf("cb", []event.Value{"trigger", "fail"})},
		{Data: event.RecordOf("cb", "close")},
		{Data: "no command"},
	}
	b := &sdk.Batch{Messages: msgs}
	if err := s.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	// Batch.Fail is observed through a runner elsewhere; here, the
	// command parsing.
	for i, want := range []bool{false, true, false, true, false, false} {
		cmds := commands(msgs[i].Data, msgs[i].Meta)
		if failed := !cmds["ack"] && cmds["fail"]; failed != want {
			t.Errorf("message %d: failed %v, want %v", i, failed, want)
		}
	}
	if got := strings.Join(c.log, ","); got != "restore,trigger,trigger" {
		t.Errorf("breaker commands %s", got)
	}
}

// read reads the first input, which holds every line of a small file.
func read(t *testing.T, s *source, lines int) *sdk.Input {
	t.Helper()
	in, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Frames) != lines {
		t.Fatalf("%d frames, want %d", len(in.Frames), lines)
	}
	return in
}

func newTestSource(t *testing.T, lines int, timeout time.Duration, batched bool) (*source, *bytes.Buffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(path, []byte(strings.Repeat("{}\n", lines)), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := newSource(&sourceConfig{Source: path, Timeout: uint64(timeout / time.Millisecond), ExpectBatched: batched}, sdk.Params{})
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*source)
	var stderr bytes.Buffer
	s.stderr = &stderr
	if err := s.Open(context.Background(), component.Env{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, &stderr
}

func TestSourceVerdicts(t *testing.T) {
	t.Run("AllAnswered", func(t *testing.T) {
		s, stderr := newTestSource(t, 5, time.Hour, false)
		in := read(t, s, 5)
		in.Acks.Ack(0, 3)
		in.Acks.Fail(3, 5, "x")
		_, err := s.Read(context.Background())
		if code, ok := sdk.StopCode(err); !ok || code != 0 || stderr.String() != "All required CB events received.\n" {
			t.Errorf("err %v, stderr %q", err, stderr.String())
		}
	})
	t.Run("Missing", func(t *testing.T) {
		s, stderr := newTestSource(t, 4, 50*time.Millisecond, false)
		in := read(t, s, 4)
		in.Acks.Ack(1, 2)
		in.Acks.Fail(3, 4, "x")
		_, err := s.Read(context.Background())
		want := "Expected CB events up to id 3.\nGot acks: [1]\nGot fails: [3]\n"
		if code, ok := sdk.StopCode(err); !ok || code != 1 || stderr.String() != want {
			t.Errorf("err %v, stderr %q, want %q", err, stderr.String(), want)
		}
	})
	t.Run("Twice", func(t *testing.T) {
		s, stderr := newTestSource(t, 2, 50*time.Millisecond, false)
		in := read(t, s, 2)
		in.Acks.Ack(0, 2)
		in.Acks.Ack(1, 2)
		_, err := s.Read(context.Background())
		if code, _ := sdk.StopCode(err); code != 1 || !strings.Contains(stderr.String(), "Answered more than once: [1]") {
			t.Errorf("err %v, stderr %q", err, stderr.String())
		}
	})
	t.Run("Batched", func(t *testing.T) {
		s, _ := newTestSource(t, 3, time.Hour, true)
		in := read(t, s, 3)
		in.Acks.Ack(2, 3)
		_, err := s.Read(context.Background())
		if code, ok := sdk.StopCode(err); !ok || code != 0 {
			t.Errorf("err %v", err)
		}
	})
}
