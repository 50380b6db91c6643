package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lograte"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:    "kafka",
		Summary: "Consumer-group member reading `topics` from `brokers`; an offset is committed only once every record before it was acked",
		Docs: "Several temblor processes with the same `group_id` share the topics' partitions (franz-go's consumer " +
			"group, cooperative-sticky by default). Each record is one input frame; its metadata is `$kafka` = " +
			"`{key, headers, topic, offset, partition, timestamp}` (key and header values as bytes), as in Tremor. " +
			"Each partition is a stream of its own (preprocessors keep their state per partition).\n\n" +
			"**What is committed.** Per partition, temblor commits the offset after the longest run of records " +
			"from the last commit whose events were all acked downstream (stored by a `qos::wal`, or confirmed by " +
			"the offramps they reached). A crash therefore re-delivers and never skips: the records re-read after a " +
			"restart are at most `max_in_flight` (records handed over and not yet committed). Commits happen every " +
			"`auto.commit.interval.ms` (default 1000) and whenever half of `max_in_flight` awaits one; reading " +
			"pauses while `max_in_flight` records are uncommitted.\n\n" +
			"**Rebalances.** When a partition is revoked, temblor waits up to 2 s for its in-flight records to be " +
			"answered, commits what was acked, and forgets the rest: their later acks are ignored and the new " +
			"owner reads them again. A partition lost outright (the session expired) commits nothing.\n\n" +
			"**Failed events.** With `retry_failed_events` (the default) a failed event's record is read again: " +
			"the partition seeks back to it, and everything after it is re-delivered too. Without it, a failed " +
			"record counts as done (counted in `temblor_kafka_records_skipped_total` and logged) — Tremor's " +
			"behaviour, which loses it. Events still in flight when the engine stops are never counted as done.\n\n" +
			"Differences from Tremor 0.11: the onramp is always transactional (Tremor committed every 5 s " +
			"whatever happened downstream unless `enable.auto.commit` was \"false\"); a group without a committed " +
			"offset starts at the earliest record (librdkafka started at the latest; set `auto.offset.reset: " +
			"latest` for that); a topic that does not exist is waited for (Tremor stopped the onramp).\n\n" +
			"Metrics per partition: `temblor_kafka_consumer_lag`, `temblor_kafka_committed_offset`, " +
			"`temblor_kafka_in_flight_records`.\n\n`rdkafka_options` are read as follows; any other is an error " +
			"naming it.\n\n" + optionsDoc(consumer),
		DefaultCodec: "json",
		New:          newSource,
	})
}

type sourceConfig struct {
	Brokers           []string          `conf:"brokers,required" doc:"Bootstrap brokers, as host:port." example:"[\"localhost:9092\"]"`
	Topics            []string          `conf:"topics,required" doc:"The topics to consume." example:"[\"logs\"]"`
	GroupID           string            `conf:"group_id,required" doc:"The consumer group: the temblor processes of one group share the partitions." example:"temblor"`
	RetryFailedEvents bool              `conf:"retry_failed_events" default:"true" doc:"Read a failed event's record again (seek back); false counts it as done and moves on, as Tremor did."`
	PollInterval      uint64            `conf:"poll_interval" default:"100" min:"1" max:"60000" doc:"Milliseconds one poll waits for records before the onramp checks in again. Records are delivered as soon as they arrive (franz-go long-polls), whatever this is."`
	MaxInFlight       uint64            `conf:"max_in_flight" default:"10000" min:"1" max:"10000000" doc:"Records handed over and not yet committed, at most; it bounds what a crash re-delivers."`
	RdkafkaOptions    map[string]string `conf:"rdkafka_options" doc:"librdkafka options, mapped onto franz-go where it has an equivalent (see the table); an option without one is an error."`
}

