package cpython_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"gilbench/cpython"
	"gilbench/workloads"
)

// poolPythons are the interpreters that have multiprocessing.Pool's strategy (3.3+).
func poolPythons(t *testing.T) []*cpython.Interpreter {
	var out []*cpython.Interpreter
	for _, py := range pythons(t) {
		if !strings.HasPrefix(py.Version, "2.") {
			out = append(out, py)
		}
	}
	if len(out) == 0 {
		t.Skip("no Python 3 on PATH")
	}
	return out
}

// TestMpPool runs multiprocessing.Pool.imap_unordered by start method and chunksize,
// with a workload of plain tasks and one of shared objects: every task's result
// arrives once, with its latency, over several batches.
func TestMpPool(t *testing.T) {
	for _, py := range poolPythons(t) {
		for _, start := range []string{"fork", "spawn"} {
			if !py.HasStart(start) {
				continue
			}
			for _, cs := range []string{"1", "5"} {
				for _, name := range []string{"primes", "counter"} {
					t.Run(py.Key()+"/"+start+"/"+cs+"/"+name, func(t *testing.T) {
						src, _ := workloads.PythonSource(name)
						w, _ := workloads.Lookup(name)
						params := map[string]string{"chunksize": cs, "cs": "10", "batch": "1"}
						d, err := cpython.Start(context.Background(), py, cpython.Config{Strategy: cpython.MpPool, Workers: 2,
							Name: workloads.PythonFileName(name), Source: src, Size: 50, Params: params, Start: start})
						if err != nil {
							t.Fatal(err)
						}
						defer func() { d.Close(); noGroup(t, d.Pid) }()
						if len(d.Pids) != 2 || d.Start != start || d.Startup <= 0 {
							t.Errorf("ready: pids %v, start %q, start-up %v; want 2 pids, %s, a start-up", d.Pids, d.Start, d.Startup, start)
						}
						for range 2 {
							b, err := d.Batch(context.Background(), 23)
							if err != nil {
								t.Fatal(err)
							}
							if want := w.Checksum(23, 50); b.Checksum != want {
								t.Errorf("checksum %d, want %d", b.Checksum, want)
							}
							if len(b.Latencies) != 23 || b.CPU <= 0 {
								t.Errorf("%d latencies, CPU %v; want 23 and some", len(b.Latencies), b.CPU)
							}
						}
					})
				}
			}
		}
	}
}

// TestMpPoolKilledWorker: a pool worker killed mid-batch is replaced by the pool and
// its task lost; the batch fails instead of waiting for ever. The driver notices the
// death at its next poll (tens of milliseconds); the test asserts only that the batch
// failed well before it could have finished (4 s), so that a loaded machine's
// scheduling delays cannot make it fail: how fast is not a unit test's question.
func TestMpPoolKilledWorker(t *testing.T) {
	py := poolPythons(t)[0]
	d := start(t, py, "sleep", cpython.MpPool, 2, 200_000, nil) // 200 ms a task
	go func() {
		time.Sleep(300 * time.Millisecond)
		syscall.Kill(d.Pids[0], syscall.SIGKILL)
	}()
	t0 := time.Now()
	_, err := d.Batch(context.Background(), 40) // 4 s if nothing happened
	if err == nil || !strings.Contains(err.Error(), "worker process of the pool exited") {
		t.Errorf("%v, want a worker that exited", err)
	}
	if el := time.Since(t0); el > 3*time.Second {
		t.Errorf("the dead worker was reported after %v, when the whole batch takes 4 s", el)
	}
}

// TestMpPoolSkipsAndBadChunksize: a workload that cannot run in processes is skipped
// under the pool too; a chunksize that is not a positive whole number is an error
// that names it.
func TestMpPoolSkipsAndBadChunksize(t *testing.T) {
	py := poolPythons(t)[0]
	src, _ := workloads.PythonSource("lost-update")
	_, err := cpython.Start(context.Background(), py, cpython.Config{Strategy: cpython.MpPool, Workers: 2,
		Name: "x.py", Source: src, Size: 10, Params: map[string]string{"update": "global"}})
	var skip *cpython.SkipError
	if !errors.As(err, &skip) || !strings.Contains(skip.Reason, "module global") {
		t.Errorf("lost-update update=global: %v, want a skip", err)
	}
	src, _ = workloads.PythonSource("primes")
	for _, s := range []string{cpython.MpPool, cpython.Process} {
		_, err = cpython.Start(context.Background(), py, cpython.Config{Strategy: s, Workers: 2,
			Name: "x.py", Source: src, Size: 10, Params: map[string]string{"chunksize": "0"}})
		if err == nil || !strings.Contains(err.Error(), "chunksize") {
			t.Errorf("%s chunksize=0: %v, want an error naming chunksize", s, err)
		}
	}
}

// TestProcessChunks: cpython-process sends chunksize task ids per job message, and
// every task still arrives once with its latency, for a chunk that does not divide
// the batch.
func TestProcessChunks(t *testing.T) {
	for _, py := range pythons(t) {
		w, _ := workloads.Lookup("primes")
		d := start(t, py, "primes", cpython.Process, 2, 50, map[string]string{"chunksize": "4"})
		b, err := d.Batch(context.Background(), 23)
		if err != nil {
			t.Fatal(err)
		}
		if want := w.Checksum(23, 50); b.Checksum != want || len(b.Latencies) != 23 {
			t.Errorf("%s: checksum %d (want %d), %d latencies (want 23)", py.Key(), b.Checksum, want, len(b.Latencies))
		}
	}
}
