package stdlib

import (
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
)

// Version is what system::version returns: the Tremor release whose
// behaviour temblor implements.
const Version = "0.11.12"

var (
	hostOnce sync.Once
	hostName event.Value  // boxed once: a call allocates nothing
	instance atomic.Value // string
)

// SetInstance sets the name system::instance returns (Tremor's
// --instance; "tremor" unless set).
func SetInstance(name string) { instance.Store(name) }

func init() {
	instance.Store("tremor")
	def("system::hostname", 0, false, "The name of the host the engine runs on.", "Falls back to `tremor_host.local` when the host name cannot be read.\n\n```tremor\nsystem::hostname() # \"web-01\"\n```",
		func(*Ctx, []event.Value) (event.Value, error) {
			hostOnce.Do(func() {
				h, err := os.Hostname()
				if err != nil || h == "" {
					h = "tremor_host.local"
				}
				hostName = h
			})
			return hostName, nil
		})
	def("system::ingest_ns", 0, false, "The event's ingest time, in nanoseconds since the Unix epoch.", "The time the onramp received the event, not the time the script runs.\n\n```tremor\nsystem::ingest_ns() # 1600860720749137000\n```",
		func(c *Ctx, _ []event.Value) (event.Value, error) {
			if c == nil {
				return int64(0), nil
			}
			return uintV(c.IngestNS), nil
		})
	def("system::nanotime", 0, false, "The current time, in nanoseconds since the Unix epoch.", "```tremor\nsystem::nanotime() # 1600860720749137000\n```",
		func(*Ctx, []event.Value) (event.Value, error) { return time.Now().UnixNano(), nil })
	def("system::instance", 0, false, "The name of this engine instance.", "Set with the server's instance option; `tremor` by default.\n\n```tremor\nsystem::instance() # \"tremor\"\n```",
		func(*Ctx, []event.Value) (event.Value, error) { return instance.Load().(string), nil })
	def("system::version", 0, true, "The Tremor version whose behaviour this engine implements.", "```tremor\nsystem::version() # \"0.11.12\"\n```",
		func(*Ctx, []event.Value) (event.Value, error) { return Version, nil })
}
