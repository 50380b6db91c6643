package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline/op"
	"github.com/temblor-dev/temblor/internal/wal"
	"github.com/temblor-dev/temblor/internal/waltool"
)

// Exit codes of the wal tools (docs/wal.md lists them too).
const (
	exitWALDamaged = 1 // findings: damage or missing records (export: some records skipped)
	exitUsage      = 2 // not a WAL directory, or bad arguments
	exitWALInUse   = 3 // a running engine (or another tool) holds the WAL
	exitWALError   = 4 // the WAL could not be read (permissions, I/O errors)
)

const walExitCodes = "Exit status: 0 healthy; 1 damaged (damage or missing records found); 2 not a WAL directory or bad arguments; 3 in use by a running engine; 4 could not be read."

// WalCmd groups the offline WAL tools. Each takes the directory's lock, so
// it refuses to touch a WAL that a running engine holds.
type WalCmd struct {
	Inspect WalInspectCmd `cmd:"" help:"Show a WAL's segments, sequence range, acked cursor, sizes and every finding (segment, byte range, sequence range, records lost). Exit status 0 also when damaged (use check); 2, 3, 4 as for check."`
	Export  WalExportCmd  `cmd:"" help:"Write a WAL's records as JSON lines (lossless: base64 payloads). On a damaged WAL it writes every record that verifies, lists what it skipped on stderr and exits 1; 2, 3, 4 as for check."`
	Check   WalCheckCmd   `cmd:"" help:"Verify every record of a WAL. ${wal_exit_codes}"`
	Repair  WalRepairCmd  `cmd:"" help:"Print the repair plan for a damaged WAL; apply it only with --apply (then exit 0 when it checks healthy, 1 when not; 2, 3, 4 as for check)."`
}

// WalInspectCmd implements `temblor wal inspect`.
type WalInspectCmd struct {
	Dir  string `arg:"" help:"WAL directory." type:"existingdir"`
	JSON bool   `help:"Print JSON instead of text."`
}

// Run implements the command.
func (c *WalInspectCmd) Run(g *Globals) error {
	return toolError(waltool.Inspect(g.Stdout(), c.Dir, c.JSON))
}

// WalExportCmd implements `temblor wal export`.
type WalExportCmd struct {
	Dir          string `arg:"" help:"WAL directory." type:"existingdir"`
	From         uint64 `help:"First sequence number to export." default:"0"`
	IncludeAcked bool   `help:"Also export records already acknowledged but not yet removed."`
	Events       bool   `help:"Decode the records as the events a qos::wal stored: {seq, ingest_ns, origin, data, meta} per line."`
}

// Run implements the command.
func (c *WalExportCmd) Run(g *Globals) error {
	if !c.Events {
		return toolError(waltool.Export(g.Stdout(), stderrOf(g), c.Dir, c.From, c.IncludeAcked))
	}
	w := bufio.NewWriter(g.Stdout())
	defer w.Flush()
	err := waltool.ExportWith(stderrOf(g), c.Dir, func(rep *wal.Report, seg string, rec wal.Record) error {
		if rec.Seq < c.From || (rec.Seq <= rep.Acked && !c.IncludeAcked) {
			return nil
		}
		ev, err := op.DecodeStored(rec.Data)
		if err != nil {
			return fmt.Errorf("record %d in %s is not a stored event (%v); export it without --events", rec.Seq, seg, err)
		}
		line := event.RecordOf("seq", rec.Seq, "ingest_ns", ev.IngestNS, "origin", ev.Origin, "data", ev.Data, "meta", ev.Meta)
		_, err = w.Write(append(event.AppendJSON(nil, line), '\n'))
		return err
	})
	return toolError(err)
}

func stderrOf(g *Globals) io.Writer {
	if g.stderr == nil {
		return os.Stderr
	}
	return g.stderr
}

// WalCheckCmd implements `temblor wal check`.
type WalCheckCmd struct {
	Dir string `arg:"" help:"WAL directory." type:"existingdir"`
}

// Run implements the command.
func (c *WalCheckCmd) Run(g *Globals) error {
	healthy, err := waltool.Check(g.Stdout(), c.Dir)
	if err != nil {
		return toolError(err)
	}
	if !healthy {
		return &exitError{code: exitWALDamaged, msg: "temblor: the WAL is damaged; `temblor wal repair " + c.Dir + "` shows what a repair would do"}
	}
	return nil
}

// WalRepairCmd implements `temblor wal repair`.
type WalRepairCmd struct {
	Dir   string `arg:"" help:"WAL directory." type:"existingdir"`
	Apply bool   `help:"Carry out the plan (without it, nothing is changed)."`
}

// Run implements the command.
func (c *WalRepairCmd) Run(g *Globals) error {
	return toolError(waltool.Repair(g.Stdout(), c.Dir, c.Apply))
}

// toolError turns the wal tools' errors into exits: damage (1), a
// directory that holds no WAL (2, a usage error that lists the WALs
// below it), a WAL an engine holds (3, naming whom to stop), and anything
// else that kept the tool from reading the WAL (4).
func toolError(err error) error {
	if err == nil {
		return nil
	}
	var le *wal.LockedError
	var nw *wal.NotWALDirError
	var de *waltool.DamagedError
	switch {
	case errors.As(err, &de):
		return &exitError{code: exitWALDamaged, msg: "temblor: " + err.Error()}
	case errors.As(err, &le):
		who := "the engine that uses it"
		if le.Pid > 0 {
			who = fmt.Sprintf("process %d", le.Pid)
		}
		return &exitError{code: exitWALInUse, msg: fmt.Sprintf("temblor: %v\n  hint: the wal tools work offline, on a WAL no engine holds: stop %s first", err, who)}
	case errors.As(err, &nw):
		return &exitError{code: exitUsage, msg: "temblor: " + err.Error()}
	}
	return &exitError{code: exitWALError, msg: "temblor: " + err.Error()}
}
