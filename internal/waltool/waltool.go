// Package waltool holds the offline WAL tools behind `temblor wal`:
// inspect, export, check and repair. They take the directory's lock, so
// they refuse to touch a WAL that a running engine holds, and they change
// nothing unless Repair is told to apply its plan.
package waltool

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/wal"
)

// DamagedError says that a WAL has findings (damage, missing records): a
// tool that did its work on it (export) still returns it, so that callers
// notice.
type DamagedError struct {
	Dir         string
	Findings    int
	LostRecords uint64
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("%s is damaged: %d findings, %d undelivered records lost", e.Dir, e.Findings, e.LostRecords)
}

// Inspect prints a WAL's segments, sequence range, acked cursor, sizes and
// every finding: segment, byte range, sequence range and records lost.
func Inspect(w io.Writer, dir string, jsonOut bool) error {
	rep, err := wal.InspectDir(dir, nil)
	if err != nil {
		return err
	}
	if jsonOut {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(w, "wal:        %s\n", rep.Dir)
	fmt.Fprintf(w, "acked:      %d\n", rep.Acked)
	fmt.Fprintf(w, "last:       %d\n", rep.Last)
	fmt.Fprintf(w, "unacked:    %d records", rep.Unacked)
	if rep.Unacked > 0 {
		fmt.Fprintf(w, " (%d..%d)", rep.First, rep.Last)
	}
	fmt.Fprintf(w, "\nsegments:   %d\n", len(rep.Segments))
	for _, s := range rep.Segments {
		fmt.Fprintf(w, "  %s  seq %d..%d  %d records  %d data bytes  %d file bytes", s.Name, s.First, s.Last, s.Records, s.DataBytes, s.FileBytes)
		if s.Damage != nil {
			w.Write([]byte("  DAMAGED"))
		}
		fmt.Fprintln(w)
	}
	if rep.Marker != "" {
		fmt.Fprintf(w, "marker:     %s\n", rep.Marker)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note:       %s\n", n)
	}
	if rep.Healthy() {
		fmt.Fprintln(w, "health:     ok")
		return nil
	}
	fmt.Fprintf(w, "health:     damaged: %d findings, %d undelivered records lost\n", len(rep.Findings), rep.LostRecords)
	printFindings(w, rep)
	return nil
}

func printFindings(w io.Writer, rep *wal.Report) {
	for _, x := range rep.Findings {
		fmt.Fprintf(w, "  - [%s] %s\n", x.Kind, x)
	}
}

// exported is one line of Export's output.
type exported struct {
	Seq     uint64 `json:"seq"`
	Segment string `json:"segment"`
	Acked   bool   `json:"acked,omitempty"`
	Data    string `json:"data_b64"`
	Text    string `json:"text,omitempty"` // the payload when it is valid UTF-8, for reading
}

// Export writes the records as JSON lines (lossless: base64 payloads), by
// default only those not yet acknowledged. On a damaged WAL it writes
// every record that verifies, then lists what it could not (to warn) and
// returns a *DamagedError.
func Export(w io.Writer, warn io.Writer, dir string, from uint64, includeAcked bool) error {
	enc := json.NewEncoder(w)
	return ExportWith(warn, dir, func(rep *wal.Report, seg string, rec wal.Record) error {
		isAcked := rec.Seq <= rep.Acked
		if rec.Seq < from || (isAcked && !includeAcked) {
			return nil
		}
		line := exported{Seq: rec.Seq, Segment: seg, Acked: isAcked, Data: base64.StdEncoding.EncodeToString(rec.Data)}
		if utf8.Valid(rec.Data) {
			line.Text = string(rec.Data)
		}
		return enc.Encode(line)
	})
}

// ExportWith calls fn for every record that verifies, then reports what
// it skipped, as Export does.
func ExportWith(warn io.Writer, dir string, fn func(rep *wal.Report, seg string, rec wal.Record) error) error {
	rep, err := wal.InspectDir(dir, fn)
	if err != nil {
		return err
	}
	if rep.Healthy() {
		return nil
	}
	fmt.Fprintf(warn, "temblor: %s is damaged; exported every record that verifies, and skipped (%d undelivered records lost):\n", dir, rep.LostRecords)
	printFindings(warn, rep)
	return &DamagedError{Dir: dir, Findings: len(rep.Findings), LostRecords: rep.LostRecords}
}

// Check verifies every record and reports whether the WAL is healthy.
func Check(w io.Writer, dir string) (bool, error) {
	rep, err := wal.InspectDir(dir, nil)
	if err != nil {
		return false, err
	}
	var n uint64
	for _, s := range rep.Segments {
		n += s.Records
	}
	if rep.Healthy() {
		fmt.Fprintf(w, "ok: %s: %d segments, %d verified records, %d unacknowledged\n", dir, len(rep.Segments), n, rep.Unacked)
		for _, note := range rep.Notes {
			fmt.Fprintf(w, "  note: %s\n", note)
		}
		return true, nil
	}
	fmt.Fprintf(w, "damaged: %s: %d segments, %d verified records, %d findings, %d undelivered records lost\n",
		dir, len(rep.Segments), n, len(rep.Findings), rep.LostRecords)
	printFindings(w, rep)
	return false, nil
}

// Repair prints the repair plan and carries it out only when apply is set;
// after applying it checks the WAL again and says whether it is healthy
// (a *DamagedError when not).
func Repair(w io.Writer, dir string, apply bool) error {
	plan, err := wal.RepairDir(dir, apply)
	if err != nil {
		return err
	}
	if len(plan) == 0 {
		fmt.Fprintf(w, "nothing to repair: %s is healthy\n", dir)
		return nil
	}
	verb := "would"
	if apply {
		verb = "did"
	}
	fmt.Fprintf(w, "repair plan for %s (%s):\n", dir, map[bool]string{true: "applied", false: "not applied; run again with --apply"}[apply])
	for _, p := range plan {
		fmt.Fprintf(w, "  %s %s\n", verb, p)
	}
	if !apply {
		return nil
	}
	rep, err := wal.InspectDir(dir, nil)
	if err != nil {
		return err
	}
	if rep.Healthy() {
		fmt.Fprintf(w, "checked: %s is healthy now\n", dir)
		for _, note := range rep.Notes {
			fmt.Fprintf(w, "  note: %s\n", note)
		}
		return nil
	}
	fmt.Fprintf(w, "checked: %s still has findings:\n", dir)
	printFindings(w, rep)
	return &DamagedError{Dir: dir, Findings: len(rep.Findings), LostRecords: rep.LostRecords}
}