func newSource(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
	if len(c.Brokers) == 0 {
		return nil, p.At.Errorf("brokers", "`brokers` is empty; name at least one broker as host:port")
	}
	for i, b := range c.Brokers {
		if err := checkBroker(b); err != nil {
			return nil, p.At.Errorf(fmt.Sprintf("brokers.%d", i), "%v", err)
		}
	}
	if len(c.Topics) == 0 {
		return nil, p.At.Errorf("topics", "`topics` is empty; name at least one topic")
	}
	for _, t := range c.Topics {
		if strings.TrimSpace(t) == "" {
			return nil, p.At.Errorf("topics", "a topic name is empty")
		}
	}
	if strings.TrimSpace(c.GroupID) == "" {
		return nil, p.At.Errorf("group_id", "`group_id` is empty")
	}
	set, errs := parseOptions(c.RdkafkaOptions, consumer, p.At)
	if len(errs) > 0 {
		return nil, errs
	}
	every := set.commitEvery
	if every == 0 {
		every = time.Second
	}
	return &Source{url: p.URL, brokers: c.Brokers, topics: c.Topics, group: c.GroupID, retry: c.RetryFailedEvents,
		pollWait: sdk.Millis(c.PollInterval), window: int(c.MaxInFlight), commitEvery: every, set: set,
		revokeWait: 2 * time.Second}, nil
}

// checkBroker checks the form host:port.
func checkBroker(b string) error {
	i := strings.LastIndexByte(b, ':')
	if i <= 0 || i == len(b)-1 {
		return fmt.Errorf("broker %q is not host:port", b)
	}
	if n, err := strconv.ParseUint(b[i+1:], 10, 16); err != nil || n == 0 {
		return fmt.Errorf("broker %q: the port must be a number from 1 to 65535", b)
	}
	return nil
}

// tp names a partition.
type tp struct {
	topic string
	part  int32
}

func (t tp) String() string { return fmt.Sprintf("%s/%d", t.topic, t.part) }

// entry is a record handed over and not yet committed.
type entry struct {
	off    int64
	serial uint64 // which hand-over of this offset (a seek hands it again)
	state  uint8
}

const (
	pending uint8 = iota
	acked
	skipped
)

// partition is the state of one assigned partition. A new assignment is a
// new partition: records and acks of an older one never reach it.
type partition struct {
	tp
	stream    uint64
	dead      bool    // revoked or lost: its acks are ignored
	entries   []entry // handed over, by offset; the front is pending
	popped    int     // answered and not yet committed (before entries[0])
	next      int64   // offset after the last record handed over; -1 before the first
	committed int64   // last offset committed; -1 before the first commit
	seek      int64   // offset to read again from, -1 when none is due
	serial    uint64
	m         partMetrics
}

// commitable is the offset to commit: every record before it was answered.
func (p *partition) commitable() int64 {
	if len(p.entries) > 0 {
		return p.entries[0].off
	}
	return p.next
}

// find returns the index of the entry for off, or -1.
func (p *partition) find(off int64) int {
	i := sort.Search(len(p.entries), func(i int) bool { return p.entries[i].off >= off })
	if i < len(p.entries) && p.entries[i].off == off {
		return i
	}
	return -1
}

// advance pops the answered entries at the front.
func (p *partition) advance() {
	i := 0
	for i < len(p.entries) && p.entries[i].state != pending {
		i++
	}
	if i > 0 {
		p.popped += i
		p.entries = append(p.entries[:0], p.entries[i:]...)
	}
}

// Source is the kafka onramp.
type Source struct {
	url         string
	brokers     []string
	topics      []string
	group       string
	retry       bool
	pollWait    time.Duration
	window      int
	commitEvery time.Duration
	revokeWait  time.Duration
	set         *settings

	log     *slog.Logger
	m       *consumerMetrics
	cl      *kgo.Client
	skipLog *lograte.Limiter
	errLog  *lograte.Limiter

	commitMu sync.Mutex // one commit at a time: the committer's, a revoke's, the last

	mu         sync.Mutex
	parts      map[tp]*partition
	streams    map[tp]uint64
	inflight   int           // records handed over and not yet committed
	changed    chan struct{} // closed (and replaced) when answers or commits change the counts
	queue      []chunk       // polled records not yet handed over
	runCtx     context.Context
	closing    bool
	warnedGaps int

	kick    chan struct{} // wakes the committer
	stop    context.CancelFunc
	stopped chan struct{}
}

