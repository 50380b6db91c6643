package benchrun

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// engine is one running `temblor server run` child.
type engine struct {
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{} // closed when Wait returned
	waitErr error
	logPath string

	mu       sync.Mutex
	metrics  string // http://.../metrics once the engine said where
	wsAddr   string // the websocket onramp's address, once listening
	lastErrs []string
	found    chan struct{} // nudged whenever a log line told something
}

// startEngine starts the engine in dir with files as its artefacts.
func (b *bencher) startEngine(ctx context.Context, dir string, files ...string) (*engine, error) {
	args := []string{"server", "run", "--log-format", "json", "--metrics-addr", "127.0.0.1:0",
		"--data-dir", filepath.Join(dir, "data"), "--shutdown-timeout", "2m"}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	cmd := exec.CommandContext(ctx, b.opts.Engine, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), b.opts.EngineEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	logPath := filepath.Join(dir, "engine.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout = logf
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	e := &engine{cmd: cmd, exited: make(chan struct{}), logPath: logPath, found: make(chan struct{}, 1)}
	e.started = time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting the engine %s: %w", b.opts.Engine, err)
	}
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		e.readLog(stderr, logf)
	}()
	go func() {
		readers.Wait() // Wait closes the pipe: read it all first
		e.waitErr = cmd.Wait()
		logf.Close()
		close(e.exited)
	}()
	return e, nil
}

// readLog copies the engine's log to w and picks out what the bench needs.
func (e *engine) readLog(r io.Reader, w io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		w.Write(line)
		w.Write([]byte{'\n'})
		var rec struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			URL   string `json:"url"`
			Addr  string `json:"addr"`
			Err   string `json:"err"`
		}
		if json.Unmarshal(line, &rec) != nil {
			// Not a log record: a plain error message from the CLI.
			e.noteErr(string(line))
			continue
		}
		switch {
		case rec.Msg == "serving metrics" && rec.URL != "":
			e.mu.Lock()
			e.metrics = rec.URL
			e.mu.Unlock()
			e.nudge()
		case rec.Msg == "websocket onramp listening" && rec.Addr != "":
			e.mu.Lock()
			e.wsAddr = rec.Addr
			e.mu.Unlock()
			e.nudge()
		case rec.Level == "ERROR" || rec.Level == "WARN":
			msg := rec.Level + " " + rec.Msg
			if rec.Err != "" {
				msg += ": " + rec.Err
			}
			e.noteErr(msg)
		}
	}
}

func (e *engine) nudge() {
	select {
	case e.found <- struct{}{}:
	default:
	}
}

func (e *engine) noteErr(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.lastErrs) == 8 {
		e.lastErrs = e.lastErrs[1:]
	}
	e.lastErrs = append(e.lastErrs, s)
}

// failure describes why the engine is not doing what it should, with
// what it logged last.
func (e *engine) failure(what string) error {
	e.mu.Lock()
	errs := strings.Join(e.lastErrs, "\n    ")
	e.mu.Unlock()
	msg := what
	select {
	case <-e.exited:
		msg += fmt.Sprintf(" (engine exited: %v)", exitText(e.waitErr))
	default:
	}
	if errs != "" {
		msg += "\n    " + errs
	}
	return fmt.Errorf("%s\n    engine log: %s", msg, e.logPath)
}

func exitText(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

// await waits until get returns something, the engine exits, or timeout.
func (e *engine) await(ctx context.Context, what string, timeout time.Duration, get func() string) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		e.mu.Lock()
		v := get()
		e.mu.Unlock()
		if v != "" {
			return v, nil
		}
		select {
		case <-e.found:
		case <-e.exited:
			e.mu.Lock()
			v := get()
			e.mu.Unlock()
			if v != "" {
				return v, nil
			}
			return "", e.failure("the engine did not report " + what)
		case <-deadline.C:
			return "", e.failure(fmt.Sprintf("the engine did not report %s within %s", what, timeout))
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func (e *engine) metricsURL(ctx context.Context) (string, error) {
	return e.await(ctx, "its metrics address", time.Minute, func() string { return e.metrics })
}

func (e *engine) onrampAddr(ctx context.Context) (string, error) {
	return e.await(ctx, "its websocket onramp address", time.Minute, func() string { return e.wsAddr })
}

// stop asks the engine to shut down (SIGTERM), waits, and returns its
// rusage CPU seconds and peak RSS in MB. An engine that already exited
// must have exited cleanly.
func (e *engine) stop() (cpu, rssMB float64, err error) {
	signaled := false
	select {
	case <-e.exited:
	default:
		signaled = true
		_ = e.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-e.exited:
		case <-time.After(3 * time.Minute):
			_ = e.cmd.Process.Kill()
			<-e.exited
			return 0, 0, e.failure("the engine did not stop within 3 minutes of SIGTERM (killed)")
		}
	}
	if st := e.cmd.ProcessState; st != nil {
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			cpu = tv(ru.Utime) + tv(ru.Stime)
			rssMB = float64(ru.Maxrss) / 1024
		}
	}
	if e.waitErr != nil {
		var ee *exec.ExitError
		ok := errors.As(e.waitErr, &ee)
		// Our SIGTERM may land after the engine, done with its work,
		// stopped handling signals on its way out: it then dies of it.
		if ok && signaled {
			if ws, isWS := ee.Sys().(syscall.WaitStatus); isWS && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
				return cpu, rssMB, nil
			}
		}
		if !ok || ee.ExitCode() != 0 {
			return cpu, rssMB, e.failure("the engine failed")
		}
	}
	return cpu, rssMB, nil
}

