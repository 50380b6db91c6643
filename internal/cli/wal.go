package cli

import (
	"bufio"
	"errors"
	"fmt"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline/op"
	"github.com/temblor-dev/temblor/internal/wal"
	"github.com/temblor-dev/temblor/internal/waltool"
)

// WalCmd groups the offline WAL tools. Each takes the directory's lock, so
// it refuses to touch a WAL that a running engine holds.
type WalCmd struct {
	Inspect WalInspectCmd `cmd:"" help:"Show a WAL's segments, sequence range, acked cursor, sizes and any corruption."`
	Export  WalExportCmd  `cmd:"" help:"Write a WAL's records as JSON lines (lossless: base64 payloads)."`
	Check   WalCheckCmd   `cmd:"" help:"Verify a WAL; exit status 0 when healthy, 1 when not."`
	Repair  WalRepairCmd  `cmd:"" help:"Print the repair plan for a damaged WAL; apply it only with --apply."`
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
		return toolError(waltool.Export(g.Stdout(), c.Dir, c.From, c.IncludeAcked))
	}
	w := bufio.NewWriter(g.Stdout())
	defer w.Flush()
	_, err := wal.InspectDir(c.Dir, func(rep *wal.Report, seg string, rec wal.Record) error {
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
		return &exitError{code: 1, msg: "temblor: the WAL is damaged; `temblor wal repair " + c.Dir + "` shows what a repair would do"}
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

// toolError turns the errors that mean "wrong directory" into clear exits:
// a WAL an engine holds (1, naming whom to stop) and a directory that holds
// no WAL (2, a usage error that lists the WALs below it).
func toolError(err error) error {
	var le *wal.LockedError
	var nw *wal.NotWALDirError
	switch {
	case errors.As(err, &le):
		who := "the engine that uses it"
		if le.Pid > 0 {
			who = fmt.Sprintf("process %d", le.Pid)
		}
		return &exitError{code: 1, msg: fmt.Sprintf("temblor: %v\n  hint: the wal tools work offline, on a WAL no engine holds: stop %s first", err, who)}
	case errors.As(err, &nw):
		return &exitError{code: 2, msg: "temblor: " + err.Error()}
	}
	return err
}
