// Package cli holds temblor's command-line interface: the kong command tree
// and each subcommand's Run. It only wires flags to the packages that do the
// work; it must never hold engine logic itself.
package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/temblor-dev/temblor/internal/benchrun"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = "dev"

// Globals are flags shared by every command.
type Globals struct {
	LogLevel  string `help:"Log level: debug, info, warn or error." enum:"debug,info,warn,error" default:"info" env:"TEMBLOR_LOG_LEVEL"`
	LogFormat string `help:"Log format: text or json." enum:"text,json" default:"text" env:"TEMBLOR_LOG_FORMAT"`

	stdout io.Writer
	stderr io.Writer
	logger *slog.Logger
}

// CLI is the command tree.
type CLI struct {
	Globals

	Server  ServerCmd  `cmd:"" help:"Run a Tremor 0.11 deployment."`
	Run     RunCmd     `cmd:"" help:"Run a tremor-script over events: temblor run script.tremor -i events.json"`
	Wal     WalCmd     `cmd:"" help:"Inspect, export, check and repair WAL directories (offline)."`
	Bench   BenchCmd   `cmd:"" help:"Measure the standard scenarios through the engine binary (throughput, CPU, allocations, latency) beside peer systems."`
	Doc     DocCmd     `cmd:"" help:"Write the reference pages (connectors, codecs, processors, operators) from the component specs."`
	Version VersionCmd `cmd:"" help:"Print the version."`

	Conformance ConformanceCmd `cmd:"" hidden:"" help:"Run Tremor 0.11.12's tremor-script test suites from a Tremor source tree and print pass counts."`
}

// ServerCmd groups the server subcommands.
type ServerCmd struct {
	Run ServerRunCmd `cmd:"" help:"Run YAML artefacts and .trickle pipelines: temblor server run -f etc/tremor/config/*"`
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run implements the command.
func (VersionCmd) Run(g *Globals) error {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	fmt.Fprintf(g.stdout, "temblor %s (Tremor 0.11 compatible)\n", v)
	return nil
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Main parses args and runs the chosen command; it returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	var c CLI
	c.stdout, c.stderr = stdout, stderr
	exit := -1
	parser, err := kong.New(&c,
		kong.Name("temblor"),
		kong.Description("An event-processing engine that runs Tremor 0.11 deployments and loses no event."),
		kong.UsageOnError(),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exit = code }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Vars{"default_data_dir": DefaultDataDir, "wal_exit_codes": walExitCodes,
			"bench_scenarios": strings.Join(benchrun.ScenarioNames(), ", "), "bench_peers": strings.Join(benchrun.PeerNames(), ", ")},
	)
	if err != nil {
		fmt.Fprintln(stderr, "temblor:", err)
		return 2
	}
	kctx, err := parser.Parse(args)
	if exit >= 0 {
		return exit
	}
	if err != nil {
		fmt.Fprintf(stderr, "temblor: %v\n", err)
		return 2
	}
	c.logger = newLogger(stderr, c.LogLevel, c.LogFormat)
	slog.SetDefault(c.logger)
	if err := kctx.Run(&c.Globals); err != nil {
		var ec *exitError
		if errors.As(err, &ec) {
			if msg := err.Error(); msg != "" {
				fmt.Fprintln(stderr, msg)
			}
			return ec.ExitCode()
		}
		fmt.Fprintf(stderr, "temblor: %v\n", err)
		return 1
	}
	return 0
}

// exitError carries an exit status and a message already meant for users.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) ExitCode() int { return e.code }

// Stdout is where commands print results.
func (g *Globals) Stdout() io.Writer {
	if g.stdout == nil {
		return os.Stdout
	}
	return g.stdout
}