// chunk is the records of one partition from one poll.
type chunk struct {
	p    *partition // the assignment they were fetched for
	recs []*kgo.Record
}

var (
	_ sdk.PullSource   = (*Source)(nil)
	_ component.Opener = (*Source)(nil)
	_ component.Closer = (*Source)(nil)
)

// Open creates the client (franz-go connects and joins the group in the
// background) and starts the committer.
func (s *Source) Open(_ context.Context, env component.Env) error {
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("onramp", s.url)
	s.m = newConsumerMetrics(env.Metrics, s.url)
	s.parts, s.streams = map[tp]*partition{}, map[tp]uint64{}
	s.changed = make(chan struct{})
	s.kick = make(chan struct{}, 1)
	s.skipLog = lograte.New(10*time.Second, func(n, total uint64) {
		s.log.Warn("more failed records skipped (retry_failed_events is false)", "records", n, "total", total)
	})
	s.errLog = lograte.New(30*time.Second, func(n, total uint64) {
		s.log.Warn("more kafka consumer errors", "errors", n, "total", total)
	})
	extra, err := s.set.finish(consumer)
	if err != nil {
		return fmt.Errorf("kafka onramp %s: %w", s.url, err)
	}
	host, _ := os.Hostname()
	opts := []kgo.Opt{
		kgo.SeedBrokers(s.brokers...),
		kgo.ClientID("temblor-" + host),
		kgo.ConsumerGroup(s.group),
		kgo.ConsumeTopics(s.topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.SessionTimeout(6 * time.Second),
		kgo.HeartbeatInterval(2 * time.Second),
		kgo.FetchMaxWait(time.Second),
		kgo.OnPartitionsAssigned(s.assigned),
		kgo.OnPartitionsRevoked(s.revoked),
		kgo.OnPartitionsLost(s.lost),
		kgo.OnOffsetsFetched(s.fetched),
		kgo.WithLogger(&kgoLogger{log: s.log, debug: s.set.debug}),
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return fmt.Errorf("kafka onramp %s: %w", s.url, err)
	}
	s.cl = cl
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.stopped = cancel, make(chan struct{})
	go s.committer(ctx)
	s.log.Info("kafka onramp started", "brokers", strings.Join(s.brokers, ","), "topics", strings.Join(s.topics, ","), "group", s.group)
	return nil
}

// Close commits what was acked, leaves the group and closes the client.
func (s *Source) Close() error {
	if s.cl == nil {
		return nil
	}
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.stop()
	<-s.stopped
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	s.commit(ctx)
	cancel()
	s.cl.Close() // leaves the group: revoked runs, and commits again what may have come since
	s.skipLog.Stop()
	s.errLog.Stop()
	return nil
}

// changedLocked wakes whoever waits for the counts to change.
func (s *Source) changedLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Read hands over the next partition's records.
func (s *Source) Read(ctx context.Context) (*sdk.Input, error) {
	s.mu.Lock()
	if s.runCtx == nil {
		s.runCtx = ctx
	}
	s.mu.Unlock()
	for {
		// Wait for room in the window: what a crash may re-deliver is
		// bounded by it (serve hands over no more than the room left).
		for {
			s.mu.Lock()
			full, ch := s.inflight >= s.window, s.changed
			s.mu.Unlock()
			if !full {
				break
			}
			s.wakeCommitter()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if in := s.serve(); in != nil {
			return in, nil
		}
		if err := s.poll(ctx); err != nil {
			return nil, err
		}
		s.mu.Lock()
		empty := len(s.queue) == 0
		s.mu.Unlock()
		if empty {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, nil // nothing for poll_interval: the runner calls again
		}
		if in := s.serve(); in != nil {
			return in, nil
		}
	}
}

// poll fetches records into the queue. While it runs no rebalance can:
// seeks due are applied then, for partitions this member owns.
func (s *Source) poll(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, s.pollWait)
	fs := s.cl.PollRecords(pctx, 4096)
	cancel()
	defer s.cl.AllowRebalance()
	if fs.IsClientClosed() {
		return ctx.Err()
	}
	for _, fe := range fs.Errors() {
		if errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled) {
			continue
		}
		s.m.errors.Inc()
		if ok, total := s.errLog.Allow(); ok {
			s.log.Warn("kafka consumer error; franz-go retries", "topic", fe.Topic, "partition", fe.Partition, "err", fe.Err, "total", total)
		}
	}
	s.mu.Lock()
	seeks := map[string]map[int32]kgo.EpochOffset{}
	for _, p := range s.parts {
		if p.seek >= 0 {
			if seeks[p.topic] == nil {
				seeks[p.topic] = map[int32]kgo.EpochOffset{}
			}
			seeks[p.topic][p.part] = kgo.EpochOffset{Epoch: -1, Offset: p.seek}
		}
	}
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		p := s.parts[tp{fp.Topic, fp.Partition}]
		if p == nil || p.dead {
			return
		}
		if len(fp.Records) > 0 && p.seek < 0 {
			s.queue = append(s.queue, chunk{p: p, recs: fp.Records})
			last := fp.Records[len(fp.Records)-1].Offset
			if fp.HighWatermark > 0 {
				p.m.lag.Set(float64(max(0, fp.HighWatermark-last-1)))
			}
		} else if len(fp.Records) == 0 && fp.HighWatermark > 0 && p.next >= 0 {
			p.m.lag.Set(float64(max(0, fp.HighWatermark-p.next)))
		}
	})
	for t, ps := range seeks {
		for part := range ps {
			s.parts[tp{t, part}].seek = -1 // records fetched before the seek were not queued
		}
	}
	s.mu.Unlock()
	if len(seeks) > 0 {
		s.cl.SetOffsets(seeks)
		s.log.Debug("seeking back to re-read failed records", "partitions", seeks)
	}
	return nil
}

