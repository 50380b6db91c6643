package benchrun

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// latencyRun sends events at a fixed rate into the engine's websocket
// onramp and receives them from its websocket offramp, both here, so the
// send and receive times come from one clock. Latency is measured from
// the moment an event is handed to the websocket until it arrives.
type latencyRun struct {
	dir   string
	files []string
	rate  int           // events per second
	warm  time.Duration // sent before measuring
	dur   time.Duration // measured
}

func (b *bencher) runLatency(ctx context.Context, lr latencyRun, sinkURL string, recv *receiver) (map[string]float64, error) {
	e, err := b.startEngine(ctx, lr.dir, lr.files...)
	if err != nil {
		return nil, err
	}
	defer e.kill()
	addr, err := e.onrampAddr(ctx)
	if err != nil {
		return nil, err
	}
	warmN := int(float64(lr.rate) * lr.warm.Seconds())
	total := warmN + int(float64(lr.rate)*lr.dur.Seconds())
	recv.reset(total)

	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	conn, _, err := websocket.Dial(dctx, "ws://"+addr+"/", nil)
	cancel()
	if err != nil {
		return nil, e.failure(fmt.Sprintf("connecting to the engine's websocket onramp at %s: %v", addr, err))
	}
	defer conn.CloseNow()

	// The offramp connects on start; its first event waits for that.
	var cpu0 float64
	start := time.Now()
	interval := time.Second / time.Duration(lr.rate)
	var maxLag time.Duration
	buf := make([]byte, 0, 128)
	for i := 0; i < total; {
		now := time.Since(start)
		due := min(int(now/interval)+1, total)
		if lag := now - time.Duration(i)*interval; i < due && lag > maxLag && i >= warmN {
			maxLag = lag
		}
		for ; i < due; i++ {
			if i == warmN {
				cpu0, _ = procCPU(e.cmd.Process.Pid)
			}
			buf = appendEvent(buf[:0], int64(i), time.Now().UnixNano())
			recv.sent[i].Store(int64(time.Since(recv.epoch)))
			recv.sched[i] = int64(start.Add(time.Duration(i) * interval).Sub(recv.epoch))
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := conn.Write(wctx, websocket.MessageText, buf)
			cancel()
			if err != nil {
				return nil, e.failure(fmt.Sprintf("sending event %d to the engine: %v", i, err))
			}
		}
		time.Sleep(interval / 2)
	}
	sendSecs := time.Since(start).Seconds()
	select {
	case <-recv.done:
	case <-time.After(time.Minute):
		return nil, e.failure(fmt.Sprintf("only %d of %d events reached the websocket offramp within a minute of the last send", recv.count.Load(), total))
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	cpu1, _ := procCPU(e.cmd.Process.Pid)
	conn.Close(websocket.StatusNormalClosure, "")
	if _, _, err := e.stop(); err != nil {
		return nil, err
	}
	lat, fromSched := recv.latencies(warmN)
	if len(lat) == 0 {
		return nil, fmt.Errorf("latency: no event measured")
	}
	p, ps := percentiles(lat), percentiles(fromSched)
	return map[string]float64{
		mP50: p[0], mP99: p[1], mP999: p[2], mMax: p[3],
		mP99Sched:       ps[1],
		mRate:           float64(total) / sendSecs,
		mMaxSendLagMS:   float64(maxLag) / 1e6,
		mCPUPerM:        (cpu1 - cpu0) / float64(total-warmN) * 1e6,
		mMeasuredEvents: float64(len(lat)),
		mDuplicates:     float64(recv.dups.Load()),
	}, nil
}

// appendEvent writes the bench's event shape (about 80 bytes).
func appendEvent(b []byte, id, ingestNS int64) []byte {
	b = append(b, `{"onramp":"metronome","id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"ingest_ns":`...)
	b = strconv.AppendInt(b, ingestNS, 10)
	b = append(b, `,"level":"info"}`...)
	return b
}

// receiver is the websocket server the latency scenario's offramp sends
// to. It outlives engine runs (the offramp reconnects to each new engine).
type receiver struct {
	epoch time.Time
	srv   *http.Server
	ln    net.Listener

	mu    sync.Mutex
	sent  []atomic.Int64 // ns since epoch when event i was sent
	sched []int64        // ns since epoch when event i was due (sender only)
	recvd []atomic.Int64 // ns since epoch when event i first arrived
	count atomic.Int64
	dups  atomic.Int64
	want  int64
	done  chan struct{}
}

func newReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{epoch: time.Now(), ln: ln, done: make(chan struct{})}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *receiver) url() string { return "ws://" + r.ln.Addr().String() + "/" }

func (r *receiver) close() { r.srv.Close() }

func (r *receiver) reset(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = make([]atomic.Int64, n)
	r.sched = make([]int64, n)
	r.recvd = make([]atomic.Int64, n)
	r.count.Store(0)
	r.dups.Store(0)
	r.want = int64(n)
	r.done = make(chan struct{})
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	c, err := websocket.Accept(w, req, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	for {
		// Reading also answers the offramp's pings, which is how it acks.
		_, msg, err := c.Read(req.Context())
		if err != nil {
			return
		}
		at := int64(time.Since(r.epoch))
		var ev struct {
			ID *int64 `json:"id"`
		}
		if json.Unmarshal(msg, &ev) != nil || ev.ID == nil {
			continue
		}
		r.mu.Lock()
		recvd, done, want := r.recvd, r.done, r.want
		r.mu.Unlock()
		id := *ev.ID
		if id < 0 || id >= int64(len(recvd)) {
			continue
		}
		if !recvd[id].CompareAndSwap(0, at) {
			r.dups.Add(1) // at-least-once: a resend after a reconnect
			continue
		}
		if r.count.Add(1) == want {
			close(done)
		}
	}
}

// latencies are the receive-minus-send times of the events from index
// from on, and the receive-minus-due times (which also count the time a
// send waited on the engine: no coordinated omission).
func (r *receiver) latencies(from int) (sent, due []time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := from; i < len(r.sent); i++ {
		s, v := r.sent[i].Load(), r.recvd[i].Load()
		if v != 0 && s != 0 {
			sent = append(sent, time.Duration(v-s))
			due = append(due, time.Duration(v-r.sched[i]))
		}
	}
	return sent, due
}

// percentiles returns p50, p99, p99.9 and max in milliseconds.
func percentiles(d []time.Duration) [4]float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) float64 {
		i := int(q*float64(len(s))+0.5) - 1
		i = max(0, min(i, len(s)-1))
		return float64(s[i]) / 1e6
	}
	return [4]float64{at(0.50), at(0.99), at(0.999), float64(s[len(s)-1]) / 1e6}
}
