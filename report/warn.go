package report

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/aclements/go-moremath/stats"

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
	WarnOutcome  WarnKind = "outcome"     // a cell that failed or was interrupted
	WarnNoise    WarnKind = "noise"       // other processes competed for the CPUs
	WarnSkipped  WarnKind = "skipped"     // cells a mode could not run, with the reason
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
				for _, err := range c.Warnings {
					var (
						residue *ResidueWarning
						few     *SampleSizeWarning
					)
					switch {
					case errors.As(err, &residue):
						add(Warning{WarnStats, w, err.Error()})
					case !perf:
						// Lock counters and sizes are often constant
						// or zero; their statistics warnings are noise.
					case errors.As(err, &few) && c.N() < o.MinSamples:
						// Already said by the WarnSamples warning.
					default:
						add(Warning{WarnStats, w + " (" + t.Unit + ")", err.Error()})
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

// Statistics warnings are kept as the values benchproc and benchmath give,
// each wrapped once, where it enters the report (Table building and
// statsWarnings), in a type that says what it is about, so that nothing
// downstream has to read their text.

// A ResidueWarning says that a cell pools results that differ in
// something its table does not show: the fields that benchproc's
// NonSingularFields finds in the cell's residue. benchproc returns the
// fields, not an error; the text is benchstat's.
type ResidueWarning struct {
	Fields []string // ".fullname", "/gomaxprocs", a config key
}

func (w *ResidueWarning) Error() string {
	return "benchmarks vary in " + strings.Join(w.Fields, ", ")
}

// A SampleSizeWarning is benchmath's warning that a cell has too few
// values: for a finite confidence interval (For == "interval"), or for
// the test to detect any difference at all (For == "test"). Err is
// benchmath's warning, whose text is the message.
//
// benchmath makes these with fmt.Errorf, without a type or a sentinel, so
// statsWarnings recognises them by where they come from rather than by
// their text: the summary of a sample that cannot bound its median warns
// only about the sample size (its interval is then infinite), and a
// comparison's warning that is not the test's own failure (one of the
// statistics package's sentinel errors, such as all values being equal)
// is the warning that the samples are too small.
type SampleSizeWarning struct {
	For string // "interval" or "test"
	Err error
}

func (w *SampleSizeWarning) Error() string { return w.Err.Error() }
func (w *SampleSizeWarning) Unwrap() error { return w.Err }

// statsWarnings collects benchmath's warnings about c: its sample's, its
// summary's and its comparison's (when it has a baseline), the sample-size
// ones wrapped in a *SampleSizeWarning, the others as benchmath gives them.
func statsWarnings(c *Cell) []error {
	out := append([]error(nil), c.Sample.Warnings...)
	infinite := math.IsInf(c.Summary.Lo, 0) || math.IsInf(c.Summary.Hi, 0)
	for _, err := range c.Summary.Warnings {
		if infinite {
			err = &SampleSizeWarning{For: "interval", Err: err}
		}
		out = append(out, err)
	}
	if c.Base == nil {
		return out
	}
	for _, err := range c.Cmp.Warnings {
		if !testFailed(err) {
			err = &SampleSizeWarning{For: "test", Err: err}
		}
		out = append(out, err)
	}
	return out
}

// testFailed reports whether err is a statistical test's own failure
// rather than a warning about the samples' size.
func testFailed(err error) bool {
	for _, target := range []error{stats.ErrSamplesEqual, stats.ErrSampleSize, stats.ErrZeroVariance, stats.ErrMismatchedSamples} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// A WarnSummary is one line for all the warnings of a kind: how many, what
// they likely mean and what to do; the warnings themselves are below it.
type WarnSummary struct {
	Kind  WarnKind  `json:"kind"`
	Count int       `json:"count"`
	Text  string    `json:"text"`
	List  []Warning `json:"-"`
}

// warnKinds are the kinds in the order a reader should meet them, with the
// summary of n warnings of the kind.
var warnKinds = []struct {
	kind WarnKind
	say  func(n int, o Options) string
}{
	{WarnOutcome, func(n int, _ Options) string {
		return fmt.Sprintf("%s did not complete: their tables mark them, and the answer leaves them out", plural(n, "cell"))
	}},
	{WarnNoise, func(n int, _ Options) string {
		return fmt.Sprintf("the machine was busy (%s): other processes competed for the CPUs, so timings are not comparable; rerun on a quiet machine", plural(n, "stretch"))
	}},
	{WarnInput, func(n int, _ Options) string {
		return fmt.Sprintf("%s about the input files (cut lines, damaged lines, old format)", plural(n, "problem"))
	}},
	{WarnVariance, func(n int, o Options) string {
		return varianceText(n, o, "the machine was busy or the cells too short; rerun on a quiet machine or with more repetitions")
	}},
	{WarnSamples, func(n int, o Options) string {
		return fmt.Sprintf("%s %s fewer than %d repetitions: intervals are wide and few differences can be significant; rerun with -count %d", plural(n, "cell"), agree(n, "has", "have"), o.MinSamples, o.MinSamples)
	}},
	{WarnWallCPU, func(n int, o Options) string {
		return fmt.Sprintf("%s of CPU-bound workloads took more than %g× their CPU time: the machine was busy or throttled", plural(n, "cell"), o.WallCPURatio)
	}},
	{WarnStats, func(n int, _ Options) string {
		return fmt.Sprintf("%s from the statistics (benchmath), mostly about cells too small to test", plural(n, "warning"))
	}},
	{WarnSkipped, func(n int, _ Options) string {
		return fmt.Sprintf("%s why cells were skipped (a mode that cannot run a workload faithfully says why); the tables leave them out", plural(n, "reason"))
	}},
}

// WarningSummary groups the warnings by kind, one line per kind.
func (r *Result) WarningSummary() []WarnSummary {
	byKind := map[WarnKind][]Warning{}
	for _, w := range r.Warnings {
		byKind[w.Kind] = append(byKind[w.Kind], w)
	}
	var out []WarnSummary
	quiet := len(byKind[WarnNoise]) == 0 && r.guarded()
	for _, k := range warnKinds {
		if ws := byKind[k.kind]; len(ws) > 0 {
			text := k.say(len(ws), r.Options)
			if k.kind == WarnVariance && quiet {
				text = quietVariance(len(ws), r.Options)
			}
			out = append(out, WarnSummary{Kind: k.kind, Count: len(ws), Text: text, List: ws})
			delete(byKind, k.kind)
		}
	}
	for _, w := range r.Warnings { // kinds without a summary of their own
		if ws := byKind[w.Kind]; len(ws) > 0 {
			out = append(out, WarnSummary{Kind: w.Kind, Count: len(ws), Text: plural(len(ws), "warning") + " of kind " + string(w.Kind), List: ws})
			delete(byKind, w.Kind)
		}
	}
	return out
}

// guarded reports whether the noise guard watched every run: each has its look
// before the run and a measure of each workload.
func (r *Result) guarded() bool {
	for _, run := range r.Runs {
		if run.NoiseBefore == nil || len(run.Noise) == 0 {
			return false
		}
	}
	return len(r.Runs) > 0
}

// quietVariance is the variance summary when the noise guard watched the whole
// run and saw no other process compete: then "the machine was busy" is not the
// likely cause, and the spread is the machine's own (its scheduling, its clock,
// cells short beside them).
func quietVariance(n int, o Options) string {
	return varianceText(n, o, "on a machine the noise guard saw quiet, the spread is the machine's own (short cells, VM scheduling); rerun with a larger -size or more repetitions")
}

// varianceText is the variance summary of n cells, with its likely cause and remedy.
func varianceText(n int, o Options, why string) string {
	return fmt.Sprintf("%s %s by more than ±%.0f%%: %s", plural(n, "cell"), agree(n, "varies", "vary"), 100*o.HighVariance, why)
}

// agree picks the verb for n subjects.
func agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