// maxInput is the most records one input holds.
const maxInput = 256

// serve turns the next queued chunk into an input, of at most the room
// left in the window.
func (s *Source) serve() *sdk.Input {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) > 0 {
		limit := min(maxInput, s.window-s.inflight)
		if limit <= 0 {
			return nil
		}
		c := s.queue[0]
		if len(c.recs) > limit {
			// The rest stays queued: the window bounds what is handed over
			// and not committed; and an input's answers are tracked per
			// frame, so smaller inputs are answered (and committed) sooner.
			s.queue[0].recs = c.recs[limit:]
			c.recs = c.recs[:limit]
		} else {
			s.queue[0] = chunk{}
			s.queue = s.queue[1:]
		}
		p := c.p
		if p.dead || s.parts[p.tp] != p || p.seek >= 0 {
			continue // revoked, or a seek will read them again
		}
		in := &sdk.Input{Stream: p.stream, Frames: make([][]byte, 0, len(c.recs)), Meta: make([]*event.Record, 0, len(c.recs))}
		a := &acks{s: s, p: p, offs: make([]int64, 0, len(c.recs)), serials: make([]uint64, 0, len(c.recs))}
		for _, r := range c.recs {
			if p.next >= 0 && r.Offset < p.next {
				continue // handed over already
			}
			p.serial++
			p.entries = append(p.entries, entry{off: r.Offset, serial: p.serial})
			a.offs = append(a.offs, r.Offset)
			a.serials = append(a.serials, p.serial)
			in.Frames = append(in.Frames, r.Value)
			in.Meta = append(in.Meta, recordMeta(r))
			p.next = r.Offset + 1
		}
		if len(in.Frames) == 0 {
			continue
		}
		s.inflight += len(in.Frames)
		p.m.inflight.Set(float64(len(p.entries)))
		s.m.records.Add(float64(len(in.Frames)))
		in.Acks = a
		return in
	}
	if cap(s.queue) > 64 {
		s.queue = nil
	}
	return nil
}

