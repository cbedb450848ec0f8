package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkerCost: the strategy table shows each mode's start-up and memory per worker,
// the median over its cells with their range; a run without these units has no such
// columns.
func TestWorkerCost(t *testing.T) {
	var b strings.Builder
	b.WriteString("mode-sequential: baseline\nmode-process: rival\nmode-cpython-process: rival\n")
	for rep := range 6 {
		fmt.Fprintf(&b, "BenchmarkCPU/workload=w/mode=sequential/workers=1-2 10 %d ns/op 50000 start-ns/worker 1048576 peak-rss-B/worker\n", 1000+rep)
		for _, n := range []int{1, 2} {
			// 20 ms a worker at 1 worker, 10 ms at 2; 16 MiB each.
			fmt.Fprintf(&b, "BenchmarkCPU/workload=w/mode=process/workers=%d-2 10 %d ns/op %d start-ns/worker 16777216 peak-rss-B/worker\n", n, 900+rep, 20_000_000/n)
		}
		// A process strategy by start method: 2 ms a worker with fork, 60 ms with spawn.
		for start, ns := range map[string]int{"fork": 2_000_000, "spawn": 60_000_000} {
			fmt.Fprintf(&b, "BenchmarkCPU/workload=w/mode=cpython-process/workers=2/python=3.13/start=%s-2 10 %d ns/op %d start-ns/worker 8388608 peak-rss-B/worker\n", start, 800+rep, ns)
		}
	}
	raw := filepath.Join(t.TempDir(), "raw.txt")
	if err := os.WriteFile(raw, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: raw}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ mode, start, mem string }{
		{"sequential", "50µs", "1MiB"},
		{"process", "15ms (10ms–20ms, 2 cells)", "16MiB"},
		{"cpython-process", "start=fork: 2ms; start=spawn: 60ms", "start=fork: 8MiB; start=spawn: 8MiB"},
	} {
		start, mem := r.workerCost(tc.mode)
		if start != tc.start || mem != tc.mem {
			t.Errorf("%s: start-up %q, memory %q per worker; want %q, %q", tc.mode, start, mem, tc.start, tc.mem)
		}
	}
	var html strings.Builder
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "<th>start-up per worker</th>") || !strings.Contains(html.String(), "<td>15ms (10ms–20ms, 2 cells)</td>") {
		t.Error("report.html's strategy table has no start-up per worker")
	}

	r, err = Build(context.Background(), Options{Inputs: []Input{{Path: "testdata/synthetic-run.txt"}}})
	if err != nil {
		t.Fatal(err)
	}
	html.Reset()
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	if r.hasWorkerCost() || strings.Contains(html.String(), "start-up per worker") {
		t.Error("a run without figures per worker has the columns")
	}
}
