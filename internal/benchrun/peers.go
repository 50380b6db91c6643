package benchrun

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// A peer is another system a temblor user might pick, run on the same
// events in the same run (configurations from ../shared/peerbench).
type peer struct {
	name string
	doc  string
	// check says why the peer cannot run here ("" when it can).
	check func(b *bencher) string
	run   func(ctx context.Context, b *bencher, dir string) (map[string]float64, error)
}

// PeerNames lists the peers in the order they run.
func PeerNames() []string {
	var n []string
	for _, p := range peers {
		n = append(n, p.name)
	}
	return n
}

var peers = []peer{
	{name: "benthos-none", doc: "Benthos v4.27.0 generate → drop, no buffer (batch 100)",
		check: checkBenthos("b_none_drop.yaml"), run: runBenthos("b_none_drop.yaml")},
	{name: "benthos-sqlite", doc: "Benthos v4.27.0 generate → sqlite buffer → drop (batch 100; the buffer never fsyncs)",
		check: checkBenthos("a_sqlite_drop.yaml"), run: runBenthos("a_sqlite_drop.yaml")},
	{name: "rsyslog-direct", doc: "rsyslog imfile → omfile, no queue",
		check: checkRsyslog("direct"), run: runRsyslog("direct")},
	{name: "rsyslog-da", doc: "rsyslog imfile → disk-assisted action queue → omfile (no fsync)",
		check: checkRsyslog("da"), run: runRsyslog("da")},
}

// benthosBatch is generate's batch_size: at 1 the sqlite buffer takes one
// row and one transaction per event (about 1,300 events/s here).
const benthosBatch = 100

func checkBenthos(cfg string) func(b *bencher) string {
	return func(b *bencher) string {
		if b.opts.PeerBench == "" {
			return "no peerbench directory (give --peerbench or TEMBLOR_PEERBENCH; it is ../shared/peerbench beside the repository)"
		}
		if _, err := os.Stat(filepath.Join(b.opts.PeerBench, cfg)); err != nil {
			return fmt.Sprintf("%s not found in %s", cfg, b.opts.PeerBench)
		}
		if _, err := exec.LookPath(b.opts.Benthos); err != nil {
			return fmt.Sprintf("no Benthos binary at %s (build it: bash %s build; or give --benthos)",
				b.opts.Benthos, filepath.Join(b.opts.PeerBench, "run.sh"))
		}
		return ""
	}
}

func runBenthos(cfg string) func(ctx context.Context, b *bencher, dir string) (map[string]float64, error) {
	return func(ctx context.Context, b *bencher, dir string) (map[string]float64, error) {
		cmd := exec.CommandContext(ctx, b.opts.Benthos, "-c", filepath.Join(b.opts.PeerBench, cfg))
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), fmt.Sprintf("N=%d", b.opts.Events), fmt.Sprintf("BATCH=%d", benthosBatch),
			"DB_PATH="+filepath.Join(dir, "buf.db"), "OUT_PATH="+filepath.Join(dir, "out.jsonl"))
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		secs := time.Since(start).Seconds()
		if err != nil {
			return nil, fmt.Errorf("benthos -c %s: %v\n    %s", cfg, err, lastLines(out.String(), 5))
		}
		return peerFigures(cmd.ProcessState, float64(b.opts.Events), b.peerEventBytes, secs), nil
	}
}

func checkRsyslog(conf string) func(b *bencher) string {
	return func(b *bencher) string {
		if b.opts.PeerBench == "" {
			return "no peerbench directory (give --peerbench or TEMBLOR_PEERBENCH)"
		}
		if _, err := os.Stat(filepath.Join(b.opts.PeerBench, "rsyslog", conf+".conf")); err != nil {
			return fmt.Sprintf("rsyslog/%s.conf not found in %s", conf, b.opts.PeerBench)
		}
		if _, err := exec.LookPath(b.opts.Rsyslogd); err != nil {
			return fmt.Sprintf("no rsyslogd at %s (Debian: apt-get install -y rsyslog; or give --rsyslogd)", b.opts.Rsyslogd)
		}
		return ""
	}
}

// runRsyslog runs rsyslogd in the foreground on the peer input until its
// output file holds every line, as peerbench's run_rsyslog.sh does.
func runRsyslog(conf string) func(ctx context.Context, b *bencher, dir string) (map[string]float64, error) {
	return func(ctx context.Context, b *bencher, dir string) (map[string]float64, error) {
		if err := os.MkdirAll(filepath.Join(dir, "spool"), 0o755); err != nil {
			return nil, err
		}
		in := filepath.Join(dir, "in.jsonl")
		if err := linkOrCopy(b.peerInput, in); err != nil {
			return nil, err
		}
		fi, err := os.Stat(in)
		if err != nil {
			return nil, err
		}
		want := fi.Size()
		tmpl, err := os.ReadFile(filepath.Join(b.opts.PeerBench, "rsyslog", conf+".conf"))
		if err != nil {
			return nil, err
		}
		cfgPath := filepath.Join(dir, "rsyslog.conf")
		if err := os.WriteFile(cfgPath, bytes.ReplaceAll(tmpl, []byte("@WORK@"), []byte(dir)), 0o644); err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, b.opts.Rsyslogd, "-n", "-f", cfgPath, "-i", filepath.Join(dir, "rsyslogd.pid"))
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		outPath := filepath.Join(dir, "out.jsonl")
		var secs float64
		lastGain, have := time.Now(), int64(0)
	poll:
		for {
			select {
			case err := <-exited:
				return nil, fmt.Errorf("rsyslogd exited early (%v) having written %d of %d bytes\n    %s", err, have, want, lastLines(out.String(), 5))
			case <-ctx.Done():
				cmd.Process.Kill()
				<-exited
				return nil, ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
			if fi, err := os.Stat(outPath); err == nil && fi.Size() > have {
				have, lastGain = fi.Size(), time.Now()
			}
			switch {
			case have >= want:
				secs = time.Since(start).Seconds()
				break poll
			case time.Since(lastGain) > time.Minute:
				cmd.Process.Kill()
				<-exited
				return nil, fmt.Errorf("rsyslogd wrote nothing for a minute (%d of %d bytes)\n    %s", have, want, lastLines(out.String(), 5))
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			<-exited
		}
		data, err := os.ReadFile(outPath)
		if err != nil {
			return nil, err
		}
		if n := bytes.Count(data, []byte{'\n'}); n != b.opts.Events {
			return nil, fmt.Errorf("rsyslogd wrote %d lines, expected %d", n, b.opts.Events)
		}
		return peerFigures(cmd.ProcessState, float64(b.opts.Events), b.peerEventBytes, secs), nil
	}
}

// peerFigures are a peer's whole-process figures (start-up included: a
// peer's warm-up cannot be observed from outside).
func peerFigures(st *os.ProcessState, events, eventBytes, secs float64) map[string]float64 {
	m := map[string]float64{
		mEventsPerS:      events / secs,
		mWholeEventsPerS: events / secs,
		mMBPerS:          events * eventBytes / secs / 1e6,
		mMeasuredEvents:  events,
		mSeconds:         secs,
	}
	if st != nil {
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			cpu := tv(ru.Utime) + tv(ru.Stime)
			m[mCPUPerM] = cpu / events * 1e6
			m[mWholeCPUPerM] = m[mCPUPerM]
			m[mMaxRSSMB] = float64(ru.Maxrss) / 1024
		}
	}
	return m
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n    ")
}
