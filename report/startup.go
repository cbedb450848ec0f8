package report

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"golang.org/x/perf/benchunit"

	"gilbench/vocab"
)

// What a worker costs before it works, on the strategy table (the modes of the run):
// its start-up and its peak memory, per worker (vocab.StartPerWorker,
// vocab.RSSPerWorker; the runner measures them at the start of each cell and after
// each batch, outside the timed part). A mode's figure is the median of its cells'
// medians over the run's workloads and worker counts, with their range when the
// cells differ, and one per start method (start=fork, start=spawn) when its cells
// have several; a run without these units (written before them) shows none.

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

// perWorker formats the median and the range of mode's cells of unit; with cells of
// several start methods (the start= name key of process strategies), one figure each.
func (r *Result) perWorker(mode, unit, suffix string) string {
	byStart := map[string][]float64{}
	for _, t := range r.Tables {
		if t.Unit != unit {
			continue
		}
		start := ""
		for _, k := range strings.Fields(t.Group) {
			if strings.HasPrefix(k, vocab.KeyStart+"=") {
				start = k
			}
		}
		for _, row := range t.Cells {
			for _, c := range row {
				if c != nil && c.Mode == mode && c.Sample != nil && len(c.Sample.Values) > 0 {
					byStart[start] = append(byStart[start], c.Summary.Center)
				}
			}
		}
	}
	if len(byStart) == 1 {
		for _, vs := range byStart {
			return spread(vs, unit, suffix)
		}
	}
	var parts []string
	for _, start := range slices.Sorted(maps.Keys(byStart)) {
		parts = append(parts, start+": "+spread(byStart[start], unit, suffix))
	}
	return strings.Join(parts, "; ")
}

// spread is the median of vs, with their range when they differ.
func spread(vs []float64, unit, suffix string) string {
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
