package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gilbench/vocab"
)

// The answer for a mixed workload (the convoy: one I/O thread beside
// CPU-bound threads). Its question is not "how fast is the batch" — the
// I/O thread's duration fixes the elapsed time — but "what happens to the
// I/O thread when CPU-bound threads run beside it". The baseline runs the
// I/O thread alone; every rival runs it beside workers-1 CPU-bound
// threads. So the modes are compared with each other at the same worker
// count, on the workload's own rate (round trips per second), and the
// baseline only says what the I/O thread does alone. The CPU side's
// throughput is read from the CPU use at that worker count: the spinners
// run until the I/O thread is done, so their tasks per second say nothing.

// mixedRow is the row a mixed workload's answer is for: the I/O thread
// beside at least one CPU-bound thread (2 workers or more), and no more
// workers than cores, when the machine has them; -1 if no row has 2
// workers or more.
func mixedRow(t *Table, cores int) int {
	best, least := -1, -1
	for ri, row := range t.Rows {
		if row.Workers < 2 {
			continue
		}
		if least < 0 || row.Workers < t.Rows[least].Workers {
			least = ri
		}
		if cores > 0 && row.Workers > cores {
			continue
		}
		if best < 0 || row.Workers > t.Rows[best].Workers {
			best = ri
		}
	}
	if best < 0 {
		return least
	}
	return best
}

