// Package conformance is the suite every connector runs, against a real
// peer on 127.0.0.1 (a server, a client, a file, a pipe): an offramp acks
// only what the peer has, answers every event exactly once, fails what is
// unconfirmed when the peer goes, reconnects when it comes back, drains
// on shutdown; an onramp delivers what its peer sends, in order, stops
// within one batch while a circuit breaker is open, and stops when asked;
// and both report config errors with file, line and column.
//
// A connector package calls RunSink or RunSource from a test, with a case
// that starts its peer. The package is for tests only.
package conformance

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
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
	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/processor"
	"github.com/temblor-dev/temblor/internal/registry"
)

// BadConfig is a config section that must be refused, and what the
// diagnostic must say: Pos is "line:col" within the file the suite writes
// (the section starts at line 3, column 5, as under `config:` in an
// artefact), Contains a fragment of the message.
type BadConfig struct {
	Config   string
	Pos      string
	Contains string
}

// artefact wraps a config section as an offramp or onramp artefact file,
// so positions are real file positions.
func artefact(kind component.Kind, typ, section string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n  - id: test\n    type: %s\n", kind, typ)
	if strings.TrimSpace(section) != "" {
		b.WriteString("    config:\n")
		for _, line := range strings.Split(strings.TrimRight(section, "\n"), "\n") {
			b.WriteString("      " + line + "\n")
		}
	}
	return b.String()
}

// parse returns the config node of the artefact text (nil when absent)
// and the artefact's own position.
func parse(t *testing.T, text string) (*conf.Node, conf.Where) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("test config is not YAML: %v\n%s", err, text)
	}
	src := &conf.Source{File: "test.yaml", Text: []byte(text)}
	root := conf.FromYAML(src, &doc)
	list, _ := root.Entries[0].Value.Items[0], 0
	owner := conf.Where{Src: src, Span: list.Span}
	cfg, ok := list.Get("config")
	if !ok {
		return nil, owner
	}
	return cfg, owner
}

func checkBadConfigs(t *testing.T, kind component.Kind, typ string, cases []BadConfig) {
	t.Helper()
	if len(cases) == 0 {
		t.Fatalf("%s %s: give at least one bad config: config errors must be positioned", kind, typ)
	}
	for _, c := range cases {
		text := artefact(kind, typ, c.Config)
		node, owner := parse(t, text)
		p := sdk.Params{ID: "test", Instance: "01", URL: "/" + string(kind) + "/test/01"}
		var errs diag.List
		if kind == component.Offramp {
			_, errs = sdk.NewSink(typ, node, p, sdk.BuildOptions{Owner: owner})
		} else {
			_, errs = sdk.NewSource(typ, node, p, sdk.BuildOptions{Owner: owner})
		}
		if !errs.HasErrors() {
			t.Errorf("config accepted:\n%s", text)
			continue
		}
		got := errs.Error()
		want := "test.yaml:" + c.Pos + ": "
		if !strings.Contains(got, want) || !strings.Contains(got, c.Contains) {
			t.Errorf("config\n%s\ngave\n%s\nwant a diagnostic at %s containing %q", text, got, want, c.Contains)
		}
		if !regexp.MustCompile(`test\.yaml:\d+:\d+: `).MatchString(got) {
			t.Errorf("diagnostic without file:line:col: %s", got)
		}
	}
}

// Logger is a logger for connectors under test that writes to the test
// log only when the test fails.
func Logger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func env(t *testing.T, url string) component.Env {
	return component.Env{URL: url, Logger: Logger(t), Metrics: prometheus.NewRegistry(), DataDir: t.TempDir()}
}

func stringCodec(t *testing.T) codec.Codec {
	t.Helper()
	s, err := codec.Registry.Get("string")
	if err != nil {
		t.Fatal(err)
	}
	return s.New()
}

// processors resolves processor names (nil for none).
func processors(t *testing.T, table *registry.Table[processor.Spec], names []string) []processor.Spec {
	t.Helper()
	var out []processor.Spec
	for _, n := range names {
		s, err := table.Get(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// WaitFor polls cond until it holds, failing the test after 20 s.
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// upstream records the contraflow an offramp sends: per event sequence,
// every answer.
type upstream struct {
	mu                 sync.Mutex
	acks, fails        map[uint64]int
	triggers, restores int
	// onAck runs (under mu) for each acked sequence, at the time of the
	// ack.
	onAck func(seq uint64)
}

func newUpstream() *upstream {
	return &upstream{acks: map[uint64]int{}, fails: map[uint64]int{}}
}

func (u *upstream) Contraflow(in event.Insight) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch in.Action {
	case event.ActTrigger:
		u.triggers++
	case event.ActRestore:
		u.restores++
	case event.ActAck, event.ActFail:
		for i := range in.IDs.Len() {
			r := in.IDs.At(i)
			for s := r.Start; s <= r.End; s++ {
				if in.Action == event.ActAck {
					u.acks[s]++
					if u.onAck != nil {
						u.onAck(s)
					}
				} else {
					u.fails[s]++
				}
			}
		}
	}
}

func (u *upstream) answered() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.acks) + len(u.fails)
}

func (u *upstream) counts() (acked, failed, triggers, restores int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.acks), len(u.fails), u.triggers, u.restores
}

// exactlyOnce checks that sequences [0, n) were each answered exactly once.
func (u *upstream) exactlyOnce(t *testing.T, n uint64) {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	for s := uint64(0); s < n; s++ {
		if got := u.acks[s] + u.fails[s]; got != 1 {
			t.Errorf("event %d was answered %d times (%d acks, %d fails), want once", s, got, u.acks[s], u.fails[s])
		}
	}
}

type sdkProcessor = processor.Spec

func preprocessor(t *testing.T, name string) processor.Spec {
	t.Helper()
	s, err := processor.Pre.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
