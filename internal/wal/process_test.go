package wal

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

const childEnv = "TEMBLOR_WAL_CRASH_CHILD_DIR"

// seqPayload is the payload the child writes for seq, so the parent can
// check exact bytes without being told them.
func seqPayload(seq uint64) []byte {
	n := 16 + int(seq*2654435761%200)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seq>>(8*(i%8))) ^ byte(i)
	}
	return b
}

// childMain appends with SyncAlways from 4 goroutines and prints each seq
// once its commit signalled durability, until it is killed.
func childMain() {
	l, err := Open(os.Getenv(childEnv), Options{SegmentSize: 64 << 10, Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				// The payload depends on the seq, which Append assigns:
				// reserve it under mu so seq and payload agree.
				mu.Lock()
				seq := l.Stats().Last + 1
				_, last, c, err := l.Append(seqPayload(seq))
				mu.Unlock()
				if err != nil || last != seq {
					fmt.Fprintln(os.Stderr, "child append:", err, last, seq)
					os.Exit(4)
				}
				if err := c.Wait(context.Background()); err != nil {
					fmt.Fprintln(os.Stderr, "child commit:", err)
					os.Exit(5)
				}
				mu.Lock()
				fmt.Fprintln(out, seq)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func crashCycles(t *testing.T, cycles int) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	reported := map[uint64]bool{}
	var acked uint64
	for c := 0; c < cycles; c++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan uint64, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if n, err := strconv.ParseUint(sc.Text(), 10, 64); err == nil {
					lines <- n
				}
			}
			close(lines)
		}()
		time.Sleep(time.Duration(20+rng.IntN(150)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		for n := range lines {
			reported[n] = true
		}
		_ = cmd.Wait()
		if bytes.Contains(stderr.Bytes(), []byte("child ")) {
			t.Fatalf("child failed: %s", stderr.String())
		}
		l, err := Open(dir, Options{SegmentSize: 64 << 10, Logger: quiet})
		if err != nil {
			t.Fatalf("cycle %d: reopen after kill -9: %v", c, err)
		}
		recs, err := l.Read(0, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		got := map[uint64][]byte{}
		prev := uint64(0)
		for _, r := range recs {
			if r.Seq <= prev {
				t.Fatalf("records out of order: %d after %d", r.Seq, prev)
			}
			prev = r.Seq
			got[r.Seq] = r.Data
		}
		st := l.Stats()
		for seq := range reported {
			if seq <= st.Acked {
				continue
			}
			if d, ok := got[seq]; !ok {
				t.Fatalf("cycle %d: seq %d was reported durable and is gone (acked %d, last %d)", c, seq, st.Acked, st.Last)
			} else if !bytes.Equal(d, seqPayload(seq)) {
				t.Fatalf("cycle %d: seq %d has different bytes", c, seq)
			}
		}
		if st.Acked < acked {
			t.Fatalf("cursor went back from %d to %d", acked, st.Acked)
		}
		// Ack half of what is there, so cursor writes and segment removal
		// are part of what a later kill may interrupt.
		if st.Last > st.Acked {
			acked = st.Acked + (st.Last-st.Acked)/2
			_ = l.AckThrough(acked)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d kill -9 cycles, %d durable seqs reported, all present", cycles, len(reported))
}

func TestKill9Child(t *testing.T) {
	crashCycles(t, 5)
}
