package benchrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/temblor-dev/temblor/bench"
)

// Options say what to run and how.
type Options struct {
	Engine    string   // the temblor binary to measure
	EngineEnv []string // added to its environment
	Events    int      // events per scenario (the multi-pipeline ones split them)
	Runs      int      // interleaved rounds; the table shows medians
	Scenarios []string // names; empty: every scenario
	Peers     []string // names; empty: every peer; "none": no peer
	Warmup    float64  // fraction of the events not measured

	WorkDir   string // where run directories go (a real disk: fsync is measured)
	Keep      bool   // keep the run directories
	TremorSrc string // Tremor 0.11.12's source tree, for its bench pipelines
	PeerBench string // ../shared/peerbench
	Benthos   string // the peer Benthos binary
	Rsyslogd  string

	LatencyRate     int           // events/s of the latency scenario
	LatencyWarmup   time.Duration // not measured
	LatencyDuration time.Duration // measured
	Fsyncs          int           // raw fdatasync samples per round

	PollInterval time.Duration // how often the engine's metrics are read
	Progress     io.Writer     // progress lines; nil: none
}

// DefaultOptions are the standard bench's settings.
func DefaultOptions() Options {
	return Options{Events: 1_000_000, Runs: 3, Warmup: 0.1, Benthos: "/tmp/peer/bin/peer", Rsyslogd: "rsyslogd",
		LatencyRate: 10_000, LatencyWarmup: time.Second, LatencyDuration: 5 * time.Second, Fsyncs: 2000,
		PollInterval: 50 * time.Millisecond}
}

// UsageError is a bad option: the message says which and what to do.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, a ...any) error { return &UsageError{Msg: fmt.Sprintf(format, a...)} }