// recordMeta is $kafka, as Tremor gave it.
func recordMeta(r *kgo.Record) *event.Record {
	k := event.NewRecord(6)
	if r.Key != nil {
		k.Set("key", r.Key)
	}
	if len(r.Headers) > 0 {
		h := event.NewRecord(len(r.Headers))
		for _, hd := range r.Headers {
			h.Set(hd.Key, hd.Value)
		}
		k.Set("headers", h)
	}
	k.Set("topic", r.Topic)
	k.Set("offset", r.Offset)
	k.Set("partition", int64(r.Partition))
	if !r.Timestamp.IsZero() {
		k.Set("timestamp", r.Timestamp.UnixMilli())
	}
	m := event.NewRecord(1)
	m.Set("kafka", k)
	return m
}

// acks is the fate of one input's records.
type acks struct {
	s       *Source
	p       *partition
	offs    []int64
	serials []uint64
}

func (a *acks) Ack(from, to int)                 { a.s.answer(a, from, to, false, "") }
func (a *acks) Fail(from, to int, reason string) { a.s.answer(a, from, to, true, reason) }

// answer records the fate of records [from, to) of an input.
func (s *Source) answer(a *acks, from, to int, fail bool, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := a.p
	if p.dead {
		return // revoked: the new owner reads them again
	}
	stopping := s.closing || (s.runCtx != nil && s.runCtx.Err() != nil)
	for k := from; k < to; k++ {
		i := p.find(a.offs[k])
		if i < 0 || p.entries[i].serial != a.serials[k] || p.entries[i].state != pending {
			continue // read again since (a seek), or answered
		}
		switch {
		case !fail:
			p.entries[i].state = acked
		case stopping:
			// The engine stops: not delivered, not done. It stays
			// uncommitted and is read again after the restart.
		case s.retry:
			s.rewindLocked(p, a.offs[k], reason)
			// Everything after it was dropped too: nothing more of
			// this input to answer.
			k = to
		default:
			p.entries[i].state = skipped
			s.m.skipped.Inc()
			if ok, total := s.skipLog.Allow(); ok {
				s.log.Warn("failed record skipped (retry_failed_events is false): it is lost", "partition", p.tp.String(),
					"offset", a.offs[k], "reason", reason, "total", total)
			}
		}
	}
	p.advance()
	p.m.inflight.Set(float64(len(p.entries)))
	if p.popped >= max(1, s.window/2) {
		s.wakeCommitter()
	}
	s.changedLocked()
}

// rewindLocked drops the entries from off on and asks for a seek there.
func (s *Source) rewindLocked(p *partition, off int64, reason string) {
	i := sort.Search(len(p.entries), func(i int) bool { return p.entries[i].off >= off })
	dropped := len(p.entries) - i
	p.entries = p.entries[:i]
	s.inflight -= dropped
	p.next = off
	if p.seek < 0 || off < p.seek {
		p.seek = off
	}
	s.m.retried.Add(float64(dropped))
	s.log.Info("event failed: reading the partition again from its record", "partition", p.tp.String(), "offset", off,
		"records_again", dropped, "reason", reason)
}

func (s *Source) wakeCommitter() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// committer commits what was acked every commitEvery, and sooner when half
// the window waits for it.
func (s *Source) committer(ctx context.Context) {
	defer close(s.stopped)
	t := time.NewTicker(s.commitEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		s.commit(cctx)
		cancel()
	}
}