// mixedAnswer is answer for a mixed workload; ok is false when the table
// has no row with the I/O thread beside a CPU-bound one, or no rival there.
func (r *Result) mixedAnswer(t *Table, cores int, sq string) (Answer, bool) {
	ri := mixedRow(t, cores)
	if ri < 0 {
		return Answer{}, false
	}
	n := t.Rows[ri].Workers
	a := Answer{Group: t.Group, Class: t.Class, Workers: n, Cores: cores}
	var cands []*Cell
	for ci, c := range t.Cells[ri] {
		label := t.Cols[ci].Label
		if c == nil || c.Incomplete() || contains(r.Options.Reference, label) || label == r.Options.Baseline ||
			!finite(c.Summary.Center) {
			continue
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		return Answer{}, false
	}
	sort.SliceStable(cands, func(i, j int) bool { return better(t, cands[i], cands[j]) })
	label := func(c *Cell) string { return t.Cols[c.Col].Label }
	// alone is the I/O thread with no CPU-bound thread beside it: the
	// baseline's cell, else the status quo's at one worker.
	var alone *Cell
	for _, c := range cands {
		if c.Base != nil {
			alone = c.Base
			break
		}
	}
	if alone == nil {
		alone = cellAt(t, sq, 1)
	}
	ofAlone := func(c *Cell) float64 {
		if alone == nil || alone.Summary.Center == 0 {
			return 0
		}
		return Speedup(c.Summary.Center/alone.Summary.Center, t.Better)
	}
	best := cands[0]
	var sqc *Cell
	for _, c := range cands {
		if label(c) == sq {
			sqc = c
		}
	}
	rate := func(c *Cell) string { return fmtSI(c.Summary.Center) + " " + t.Unit }
	k := n - 1
	beside := "beside " + plural(k, "CPU-bound thread")
	var b strings.Builder
	where := plural(n, "worker")
	if cores > 0 {
		where += fmt.Sprintf(" on this %d-core machine", cores)
	}
	fmt.Fprintf(&b, "%s (mixed: one I/O thread %s), %s: ", t.Group, beside, where)
	a.Recommended = label(best)
	if alone != nil {
		a.Speedup = ofAlone(best)
	}
	fmt.Fprintf(&b, "use %s — its I/O thread keeps %s %s", r.named(a.Recommended), rate(best), beside)
	if alone != nil {
		fmt.Fprintf(&b, ", %s× its %s alone", fmtX(a.Speedup), fmtSI(alone.Summary.Center))
	}
	// The comparison that matters: against the status quo at the same
	// worker count, else against the runner-up.
	other := sqc
	if other == nil || other == best {
		other = nil
		if len(cands) > 1 {
			other = cands[1]
		}
	}
	if other != nil {
		cmp := t.assumption.Compare(other.Sample, best.Sample)
		a.P = cmp.P
		x := Speedup(best.Summary.Center/other.Summary.Center, t.Better)
		sig := fmt.Sprintf("p=%.3f", cmp.P)
		if cmp.P > cmp.Alpha {
			sig = fmt.Sprintf("not significant with n=%d+%d: rerun with more repetitions", cmp.N1, cmp.N2)
		}
		what := "the status quo"
		if other != sqc {
			what = "the runner-up"
		}
		fmt.Fprintf(&b, "; %s× %s, %s, at the same %s (%s; %s)", fmtX(x), what, r.named(label(other)), plural(n, "worker"), rate(other), sig)
	}
	b.WriteString(".")
	if len(cands) > 1 {
		ru := cands[1]
		a.RunnerUp = label(ru)
		if alone != nil {
			a.RunnerUpX = ofAlone(ru)
		}
		tie := ""
		if cmp := t.assumption.Compare(ru.Sample, best.Sample); cmp.P > cmp.Alpha {
			tie = ", not significantly behind"
		}
		fmt.Fprintf(&b, " Runner-up: %s, %s%s.", r.named(a.RunnerUp), rate(ru), tie)
	}
	a.Cost = r.costs(t.Group, a.Recommended, n)
	if len(a.Cost) > 0 {
		fmt.Fprintf(&b, " Cost: %s.", strings.Join(a.Cost, ", "))
	}
	if sqc != nil && alone != nil {
		a.StatusQuo, a.StatusQuoX = sq, ofAlone(sqc)
	}
	a.Evidence = r.mixedEvidence(t, a, cands, alone, sqc)
	if len(a.Evidence) > 0 {
		fmt.Fprintf(&b, " Why: %s.", strings.Join(a.Evidence, "; "))
	}
	a.Text = b.String()
	return a, true
}

// mixedEvidence says, in Python's words, what each strategy does to the
// I/O thread (its rate beside the CPU-bound threads against alone), how
// long the status quo's threads wait for the lock, and how many cores the
// CPU side keeps busy.
func (r *Result) mixedEvidence(t *Table, a Answer, cands []*Cell, alone, sqc *Cell) []string {
	var out []string
	n := a.Workers
	beside := "beside " + plural(n-1, "CPU-bound thread")
	label := func(c *Cell) string { return t.Cols[c.Col].Label }
	if sqc != nil && alone != nil {
		// Only a mode with a lock has a lock to wait for: the run says
		// whether the status quo's workers waited.
		wait := 0.0
		if c := cellAt(r.groupTable(t.Group, UnitLockWait), label(sqc), n); c != nil {
			wait = c.Summary.Center
		}
		s := fmt.Sprintf("under %s", r.named(label(sqc)))
		if wait > 0.005 {
			s += " the I/O thread waits for the GIL again after every send and every receive, which release it:"
		}
		s += fmt.Sprintf(" its %s go from %s alone to %s %s", t.Unit, fmtSI(alone.Summary.Center), fmtSI(sqc.Summary.Center), beside)
		if wait > 0.005 {
			s += fmt.Sprintf(", and the workers wait for the lock %.0f%% of their time", 100*wait)
		}
		out = append(out, s)
	}
	var keeps []string
	for _, c := range cands {
		if c == sqc {
			continue
		}
		s := fmt.Sprintf("%s %s", r.named(label(c)), fmtSI(c.Summary.Center))
		if alone != nil && alone.Summary.Center > 0 {
			s += fmt.Sprintf(" (%s×)", fmtX(c.Summary.Center/alone.Summary.Center))
		}
		keeps = append(keeps, s)
	}
	if len(keeps) > 0 {
		out = append(out, fmt.Sprintf("the I/O thread keeps, %s: %s", beside, strings.Join(keeps, ", ")))
	}
	var pub []string
	for _, an := range anchorsFor("throughput", t, func(m string) string { return pythonWordsOf(r.Modes, m) }) {
		pub = append(pub, an.Figure)
	}
	if len(pub) > 0 {
		out = append(out, "published: "+strings.Join(pub, "; ")+" ("+anchorSources(t, r)+")")
	}
	if ut := r.groupTable(t.Group, UnitCPUUtil); ut != nil {
		var busy []string
		for _, c := range cands {
			if u := cellAt(ut, label(c), n); u != nil && finite(u.Summary.Center) {
				busy = append(busy, fmt.Sprintf("%s %s", label(c), strconv.FormatFloat(u.Summary.Center*float64(n), 'f', 1, 64)))
			}
		}
		if len(busy) > 0 {
			out = append(out, fmt.Sprintf("the CPU side: cores kept busy (CPU time ÷ wall time) at %s: %s", plural(n, "worker"), strings.Join(busy, ", ")))
		}
	}
	for _, row := range t.Cells {
		for _, c := range row {
			if c != nil && c.Status == vocab.Failed {
				out = append(out, fmt.Sprintf("%s at %s failed (%s)", c.Mode, plural(c.Workers, "worker"), c.Reason))
			}
		}
	}
	return out
}

// fmtSI formats a value with three significant digits and an SI prefix:
// 98.2, 24.1k, 1.20M.
func fmtSI(v float64) string {
	abs := v
	if abs < 0 {
		abs = -abs
	}
	for _, p := range []struct {
		f float64
		s string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if abs >= p.f*0.9995 {
			return strconv.FormatFloat(v/p.f, 'g', 3, 64) + p.s
		}
	}
	if abs >= 99.95 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// anchorSources joins the distinct sources of the throughput anchors of t.
func anchorSources(t *Table, r *Result) string {
	var srcs []string
	for _, an := range anchorsFor("throughput", t, func(m string) string { return pythonWordsOf(r.Modes, m) }) {
		for _, s := range strings.Split(an.Source, "; ") {
			if !contains(srcs, s) {
				srcs = append(srcs, s)
			}
		}
	}
	return strings.Join(srcs, "; ")
}
