package runner

import (
	"bytes"
	"context"
	"testing"

	"golang.org/x/perf/benchfmt"

	"gilbench/workloads"
)

// hogWorkload's Go twin holds 256 MiB while it runs: what it leaves in a process's peak
// RSS must not be charged to the cells after it.
func init() {
	workloads.Register(&workloads.Workload{
		Name: "test-hog", Class: workloads.CPU, Description: "test only: holds 256 MiB",
		DefaultSize: 1, DefaultTasks: 2, QuickSize: 1, QuickTasks: 2,
		Source: "func task i size\n\tload i\n\treturn\nend\n",
		Twin: func(_ context.Context, _ workloads.Params, i, _ int64) (int64, error) {
			b := make([]byte, 256<<20)
			for k := 0; k < len(b); k += 4096 {
				b[k] = 1
			}
			return i + int64(b[len(b)-4096]) - 1, nil
		},
		Want: func(i, _ int64) int64 { return i },
	})
}

// TestIsolatedCellsHaveTheirOwnPeakRSS: measured in a process of its own, a small cell
// after a 256 MiB one reports its own peak; measured in the runner's process, it would
// report the hog's (the defect: 15 MiB alone, 22 MiB inside the matrix).
func TestIsolatedCellsHaveTheirOwnPeakRSS(t *testing.T) {
	peak := func(shared bool) float64 {
		cfg := quickConfig("test-hog", "countdown")
		cfg.Modes = []string{"native"}
		cfg.Workers = []int{1}
		cfg.Shared = shared
		var raw bytes.Buffer
		if err := Run(context.Background(), cfg, Options{Raw: &raw}); err != nil {
			t.Fatal(err)
		}
		r := benchfmt.NewReader(&raw, "raw.txt")
		var last float64
		for r.Scan() {
			if res, ok := r.Result().(*benchfmt.Result); ok && bytes.Contains(res.Name, []byte("workload=countdown")) {
				last, _ = res.Value("peak-rss-B")
			}
		}
		return last
	}
	t.Logf("shared: %.0f MiB", peak(true)/(1<<20))
	isolated := peak(false)
	if isolated <= 0 || isolated > 128<<20 {
		t.Errorf("countdown after the hog, isolated: peak RSS %.0f MiB; want its own (< 128 MiB)", isolated/(1<<20))
	}
	checkNoChildren(t)
}
