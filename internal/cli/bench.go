package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/temblor-dev/temblor/internal/benchrun"
)

// BenchCmd runs the standard performance scenarios through the engine.
type BenchCmd struct {
	Events    int      `help:"Events per scenario (the multi-pipeline scenarios split them; Tremor's read a quarter, being 8× larger). Figures are meaningful from 200000." default:"1000000"`
	Runs      int      `help:"Interleaved rounds; the table shows each figure's median." default:"3"`
	Scenarios []string `help:"Scenarios to run (comma-separated; default all): ${bench_scenarios}." placeholder:"NAME"`
	Peers     []string `help:"Peer systems to run beside them (comma-separated; default all that are installed, 'none' for none): ${bench_peers}." placeholder:"NAME"`
	JSON      bool     `name:"json" help:"Print the report as JSON (every run's figures) instead of tables."`

	Engine      string        `help:"The temblor binary to measure (default: this one), e.g. a build of another branch." type:"path" placeholder:"PATH"`
	WorkDir     string        `help:"Where run directories go; must be on the disk you want measured (not tmpfs). Default: the system temp dir." type:"path" placeholder:"DIR"`
	Keep        bool          `help:"Keep the run directories (engine logs, WALs) for inspection."`
	Warmup      float64       `help:"Fraction of each run's events not measured (warm-up)." default:"0.1"`
	TremorSrc   string        `help:"Tremor 0.11.12's source tree, for its real-workflow-throughput-json pipelines (read, never copied)." env:"TREMOR_SRC" placeholder:"DIR"`
	Peerbench   string        `help:"The peer benchmark configurations (default: shared/peerbench in a parent directory)." env:"TEMBLOR_PEERBENCH" placeholder:"DIR"`
	Benthos     string        `help:"The Benthos peer binary (peerbench's run.sh build makes it)." env:"PEER" default:"/tmp/peer/bin/peer" placeholder:"PATH"`
	Rsyslogd    string        `help:"The rsyslogd binary." default:"rsyslogd" placeholder:"PATH"`
	LatencyRate int           `help:"Events per second of the latency scenario." default:"10000"`
	LatencyFor  time.Duration `help:"How long the latency scenario is measured (after a 1 s warm-up)." default:"5s"`
	Fsyncs      int           `help:"Raw fdatasync samples per round." default:"2000"`
	WriteEvents string        `help:"Only write the standard input (--events events, one JSON object per line) to FILE and exit: the input of bench/<scenario>/deploy.yaml run by hand." type:"path" placeholder:"FILE"`
	TableFrom   string        `help:"Only print the tables of a report saved with --json (e.g. for docs) and exit." type:"existingfile" placeholder:"FILE"`
}

// Run implements the command.
func (c *BenchCmd) Run(g *Globals) error {
	if c.TableFrom != "" {
		data, err := os.ReadFile(c.TableFrom)
		if err != nil {
			return &exitError{code: 2, msg: "temblor: " + err.Error()}
		}
		var rep benchrun.Report
		if err := json.Unmarshal(data, &rep); err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("temblor: %s is not a report of temblor bench --json: %v", c.TableFrom, err)}
		}
		rep.WriteTable(g.Stdout())
		return nil
	}
	if c.WriteEvents != "" {
		if c.Events < 1 {
			return &exitError{code: 2, msg: fmt.Sprintf("temblor: --events %d: give at least 1", c.Events)}
		}
		f, err := os.Create(c.WriteEvents)
		if err != nil {
			return &exitError{code: 2, msg: "temblor: " + err.Error()}
		}
		if err := benchrun.WriteEvents(f, c.Events); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	o := benchrun.DefaultOptions()
	o.Events, o.Runs, o.Warmup = c.Events, c.Runs, c.Warmup
	o.Scenarios, o.Peers = splitList(c.Scenarios), splitList(c.Peers)
	o.WorkDir, o.Keep, o.TremorSrc = c.WorkDir, c.Keep, c.TremorSrc
	o.PeerBench, o.Benthos, o.Rsyslogd = c.Peerbench, c.Benthos, c.Rsyslogd
	o.LatencyRate, o.LatencyDuration, o.Fsyncs = c.LatencyRate, c.LatencyFor, c.Fsyncs
	o.Progress = g.stderr
	o.Engine = c.Engine
	if o.Engine == "" {
		exe, err := os.Executable()
		if err != nil {
			return &exitError{code: 2, msg: "temblor: cannot find this binary to run as the engine (" + err.Error() + "); give --engine"}
		}
		o.Engine = exe
	}
	if o.PeerBench == "" {
		o.PeerBench = findPeerbench()
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	rep, err := benchrun.Run(ctx, o)
	if err != nil {
		var ue *benchrun.UsageError
		if errors.As(err, &ue) {
			return &exitError{code: 2, msg: "temblor bench: " + ue.Msg}
		}
		return fmt.Errorf("bench: %w", err)
	}
	if c.JSON {
		if err := rep.WriteJSON(g.Stdout()); err != nil {
			return err
		}
	} else {
		rep.WriteTable(g.Stdout())
	}
	if len(rep.Errors) > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("temblor bench: %d runs failed (see above)", len(rep.Errors))}
	}
	return nil
}

// splitList accepts both --x a,b and --x a --x b.
func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// findPeerbench looks for shared/peerbench in the working directory's
// parents (the project keeps it beside the repository).
func findPeerbench() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "shared", "peerbench")
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
