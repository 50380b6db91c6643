package op

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/pipeline"
	"github.com/temblor-dev/temblor/internal/wal"
)

func init() {
	pipeline.RegisterOperator(pipeline.OperatorSpec{
		Name: "qos::wal",
		Doc: "Persistent write-ahead log: stores every event durably, acks it upstream once durable, " +
			"and delivers it downstream at least once, across engine restarts and downstream outages.",
		New: newWAL,
	})
}

// Defaults for our own qos::wal parameters.
const (
	defaultMaxInflight = 1000
	walHoldCap         = 256 // events held in memory while full (block policy)
	// A full WAL resumes its sources once its backlog is back under this
	// share of each cap, so that a WAL at its cap pauses and resumes once
	// per burst instead of once per acked event.
	resumeAtPercent = 90
	maxRetryBackoff = 5 * time.Second
	minRetryBackoff = 100 * time.Millisecond
	// A backlog of at least progressBacklog events is reported every
	// progressEvery while it lasts, and once more when it has drained.
	progressBacklog = 1000
)

var progressEvery = 10 * time.Second

// walOp is the qos::wal operator. It owns its log: events arriving are
// appended (and acked upstream once durable); stored events are read back
// and emitted under IDs of the operator's own (the log's sequence numbers),
// and downstream acks advance the log's durable cursor.
//
// All fields but the watcher's are owned by the pipeline goroutine.
type walOp struct {
	url         string
	dir         string
	log         *wal.Log
	readCount   int
	maxInflight int
	maxElements uint64
	maxBytes    uint64
	overflow    wal.OverflowPolicy
	logger      interface {
		Info(string, ...any)
		Warn(string, ...any)
		Error(string, ...any)
	}

	src      event.SourceID
	next     uint64              // next sequence to emit
	inflight map[uint64]struct{} // emitted, awaiting ack or fail
	broken   bool                // a downstream breaker is open
	full     bool                // we tripped the breaker upstream
	retryAt  time.Time
	backoff  time.Duration
	pending  []pendingAppend // appends in order, awaiting durability
	held     []heldEvent     // accepted while full, appended when room frees
	// batchData is OnBatch's scratch list of stored forms.
	batchData [][]byte

	commits chan commitWait
	watchWG sync.WaitGroup

	labels prometheus.Labels
	// this instance's collectors, resolved once (not per event)
	mStored, mEmitted, mAcked, mFailed, mRefused prometheus.Counter
	mDroppedNew, mDroppedOld                     prometheus.Counter
	mBacklog, mBacklogBytes, mInflight           prometheus.Gauge

	// The log cannot write (a full disk, an I/O error): failed holds the
	// error until writeRetryAt, when storing is tried again; failedSince
	// marks the episode until an append succeeds.
	failed                    error
	failedSince, writeRetryAt time.Time
	writeBackoff              time.Duration
	mLost                     prometheus.Counter
	nLost                     uint64 // records lost to damage, counted in mLost
	// totals for this instance, logged at Close
	nStored, nEmitted, nAcked, nFailed, nRefused uint64
	nDroppedInFlight                             uint64 // drop_oldest drops of events already sent

	// backlog progress reports
	backlogSince, progressAt time.Time
	progressAcked            uint64
	// len(held), for Backlog on other goroutines
	nHeld atomic.Int64
}

// pendingAppend is an append (of one event or of a batch) awaiting
// durability, with the IDs of its transactional events.
type pendingAppend struct {
	c   *wal.Commit
	ids event.IDs
}

// heldEvent is an event accepted while the log was full, with its stored
// form (whose size decides when it fits).
type heldEvent struct {
	ev   *event.Event
	data []byte
}

type commitWait struct {
	c    *wal.Commit
	wake func()
}

var _ pipeline.ContraflowHandler = (*walOp)(nil)
var _ pipeline.BatchOperator = (*walOp)(nil)
var _ pipeline.SignalHandler = (*walOp)(nil)
var _ pipeline.Closer = (*walOp)(nil)

