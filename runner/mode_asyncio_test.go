package runner

import (
	"strings"
	"testing"

	"gilbench/vocab"
	"gilbench/workloads"
)

// TestAsyncioChecksums: every workload without a sweep computes its checksum under the
// event loop, with one coroutine and several, batch after batch, and reports the loop's
// figures. (The swept shared-state workloads run in every mode in sharedstate_test.go.)
func TestAsyncioChecksums(t *testing.T) {
	for _, w := range workloads.All() {
		if w.Sweep != nil || strings.HasPrefix(w.Name, "test-") { // the tests' own workloads
			continue
		}
		for _, n := range []int{1, 3} {
			t.Run(w.Name, func(t *testing.T) {
				p, w := startCell(t, "asyncio", w.Name, n, DefaultSettings())
				tasks := w.QuickTasks
				if w.Class == workloads.CPU {
					tasks = min(tasks, 4) // what is checked here needs few
				}
				if w.OneTaskPerWorker {
					tasks = n
				}
				for range 2 {
					b := runBatch(t, p, w, tasks)
					for _, u := range []string{vocab.LoopLagP50.Name, vocab.LoopLagP99.Name, vocab.LoopAwaits.Name, vocab.LockSwitches.Name} {
						if _, ok := b.Metrics[u]; !ok {
							t.Errorf("no %s in %v", u, b.Metrics)
						}
					}
					if len(b.Latencies) != tasks {
						t.Errorf("%d latencies for %d tasks", len(b.Latencies), tasks)
					}
				}
			})
		}
	}
}

// TestAsyncioCPUWorkNeverYields: with CPU work alone nothing awaits, so the first
// coroutine runs every task and the others, resumed once each, find the queue empty.
func TestAsyncioCPUWorkNeverYields(t *testing.T) {
	p, w := startCell(t, "asyncio", "countdown", 3, DefaultSettings())
	b := runBatch(t, p, w, w.QuickTasks)
	if a := b.Metrics[vocab.LoopAwaits.Name]; a != 0 {
		t.Errorf("%v awaits in a CPU-bound batch; want 0", a)
	}
	if s := b.Metrics[vocab.LockSwitches.Name]; s != 2 {
		t.Errorf("%v switches; want 2 (to each idle coroutine once)", s)
	}
}

// TestAsyncioIOAwaits: every sleep is one await.
func TestAsyncioIOAwaits(t *testing.T) {
	p, w := startCell(t, "asyncio", "sleep", 4, DefaultSettings())
	b := runBatch(t, p, w, w.QuickTasks)
	if a := b.Metrics[vocab.LoopAwaits.Name]; a != float64(w.QuickTasks) {
		t.Errorf("%v awaits for %d sleeps", a, w.QuickTasks)
	}
}