func (o *Options) check() error {
	switch {
	case o.Engine == "":
		return usagef("no engine binary to measure")
	case o.Events < 100:
		return usagef("--events %d: give at least 100 (figures are meaningful from 200,000)", o.Events)
	case o.Runs < 1:
		return usagef("--runs %d: give at least 1", o.Runs)
	case o.Warmup < 0 || o.Warmup >= 0.9:
		return usagef("--warmup %g: give a fraction from 0 to 0.9", o.Warmup)
	case o.LatencyRate < 1 || o.LatencyRate > 1_000_000:
		return usagef("--latency-rate %d: give 1 to 1,000,000 events/s", o.LatencyRate)
	case o.LatencyDuration <= 0:
		return usagef("--latency-duration must be positive")
	case o.Fsyncs < 1:
		return usagef("--fsyncs must be at least 1")
	case o.PollInterval <= 0:
		return usagef("the poll interval must be positive")
	}
	// Children run in their own directories: make paths absolute.
	for _, p := range []*string{&o.Engine, &o.TremorSrc, &o.PeerBench, &o.Benthos, &o.Rsyslogd, &o.WorkDir} {
		if *p != "" && (p == &o.TremorSrc || p == &o.PeerBench || p == &o.WorkDir || strings.ContainsRune(*p, filepath.Separator)) {
			if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
	if runtime.GOOS != "linux" {
		return usagef("temblor bench runs on Linux only (it reads /proc and uses fdatasync)")
	}
	if err := checkNames("scenario", o.Scenarios, ScenarioNames(), false); err != nil {
		return err
	}
	return checkNames("peer", o.Peers, PeerNames(), true)
}

func checkNames(what string, got, known []string, noneOK bool) error {
	for _, g := range got {
		if slices.Contains(known, g) || (noneOK && g == "none") {
			continue
		}
		msg := fmt.Sprintf("unknown %s %q", what, g)
		if s := closest(g, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		extra := ""
		if noneOK {
			extra = `, or "none"`
		}
		return usagef("%s; known: %s%s", msg, strings.Join(known, ", "), extra)
	}
	return nil
}

// closest is the known name nearest to s, if it is near.
func closest(s string, known []string) string {
	best, bestD := "", 4
	for _, k := range known {
		if d := editDistance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// bencher holds one bench's state.
type bencher struct {
	opts           Options
	work           string
	inputs         map[string]string // input file by key
	eventBytes     map[string]float64
	peerInput      string
	peerEventBytes float64
	recv           *receiver
}

func (b *bencher) progressf(format string, a ...any) {
	if b.opts.Progress != nil {
		fmt.Fprintf(b.opts.Progress, format+"\n", a...)
	}
}

// job is one row's run.
type job struct {
	name, kind, doc, baseline string
	skip                      string
	run                       func(ctx context.Context, dir string) (map[string]float64, error)
}

// Run runs the bench and reports it. A failed run is reported in its row
// (and in Report.Errors); the error is for the bench as a whole.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	b := &bencher{opts: o, inputs: map[string]string{}, eventBytes: map[string]float64{}}
	parent := o.WorkDir
	if parent == "" {
		parent = os.TempDir()
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("work directory: %w", err)
	}
	work, err := os.MkdirTemp(parent, "temblor-bench-")
	if err != nil {
		return nil, fmt.Errorf("work directory: %w", err)
	}
	b.work = work
	if !o.Keep {
		defer os.RemoveAll(work)
	}
	rep := &Report{Date: time.Now().UTC().Format(time.RFC3339), Events: o.Events, Runs: o.Runs, Warmup: o.Warmup,
		LatencyRate: o.LatencyRate, LatencySeconds: o.LatencyDuration.Seconds(), WorkDir: work}
	rep.Machine = describeMachine(work)
	rep.Engine = engineVersion(ctx, o)
	if rep.Machine.FileSystem == "tmpfs" {
		rep.Notes = append(rep.Notes, "the work directory is on tmpfs: fsync costs nothing there; give --work-dir on a real disk")
	}

	jobs, err := b.plan(ctx)
	if err != nil {
		return nil, err
	}
	if b.recv != nil {
		defer b.recv.close()
	}
	rep.LoadBefore = loadAverage()
	rows := make([]*Row, len(jobs))
	for i, j := range jobs {
		rows[i] = &Row{Name: j.name, Kind: j.kind, Doc: j.doc, Baseline: j.baseline, Skipped: j.skip, Runs: make([]map[string]float64, o.Runs)}
	}
	var active []int
	for i, j := range jobs {
		if j.skip == "" {
			active = append(active, i)
		} else {
			b.progressf("skipping %s: %s", j.name, j.skip)
		}
	}
	step, steps := 0, len(active)*o.Runs
	for r := range o.Runs {
		// Each round starts one job further on, so that no job always
		// follows the same neighbour (page cache, disk write-back).
		for k := range active {
			i := active[(k+r)%len(active)]
			j := jobs[i]
			step++
			dir := filepath.Join(work, fmt.Sprintf("r%d-%s", r+1, j.name))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			t0 := time.Now()
			b.progressf("[%d/%d] round %d/%d: %s", step, steps, r+1, o.Runs, j.name)
			m, err := j.run(ctx, dir)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if err != nil {
				msg := fmt.Sprintf("%s, round %d: %v", j.name, r+1, err)
				rows[i].Failed = append(rows[i].Failed, msg)
				rep.Errors = append(rep.Errors, msg)
				b.progressf("    FAILED: %v", err)
				continue
			}
			rows[i].Runs[r] = m
			b.progressf("    %s (%.1f s)", summary(m), time.Since(t0).Seconds())
			if !o.Keep {
				os.RemoveAll(dir)
			}
		}
	}
	rep.LoadAfter = loadAverage()
	rep.Rows = rows
	rep.finish()
	return rep, nil
}

func summary(m map[string]float64) string {
	if _, ok := m[mP99]; ok {
		return fmt.Sprintf("p50 %.3f ms, p99 %.3f ms", m[mP50], m[mP99])
	}
	s := fmt.Sprintf("%s events/s, %.2f CPU-s/M", thousands(m[mEventsPerS]), m[mCPUPerM])
	if a, ok := m[mAllocsPerEvent]; ok {
		s += fmt.Sprintf(", %.1f allocs/event", a)
	}
	return s
}

// plan makes the jobs and their inputs.
func (b *bencher) plan(ctx context.Context) ([]job, error) {
	o := b.opts
	var jobs []job
	for _, sc := range scenarios {
		if len(o.Scenarios) > 0 && !slices.Contains(o.Scenarios, sc.name) {
			continue
		}
		j := job{name: sc.name, kind: sc.kind, doc: sc.doc, baseline: sc.baseline}
		if j.kind == "" {
			j.kind = kindEngine
		}
		switch {
		case sc.kind == kindDisk:
			j.run = func(ctx context.Context, dir string) (map[string]float64, error) { return runFsync(dir, o.Fsyncs) }
		case sc.kind == kindLatency:
			if b.recv == nil {
				r, err := newReceiver()
				if err != nil {
					return nil, fmt.Errorf("latency receiver: %w", err)
				}
				b.recv = r
			}
			j.doc = fmt.Sprintf("%s: %s events/s, %s after %s", sc.doc, thousands(float64(o.LatencyRate)), o.LatencyDuration, o.LatencyWarmup)
			j.run = func(ctx context.Context, dir string) (map[string]float64, error) {
				files, err := b.stage(dir, sc, func(name string, data []byte) ([]byte, error) {
					if name != "deploy.yaml" {
						return data, nil
					}
					return rewriteLatency(data, b.recv.url())
				})
				if err != nil {
					return nil, err
				}
				return b.runLatency(ctx, latencyRun{dir: dir, files: files, rate: o.LatencyRate, warm: o.LatencyWarmup, dur: o.LatencyDuration}, b.recv.url(), b.recv)
			}
		case sc.tremor != "":
			if o.TremorSrc == "" {
				j.skip = "TREMOR_SRC is not set (give --tremor-src or set TREMOR_SRC to Tremor 0.11.12's source tree)"
				break
			}
			files, err := tremorFiles(o.TremorSrc, sc.tremor)
			if err != nil {
				j.skip = err.Error()
				break
			}
			if err := b.checkLoads(ctx, files); err != nil {
				j.skip = "Tremor's deployment does not load in this engine: " + err.Error()
				break
			}
			bytesPer, err := tremorEventBytes(o.TremorSrc)
			if err != nil {
				j.skip = err.Error()
				break
			}
			expected := int64(max(1, o.Events/max(1, sc.divide)))
			j.run = func(ctx context.Context, dir string) (map[string]float64, error) {
				// Tremor's paths are relative to its tree: its data is
				// reached through a link, its WAL ("wal") lands here.
				if err := os.Symlink(filepath.Join(o.TremorSrc, "demo"), filepath.Join(dir, "demo")); err != nil {
					return nil, err
				}
				return b.runThroughput(ctx, throughputRun{dir: dir, files: files, expected: expected,
					eventBytes: bytesPer, label: sc.name, endsItself: true})
			}
		default:
			per := o.Events
			pipes := max(1, sc.pipelines)
			per = max(1, per/pipes)
			key, err := b.input(per)
			if err != nil {
				return nil, err
			}
			expected := int64(per * pipes)
			j.run = func(ctx context.Context, dir string) (map[string]float64, error) {
				files, err := b.stage(dir, sc, nil)
				if err != nil {
					return nil, err
				}
				if err := linkOrCopy(b.inputs[key], filepath.Join(dir, "events.jsonl")); err != nil {
					return nil, err
				}
				return b.runThroughput(ctx, throughputRun{dir: dir, files: files, expected: expected,
					eventBytes: b.eventBytes[key], label: sc.name})
			}
		}
		jobs = append(jobs, j)
	}
	wantPeers := o.Peers
	if len(wantPeers) == 0 {
		wantPeers = PeerNames()
	}
	if !slices.Contains(wantPeers, "none") {
		for _, p := range peers {
			if !slices.Contains(wantPeers, p.name) {
				continue
			}
			j := job{name: p.name, kind: kindPeer, doc: p.doc, baseline: Baseline, skip: p.check(b)}
			if j.skip == "" {
				if err := b.preparePeerInput(); err != nil {
					return nil, err
				}
				j.run = func(ctx context.Context, dir string) (map[string]float64, error) { return p.run(ctx, b, dir) }
			}
			jobs = append(jobs, j)
		}
	}
	if len(jobs) == 0 {
		return nil, usagef("nothing to run")
	}
	return jobs, nil
}

// input makes (once) the input file of n events.
func (b *bencher) input(n int) (string, error) {
	key := fmt.Sprintf("events-%d.jsonl", n)
	gen := func(w io.Writer) error { return WriteEvents(w, n) }
	if _, ok := b.inputs[key]; ok {
		return key, nil
	}
	dir := filepath.Join(b.work, "inputs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, key)
	b.progressf("generating %s (%s events)", key, thousands(float64(n)))
	size, err := makeFile(path, gen)
	if err != nil {
		return "", fmt.Errorf("generating %s: %w", key, err)
	}
	b.inputs[key] = path
	b.eventBytes[key] = float64(size) / float64(n)
	return key, nil
}

func (b *bencher) preparePeerInput() error {
	if b.peerInput != "" {
		return nil
	}
	dir := filepath.Join(b.work, "inputs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "peer.jsonl")
	size, err := makeFile(path, func(w io.Writer) error { return writePeerEvents(w, b.opts.Events) })
	if err != nil {
		return err
	}
	b.peerInput, b.peerEventBytes = path, float64(size)/float64(b.opts.Events)
	return nil
}

// tremorFiles are the artefacts of one of Tremor's benchmarks, as its
// bench/run script passes them.
func tremorFiles(src, name string) ([]string, error) {
	files := []string{filepath.Join(src, "bench", name+".yaml"), filepath.Join(src, "bench", "link.yaml")}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%s not found (is TREMOR_SRC Tremor 0.11.12's source tree?)", f)
		}
	}
	trickles, _ := filepath.Glob(filepath.Join(src, "bench", name, "*.trickle"))
	if len(trickles) == 0 {
		return nil, fmt.Errorf("no pipeline in %s", filepath.Join(src, "bench", name))
	}
	return append(files, trickles...), nil
}

// checkLoads runs `server run --validate` on files.
func (b *bencher) checkLoads(ctx context.Context, files []string) error {
	args := []string{"server", "run", "--validate"}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.opts.Engine, args...)
	cmd.Dir = b.opts.TremorSrc
	cmd.Env = append(os.Environ(), b.opts.EngineEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, lastLines(string(out), 3))
	}
	return nil
}

// stage copies a scenario's files into dir and returns the artefact
// paths to run.
func (b *bencher) stage(dir string, sc scenario, edit func(name string, data []byte) ([]byte, error)) ([]string, error) {
	sub, err := fs.Sub(bench.Scenarios, sc.dir)
	if err != nil {
		return nil, err
	}
	ents, err := fs.ReadDir(sub, ".")
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.name, err)
	}
	conf := filepath.Join(dir, "conf")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		return nil, err
	}
	for _, e := range ents {
		data, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			return nil, err
		}
		if edit != nil {
			if data, err = edit(e.Name(), data); err != nil {
				return nil, err
			}
		}
		if err := os.WriteFile(filepath.Join(conf, e.Name()), data, 0o644); err != nil {
			return nil, err
		}
	}
	return []string{conf}, nil
}