func newWAL(env pipeline.OpEnv, p *pipeline.Params) (pipeline.Operator, error) {
	if !p.Has("read_count") {
		return nil, p.Errorf("", "`read_count` is required: how many stored events to emit per scheduling step, e.g. `read_count = 20`")
	}
	readCount, err := p.Uint("read_count", 0)
	if err != nil {
		return nil, err
	}
	if readCount == 0 {
		return nil, p.Errorf("read_count", "`read_count` must be at least 1")
	}
	maxElements, err := p.Uint("max_elements", 0)
	if err != nil {
		return nil, err
	}
	maxBytes, err := p.Uint("max_bytes", 0)
	if err != nil {
		return nil, err
	}
	if !p.Has("max_elements") && !p.Has("max_bytes") {
		return nil, p.Errorf("", "needs at least one of `max_elements` or `max_bytes` (the capacity limits), e.g. `max_elements = 1000`")
	}
	dir, err := p.String("dir", "")
	if err != nil {
		return nil, err
	}
	// Tremor's spelling, kept for compatibility: true forces an fsync per
	// write; we are durable by default anyway (sync = "always").
	flushOnEvent, err := p.Bool("flush_on_evnt", false)
	if err != nil {
		return nil, err
	}
	syncName, err := p.String("sync", "always")
	if err != nil {
		return nil, err
	}
	syncPolicy, err := wal.ParseSyncPolicy(syncName)
	if err != nil {
		return nil, p.Errorf("sync", "`sync` must be \"always\", \"interval\" or \"none\", got %q", syncName)
	}
	if flushOnEvent && p.Has("sync") && syncPolicy != wal.SyncAlways {
		return nil, p.Errorf("flush_on_evnt", "`flush_on_evnt = true` asks for an fsync per write, which contradicts `sync = %q`; remove one of them", syncName)
	}
	intervalMS, err := p.Uint("sync_interval_ms", 100)
	if err != nil {
		return nil, err
	}
	ovName, err := p.String("overflow", "block")
	if err != nil {
		return nil, err
	}
	overflow, err := wal.ParseOverflowPolicy(ovName)
	if err != nil {
		return nil, p.Errorf("overflow", "`overflow` must be \"block\", \"drop_oldest\" or \"drop_newest\", got %q", ovName)
	}
	maxInflight, err := p.Uint("max_inflight", defaultMaxInflight)
	if err != nil {
		return nil, err
	}
	if maxInflight < readCount {
		maxInflight = readCount
	}
	segSize, err := p.Uint("segment_size", 0)
	if err != nil {
		return nil, err
	}
	if err := p.CheckUnknown(); err != nil {
		return nil, err
	}

	if dir == "" {
		dir = defaultWALDir(env)
	} else if !filepath.IsAbs(dir) && env.DataDir != "" {
		// Relative dirs stay relative to the working directory, as in
		// Tremor; say where that is so nobody has to guess.
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	if env.Claim != nil {
		// Two WALs in one directory would each take the other's records
		// and cursor for its own: refused at load, before anything opens
		// (also with --validate).
		key := filepath.Clean(dir)
		if abs, err := filepath.Abs(key); err == nil {
			key = abs
		}
		who := fmt.Sprintf("qos::wal `%s` of %s (%s)", env.Node, env.Pipeline, p.Where("dir"))
		if prev, ok := env.Claim("wal dir "+key, who); !ok {
			return nil, p.Errorf("dir", "in %s, the WAL directory %s is already used by %s; two WALs cannot share a directory: give each its own `dir`, or leave `dir` out (each pipeline instance then gets its own under --data-dir)", env.Pipeline, key, prev)
		}
	}
	if env.Validate {
		// Checked, not opened: a running engine may hold the directory.
		return passthrough{}, nil
	}
	// w is filled in below; the log calls onDrop from Append, which only
	// the pipeline goroutine calls.
	w := &walOp{}
	log, err := wal.Open(dir, wal.Options{
		OnDrop:       w.onDrop,
		SegmentSize:  int64(segSize),
		Sync:         syncPolicy,
		SyncInterval: time.Duration(intervalMS) * time.Millisecond,
		MaxElements:  maxElements,
		MaxBytes:     maxBytes,
		Overflow:     overflow,
		Logger:       env.Logger,
		MarkerDir:    markerDir(env),
	})
	if err != nil {
		var le *wal.LockedError
		if errors.As(err, &le) {
			return nil, p.Errorf("dir", "%v; each WAL instance needs a directory of its own: stop the other process, or give this operator another `dir` (or none: it then gets one under --data-dir per pipeline instance)", err)
		}
		return nil, p.Errorf("dir", "cannot open the WAL in %s: %v", dir, err)
	}
	st := log.Stats()
	*w = walOp{
		url: env.Pipeline + "/" + env.Node, dir: dir, log: log,
		readCount: int(readCount), maxInflight: int(maxInflight),
		maxElements: maxElements, maxBytes: maxBytes, overflow: overflow,
		logger:   env.Logger,
		src:      event.NewSourceID(),
		next:     st.Acked + 1,
		inflight: map[uint64]struct{}{},
		backoff:  minRetryBackoff,
		commits:  make(chan commitWait, 4096),
		labels:   prometheus.Labels{"pipeline": env.Pipeline, "operator": env.Node},
	}
	// What recovery found the log has logged itself, once; it is counted
	// in temblor_wal_lost_records_total by updateGauges.
	if st.Records > 0 {
		env.Logger.Info("WAL re-sends the events not acknowledged before the restart", "dir", dir, "backlog", st.Records, "from_seq", w.next)
	}
	w.mStored = walMetrics.stored.With(w.labels)
	w.mEmitted = walMetrics.emitted.With(w.labels)
	w.mAcked = walMetrics.acked.With(w.labels)
	w.mFailed = walMetrics.failed.With(w.labels)
	w.mRefused = walMetrics.refused.With(w.labels)
	w.mDroppedNew = walMetrics.dropped.With(prometheus.Labels{"pipeline": env.Pipeline, "operator": env.Node, "policy": "drop_newest"})
	w.mDroppedOld = walMetrics.dropped.With(prometheus.Labels{"pipeline": env.Pipeline, "operator": env.Node, "policy": "drop_oldest"})
	w.mBacklog = walMetrics.backlog.With(w.labels)
	w.mBacklogBytes = walMetrics.backlogBytes.With(w.labels)
	w.mInflight = walMetrics.inflight.With(w.labels)
	w.mLost = walMetrics.lost.With(w.labels)
	w.watchWG.Add(1)
	go w.watch()
	w.updateGauges()
	return w, nil
}

// markerDir is where the WALs of a data directory keep their markers
// (see wal.Options.MarkerDir); none without a data directory.
func markerDir(env pipeline.OpEnv) string {
	if env.DataDir == "" {
		return ""
	}
	return filepath.Join(env.DataDir, wal.MarkerDirName)
}

// defaultWALDir is <data-dir>/wal/<pipeline>/<instance>/<operator>: one
// directory per pipeline instance and operator, so instances never share.
func defaultWALDir(env pipeline.OpEnv) string {
	parts := []string{env.DataDir, "wal"}
	for _, s := range strings.Split(strings.TrimPrefix(env.Pipeline, "/pipeline/"), "/") {
		if s != "" {
			parts = append(parts, safePathPart(s))
		}
	}
	parts = append(parts, safePathPart(env.Node))
	return filepath.Join(parts...)
}

func safePathPart(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == os.PathSeparator {
			return '_'
		}
		return r
	}, strings.TrimLeft(s, "."))
}

