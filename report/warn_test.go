package report

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aclements/go-moremath/stats"
	"golang.org/x/perf/benchmath"
)

// TestStatsWarningTypes checks that benchmath's and benchproc's warnings
// arrive as typed values: too few samples for an interval and for the
// test, a test that cannot run (all values equal), and a cell that pools
// results with different names.
func TestStatsWarningTypes(t *testing.T) {
	var b strings.Builder
	b.WriteString("mode-sequential: baseline\nmode-gil: rival\nmode-process: rival\n")
	for rep := range 3 {
		// Three samples: no finite 95% interval, no detectable difference.
		fmt.Fprintf(&b, "BenchmarkCPU/workload=w/mode=sequential/workers=1-2 1 %d ns/op\n", 1000+rep)
		fmt.Fprintf(&b, "BenchmarkCPU/workload=w/mode=gil/workers=2-2 1 %d ns/op\n", 2000+rep)
	}
	for range 6 {
		// All equal, the baseline too: the U test fails with the
		// statistics package's sentinel.
		fmt.Fprintf(&b, "BenchmarkCPU/workload=e/mode=sequential/workers=1-2 1 1000 ns/op\n")
		fmt.Fprintf(&b, "BenchmarkCPU/workload=e/mode=process/workers=2-2 1 1000 ns/op\n")
	}
	raw := filepath.Join(t.TempDir(), "raw.txt")
	if err := os.WriteFile(raw, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: raw}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := r.SelectTables([]string{"ns/op"})
	if len(ts) != 2 {
		t.Fatalf("%d time tables; want 2", len(ts))
	}
	cell := func(mode string) *Cell {
		tb := ts[0]
		if mode == "process" {
			tb = ts[1]
		}
		for _, row := range tb.Cells {
			if c := row[tb.ColIndex(mode)]; c != nil {
				return c
			}
		}
		t.Fatalf("no %s cell", mode)
		return nil
	}
	sizes := func(c *Cell) (got []string) {
		for _, err := range c.Warnings {
			var sw *SampleSizeWarning
			if errors.As(err, &sw) {
				got = append(got, sw.For)
			}
		}
		return got
	}
	if got := strings.Join(sizes(cell("gil")), ","); got != "interval,test" {
		t.Errorf("gil (3 samples against 3): sample-size warnings for %q; want interval,test\n%v", got, cell("gil").Warnings)
	}
	proc := cell("process")
	if len(sizes(proc)) != 0 || !errors.Is(errors.Join(proc.Warnings...), stats.ErrSamplesEqual) {
		t.Errorf("process (6 equal values against 6 equal ones): warnings %v; want the test's failure, no sample-size warning", proc.Warnings)
	}
	// The report states the test's failure, and says "too few samples" once,
	// as its own warning, not again as benchmath's.
	var stated []string
	for _, w := range r.Warnings {
		stated = append(stated, string(w.Kind)+": "+w.String())
	}
	all := strings.Join(stated, "\n")
	if !strings.Contains(all, "stats: e, process, 2 workers (sec/op): all samples are equal") {
		t.Errorf("the failed test is not stated:\n%s", all)
	}
	if strings.Contains(all, "need ") {
		t.Errorf("benchmath's sample-size warning is stated beside the report's own:\n%s", all)
	}
	if !strings.Contains(all, "samples: w, gil, 2 workers: 3 samples") {
		t.Errorf("no warning about the 3 samples:\n%s", all)
	}
}

func TestResidueWarning(t *testing.T) {
	var b strings.Builder
	for rep := range 6 {
		// One cell of the table, two batch sizes the ByMode projection does not show.
		fmt.Fprintf(&b, "BenchmarkCPU/workload=w/mode=gil/workers=1/batch=%d-2 1 %d ns/op\n", 1+rep%2, 1000+rep)
	}
	raw := filepath.Join(t.TempDir(), "raw.txt")
	if err := os.WriteFile(raw, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ds, err := load([]Input{{Path: raw}})
	if err != nil {
		t.Fatal(err)
	}
	// Without .fullname in the table projection, the batch parts pool into one cell.
	proj, err := newProjection(projectionExprs{Table: "/workload", Row: "/workers", Col: "/mode", RowKey: "workers", ColKey: "mode"})
	if err != nil {
		t.Fatal(err)
	}
	bl := newBuilder(proj)
	for _, res := range ds.results {
		bl.add(res)
	}
	thr := benchmath.DefaultThresholds
	ts := bl.finish(tableOpts{confidence: 0.95, thresholds: &thr, units: ds.units})
	var rw *ResidueWarning
	if !errors.As(errors.Join(ts[0].Cell(0, 0).Warnings...), &rw) || !strings.Contains(rw.Error(), "benchmarks vary in") {
		t.Fatalf("warnings %v; want a *ResidueWarning", ts[0].Cell(0, 0).Warnings)
	}
}
