package benchrun

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// metricsSample is one scrape of the engine's /metrics, with the process's
// CPU time read from /proc right after it.
type metricsSample struct {
	at       time.Duration // since the engine started, middle of the scrape
	acked    float64       // events the offramps acknowledged (all instances)
	failed   float64       // events the offramps failed or could not encode
	mallocs  float64       // go_memstats_mallocs_total
	allocB   float64       // go_memstats_alloc_bytes_total
	cpu      float64       // utime+stime in seconds
	hasAlloc bool
}

// scrape reads url (a Prometheus text exposition) into a sample.
func scrape(ctx context.Context, client *http.Client, url string) (metricsSample, error) {
	var s metricsSample
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return s, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics sums the series the bench needs from the text format.
func parseMetrics(r io.Reader) (metricsSample, error) {
	var s metricsSample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels, value, ok := splitSeries(line)
		if !ok {
			continue
		}
		switch name {
		case "temblor_offramp_events_total":
			switch {
			case strings.Contains(labels, `outcome="acked"`):
				s.acked += value
			default:
				s.failed += value
			}
		case "go_memstats_mallocs_total":
			s.mallocs, s.hasAlloc = value, true
		case "go_memstats_alloc_bytes_total":
			s.allocB = value
		}
	}
	return s, sc.Err()
}

// splitSeries splits `name{labels} value [timestamp]`.
func splitSeries(line string) (name, labels string, value float64, ok bool) {
	rest := line
	if i := strings.IndexByte(line, '{'); i >= 0 {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return "", "", 0, false
		}
		name, labels, rest = line[:i], line[i+1:j], line[j+1:]
	} else {
		i := strings.IndexByte(line, ' ')
		if i < 0 {
			return "", "", 0, false
		}
		name, rest = line[:i], line[i:]
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return "", "", 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return "", "", 0, false
	}
	return name, labels, v, true
}

// clockTicks is USER_HZ, fixed at 100 by the Linux ABI for /proc.
const clockTicks = 100

// procCPU reads a live process's user+system CPU seconds (the kernel's
// rusage accounting) from /proc/PID/stat.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcStat(string(b))
}

func parseProcStat(stat string) (float64, error) {
	// The command name may hold spaces and parentheses: fields start after
	// the last ')'. Then: state(0) ppid ... utime(11) stime(12).
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("unreadable /proc stat %q", stat)
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("unreadable /proc stat %q", stat)
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unreadable /proc stat %q", stat)
	}
	return float64(u+s) / clockTicks, nil
}
