package report

import (
	"fmt"
	"sort"

	"golang.org/x/perf/benchunit"

	"gilbench/vocab"
)

// What a worker costs before it works, on the strategy table (the modes of the run):
// its start-up and its peak memory, per worker (vocab.StartPerWorker,
// vocab.RSSPerWorker; the runner measures them at the start of each cell and after
// each batch, outside the timed part). A mode's figure is the median of its cells'
// medians over the run's workloads and worker counts, with their range when the
// cells differ; a run without these units (written before them) shows none.

// workerCost is mode's start-up and memory per worker as the strategy table shows
// them ("" for a figure the run lacks).
func (r *Result) workerCost(mode string) (start, mem string) {
	return r.perWorker(mode, vocab.StartPerWorker.Tidy(), "s"), r.perWorker(mode, vocab.RSSPerWorker.Tidy(), "B")
}

// hasWorkerCost reports whether the run has any figure per worker.
func (r *Result) hasWorkerCost() bool {
	for _, t := range r.Tables {
		if t.Unit == vocab.StartPerWorker.Tidy() || t.Unit == vocab.RSSPerWorker.Tidy() {
			return true
		}
	}
	return false
}

// perWorker formats the median and the range of mode's cells of unit.
func (r *Result) perWorker(mode, unit, suffix string) string {
	var vs []float64
	for _, t := range r.Tables {
		if t.Unit != unit {
			continue
		}
		for _, row := range t.Cells {
			for _, c := range row {
				if c != nil && c.Mode == mode && c.Sample != nil && len(c.Sample.Values) > 0 {
					vs = append(vs, c.Summary.Center)
				}
			}
		}
	}
	if len(vs) == 0 {
		return ""
	}
	sort.Float64s(vs)
	class := benchunit.ClassOf(unit)
	f := func(v float64) string { return trimZeros(benchunit.Scale(v, class)) + suffix }
	med := vs[len(vs)/2]
	if len(vs)%2 == 0 {
		med = (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
	}
	lo, hi := vs[0], vs[len(vs)-1]
	if len(vs) == 1 || f(lo) == f(hi) {
		return f(med)
	}
	return fmt.Sprintf("%s (%s–%s, %d cells)", f(med), f(lo), f(hi), len(vs))
}
