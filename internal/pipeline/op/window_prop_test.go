package op_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/pipeline"
)

// recordingSink keeps the aggregates it gets and answers them (acks, or
// fails those whose index is in fail).
type recordingSink struct {
	mu   sync.Mutex
	got  []event.Value
	fail func(i int) bool
}

func (s *recordingSink) Name() string { return "rec" }
func (s *recordingSink) Send(_ context.Context, b *event.Batch, back pipeline.Upstream) error {
	for j := range b.Events {
		ev := &b.Events[j]
		s.mu.Lock()
		i := len(s.got)
		s.got = append(s.got, ev.Data)
		s.mu.Unlock()
		if ev.Transactional {
			in := event.Insight{Action: event.ActAck, IDs: ev.ID}
			if s.fail(i) {
				in.Action = event.ActFail
			}
			back.Contraflow(in)
		}
	}
	return nil
}

type answerLog struct {
	mu  sync.Mutex
	got map[uint64][]event.Action
}

func (a *answerLog) Contraflow(in event.Insight) {
	if in.Action != event.ActAck && in.Action != event.ActFail {
		return
	}
	a.mu.Lock()
	for r := range in.IDs.Events() {
		a.got[r.Start] = append(a.got[r.Start], in.Action)
	}
	a.mu.Unlock()
}

// TestWindowAnswersProperty: whatever the windows (one or two chained,
// by size), the groups and the sink's answers, every input event is
// answered at most once; with one window, an event in an aggregate that
// was acked is acked, one in a failed aggregate is failed, and one in no
// emitted aggregate is not answered yet (its window is open).
func TestWindowAnswersProperty(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rapid.Check(t, func(rt *rapid.T) {
		size1 := rapid.IntRange(1, 5).Draw(rt, "size1")
		chained := rapid.Bool().Draw(rt, "chained")
		size2 := rapid.IntRange(1, 3).Draw(rt, "size2")
		groups := rapid.IntRange(1, 3).Draw(rt, "groups")
		n := rapid.IntRange(0, 40).Draw(rt, "events")
		failMask := rapid.Uint64().Draw(rt, "failMask")
		wins := "w1"
		defs := fmt.Sprintf("define tumbling window w1 with size = %d end;\n", size1)
		if chained {
			wins = "w1, w2"
			defs += fmt.Sprintf("define tumbling window w2 with size = %d end;\n", size2)
		}
		src := defs + "select {\"ids\": aggr::win::collect_flattened(event.id)} from in[" + wins + "] group by set(event.g) into out;\n"
		q, err := lang.ParseQuery("p.trickle", []byte(src), lang.Options{})
		if err != nil {
			rt.Fatal(err)
		}
		p, err := pipeline.Build(q, "/pipeline/prop/01", pipeline.BuildEnv{Logger: log, Options: pipeline.Options{NoTicks: true, Logger: log}})
		if err != nil {
			rt.Fatal(err)
		}
		sink := &recordingSink{fail: func(i int) bool { return failMask>>(uint(i)%64)&1 == 1 }}
		if err := p.Connect("out", sink); err != nil {
			rt.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		up := &answerLog{got: map[uint64][]event.Action{}}
		src0 := event.NewSourceID()
		for i := 0; i < n; i++ {
			g := rapid.IntRange(0, groups-1).Draw(rt, "g")
			ev := &event.Event{ID: event.One(src0, 0, uint64(i)), IngestNS: uint64(i), Transactional: true,
				Data: event.RecordOf("id", int64(i), "g", int64(g)), Meta: event.NewRecord(0)}
			if err := p.Send(ctx, event.BatchOf(ev), up); err != nil {
				rt.Fatal(err)
			}
			if err := p.Sync(ctx); err != nil {
				rt.Fatal(err)
			}
		}
		cancel()
		<-done
		for id, as := range up.got {
			if len(as) > 1 {
				rt.Fatalf("event %d answered %d times: %v", id, len(as), as)
			}
		}
		if chained {
			return
		}
		want := map[uint64]event.Action{}
		for i, v := range sink.got {
			ids, _ := v.(*event.Record).Get("ids")
			for _, x := range ids.([]event.Value) {
				a := event.ActAck
				if sink.fail(i) {
					a = event.ActFail
				}
				want[uint64(x.(int64))] = a
			}
		}
		for i := 0; i < n; i++ {
			got := up.got[uint64(i)]
			w, emitted := want[uint64(i)]
			switch {
			case emitted && (len(got) != 1 || got[0] != w):
				rt.Fatalf("event %d: in an aggregate answered %v, but answered %v", i, w, got)
			case !emitted && len(got) != 0:
				rt.Fatalf("event %d: in no emitted aggregate, but answered %v", i, got)
			}
		}
	})
}