// pendingCommit is one partition's share of a commit.
type pendingCommit struct {
	p      *partition
	off    int64
	popped int
}

// offsetsLocked collects the commits due for the partitions in only (all
// when nil).
func (s *Source) offsetsLocked(only map[tp]bool) (map[string]map[int32]kgo.EpochOffset, []pendingCommit) {
	offs := map[string]map[int32]kgo.EpochOffset{}
	var pend []pendingCommit
	for t, p := range s.parts {
		if p.dead || (only != nil && !only[t]) {
			continue
		}
		c := p.commitable()
		if c < 0 || c <= p.committed {
			continue
		}
		if offs[t.topic] == nil {
			offs[t.topic] = map[int32]kgo.EpochOffset{}
		}
		offs[t.topic][t.part] = kgo.EpochOffset{Epoch: -1, Offset: c}
		pend = append(pend, pendingCommit{p, c, p.popped})
	}
	return offs, pend
}

// commit commits every partition's acked offsets.
func (s *Source) commit(ctx context.Context) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.mu.Lock()
	offs, pend := s.offsetsLocked(nil)
	s.mu.Unlock()
	s.commitLocked(ctx, offs, pend)
}

// commitLocked sends the commit; commitMu is held.
func (s *Source) commitLocked(ctx context.Context, offs map[string]map[int32]kgo.EpochOffset, pend []pendingCommit) {
	if len(pend) == 0 {
		return
	}
	failed := map[tp]error{}
	var reqErr error
	s.cl.CommitOffsetsSync(ctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			reqErr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if e := kerr.ErrorForCode(p.ErrorCode); e != nil {
					failed[tp{t.Topic, p.Partition}] = e
				}
			}
		}
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pc := range pend {
		p := pc.p
		if reqErr != nil || failed[p.tp] != nil {
			continue
		}
		if pc.off > p.committed {
			p.committed = pc.off
			p.m.committed.Set(float64(pc.off))
		}
		p.popped -= pc.popped
		s.inflight -= pc.popped
	}
	s.m.commits.Inc()
	if reqErr != nil || len(failed) > 0 {
		s.m.commitErrors.Inc()
		if ok, total := s.errLog.Allow(); ok {
			s.log.Warn("committing offsets failed; retrying at the next commit", "err", errors.Join(reqErr, joinErrs(failed)), "total", total)
		}
	}
	s.changedLocked()
}

func joinErrs(m map[tp]error) error {
	var errs []error
	for t, e := range m {
		errs = append(errs, fmt.Errorf("%s: %w", t, e))
	}
	return errors.Join(errs...)
}

// assigned starts the state of newly assigned partitions.
func (s *Source) assigned(_ context.Context, _ *kgo.Client, got map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for t, parts := range got {
		for _, part := range parts {
			k := tp{t, part}
			if p := s.parts[k]; p != nil && !p.dead {
				continue
			}
			stream, ok := s.streams[k]
			if !ok {
				stream = uint64(len(s.streams))
				s.streams[k] = stream
			}
			s.parts[k] = &partition{tp: k, stream: stream, next: -1, committed: -1, seek: -1, m: s.m.partition(k)}
			names = append(names, k.String())
		}
	}
	sort.Strings(names)
	if len(names) > 0 {
		s.m.rebalances.WithLabelValues(s.url, "assigned").Inc()
		s.log.Info("kafka partitions assigned", "partitions", strings.Join(names, " "), "holding", s.holdingLocked())
	}
}

