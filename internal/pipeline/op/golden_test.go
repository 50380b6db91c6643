package op_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/compiler"
	"github.com/temblor-dev/temblor/internal/pipeline"
	_ "github.com/temblor-dev/temblor/internal/pipeline/op"
)

var update = flag.Bool("update", false, "rewrite testdata/trickle/*/expected.txt from the current output")

// TestTrickleGolden runs every testdata/trickle/<case>/ folder: the query
// (query.trickle, modules from the folder) is built — its error or
// warnings shown — and the JSON lines of `in` enter it as transactional
// events with ingest times 0, 1, 2, ... and no ticks; every output port is
// linked to a sink that acks (or, for ports named in a `fail` file,
// fails) what it gets. expected.txt lists what each port emitted, in
// order, then how every input event was answered. Regenerate with
// go test ./internal/pipeline/op -run TrickleGolden -update
func TestTrickleGolden(t *testing.T) {
	dirs, err := filepath.Glob("../../../testdata/trickle/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := trickleCase(t, dir)
			exp := filepath.Join(dir, "expected.txt")
			if *update {
				if err := os.WriteFile(exp, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(exp)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", exp, got, want)
			}
		})
	}
}

func renderDiag(err error) string {
	if l := diag.As(err); len(l) > 0 {
		var b strings.Builder
		for _, d := range l {
			b.WriteString(strings.TrimRight(d.Render(), "\n") + "\n")
		}
		return b.String()
	}
	return err.Error() + "\n"
}

// ackingSink records what a port emits and answers it.
type ackingSink struct {
	mu   *sync.Mutex
	port string
	fail bool
	out  *strings.Builder
}

func (s *ackingSink) Name() string { return "sink/" + s.port }

func (s *ackingSink) Send(_ context.Context, b *event.Batch, back pipeline.Upstream) error {
	s.mu.Lock()
	for i := range b.Events {
		for _, v := range b.Events[i].BatchValues() {
			fmt.Fprintf(s.out, "%s\t%s\n", s.port, event.AppendJSON(nil, v))
		}
	}
	s.mu.Unlock()
	if ids := b.TransactionalIDs(); !ids.IsZero() {
		in := event.Insight{Action: event.ActAck, IDs: ids}
		if s.fail {
			in = event.Insight{Action: event.ActFail, IDs: ids, Reason: "sink failed"}
		}
		back.Contraflow(in)
	}
	return nil
}

// answers records the answers that reach the source.
type answers struct {
	mu  sync.Mutex
	got map[uint64]string
}

func (a *answers) Contraflow(in event.Insight) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for r := range in.IDs.Events() {
		switch in.Action {
		case event.ActAck:
			a.got[r.Start] += "ack "
		case event.ActFail:
			a.got[r.Start] += "fail "
		}
	}
}

func trickleCase(t *testing.T, dir string) string {
	text, err := os.ReadFile(filepath.Join(dir, "query.trickle"))
	if err != nil {
		t.Fatal(err)
	}
	opts := lang.Options{ModulePath: []compiler.Mount{compiler.DirMount(dir)}}
	q, err := lang.ParseQuery("query.trickle", text, opts)
	if err != nil {
		return renderDiag(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := pipeline.Build(q, "/pipeline/golden/01", pipeline.BuildEnv{DataDir: t.TempDir(), Logger: log,
		Options: pipeline.Options{NoTicks: true, Logger: log}})
	if err != nil {
		return renderDiag(err)
	}
	var out strings.Builder
	for _, w := range p.Warnings() {
		out.WriteString(strings.TrimRight(w.Render(), "\n") + "\n")
	}
	failPorts := map[string]bool{}
	if b, err := os.ReadFile(filepath.Join(dir, "fail")); err == nil {
		for _, f := range strings.Fields(string(b)) {
			failPorts[f] = true
		}
	}
	var mu sync.Mutex
	var emitted strings.Builder
	for _, port := range p.Ports() {
		if err := p.Connect(port, &ackingSink{mu: &mu, port: port, fail: failPorts[port], out: &emitted}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	up := &answers{got: map[uint64]string{}}
	// A fixed source ID, far above those NewSourceID hands out: debug::history
	// prints it, and the golden must not depend on which tests ran before.
	src := event.SourceID(1 << 40)
	f, err := os.Open(filepath.Join(dir, "in"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := uint64(0)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		v, err := event.ParseJSON(line)
		if err != nil {
			t.Fatal(err)
		}
		ev := &event.Event{ID: event.One(src, 0, n), IngestNS: n, Data: v, Meta: event.NewRecord(0), Transactional: true}
		if err := p.Send(ctx, event.BatchOf(ev), up); err != nil {
			t.Fatal(err)
		}
		if err := p.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		n++
	}
	cancel()
	<-done
	out.WriteString(emitted.String())
	up.mu.Lock()
	defer up.mu.Unlock()
	var seqs []uint64
	for s := range up.got {
		seqs = append(seqs, s)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	out.WriteString("answers:")
	for i := uint64(0); i < n; i++ {
		a := strings.TrimSpace(up.got[i])
		if a == "" {
			a = "none"
		}
		fmt.Fprintf(&out, " %d=%s", i, a)
	}
	out.WriteString("\n")
	return out.String()
}

// TestTrickleDoc builds every ```trickle block of docs/language.md into a
// pipeline, so the examples stay true.
func TestTrickleDoc(t *testing.T) {
	b, err := os.ReadFile("../../../docs/language.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```trickle\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	if len(blocks) < 3 {
		t.Fatalf("only %d trickle blocks in docs/language.md", len(blocks))
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i, m := range blocks {
		q, err := lang.ParseQuery(fmt.Sprintf("block%d.trickle", i+1), []byte(m[1]), lang.Options{})
		if err != nil {
			t.Errorf("block %d:\n%s%s", i+1, m[1], renderDiag(err))
			continue
		}
		p, err := pipeline.Build(q, "/pipeline/doc/01", pipeline.BuildEnv{DataDir: t.TempDir(), Logger: log, Options: pipeline.Options{Logger: log}})
		if err != nil {
			t.Errorf("block %d:\n%s%s", i+1, m[1], renderDiag(err))
			continue
		}
		p.Close()
	}
}
