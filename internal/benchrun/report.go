package benchrun

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Report is a whole bench: what ran where, and every run's figures.
type Report struct {
	Date           string   `json:"date"`
	Engine         string   `json:"engine"`
	Machine        Machine  `json:"machine"`
	LoadBefore     string   `json:"load_average_before"`
	LoadAfter      string   `json:"load_average_after"`
	Events         int      `json:"events"`
	Runs           int      `json:"runs"`
	Warmup         float64  `json:"warmup_fraction"`
	LatencyRate    int      `json:"latency_rate"`
	LatencySeconds float64  `json:"latency_seconds"`
	WorkDir        string   `json:"work_dir"`
	Rows           []*Row   `json:"rows"`
	Notes          []string `json:"notes,omitempty"`
	Errors         []string `json:"errors,omitempty"`
}

// Row is one scenario or peer.
type Row struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Doc      string `json:"doc"`
	Baseline string `json:"baseline,omitempty"`
	Skipped  string `json:"skipped,omitempty"`
	// Runs are the figures of each round (null where it failed); ratios
	// compare with the baseline's run of the same round.
	Runs   []map[string]float64 `json:"runs,omitempty"`
	Median map[string]float64   `json:"median,omitempty"`
	Failed []string             `json:"failed,omitempty"`
}

// finish adds each round's ratios and the medians.
func (r *Report) finish() {
	byName := map[string]*Row{}
	for _, row := range r.Rows {
		byName[row.Name] = row
	}
	for _, row := range r.Rows {
		base := byName[row.Baseline]
		if base == nil {
			continue
		}
		for i, m := range row.Runs {
			if m == nil || i >= len(base.Runs) || base.Runs[i] == nil {
				continue
			}
			bm := base.Runs[i]
			if bm[mEventsPerS] > 0 {
				m[mRatioEvents] = m[mEventsPerS] / bm[mEventsPerS]
			}
			if c, ok := m[mCPUPerM]; ok && bm[mCPUPerM] > 0 {
				m[mRatioCPU] = c / bm[mCPUPerM]
			}
		}
	}
	for _, row := range r.Rows {
		row.Median = medians(row.Runs)
	}
}

// medians takes each figure's median over the runs that have it.
func medians(runs []map[string]float64) map[string]float64 {
	vals := map[string][]float64{}
	for _, m := range runs {
		for k, v := range m {
			vals[k] = append(vals[k], v)
		}
	}
	if len(vals) == 0 {
		return nil
	}
	out := map[string]float64{}
	for k, v := range vals {
		slices.Sort(v)
		n := len(v)
		if n%2 == 1 {
			out[k] = v[n/2]
		} else {
			out[k] = (v[n/2-1] + v[n/2]) / 2
		}
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as markdown tables, ready for
// docs/performance.md.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "temblor bench, %s: %s events per scenario, median of %d interleaved runs, first %.0f%% of each run's events excluded as warm-up\n",
		r.Date, thousands(float64(r.Events)), r.Runs, r.Warmup*100)
	fmt.Fprintf(w, "machine: %d cores (%s), %s, work dir on %s; load average %s before, %s after; engine: %s\n\n",
		r.Machine.Cores, r.Machine.CPU, r.Machine.Kernel, r.Machine.FileSystem, r.LoadBefore, r.LoadAfter, r.Engine)

	var thr, lat []*Row
	for _, row := range r.Rows {
		switch {
		case row.Skipped != "":
		case row.Kind == kindLatency || row.Kind == kindDisk:
			lat = append(lat, row)
		default:
			thr = append(thr, row)
		}
	}
	if len(thr) > 0 {
		fmt.Fprintln(w, "| scenario | events/s | MB/s | CPU-s per M events | allocs/event | B/event | events/s ratio | CPU ratio | what |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
		for _, row := range thr {
			m := row.Median
			name := row.Name
			if row.Kind == kindPeer {
				name += " (peer)"
			}
			if m == nil {
				fmt.Fprintf(w, "| %s | failed | | | | | | | %s |\n", name, row.Doc)
				continue
			}
			if row.Kind == kindEngine && m[mWarmupExcluded] < 1 {
				name += " *"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name,
				thousands(m[mEventsPerS]), fixed(m, mMBPerS, 1), fixed(m, mCPUPerM, 2),
				fixed(m, mAllocsPerEvent, 1), fixed(m, mBytesPerEvent, 0),
				ratio(m, mRatioEvents, row), ratio(m, mRatioCPU, row), row.Doc)
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Ratios are per round against the named baseline's run of the same round, then the median. Peers are timed as whole processes (start-up included) and have no allocation figures; `*`: the run was too short to exclude the warm-up.")
		fmt.Fprintln(w)
	}
	if len(lat) > 0 {
		fmt.Fprintln(w, "| latency | p50 ms | p99 ms | p99.9 ms | max ms | figures | what |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
		for _, row := range lat {
			m := row.Median
			if m == nil {
				fmt.Fprintf(w, "| %s | failed | | | | | %s |\n", row.Name, row.Doc)
				continue
			}
			var extra string
			if row.Kind == kindLatency {
				extra = fmt.Sprintf("%s events/s sent, engine %s CPU-s per M events; send lag ≤ %.2f ms, p99 from when each event was due %.3f ms",
					thousands(m[mRate]), fixed(m, mCPUPerM, 2), m[mMaxSendLagMS], m[mP99Sched])
				if m[mDuplicates] > 0 {
					extra += fmt.Sprintf(", %.0f duplicates", m[mDuplicates])
				}
			} else {
				extra = fmt.Sprintf("%s fdatasyncs/s", thousands(m[mFsyncsPerS]))
			}
			fmt.Fprintf(w, "| %s | %.3f | %.3f | %.3f | %.3f | %s | %s |\n", row.Name, m[mP50], m[mP99], m[mP999], m[mMax], extra, row.Doc)
		}
		fmt.Fprintln(w)
	}
	for _, row := range r.Rows {
		if row.Skipped != "" {
			fmt.Fprintf(w, "skipped %s: %s\n", row.Name, row.Skipped)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "FAILED %s\n", e)
	}
}

func fixed(m map[string]float64, k string, prec int) string {
	v, ok := m[k]
	if !ok {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func ratio(m map[string]float64, k string, row *Row) string {
	v, ok := m[k]
	if !ok || row.Baseline == "" {
		return "—"
	}
	if row.Baseline == row.Name {
		return "1 (baseline)"
	}
	return fmt.Sprintf("%.2f (%s)", v, row.Baseline)
}

// thousands formats v rounded, with thousands separators.
func thousands(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "?"
	}
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
