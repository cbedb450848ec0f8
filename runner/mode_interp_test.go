package runner

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"gilbench/vocab"
	"gilbench/workloads"
)

// startCell starts mode's pool on workload at its quick size, with its Env; both are
// closed when the test ends.
func startCell(t *testing.T, mode, workload string, workers int, s Settings) (Pool, *workloads.Workload) {
	t.Helper()
	w, err := workloads.Lookup(workload)
	if err != nil {
		t.Fatal(err)
	}
	env, err := w.NewEnv(context.Background(), w.QuickSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	m, err := LookupMode(mode)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Start(context.Background(), Spec{Workload: w, Params: env.Params, Size: w.QuickSize, Workers: workers, Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, w
}

func runBatch(t *testing.T, p Pool, w *workloads.Workload, tasks int) Batch {
	t.Helper()
	b, err := p.Run(context.Background(), tasks)
	if err != nil {
		t.Fatal(err)
	}
	if want := w.Checksum(tasks, w.QuickSize); b.Checksum != want {
		t.Fatalf("checksum %d; want %d", b.Checksum, want)
	}
	return b
}

func TestLockModesComputeAndCount(t *testing.T) {
	units := []string{vocab.LockAcquisitions.Name, vocab.LockSwitches.Name, vocab.LockForcedDrops.Name, vocab.LockWait.Name, vocab.LockHold.Name}
	for _, mode := range []string{"gil", "gil-legacy", "subinterp"} {
		t.Run(mode, func(t *testing.T) {
			p, w := startCell(t, mode, "countdown", 3, DefaultSettings())
			for range 2 { // statistics are per batch
				b := runBatch(t, p, w, w.QuickTasks)
				for _, u := range units {
					if _, ok := b.Metrics[u]; !ok {
						t.Errorf("no %s in %v", u, b.Metrics)
					}
				}
				// Every task and every queue wait re-takes the lock: at least one
				// acquisition a task, and the lock is held for part of the batch (and
				// of its tail: workers detach after the last result).
				if a := b.Metrics[vocab.LockAcquisitions.Name]; a < float64(w.QuickTasks) {
					t.Errorf("%v acquisitions for %d tasks", a, w.QuickTasks)
				}
				hold := b.Metrics[vocab.LockHold.Name]
				limit := float64(b.Elapsed.Nanoseconds())
				if mode == "subinterp" {
					limit *= 3 // three locks
				}
				if hold <= 0 || hold > 2*limit {
					t.Errorf("hold %v ns for a batch of %v", hold, b.Elapsed)
				}
				if b.Trace != nil {
					t.Error("trace recorded without Settings.Trace")
				}
			}
		})
	}
}

func TestLockModesTrace(t *testing.T) {
	s := DefaultSettings()
	s.Trace = true
	s.SwitchInterval = 100 * time.Microsecond
	for _, mode := range []string{"gil", "gil-legacy", "subinterp"} {
		t.Run(mode, func(t *testing.T) {
			p, w := startCell(t, mode, "countdown", 2, s)
			b := runBatch(t, p, w, w.QuickTasks)
			var doc struct {
				TraceEvents []struct {
					Name string `json:"name"`
					Pid  int    `json:"pid"`
				} `json:"traceEvents"`
			}
			if err := json.Unmarshal(b.Trace, &doc); err != nil {
				t.Fatalf("trace: %v", err)
			}
			names, pids := map[string]bool{}, map[int]bool{}
			for _, e := range doc.TraceEvents {
				names[e.Name] = true
				pids[e.Pid] = true
			}
			for _, n := range []string{"hold", "blocking"} {
				if !names[n] {
					t.Errorf("no %q events", n)
				}
			}
			if want := map[bool]int{true: 2, false: 1}[mode == "subinterp"]; len(pids) != want {
				t.Errorf("%d processes in the trace; want %d (one per interpreter)", len(pids), want)
			}
		})
	}
}

func TestConvoyMetricsReachTheBatch(t *testing.T) {
	for _, mode := range []string{"gil", "native"} {
		t.Run(mode, func(t *testing.T) {
			p, w := startCell(t, mode, "convoy", 2, DefaultSettings())
			b := runBatch(t, p, w, 2)
			if b.Metrics[vocab.Roundtrips.Name] <= 0 || b.Metrics[vocab.P50.Name] <= 0 || b.Metrics[vocab.P99.Name] < b.Metrics[vocab.P50.Name] {
				t.Errorf("metrics %v; want roundtrips/s, p50-ns ≤ p99-ns", b.Metrics)
			}
			// A second batch spins again: the flag is reset between batches.
			b = runBatch(t, p, w, 2)
			if b.Elapsed < time.Duration(w.QuickSize)*time.Millisecond {
				t.Errorf("second batch took %v; the I/O task alone runs %d ms", b.Elapsed, w.QuickSize)
			}
		})
	}
}
