package wal

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

const childEnv = "TEMBLOR_WAL_CRASH_CHILD_DIR"

// noncePayload is the payload the child writes for a nonce, so the parent
// can check exact bytes from the nonce the child reports.
func noncePayload(nonce uint64) []byte {
	n := 16 + int(nonce%200)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(nonce>>(8*(i%8))) ^ byte(i)
	}
	return b
}

// childMain appends with SyncAlways from 4 goroutines and prints "seq
// nonce" for each record once its commit signalled durability, until it is
// killed.
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
				nonce := rand.Uint64()
				_, seq, c, err := l.Append(noncePayload(nonce))
				if err != nil {
					fmt.Fprintln(os.Stderr, "child append:", err)
					os.Exit(4)
				}
				if err := c.Wait(context.Background()); err != nil {
					fmt.Fprintln(os.Stderr, "child commit:", err)
					os.Exit(5)
				}
				mu.Lock()
				fmt.Fprintln(out, seq, nonce)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// crashCycles runs the child, waits until it has reported at least
// minDurable records durable in this cycle (then a random moment more),
// kills it with SIGKILL, reopens the WAL and checks that every record
// reported durable and not acked is there with its exact bytes.
func crashCycles(t *testing.T, cycles int) {
	const minDurable = 50
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	reported := map[uint64]uint64{} // seq -> nonce
	var acked uint64
	checked, perCycleMin := 0, -1
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
		type line struct{ seq, nonce uint64 }
		lines := make(chan line, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				var l line
				if _, err := fmt.Sscan(sc.Text(), &l.seq, &l.nonce); err == nil {
					lines <- l
				}
			}
			close(lines)
		}()
		// Kill only once records were reported durable in this cycle.
		n := 0
		deadline := time.After(60 * time.Second)
		for n < minDurable {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("cycle %d: the child exited after %d records: %s", c, n, stderr.String())
				}
				reported[l.seq] = l.nonce
				n++
			case <-deadline:
				_ = cmd.Process.Kill()
				t.Fatalf("cycle %d: only %d records reported durable in 60 s", c, n)
			}
		}
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		for l := range lines {
			reported[l.seq] = l.nonce
			n++
		}
		_ = cmd.Wait()
		if bytes.Contains(stderr.Bytes(), []byte("child ")) {
			t.Fatalf("child failed: %s", stderr.String())
		}
		if perCycleMin < 0 || n < perCycleMin {
			perCycleMin = n
		}
		l, err := Open(dir, Options{SegmentSize: 64 << 10, Logger: quiet})
		if err != nil {
			t.Fatalf("cycle %d: reopen after kill -9: %v", c, err)
		}
		if rep := l.Recovery(); rep.LostRecords > 0 {
			t.Fatalf("cycle %d: recovery reports lost records after a kill -9: %v", c, rep.Losses)
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
		if st.Acked < acked {
			t.Fatalf("cursor went back from %d to %d", acked, st.Acked)
		}
		for seq, nonce := range reported {
			if seq <= acked {
				continue
			}
			checked++
			if d, ok := got[seq]; !ok {
				t.Fatalf("cycle %d: seq %d was reported durable and is gone (acked %d, last %d)", c, seq, st.Acked, st.Last)
			} else if !bytes.Equal(d, noncePayload(nonce)) {
				t.Fatalf("cycle %d: seq %d has different bytes", c, seq)
			}
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
	msg := fmt.Sprintf("%d kill -9 cycles: %d records reported durable (at least %d per cycle), %d checks of unacked durable records, all present with their bytes",
		cycles, len(reported), perCycleMin, checked)
	t.Log(msg)
	fmt.Println(t.Name()+":", msg)
}

func TestKill9Child(t *testing.T) {
	crashCycles(t, 5)
}