// holdingLocked names the partitions the onramp holds now.
func (s *Source) holdingLocked() string {
	names := make([]string, 0, len(s.parts))
	for t, p := range s.parts {
		if !p.dead {
			names = append(names, t.String())
		}
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// fetched notes the committed offsets the group starts from.
func (s *Source) fetched(_ context.Context, _ *kgo.Client, resp *kmsg.OffsetFetchResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := func(topic string, part int32, off int64) {
		if p := s.parts[tp{topic, part}]; p != nil && off >= 0 && off > p.committed {
			p.committed = off
			p.m.committed.Set(float64(off))
		}
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			set(t.Topic, p.Partition, p.Offset)
		}
	}
	for _, g := range resp.Groups {
		for _, t := range g.Topics {
			for _, p := range t.Partitions {
				set(t.Topic, p.Partition, p.Offset)
			}
		}
	}
	return nil
}

// revoked commits what was acked of the partitions taken away (after
// waiting briefly for their in-flight records) and forgets the rest.
func (s *Source) revoked(ctx context.Context, _ *kgo.Client, gone map[string][]int32) {
	only := map[tp]bool{}
	for t, parts := range gone {
		for _, part := range parts {
			only[tp{t, part}] = true
		}
	}
	if len(only) == 0 {
		return
	}
	s.waitAnswered(ctx, only)
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.mu.Lock()
	offs, pend := s.offsetsLocked(only)
	s.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	s.commitLocked(cctx, offs, pend)
	cancel()
	s.drop(only, "revoked")
}

// lost forgets partitions without committing: another member may own them.
func (s *Source) lost(_ context.Context, _ *kgo.Client, gone map[string][]int32) {
	only := map[tp]bool{}
	for t, parts := range gone {
		for _, part := range parts {
			only[tp{t, part}] = true
		}
	}
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.drop(only, "lost")
}

func (s *Source) drop(only map[tp]bool, how string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	forgotten := 0
	for t := range only {
		p := s.parts[t]
		if p == nil {
			continue
		}
		p.dead = true
		n := len(p.entries) + p.popped
		forgotten += n
		s.inflight -= n
		delete(s.parts, t)
		s.m.forget(t)
		names = append(names, fmt.Sprintf("%s(committed %d)", t, p.committed))
	}
	sort.Strings(names)
	if len(names) == 0 {
		return
	}
	s.m.rebalances.WithLabelValues(s.url, how).Inc()
	lvl := slog.LevelInfo
	if how == "lost" {
		lvl = slog.LevelWarn
	}
	s.log.Log(context.Background(), lvl, "kafka partitions "+how+"; their uncommitted records are left to the next owner",
		"partitions", strings.Join(names, " "), "uncommitted", forgotten, "holding", s.holdingLocked())
	s.changedLocked()
}

// waitAnswered waits up to revokeWait for the in-flight records of the
// partitions in only to be answered (less to read again for the next
// owner).
func (s *Source) waitAnswered(ctx context.Context, only map[tp]bool) {
	end := time.NewTimer(s.revokeWait)
	defer end.Stop()
	for {
		s.mu.Lock()
		busy := false
		for t := range only {
			if p := s.parts[t]; p != nil && !p.dead && len(p.entries) > 0 {
				busy = true
			}
		}
		ch, closing := s.changed, s.closing
		s.mu.Unlock()
		if !busy || closing {
			return
		}
		select {
		case <-ch:
		case <-end.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// kgoLogger sends franz-go's log to slog: warnings and errors, and
// everything when the `debug` rdkafka option is set.
type kgoLogger struct {
	log   *slog.Logger
	debug bool
}

func (l *kgoLogger) Level() kgo.LogLevel {
	if l.debug {
		return kgo.LogLevelDebug
	}
	return kgo.LogLevelWarn
}

func (l *kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lvl := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		lvl = slog.LevelError
	case kgo.LogLevelWarn:
		lvl = slog.LevelWarn
	case kgo.LogLevelInfo:
		lvl = slog.LevelInfo
	}
	if l.debug && lvl < slog.LevelInfo {
		lvl = slog.LevelInfo
	}
	l.log.Log(context.Background(), lvl, "franz-go: "+msg, keyvals...)
}