// watch turns durability signals into wake-ups of the pipeline goroutine.
// Commits complete in append order, so waiting on them in order is exact.
func (w *walOp) watch() {
	defer w.watchWG.Done()
	for cw := range w.commits {
		<-cw.c.Done()
		cw.wake()
	}
}

// OnEvent stores the event; it is emitted once durable (see OnSignal). An
// event that can never be stored (larger than max_bytes or a segment) is
// refused with an error: the pipeline sends it to its `err` port or counts
// it as dropped, and the events behind it go on.
func (w *walOp) OnEvent(c *pipeline.Context, _ string, ev *event.Event) error {
	data := EncodeStored(ev)
	if len(w.held) > 0 || w.failed != nil {
		// Keep arrival order: nothing overtakes events already held.
		return w.hold(c, ev, data)
	}
	err := w.append(c, ev, data)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, wal.ErrFull):
		w.trip(c)
		return w.hold(c, ev, data)
	case errors.Is(err, wal.ErrTooLarge):
		return w.refuse(err)
	case errors.Is(err, wal.ErrDropped):
		// drop_newest: discarded on purpose, counted; ack upstream so a
		// source that can re-send does not keep offering it.
		w.mDroppedNew.Inc()
		if ev.Transactional {
			c.Upstream(event.Insight{Action: event.ActAck, IDs: ev.ID})
		}
		return nil
	default:
		w.cannotWrite(c, err)
		return w.hold(c, ev, data)
	}
}

