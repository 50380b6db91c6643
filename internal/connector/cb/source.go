// Package cb is the circuit-breaker test connector family of Tremor 0.11:
// an onramp that sends the lines of a file and checks that every event
// was answered, and an offramp that answers events as they say.
package cb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:    "cb",
		Summary: "Sends the lines of the file `source` as transactional events and stops the engine with status 0 once every one was acked or failed, 1 if not within `timeout`",
		Docs: "Each line is an event (decoded by the codec); the events are transactional, so the offramps answer " +
			"each one. Once the file is read the onramp waits up to `timeout` milliseconds for the answers. When " +
			"all have come it writes `All required CB events received.` to standard error and stops the engine " +
			"(gracefully) with exit status 0. If the timeout passes first it writes which ids it expected and which " +
			"acks and fails it got, and stops the engine with status 1. With `expect_batched: true` it is content " +
			"once the last event was answered (an offramp behind a batch answers the batch at once).\n\n" +
			"Tremor always waited for the whole timeout and exited on the spot; temblor stops as soon as the " +
			"verdict is known, and an event answered twice makes it fail.",
		DefaultCodec: "json",
		New:          newSource,
	})
}

type sourceConfig struct {
	Source        string `conf:"source,required" doc:"The file whose lines are sent." example:"in.json"`
	Timeout       uint64 `conf:"timeout" default:"10000" doc:"Milliseconds to wait for the answers after the last line."`
	ExpectBatched bool   `conf:"expect_batched" doc:"Only the last event must be answered (an offramp behind a batch)."`
}

type source struct {
	path    string
	timeout time.Duration
	batched bool
	stderr  io.Writer

	lines *sdk.LineInput
	f     *os.File
	sent  int // events sent; ids 0..sent-1
	eof   bool

	mu      sync.Mutex
	acks    []int
	fails   []int
	times   map[int]int // answers per id
	changed chan struct{}
}

var (
	_ sdk.PullSource   = (*source)(nil)
	_ component.Opener = (*source)(nil)
	_ component.Closer = (*source)(nil)
)

func newSource(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
	if fi, err := os.Stat(c.Source); err != nil {
		return nil, p.At.Errorf("source", "cannot read %s: %v", c.Source, err)
	} else if fi.IsDir() {
		return nil, p.At.Errorf("source", "%s is a directory; name a file", c.Source)
	}
	return &source{path: c.Source, timeout: sdk.Millis(c.Timeout), batched: c.ExpectBatched, stderr: os.Stderr,
		times: map[int]int{}, changed: make(chan struct{}, 1)}, nil
}

func (s *source) Open(_ context.Context, env component.Env) error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	s.f, s.lines = f, sdk.NewLineInput(f, s.path, sdk.DefaultMaxLine, false, env.Logger)
	return nil
}

func (s *source) Close() error {
	if s.f == nil {
		return nil
	}
	s.lines.Close()
	return s.f.Close()
}

// answers is the Acks of one input: lines first..first+n-1.
type answers struct {
	s     *source
	first int
}

func (a answers) Ack(from, to int)            { a.s.record(a.first+from, a.first+to, false) }
func (a answers) Fail(from, to int, _ string) { a.s.record(a.first+from, a.first+to, true) }

func (s *source) record(from, to int, fail bool) {
	s.mu.Lock()
	for id := from; id < to; id++ {
		if fail {
			s.fails = append(s.fails, id)
		} else {
			s.acks = append(s.acks, id)
		}
		s.times[id]++
	}
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// verdict says whether every required answer came, and whether one came
// twice.
func (s *source) verdict() (complete, twice bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.times {
		twice = twice || n > 1
	}
	if s.batched {
		return s.sent == 0 || s.times[s.sent-1] > 0, twice
	}
	return len(s.times) == s.sent, twice
}

func (s *source) Read(ctx context.Context) (*sdk.Input, error) {
	if !s.eof {
		in, err := s.lines.Next(1024)
		switch {
		case errors.Is(err, io.EOF):
			s.eof = true
		case err != nil:
			return nil, fmt.Errorf("reading %s: %w", s.path, err)
		}
		if in != nil && len(in.Refused) > 0 {
			return nil, fmt.Errorf("%s: %s", s.path, in.Refused[0].Reason)
		}
		if in != nil && len(in.Frames) > 0 {
			in.Acks = answers{s, s.sent}
			s.sent += len(in.Frames)
			return in, nil
		}
	}
	return nil, s.wait(ctx)
}

// wait waits for the answers, then returns the verdict as an engine stop.
func (s *source) wait(ctx context.Context) error {
	deadline := time.NewTimer(s.timeout)
	defer deadline.Stop()
	for {
		if complete, twice := s.verdict(); complete && !twice {
			fmt.Fprintln(s.stderr, "All required CB events received.")
			return &sdk.StopError{Code: 0, Reason: "cb onramp: all required CB events received"}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.changed:
		case <-deadline.C:
			return s.missing()
		}
	}
}

func (s *source) missing() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var twice []int
	for id, n := range s.times {
		if n > 1 {
			twice = append(twice, id)
		}
	}
	sort.Ints(twice)
	var b strings.Builder
	fmt.Fprintf(&b, "Expected CB events up to id %d.\n", max(s.sent-1, 0))
	fmt.Fprintf(&b, "Got acks: %s\n", list(s.acks))
	fmt.Fprintf(&b, "Got fails: %s\n", list(s.fails))
	if len(twice) > 0 {
		fmt.Fprintf(&b, "Answered more than once: %s\n", list(twice))
	}
	fmt.Fprint(s.stderr, b.String())
	return &sdk.StopError{Code: 1, Reason: fmt.Sprintf("cb onramp: not every event was answered once within %v", s.timeout)}
}

// list formats ids as Rust's Debug did: [1, 2, 3].
func list(ids []int) string {
	ids = slices.Clone(ids)
	sort.Ints(ids)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