// rewriteLatency points the latency deployment's offramp at the bench's
// receiver and lets the onramp pick a free port.
func rewriteLatency(data []byte, url string) ([]byte, error) {
	const onPort, offURL = "port: 9139", "url: ws://127.0.0.1:9140/"
	if !bytes.Contains(data, []byte(onPort)) || !bytes.Contains(data, []byte(offURL)) {
		return nil, errors.New("bench/latency/deploy.yaml no longer holds `" + onPort + "` and `" + offURL + "`, which the bench replaces")
	}
	data = bytes.Replace(data, []byte(onPort), []byte("port: 0"), 1)
	return bytes.Replace(data, []byte(offURL), []byte("url: "+url), 1), nil
}

// Machine describes where the bench ran.
type Machine struct {
	Cores      int    `json:"cores"`
	CPU        string `json:"cpu"`
	Kernel     string `json:"kernel"`
	FileSystem string `json:"work_dir_fs"`
	GoVersion  string `json:"bench_go"`
}

func describeMachine(dir string) Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) == nil {
		switch st.Type {
		case 0x01021994:
			m.FileSystem = "tmpfs"
		case 0xEF53:
			m.FileSystem = "ext4"
		case 0x58465342:
			m.FileSystem = "xfs"
		case 0x9123683E:
			m.FileSystem = "btrfs"
		case 0x794C7630:
			m.FileSystem = "overlayfs"
		default:
			m.FileSystem = fmt.Sprintf("0x%x", st.Type)
		}
	}
	return m
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func engineVersion(ctx context.Context, o Options) string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.Engine, "version")
	cmd.Env = append(os.Environ(), o.EngineEnv...)
	out, err := cmd.Output()
	if err != nil {
		return "? (" + err.Error() + ")"
	}
	return strings.TrimSpace(string(out)) + " at " + o.Engine
}