// append stores data (ev's stored form) in the log; ev is acked upstream
// once durable. Under the block policy a log left full by it trips the
// breaker upstream at once, before the next event arrives.
func (w *walOp) append(c *pipeline.Context, ev *event.Event, data []byte) error {
	_, _, commit, err := w.log.Append(data)
	if err != nil {
		return err
	}
	if !w.failedSince.IsZero() {
		w.logger.Info("qos::wal can store events again", "wal", w.url, "after", time.Since(w.failedSince).Round(time.Millisecond).String())
		w.failedSince = time.Time{}
	}
	w.mStored.Inc()
	w.nStored++
	var ids event.IDs
	if ev.Transactional {
		ids = ev.ID
	}
	w.stored(c, commit, ids)
	return nil
}

// stored registers an append awaiting durability; under the block policy
// a log left full by it trips the breaker upstream at once, before the
// next event arrives.
func (w *walOp) stored(c *pipeline.Context, commit *wal.Commit, ids event.IDs) {
	w.pending = append(w.pending, pendingAppend{c: commit, ids: ids})
	w.commits <- commitWait{c: commit, wake: c.Wake}
	if w.overflow == wal.OverflowBlock && w.log.Room(0) != nil {
		w.trip(c)
	}
}

// OnBatch stores a batch with one append, one commit and one wake-up when
// it can (nothing held, the log writes, the whole batch fits); otherwise
// it takes the events one by one, as OnEvent does.
func (w *walOp) OnBatch(c *pipeline.Context, port string, b *event.Batch) {
	if len(w.held) == 0 && w.failed == nil && len(b.Events) > 1 {
		data := w.batchData[:0]
		for i := range b.Events {
			data = append(data, EncodeStored(&b.Events[i]))
		}
		_, _, commit, err := w.log.Append(data...)
		clear(data)
		w.batchData = data[:0]
		if err == nil {
			if !w.failedSince.IsZero() {
				w.logger.Info("qos::wal can store events again", "wal", w.url, "after", time.Since(w.failedSince).Round(time.Millisecond).String())
				w.failedSince = time.Time{}
			}
			w.mStored.Add(float64(len(b.Events)))
			w.nStored += uint64(len(b.Events))
			w.stored(c, commit, b.TransactionalIDs())
			return
		}
		// Full, too large, dropped or not written: nothing of the batch
		// was appended; decide event by event.
	}
	for i := range b.Events {
		if err := w.OnEvent(c, port, &b.Events[i]); err != nil {
			c.Failed(&b.Events[i], err)
		}
	}
}

// refuse is the answer for an event the log can never take.
func (w *walOp) refuse(err error) error {
	w.nRefused++
	w.mRefused.Inc()
	return fmt.Errorf("qos::wal %s refused the event: %w (raise max_bytes or segment_size, or make the event smaller)", w.url, err)
}

// cannotWrite pauses the sources when the log cannot write (a full disk,
// an I/O error) instead of failing every event that follows; what is
// stored stays and is delivered. Storing is tried again after a backoff
// (OnSignal), so the sources resume by themselves once it works.
func (w *walOp) cannotWrite(c *pipeline.Context, err error) {
	if w.failed == nil {
		w.failed = err
		if w.failedSince.IsZero() {
			w.failedSince = time.Now()
			w.writeBackoff = minRetryBackoff
			w.logger.Error("qos::wal cannot store events; pausing upstream and retrying until it can", "wal", w.url, "err", err)
		} else if w.writeBackoff *= 2; w.writeBackoff > maxRetryBackoff {
			w.writeBackoff = maxRetryBackoff
		}
		w.writeRetryAt = time.Now().Add(w.writeBackoff)
	}
	w.trip(c)
}

