package kv

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/temblor-dev/temblor/internal/codec"
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

// The kill -9 test runs the offramp in a child process (this test binary,
// re-run with KV_CHILD_DIR set): it reads keys on stdin, puts each through
// a SinkRunner, and prints "ACK n" when the runner acks event n.

const childEnv = "KV_CHILD_DIR"

type printAcks struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (p *printAcks) Contraflow(in event.Insight) {
	if in.Action != event.ActAck {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range in.IDs.Len() {
		r := in.IDs.At(i)
		for s := r.Start; s <= r.End; s++ {
			fmt.Fprintf(p.w, "ACK %d\n", s)
		}
	}
	p.w.Flush()
}

// childMain runs the child when asked; false in the test process itself.
func childMain() bool {
	dir := os.Getenv(childEnv)
	if dir == "" {
		return false
	}
	spec, _ := codec.Registry.Get("json")
	k := &kv{dir: dir}
	r := sdk.NewSinkRunner("/offramp/kv/01", "kv", k, spec.New(), nil, sdk.SinkOptions{NoEncode: true})
	_ = r.Open(context.Background(), component.Env{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	go func() { _ = r.Run(context.Background()) }()
	up := &printAcks{w: bufio.NewWriter(os.Stdout)}
	in := bufio.NewScanner(os.Stdin)
	for seq := uint64(0); in.Scan(); seq++ {
		key := in.Text()
		ev := event.Event{ID: event.One(1, 0, seq), Transactional: true,
			Data: event.RecordOf("put", event.RecordOf("key", key, "value", key))}
		if err := r.Send(context.Background(), &event.Batch{Events: []event.Event{ev}}, up); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	time.Sleep(time.Hour) // until killed
	return true
}

// TestKill9KeepsEveryAckedPut: the child is killed with SIGKILL while it
// writes; every put it acked is in the store afterwards.
func TestKill9KeepsEveryAckedPut(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	const total = 20000
	go func() {
		w := bufio.NewWriter(stdin)
		for i := range total {
			fmt.Fprintf(w, "key-%06d\n", i)
		}
		w.Flush()
	}()
	acked := map[int]bool{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ACK "))
		if err != nil {
			t.Fatalf("child said %q", sc.Text())
		}
		acked[n] = true
		if len(acked) == total/4 {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	_ = cmd.Wait()
	if len(acked) < total/4 {
		t.Fatalf("the child acked only %d puts before it died", len(acked))
	}
	db, err := bolt.Open(dir+"/kv.db", 0o644, &bolt.Options{Timeout: 5 * time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	missing := 0
	err = db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucket)
		for n := range acked {
			if bk == nil || bk.Get([]byte(fmt.Sprintf("key-%06d", n))) == nil {
				missing++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if missing > 0 {
		t.Errorf("%d of %d acked puts are not in the store after kill -9", missing, len(acked))
		return
	}
	t.Logf("%d puts acked before kill -9, all in the store", len(acked))
}
