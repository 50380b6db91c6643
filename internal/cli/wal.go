package cli

import (
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
func (c *WalInspectCmd) Run(g *Globals) error { return waltool.Inspect(g.Stdout(), c.Dir, c.JSON) }

// WalExportCmd implements `temblor wal export`.
type WalExportCmd struct {
	Dir          string `arg:"" help:"WAL directory." type:"existingdir"`
	From         uint64 `help:"First sequence number to export." default:"0"`
	IncludeAcked bool   `help:"Also export records already acknowledged but not yet removed."`
}

// Run implements the command.
func (c *WalExportCmd) Run(g *Globals) error {
	return waltool.Export(g.Stdout(), c.Dir, c.From, c.IncludeAcked)
}

// WalCheckCmd implements `temblor wal check`.
type WalCheckCmd struct {
	Dir string `arg:"" help:"WAL directory." type:"existingdir"`
}

// Run implements the command.
func (c *WalCheckCmd) Run(g *Globals) error {
	healthy, err := waltool.Check(g.Stdout(), c.Dir)
	if err != nil {
		return err
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
func (c *WalRepairCmd) Run(g *Globals) error { return waltool.Repair(g.Stdout(), c.Dir, c.Apply) }
