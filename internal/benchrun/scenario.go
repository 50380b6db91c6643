package benchrun

// Metric keys (the JSON output uses them as they are).
const (
	mEventsPerS      = "events_per_s"
	mMBPerS          = "mb_per_s"
	mCPUPerM         = "cpu_s_per_million"
	mAllocsPerEvent  = "allocs_per_event"
	mBytesPerEvent   = "alloc_bytes_per_event"
	mWholeEventsPerS = "events_per_s_with_startup"
	mWholeCPUPerM    = "cpu_s_per_million_with_startup"
	mMeasuredEvents  = "measured_events"
	mSeconds         = "seconds"
	mMaxRSSMB        = "max_rss_mb"
	mScrapeAllocs    = "allocs_per_metrics_scrape"
	mWarmupExcluded  = "warmup_excluded"
	mRatioEvents     = "events_per_s_ratio"
	mRatioCPU        = "cpu_ratio"
	mP50             = "p50_ms"
	mP99             = "p99_ms"
	mP999            = "p999_ms"
	mMax             = "max_ms"
	mP99Sched        = "p99_from_due_ms"
	mRate            = "rate_per_s"
	mMaxSendLagMS    = "max_send_lag_ms"
	mDuplicates      = "duplicates"
	mFsyncsPerS      = "fsyncs_per_s"
)

// Kinds of rows.
const (
	kindEngine  = "temblor"
	kindPeer    = "peer"
	kindLatency = "latency"
	kindDisk    = "disk"
)

type inputKind int

const (
	inputEvents inputKind = iota // the bench's ~80-byte events
	inputTremor                  // Tremor's demo/data/data.json.xz, replayed by its blaster
)

// scenario is one of the standard scenarios, a directory under bench/.
type scenario struct {
	name      string
	doc       string
	dir       string // under bench/
	pipelines int    // pipeline instances in one engine, sharing the events
	input     inputKind
	divide    int    // the scenario reads events/divide events in all (Tremor's are 8× larger)
	tremor    string // a Tremor benchmark: $TREMOR_SRC/bench/<tremor>.yaml, link.yaml and <tremor>/*.trickle, run unchanged
	baseline  string // the row its ratios compare with, in the same round
	kind      string
}

// Baseline is the no-WAL pipeline the durable scenarios are judged by.
const Baseline = "patch"

var scenarios = []scenario{
	{name: "passthrough", dir: "passthrough", doc: "file → select event → blackhole", baseline: Baseline},
	{name: "patch", dir: "patch", doc: "file → patch insert hostname → blackhole (no WAL)", baseline: Baseline},
	{name: "wal-always", dir: "wal-always", doc: "patch → qos::wal sync always → blackhole", baseline: Baseline},
	{name: "wal-interval", dir: "wal-interval", doc: "patch → qos::wal sync interval (100 ms)", baseline: Baseline},
	{name: "wal-none", dir: "wal-none", doc: "patch → qos::wal sync none", baseline: Baseline},
	{name: "wal-always-x2", dir: "wal-always-x2", pipelines: 2, doc: "2 durable pipelines in one process, events split between them; ratio vs one", baseline: "wal-always"},
	{name: "wal-always-x4", dir: "wal-always-x4", pipelines: 4, doc: "4 durable pipelines in one process, events split between them; ratio vs one", baseline: "wal-always"},
	{name: "tremor-rwt-json", tremor: "real-workflow-throughput-json", input: inputTremor, divide: 4, baseline: "tremor-rwt-json",
		doc: "Tremor's bench/real-workflow-throughput-json, unchanged: blaster (demo data, ~630 B events) → script + grouper → blackhole; ¼ of --events measured"},
	{name: "tremor-rwt-wal-json", tremor: "real-workflow-throughput-wal-json", input: inputTremor, divide: 4, baseline: "tremor-rwt-json",
		doc: "the same with Tremor's qos::wal in front (-wal-json)"},
	{name: "latency", dir: "latency", kind: kindLatency,
		doc: "ws → patch → qos::wal sync always → ws at a fixed rate; event → sink latency"},
	{name: "latency-patch", dir: "latency-patch", kind: kindLatency,
		doc: "the same without the WAL (its baseline)"},
	{name: "fsync", kind: kindDisk,
		doc: "raw fdatasync of the same disk: 256 B pwrite into a preallocated file + fdatasync"},
}

// ScenarioNames lists the scenarios in the order they run.
func ScenarioNames() []string {
	var n []string
	for _, s := range scenarios {
		n = append(n, s.name)
	}
	return n
}
