package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/temblor-dev/temblor/internal/api"
	"github.com/temblor-dev/temblor/internal/config"
	"github.com/temblor-dev/temblor/internal/pipeline"
	"github.com/temblor-dev/temblor/internal/pipeline/op"
	"github.com/temblor-dev/temblor/internal/runtime"

	// Every built-in component.
	_ "github.com/temblor-dev/temblor/internal/builtin"
)

// DefaultDataDir is where persistent state lives unless --data-dir says
// otherwise: ./temblor-data beside where the server is started, so a
// restart from the same place finds its WALs again.
const DefaultDataDir = "temblor-data"

// ServerRunCmd runs a deployment.
type ServerRunCmd struct {
	Files           []string      `short:"f" name:"file" help:"Artefact files (.yaml/.yml), pipelines (.trickle) or directories holding them; repeatable, any order." placeholder:"FILE"`
	Args            []string      `arg:"" optional:"" help:"More files (so that -f etc/tremor/config/* works after shell globbing)." placeholder:"FILE"`
	DataDir         string        `help:"Directory for persistent state (WALs without a dir of their own); created if missing. Default: ${default_data_dir} in the working directory." default:"${default_data_dir}" env:"TEMBLOR_DATA_DIR" placeholder:"DIR"`
	ShutdownTimeout time.Duration `help:"How long a graceful shutdown may take before in-flight work is failed (it stays in the WAL)." default:"10s"`
	Validate        bool          `help:"Load and check everything (artefacts, pipelines, links, connector configs), print a summary and exit without running."`
	Strict          bool          `help:"Refuse connector config fields the connector does not know (by default they are warnings and ignored, as Tremor ignored them)."`
	ModulePath      []string      `help:"Directories where 'use' in a pipeline finds modules, before $TREMOR_PATH and the standard library (repeatable)." placeholder:"DIR"`
	MetricsAddr     string        `help:"Serve Prometheus metrics at http://ADDR/metrics (PORT or :PORT listens on 127.0.0.1; give a host to listen elsewhere). Off unless given." env:"TEMBLOR_METRICS_ADDR" placeholder:"ADDR"`
}

// Run implements the command.
func (c *ServerRunCmd) Run(g *Globals) error {
	if len(c.Files) == 0 && len(c.Args) == 0 {
		return &exitError{code: 2, msg: "temblor: no artefacts to run: name the YAML files, .trickle files or directories holding them with -f, e.g.\n  temblor server run -f etc/tremor/config/"}
	}
	// Signals are caught before anything is built: a SIGTERM while WALs are
	// opened and verified stops the engine gracefully instead of killing it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		g.logger.Info("signal received: shutting down gracefully (send it again to exit at once)", "signal", s.String())
		cancel()
		if s, ok := <-sigs; ok {
			fmt.Fprintf(g.stderr, "temblor: second %s: exiting at once; unacknowledged events stay in the WAL\n", s)
			os.Exit(130)
		}
	}()
	files, err := config.Collect(append(append([]string(nil), c.Files...), c.Args...))
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	dep, err := config.Load(files)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	dataDir, err := filepath.Abs(c.DataDir)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	op.RegisterMetrics(reg)
	pipeline.RegisterMetrics(reg)
	rt, err := runtime.Build(dep, runtime.Options{DataDir: dataDir, Logger: g.logger, Registry: reg, ShutdownTimeout: c.ShutdownTimeout, Validate: c.Validate, ModulePath: c.ModulePath, StrictConfig: c.Strict})
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	if c.Validate {
		fmt.Fprintf(g.Stdout(), "ok: %d files: %d onramps, %d offramps, %d bindings, %d mappings, %d pipelines; instances: %s\n",
			len(files), len(dep.Onramps), len(dep.Offramps), len(dep.Bindings), len(dep.Mappings), len(dep.Pipelines), strings.Join(rt.Pipelines(), ", "))
		rt.Close()
		return nil
	}
	g.logger.Info("temblor started", "files", len(files), "data_dir", dataDir, "pid", os.Getpid())
	if c.MetricsAddr != "" {
		srv, err := api.Serve(c.MetricsAddr, reg, g.logger)
		if err != nil {
			rt.Close()
			return &exitError{code: 2, msg: "temblor: " + err.Error()}
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Close(ctx)
		}()
	}

	err = rt.Run(ctx)
	var ee *runtime.ExitError
	if errors.As(err, &ee) {
		return &exitError{code: ee.Code, msg: "temblor: " + ee.Error()}
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