// hold keeps an event that arrived while the log was full. A transactional
// event is failed upstream instead: its source re-sends it later. One that
// could never be stored is refused at once.
func (w *walOp) hold(c *pipeline.Context, ev *event.Event, data []byte) error {
	if err := w.log.Room(len(data)); errors.Is(err, wal.ErrTooLarge) {
		return w.refuse(err)
	}
	if ev.Transactional {
		w.nRefused++
		w.mRefused.Inc()
		c.Upstream(event.Insight{Action: event.ActFail, IDs: ev.ID, Reason: "qos::wal is full"})
		return nil
	}
	if len(w.held) >= walHoldCap {
		w.nRefused++
		w.mRefused.Inc()
		w.logger.Error("qos::wal is full and its source ignores back-pressure: event refused", "wal", w.url, "id", ev.ID.String())
		return nil
	}
	w.held = append(w.held, heldEvent{ev: ev.Clone(), data: data}) // the batch's memory is reused
	w.nHeld.Store(int64(len(w.held)))
	return nil
}

// onDrop is called by the log for each record drop_oldest discards. A record
// already emitted and awaiting its ack is still on its way and may arrive;
// it is counted apart, and its ack or fail is ignored (the log has let it go).
func (w *walOp) onDrop(seq uint64) {
	w.mDroppedOld.Inc()
	if _, ok := w.inflight[seq]; ok {
		delete(w.inflight, seq)
		w.nDroppedInFlight++
	}
}

// belowResumeMark reports whether the backlog is under resumeAtPercent of
// every cap.
func (w *walOp) belowResumeMark() bool {
	st := w.log.Stats()
	under := func(v, limit uint64) bool { return limit == 0 || v*100 <= limit*resumeAtPercent }
	return under(st.Records, w.maxElements) && under(st.Bytes, w.maxBytes)
}

func (w *walOp) trip(c *pipeline.Context) {
	if w.full {
		return
	}
	w.full = true
	st := w.log.Stats()
	reason := "qos::wal full"
	if w.failed != nil {
		reason = "qos::wal cannot write: " + w.failed.Error()
	} else {
		w.logger.Warn("qos::wal full: pausing upstream", "wal", w.url, "events", st.Records, "bytes", st.Bytes,
			"max_elements", w.maxElements, "max_bytes", w.maxBytes)
	}
	c.Upstream(event.Insight{Action: event.ActTrigger, From: w.url, Reason: reason})
}

// OnSignal acks durable appends upstream, refills from held events, and
// emits stored events downstream.
func (w *walOp) OnSignal(c *pipeline.Context) error {
	w.ackDurable(c)
	if w.failed != nil && !time.Now().Before(w.writeRetryAt) {
		w.failed = nil // try again: the held events, or the sources' next, tell
	}
	if !w.full && w.overflow == wal.OverflowBlock && w.failed == nil && w.log.Room(0) != nil {
		w.trip(c) // restarted at its cap
	}
	if w.full && w.failed == nil {
		w.storeHeld(c)
		if len(w.held) == 0 && w.log.Room(0) == nil && w.belowResumeMark() {
			w.full = false
			if w.failedSince.IsZero() { // else it says so once an append succeeds
				w.logger.Info("qos::wal has room again: resuming upstream", "wal", w.url)
			}
			c.Upstream(event.Insight{Action: event.ActRestore, From: w.url})
		}
	}
	err := w.emit(c)
	w.updateGauges()
	return err
}

// storeHeld appends held events, oldest first, while the log has room for
// the next one; acks make more room later.
func (w *walOp) storeHeld(c *pipeline.Context) {
	for len(w.held) > 0 && w.log.Room(len(w.held[0].data)) == nil {
		h := w.held[0]
		if err := w.append(c, h.ev, h.data); err != nil {
			// Room said it fits, so only a write failure gets here.
			w.cannotWrite(c, err)
			return
		}
		w.held[0] = heldEvent{}
		w.held = w.held[1:]
		w.nHeld.Store(int64(len(w.held)))
	}
}

// ackDurable acks upstream, in order, the appends that became durable:
// one insight for all of them (their IDs are ranges).
func (w *walOp) ackDurable(c *pipeline.Context) {
	var acked event.IDs
	for len(w.pending) > 0 {
		p := w.pending[0]
		if !isDone(p.c) {
			break
		}
		w.pending[0] = pendingAppend{}
		w.pending = w.pending[1:]
		if err := p.c.Err(); err != nil {
			w.logger.Error("qos::wal write failed", "wal", w.url, "err", err)
			if !p.ids.IsZero() {
				c.Upstream(event.Insight{Action: event.ActFail, IDs: p.ids, Reason: err.Error()})
			}
		} else {
			acked.AddAll(p.ids)
		}
	}
	if !acked.IsZero() {
		c.Upstream(event.Insight{Action: event.ActAck, IDs: acked})
	}
}

