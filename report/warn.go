package report

import (
	"fmt"
	"math"
	"strings"

	"gilbench/vocab"
)

// A WarnKind classifies a Warning.
type WarnKind string

const (
	WarnInput    WarnKind = "input"       // the file itself (an interrupted run)
	WarnSamples  WarnKind = "samples"     // fewer repetitions than Options.MinSamples
	WarnVariance WarnKind = "variance"    // interval wider than Options.HighVariance
	WarnWallCPU  WarnKind = "wall-vs-cpu" // wall time ≫ CPU time in a CPU-bound workload
	WarnStats    WarnKind = "stats"       // benchmath and grouping warnings
)

// A Warning is a problem with the data that the reader should know of.
type Warning struct {
	Kind  WarnKind `json:"kind"`
	Where string   `json:"where"`
	Msg   string   `json:"msg"`
}

func (w Warning) String() string { return w.Where + ": " + w.Msg }

// where names a cell for people: "primes, gil, 4 workers".
func where(t *Table, c *Cell) string {
	s := t.Group
	if c.Mode != "" {
		s += ", " + c.Mode
	}
	if c.Workers > 0 {
		s += ", " + plural(c.Workers, "worker")
	}
	if t.ColKey == "file" {
		s += ", " + t.Cols[c.Col].Label
	}
	if c.Mode == "" && c.Workers == 0 && t.ColKey != "file" {
		s += ", " + t.Rows[c.Row].Label + " " + t.Cols[c.Col].Label
	}
	return s
}

// cellWarnings checks every cell: sample size, interval width, wall time
// against CPU time, and benchmath's own warnings. Each message appears
// once.
func cellWarnings(tables []*Table, o Options) []Warning {
	var out []Warning
	seen := map[Warning]bool{}
	add := func(w Warning) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	// Index CPU time cells to compare with wall time.
	type cellID struct {
		group    string
		row, col string
	}
	cpu := map[cellID]*Cell{}
	for _, t := range tables {
		if t.Unit != vocab.CPU.Tidy() {
			continue
		}
		for _, row := range t.Cells {
			for _, c := range row {
				if c != nil {
					cpu[cellID{t.Group, t.Rows[c.Row].Label, t.Cols[c.Col].Label}] = c
				}
			}
		}
	}
	for _, t := range tables {
		if t.Derived {
			continue
		}
		perf := t.Unit == vocab.Time.Tidy() || vocab.IsRate(t.Unit)
		// tasks/s is the inverse of sec/op: one variance warning is enough.
		checkVar := t.Unit == vocab.Time.Tidy() || (vocab.IsRate(t.Unit) && t.Unit != vocab.Tasks.Tidy())
		for _, row := range t.Cells {
			for _, c := range row {
				if c == nil {
					continue
				}
				w := where(t, c)
				if n := c.N(); n < o.MinSamples {
					add(Warning{WarnSamples, w, fmt.Sprintf("%d samples (want ≥ %d for a %.0f%% interval)", n, o.MinSamples, 100*o.Confidence)})
				}
				if checkVar {
					if h := halfWidth(c.Summary.Center, c.Summary.Lo, c.Summary.Hi); h > o.HighVariance && !math.IsInf(h, 0) {
						add(Warning{WarnVariance, w, fmt.Sprintf("%s varies by ±%.0f%% (%.0f%% CI); rerun on a quieter machine or with more repetitions", t.Unit, 100*h, 100*o.Confidence)})
					}
				}
				if t.Unit == vocab.Time.Tidy() && vocab.Class(t.Class).CPUBound() {
					if cc := cpu[cellID{t.Group, t.Rows[c.Row].Label, t.Cols[c.Col].Label}]; cc != nil && cc.Summary.Center > 0 {
						if ratio := c.Summary.Center / cc.Summary.Center; ratio > o.WallCPURatio {
							add(Warning{WarnWallCPU, w, fmt.Sprintf("wall time per task is %.1f× the CPU time in a CPU-bound workload (machine busy or throttled?)", ratio)})
						}
					}
				}
				for _, m := range c.Warnings {
					switch {
					case strings.HasPrefix(m, "benchmarks vary in"):
						add(Warning{WarnStats, w, m})
					case !perf:
						// Lock counters and sizes are often constant
						// or zero; their statistics warnings are noise.
					case c.N() < o.MinSamples && strings.HasPrefix(m, "need "):
						// Already said by the WarnSamples warning.
					default:
						add(Warning{WarnStats, w + " (" + t.Unit + ")", m})
					}
				}
			}
		}
		if !perf {
			continue
		}
		for ci, g := range t.Geomean {
			for _, m := range g.Warnings {
				add(Warning{WarnStats, t.Group + ", geomean of " + t.Cols[ci].Label + " (" + t.Unit + ")", m})
			}
		}
	}
	return out
}

// halfWidth is the larger relative distance from center to a bound, as
// benchmath's PctRangeString computes it; NaN if not defined.
func halfWidth(center, lo, hi float64) float64 {
	if center == 0 || math.IsNaN(center) {
		return math.NaN()
	}
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return math.Inf(1)
	}
	return math.Max(hi/center-1, 1-lo/center)
}