func (e *engine) kill() {
	select {
	case <-e.exited:
	default:
		_ = e.cmd.Process.Kill()
		<-e.exited
	}
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// throughputRun is one measured run of a throughput scenario.
type throughputRun struct {
	dir        string
	files      []string // artefacts, relative to dir or absolute
	expected   int64    // events the offramps must acknowledge in all
	eventBytes float64  // input bytes per event (with its newline)
	label      string   // for progress lines
	// endsItself: the deployment stops the engine on its own (Tremor's
	// blackhole stop_after_secs); if that comes first, the measurement
	// ends at the last poll.
	endsItself bool
}

// runThroughput runs one engine until its offramps acknowledged every
// event, and measures the part after the warm-up.
func (b *bencher) runThroughput(ctx context.Context, tr throughputRun) (map[string]float64, error) {
	e, err := b.startEngine(ctx, tr.dir, tr.files...)
	if err != nil {
		return nil, err
	}
	defer e.kill()
	url, err := e.metricsURL(ctx)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	pid := e.cmd.Process.Pid
	take := func() (metricsSample, error) {
		t0 := time.Since(e.started)
		s, err := scrape(ctx, client, url)
		t1 := time.Since(e.started)
		if err != nil {
			return s, err
		}
		s.at = (t0 + t1) / 2
		s.cpu, err = procCPU(pid)
		return s, err
	}
	warmAt := int64(float64(tr.expected) * b.opts.Warmup)
	var (
		warm, prev, last metricsSample
		haveWarm         bool
		scrapes          int // since the warm-up sample
		total            int // all of them
		lastProgress     = time.Now()
		lastGain         = time.Now()
	)
	target := float64(tr.expected)
	endedItself := false
	// stoppedEarly decides what an engine that stopped before the last
	// event means: the end of a deployment that stops itself, or a failure.
	stoppedEarly := func() error {
		if tr.endsItself && haveWarm && last.acked > warm.acked {
			target, endedItself = last.acked, true
			return nil
		}
		return e.failure(fmt.Sprintf("the engine stopped after %.0f of %d events", last.acked, tr.expected))
	}
	tick := time.NewTicker(b.opts.PollInterval)
	defer tick.Stop()
poll:
	for {
		s, err := take()
		if err != nil {
			// A refused scrape is usually an engine on its way out: give it
			// a moment to exit and say how far it got.
			select {
			case <-e.exited:
				if err := stoppedEarly(); err != nil {
					return nil, err
				}
				break poll
			case <-time.After(10 * time.Second):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return nil, e.failure("reading the engine's metrics: " + err.Error())
		}
		if !s.hasAlloc {
			return nil, e.failure("the engine's /metrics has no go_memstats_mallocs_total")
		}
		if s.failed > 0 {
			return nil, e.failure(fmt.Sprintf("the offramps failed %.0f events", s.failed))
		}
		total++
		if s.acked > last.acked {
			lastGain = time.Now()
		}
		prev, last = last, s
		if haveWarm {
			scrapes++
		} else if int64(s.acked) >= warmAt && int64(s.acked) < tr.expected {
			warm, haveWarm = s, true
		}
		if int64(s.acked) >= tr.expected {
			break
		}
		if time.Since(lastGain) > 2*time.Minute {
			return nil, e.failure(fmt.Sprintf("no event acknowledged for 2 minutes (%.0f of %d)", s.acked, tr.expected))
		}
		if time.Since(lastProgress) >= 5*time.Second {
			b.progressf("    %s: %.0f of %d events", tr.label, s.acked, tr.expected)
			lastProgress = time.Now()
		}
		select {
		case <-tick.C:
		case <-e.exited:
			if err := stoppedEarly(); err != nil {
				return nil, err
			}
			break poll
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	// What one scrape allocates in the engine, measured back to back while
	// it is idle, so that the polling's own garbage is not charged to the
	// events.
	var scrapeCost float64
	if !endedItself {
		if a, err := take(); err == nil {
			if c, err := take(); err == nil {
				scrapeCost = c.mallocs - a.mallocs
			}
		}
	}
	totalCPU, rss, err := e.stop()
	if err != nil {
		return nil, err
	}
	if !haveWarm {
		// The run was over before the first poll after the warm-up: measure
		// from the engine's start (figures then include start-up).
		warm, scrapes = metricsSample{}, total
	}
	// The moment the last event was acknowledged, between the last two
	// polls, assuming a steady rate between them.
	end := last.at
	if last.acked > prev.acked && prev.at > 0 && !endedItself {
		frac := (target - prev.acked) / (last.acked - prev.acked)
		end = prev.at + time.Duration(frac*float64(last.at-prev.at))
	}
	events := target - warm.acked
	secs := (end - warm.at).Seconds()
	if secs <= 0 || events <= 0 {
		return nil, fmt.Errorf("%s: nothing measured (%.0f events in %.3f s)", tr.label, events, secs)
	}
	allocs := last.mallocs - warm.mallocs - float64(scrapes)*scrapeCost
	m := map[string]float64{
		mEventsPerS:      events / secs,
		mMBPerS:          events * tr.eventBytes / secs / 1e6,
		mCPUPerM:         (last.cpu - warm.cpu) / events * 1e6,
		mAllocsPerEvent:  max(allocs, 0) / events,
		mBytesPerEvent:   max(last.allocB-warm.allocB, 0) / events,
		mWholeEventsPerS: target / end.Seconds(),
		mWholeCPUPerM:    totalCPU / target * 1e6,
		mMeasuredEvents:  events,
		mSeconds:         secs,
		mMaxRSSMB:        rss,
		mScrapeAllocs:    scrapeCost,
	}
	if haveWarm {
		m[mWarmupExcluded] = 1
	}
	return m, nil
}