func isDone(c *wal.Commit) bool {
	select {
	case <-c.Done():
		return true
	default:
		return false
	}
}

func (w *walOp) emit(c *pipeline.Context) error {
	if w.broken || time.Now().Before(w.retryAt) {
		return nil
	}
	room := w.maxInflight - len(w.inflight)
	if room > w.readCount {
		room = w.readCount
	}
	if room <= 0 {
		return nil
	}
	recs, err := w.log.Read(w.next, room)
	if err != nil {
		return fmt.Errorf("qos::wal %s: reading: %w", w.url, err)
	}
	for _, r := range recs {
		w.next = r.Seq + 1
		if _, busy := w.inflight[r.Seq]; busy {
			// Still awaiting its answer (a fail of an earlier event
			// rewound the read position): not sent twice.
			continue
		}
		ev, err := DecodeStored(r.Data)
		if err != nil {
			// The log verified the record's checksum, so this is a format
			// mismatch, not disk corruption; it can never be delivered.
			w.logger.Error("qos::wal record cannot be decoded; skipping it", "wal", w.url, "seq", r.Seq, "err", err)
			_ = w.log.Ack(r.Seq)
			continue
		}
		ev.ID = event.One(w.src, 0, r.Seq)
		ev.Transactional = true
		w.inflight[r.Seq] = struct{}{}
		w.mEmitted.Inc()
		w.nEmitted++
		c.Emit("out", ev)
	}
	return nil
}

// OnContraflow consumes the insights that concern the log: acks and fails of
// its own IDs (taken out of the insight, which goes on upstream with the
// rest), and downstream breaker changes (the WAL buffers, so those stop
// here instead of pausing the sources).
func (w *walOp) OnContraflow(c *pipeline.Context, in *event.Insight) bool {
	switch in.Action {
	case event.ActTrigger:
		w.broken = true
		return false
	case event.ActRestore:
		w.broken = false
		w.retryAt = time.Time{}
		w.backoff = minRetryBackoff
		c.Wake()
		return false
	case event.ActAck, event.ActFail:
		own, rest := in.IDs.Split(w.src)
		if own.IsZero() {
			return true
		}
		in.IDs = rest
		if in.Action == event.ActAck {
			w.acked(c, own)
		} else {
			w.failedDownstream(own)
		}
		return !rest.IsZero()
	}
	return true
}

// acked advances the log over the acked sequence numbers.
func (w *walOp) acked(c *pipeline.Context, ids event.IDs) {
	for i := range ids.Len() {
		r := ids.At(i)
		for s := r.Start; s <= r.End; s++ {
			delete(w.inflight, s)
			if err := w.log.Ack(s); err != nil {
				w.logger.Error("qos::wal ack failed", "wal", w.url, "seq", s, "err", err)
			}
			w.mAcked.Inc()
			w.nAcked++
		}
	}
	w.backoff = minRetryBackoff
	c.Wake()
}

// failedDownstream rewinds to re-send from the first failed event still
// ours: one that drop_oldest let go while it was in flight is not re-sent.
func (w *walOp) failedDownstream(ids event.IDs) {
	resend := uint64(0)
	for i := range ids.Len() {
		r := ids.At(i)
		for s := r.Start; s <= r.End; s++ {
			if _, ok := w.inflight[s]; !ok {
				continue
			}
			delete(w.inflight, s)
			w.mFailed.Inc()
			w.nFailed++
			if resend == 0 || s < resend {
				resend = s
			}
		}
	}
	if resend == 0 {
		return
	}
	if resend < w.next {
		w.next = resend
	}
	// Back off before re-sending so a sink that fails at once (it is
	// down, or the event cannot be encoded) does not spin. A burst of
	// fails (a connection dropping with hundreds in flight) is one
	// round: the backoff grows once per round, not once per event.
	if now := time.Now(); !now.Before(w.retryAt) {
		w.retryAt = now.Add(w.backoff)
		if w.backoff *= 2; w.backoff > maxRetryBackoff {
			w.backoff = maxRetryBackoff
		}
	}
}

