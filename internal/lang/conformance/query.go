package conformance

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/temblor-dev/temblor/internal/diag"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/compiler"
	"github.com/temblor-dev/temblor/internal/pipeline"
	_ "github.com/temblor-dev/temblor/internal/pipeline/op" // the operators
)

// The trickle suites: tests/queries (events in, events out),
// tests/query_errors (the error building the pipeline) and
// tests/query_warnings.
const (
	Queries       = "queries"
	QueryErrors   = "query_errors"
	QueryWarnings = "query_warnings"
)

// QuerySuites in report order.
var QuerySuites = []string{Queries, QueryErrors, QueryWarnings}

func isQuerySuite(s string) bool { return s == Queries || s == QueryErrors || s == QueryWarnings }

func init() {
	harness[Queries] = "query.rs"
	harness[QueryErrors] = "query_error.rs"
	harness[QueryWarnings] = "query_warning.rs"
}

// RunQuery runs one case of a trickle suite as Tremor's harness did: the
// query is built into a pipeline (module path: the case's directory, then
// the standard library), the events of `in` enter it with ingest times
// 0, 1, 2, ... and without ticks, and what every output port emits is
// compared with `out`, in order.
func RunQuery(root, suite, name string) Result {
	r := Result{Suite: suite, Case: name}
	rel := "tests/" + suite + "/" + name + "/"
	dir := filepath.Join(root, filepath.FromSlash(rel))
	text, err := os.ReadFile(filepath.Join(dir, "query.trickle"))
	if err != nil {
		r.Detail = err.Error()
		return r
	}
	opts := lang.Options{ModulePath: []compiler.Mount{{Name: rel, Dir: dir}}, LibName: "tremor-script/lib/"}
	tmp, err := os.MkdirTemp("", "temblor-conformance-")
	if err != nil {
		r.Detail = err.Error()
		return r
	}
	defer os.RemoveAll(tmp)
	p, berr := buildQuery(rel+"query.trickle", text, opts, tmp)
	switch suite {
	case QueryErrors:
		if berr == nil {
			p.Close()
			r.Detail = "expected an error, built fine"
			return r
		}
		if re, err := os.ReadFile(filepath.Join(dir, "error.re")); err == nil {
			pat, err := regexp.Compile(strings.TrimSpace(string(re)))
			if err != nil {
				r.Detail = err.Error()
				return r
			}
			msg := berr.Error()
			if l := diag.As(berr); len(l) > 0 {
				msg = l[0].Msg
			}
			if !pat.MatchString(msg) {
				r.Detail = fmt.Sprintf("--- got\n%s\n--- want (regexp)\n%s", msg, pat)
				return r
			}
			r.Pass = true
			return r
		}
		want, err := os.ReadFile(filepath.Join(dir, "error.txt"))
		if err != nil {
			r.Detail = err.Error()
			return r
		}
		got := render(berr)
		if !strings.HasPrefix(strings.TrimSpace(string(want)), "Error:") {
			// Tremor printed errors of the pipeline layer as their bare
			// message; temblor positions them too, and the message must
			// be the same.
			if l := diag.As(berr); len(l) > 0 {
				got = l[0].Msg
			}
		}
		return compareText(r, got, string(want))
	case QueryWarnings:
		if berr != nil {
			r.Detail = "error:\n" + render(berr)
			return r
		}
		defer p.Close()
		var parts []string
		for _, w := range p.Warnings() {
			parts = append(parts, w.RenderTremor())
		}
		want, err := os.ReadFile(filepath.Join(dir, "warning.txt"))
		if err != nil {
			r.Detail = err.Error()
			return r
		}
		return compareText(r, strings.Join(parts, "\n"), string(want))
	}
	if berr != nil {
		r.Detail = "error:\n" + render(berr)
		return r
	}
	in, err := loadEvents(filepath.Join(dir, "in"))
	if err != nil {
		p.Close()
		r.Detail = err.Error()
		return r
	}
	want, err := loadEvents(filepath.Join(dir, "out"))
	if err != nil {
		p.Close()
		r.Detail = err.Error()
		return r
	}
	got, err := runPipeline(p, in)
	if err != nil {
		r.Detail = err.Error()
		return r
	}
	if len(got) != len(want) {
		var b strings.Builder
		for _, g := range got {
			b.WriteString("\n  " + Sorted(g))
		}
		r.Detail = fmt.Sprintf("%d results, expected %d:%s", len(got), len(want), b.String())
		return r
	}
	for i := range got {
		g, w := Sorted(got[i]), Sorted(want[i])
		if g != w {
			r.Detail = fmt.Sprintf("event %d:\n got  %s\n want %s", i, g, w)
			return r
		}
	}
	r.Pass = true
	return r
}

func compareText(r Result, got, want string) Result {
	g, w := strings.TrimSpace(got), strings.TrimSpace(want)
	if g == w {
		r.Pass = true
		return r
	}
	r.Detail = "--- got\n" + g + "\n--- want\n" + w
	return r
}

func buildQuery(name string, text []byte, opts lang.Options, dataDir string) (*pipeline.Pipeline, error) {
	q, err := lang.ParseQuery(name, text, opts)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return pipeline.Build(q, "/pipeline/test/01", pipeline.BuildEnv{DataDir: dataDir, Logger: log,
		Options: pipeline.Options{NoTicks: true, Logger: log}})
}

// collector records what the pipeline's outputs emit, in order.
type collector struct {
	mu   sync.Mutex
	port string
	out  *[]event.Value
}

func (c *collector) Send(_ context.Context, b *event.Batch, _ pipeline.Upstream) error {
	c.mu.Lock()
	for i := range b.Events {
		*c.out = append(*c.out, b.Events[i].Data)
	}
	c.mu.Unlock()
	return nil
}

func (c *collector) Name() string { return "collector/" + c.port }

// runPipeline sends the events through p (ingest time = index) and
// returns what its output ports emitted; p is stopped afterwards.
func runPipeline(p *pipeline.Pipeline, in []event.Value) ([]event.Value, error) {
	var out []event.Value
	for _, port := range p.Ports() {
		if err := p.Connect(port, &collector{port: port, out: &out}); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	for i, data := range in {
		ev := &event.Event{ID: event.One(0, 0, uint64(i)), IngestNS: uint64(i), Data: data, Meta: event.NewRecord(0)}
		if err := p.Send(ctx, event.BatchOf(ev), nil); err != nil {
			return nil, err
		}
		if err := p.Sync(ctx); err != nil {
			return nil, err
		}
	}
	return out, nil
}