func (w *walOp) updateGauges() {
	st := w.log.Stats()
	w.mBacklog.Set(float64(st.Records))
	w.mBacklogBytes.Set(float64(st.Bytes))
	w.mInflight.Set(float64(len(w.inflight)))
	if st.LostRecords > w.nLost {
		w.mLost.Add(float64(st.LostRecords - w.nLost))
		w.nLost = st.LostRecords
	}
	w.reportProgress(st)
}

// Backlog is how many events the WAL holds: stored and not yet acked, plus
// any held in memory while it was full.
func (w *walOp) Backlog() uint64 { return w.log.Stats().Records + uint64(w.nHeld.Load()) }

// reportProgress logs a large backlog every progressEvery while it lasts
// (size, delivery rate, and an estimate of when it will have drained, or
// that downstream is unavailable), and once more when it has drained.
func (w *walOp) reportProgress(st wal.Stats) {
	now := time.Now()
	if st.Records >= progressBacklog {
		if w.backlogSince.IsZero() {
			w.backlogSince, w.progressAt, w.progressAcked = now, now, w.nAcked
			return
		}
		if el := now.Sub(w.progressAt); el >= progressEvery {
			rate := float64(w.nAcked-w.progressAcked) / el.Seconds()
			args := []any{"wal", w.url, "backlog", st.Records, "bytes", st.Bytes, "delivered_per_s", int64(rate)}
			switch {
			case w.broken:
				args = append(args, "downstream", "unavailable")
			case rate >= 1:
				args = append(args, "drained_in", (time.Duration(float64(st.Records)/rate) * time.Second).Round(time.Second).String())
			}
			w.logger.Info("qos::wal backlog", args...)
			w.progressAt, w.progressAcked = now, w.nAcked
		}
		return
	}
	if st.Records == 0 && !w.backlogSince.IsZero() {
		w.logger.Info("qos::wal backlog drained", "wal", w.url, "after", now.Sub(w.backlogSince).Round(time.Millisecond).String())
		w.backlogSince = time.Time{}
	}
}

// AnswersUpstream: the WAL acks every transactional event it accepts once
// it is durable (or fails it when it cannot store it).
func (w *walOp) AnswersUpstream() {}

// Close closes the log (flushing and persisting its cursor), then stops the
// watcher once every pending commit has completed.
func (w *walOp) Close() error {
	w.storeHeldPastCaps()
	st := w.log.Stats()
	w.logger.Info("qos::wal closed", "wal", w.url, "dir", w.dir,
		"stored", w.nStored, "emitted", w.nEmitted, "acked", w.nAcked, "failed", w.nFailed,
		"refused", w.nRefused, "dropped", st.Dropped, "dropped_in_flight", w.nDroppedInFlight, "backlog", st.Records)
	err := w.log.Close()
	close(w.commits)
	w.watchWG.Wait()
	return err
}

// storeHeldPastCaps stores, at Close, the events held in memory while the
// log was full: their sources were told to pause and will not send them
// again, so the caps give way for these few (at most walHoldCap) rather
// than lose them.
func (w *walOp) storeHeldPastCaps() {
	if len(w.held) == 0 {
		return
	}
	n := len(w.held)
	if w.failed == nil {
		data := make([][]byte, n)
		for i, h := range w.held {
			data[i] = h.data
		}
		_, _, _, err := w.log.AppendPastCaps(data...)
		if err == nil {
			w.nStored += uint64(n)
			w.mStored.Add(float64(n))
			w.logger.Info("qos::wal stored the events it held in memory while full, past its caps, so that none is lost", "wal", w.url, "events", n)
			w.held = nil
			w.nHeld.Store(0)
			return
		}
		w.failed = err
	}
	w.logger.Error("qos::wal closed with events held in memory that it could not store; they are lost", "wal", w.url, "events", n, "err", w.failed)
}

// EncodeStored is the stored form of an event (event.AppendStored), in a
// buffer of exactly its size.
func EncodeStored(ev *event.Event) []byte {
	return event.AppendStored(make([]byte, 0, event.StoredSize(ev)), ev)
}

// DecodeStored decodes a WAL record written by the qos::wal operator (for
// tools and tests that read a WAL directory).
func DecodeStored(b []byte) (*event.Event, error) { return event.DecodeStored(b) }
