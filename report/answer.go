package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"

	"gilbench/vocab"
)

// An Answer is the report's answer for one workload: which strategy to
// choose on this machine, by how much, at what cost, and why, from the
// run's own figures. Modes are only ever named as the run names them.
type Answer struct {
	Group string `json:"group"`
	Class string `json:"class"`
	// Workers is the worker count the answer is for: the machine's cores
	// for a CPU-bound workload, for a mixed one the most workers up to the
	// cores with a CPU-bound thread beside the I/O thread (mixed.go), else
	// the most workers the run measured.
	Workers int `json:"workers"`
	Cores   int `json:"cores,omitempty"`
	// Recommended is the rival with the best median when it beats the
	// baseline's (the text says when the win is not significant), else the
	// baseline itself. For a mixed workload it is the rival whose I/O
	// thread keeps the best rate at Workers, whatever the baseline's (the
	// I/O thread alone); P is then its comparison with the status quo at
	// Workers, and Speedup its rate against the one alone.
	Recommended string  `json:"recommended"`
	Speedup     float64 `json:"speedup"`
	P           float64 `json:"p"`
	RunnerUp    string  `json:"runner_up,omitempty"`
	RunnerUpX   float64 `json:"runner_up_speedup,omitempty"`
	// StatusQuo is the first rival of the run's mode order (what a Python
	// programmer has without choosing) and its speed-up.
	StatusQuo  string  `json:"status_quo,omitempty"`
	StatusQuoX float64 `json:"status_quo_speedup,omitempty"`
	// Cost: start-up per task and memory per worker of the recommendation.
	Cost     []string `json:"cost,omitempty"`
	Evidence []string `json:"evidence,omitempty"`
	Text     string   `json:"text"`
}

// A RuleCheck is a rule of thumb for a class of workloads and what the
// run says of it, workload by workload.
type RuleCheck struct {
	Class    string   `json:"class"`
	Rule     string   `json:"rule"`
	Verdict  string   `json:"verdict"` // "supported", "contradicted" or "mixed"
	Evidence []string `json:"evidence"`
}

// Thresholds of the rule checks: a speed-up up to flatMax is "no faster",
// one of scalesMin or more is "scales".
const (
	flatMax   = 1.2
	scalesMin = 1.5
)

// cores is the machine's core count as the run records it.
func (r *Result) cores() int {
	for _, run := range r.Runs {
		if n, err := strconv.Atoi(run.Get("gomaxprocs")); err == nil && n > 0 {
			return n
		}
		if run.NoiseBefore != nil && run.NoiseBefore.Cores > 0 {
			return run.NoiseBefore.Cores
		}
	}
	return 0
}

// groupTable is the group's table of unit, or nil.
func (r *Result) groupTable(group, unit string) *Table {
	for _, t := range r.Tables {
		if t.Group == group && t.Unit == unit {
			return t
		}
	}
	return nil
}

// cellAt is the cell of mode at workers in t, or nil.
func cellAt(t *Table, mode string, workers int) *Cell {
	if t == nil {
		return nil
	}
	ci := t.ColIndex(mode)
	if ci < 0 {
		return nil
	}
	for ri, row := range t.Rows {
		if row.Workers == workers {
			return t.Cell(ri, ci)
		}
	}
	return nil
}

// answerRow picks the row the answer is for.
func answerRow(t *Table, class string, cores int) int {
	best := -1
	for ri, row := range t.Rows {
		if best < 0 || row.Workers > t.Rows[best].Workers {
			if vocab.Class(class).CPUBound() && cores > 0 && row.Workers > cores {
				continue
			}
			best = ri
		}
	}
	if best < 0 {
		best = len(t.Rows) - 1
	}
	return best
}

// answers builds the answer of every workload (ByMode only).
func (r *Result) answers() []Answer {
	if r.Options.Layout != ByMode {
		return nil
	}
	cores := r.cores()
	sq := firstRival(r.Modes)
	var out []Answer
	for _, g := range r.Groups() {
		t := primary(r.GroupTables(g))
		if t == nil || t.Better == 0 || t.Baseline == "" || len(t.Rows) == 0 {
			continue
		}
		if a, ok := r.answer(t, cores, sq); ok {
			out = append(out, a)
		}
	}
	return out
}

func (r *Result) answer(t *Table, cores int, sq string) (Answer, bool) {
	if vocab.Class(t.Class) == vocab.ClassMixed {
		if a, ok := r.mixedAnswer(t, cores, sq); ok {
			return a, true
		}
	}
	ri := answerRow(t, t.Class, cores)
	a := Answer{Group: t.Group, Class: t.Class, Workers: t.Rows[ri].Workers, Cores: cores}
	var cands []*Cell
	for ci, c := range t.Cells[ri] {
		label := t.Cols[ci].Label
		if c == nil || c.Incomplete() || c.Base == nil || contains(r.Options.Reference, label) || label == r.Options.Baseline ||
			!finite(Speedup(c.Ratio(), t.Better)) {
			continue
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		return Answer{}, false
	}
	sort.SliceStable(cands, func(i, j int) bool { return better(t, cands[i], cands[j]) })
	best := cands[0]
	label := func(c *Cell) string { return t.Cols[c.Col].Label }
	x := func(c *Cell) float64 { return Speedup(c.Ratio(), t.Better) }
	adj := "faster than"
	if !speedupUnit(t) {
		adj = "better in " + t.Unit + " than"
	}
	var b strings.Builder
	where := plural(a.Workers, "worker")
	if cores > 0 {
		where += fmt.Sprintf(" on this %d-core machine", cores)
	}
	if x(best) > 1 {
		a.Recommended, a.Speedup, a.P = label(best), x(best), best.Cmp.P
		sig := fmt.Sprintf("p=%.3f", a.P)
		if !best.Significant() {
			sig = fmt.Sprintf("not significant with n=%d+%d: rerun with more repetitions", best.Cmp.N1, best.Cmp.N2)
		}
		fmt.Fprintf(&b, "%s, %s: use %s — %s× %s %s (%s).", t.Group, where, r.named(a.Recommended), fmtX(a.Speedup), adj, r.Options.Baseline, sig)
		if len(cands) > 1 {
			ru := cands[1]
			a.RunnerUp, a.RunnerUpX = label(ru), x(ru)
			tie := ""
			if cmp := t.assumption.Compare(ru.Sample, best.Sample); cmp.P > cmp.Alpha {
				tie = ", not significantly behind"
			}
			fmt.Fprintf(&b, " Runner-up: %s, %s×%s.", r.named(a.RunnerUp), fmtX(a.RunnerUpX), tie)
		}
		a.Cost = r.costs(t.Group, a.Recommended, a.Workers)
		if len(a.Cost) > 0 {
			fmt.Fprintf(&b, " Cost: %s.", strings.Join(a.Cost, ", "))
		}
	} else {
		a.Recommended, a.Speedup = r.Options.Baseline, 1
		fmt.Fprintf(&b, "%s, %s: stay with %s — no strategy is %s it (best: %s, %s×).",
			t.Group, where, r.Options.Baseline, adj, label(best), fmtX(x(best)))
	}
	if c := cellAt(t, sq, a.Workers); sq != "" && c != nil && c.Base != nil && finite(x(c)) {
		a.StatusQuo, a.StatusQuoX = sq, x(c)
		if sq != a.Recommended {
			fmt.Fprintf(&b, " The status quo, %s, gives %s×.", r.named(sq), fmtX(a.StatusQuoX))
		}
	}
	a.Evidence = r.evidence(t, a)
	if len(a.Evidence) > 0 {
		fmt.Fprintf(&b, " Why: %s.", strings.Join(a.Evidence, "; "))
	}
	a.Text = b.String()
	return a, true
}

// costs are the start-up per task and the memory per worker of mode at
// workers, the memory against the baseline's.
func (r *Result) costs(group, mode string, workers int) []string {
	var out []string
	if c := cellAt(r.groupTable(group, vocab.StartUp.Tidy()), mode, workers); c != nil {
		out = append(out, "start-up "+trimZeros(benchunit.Scale(c.Summary.Center, benchunit.ClassOf(vocab.StartUp.Tidy())))+"s per task")
	}
	rss := r.groupTable(group, vocab.PeakRSS.Tidy())
	if c := cellAt(rss, mode, workers); c != nil && workers > 0 {
		base := 0.0
		if b := cellAt(rss, r.Options.Baseline, 1); b != nil {
			base = b.Summary.Center
		}
		per := (c.Summary.Center - base) / float64(workers)
		if per > 0 {
			out = append(out, trimZeros(benchunit.Scale(per, benchunit.Binary))+"B more memory per worker")
		}
	}
	return out
}

// evidence explains the answer with the run's own figures: how long the
// status quo's threads wait for the lock and how often they are forced to
// switch, the recommendation's CPU use, updates lost, the workload's own
// rate against the baseline's, cells that failed.
func (r *Result) evidence(t *Table, a Answer) []string {
	var out []string
	g, n := t.Group, a.Workers
	pct := func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }
	if a.StatusQuo != "" {
		if c := cellAt(r.groupTable(g, UnitLockWait), a.StatusQuo, n); c != nil && c.Summary.Center > 0.005 {
			out = append(out, fmt.Sprintf("under %s, workers wait for the lock %s of their time", r.named(a.StatusQuo), pct(c.Summary.Center)))
		}
		if c := cellAt(r.groupTable(g, vocab.LockForcedDrops.Tidy()), a.StatusQuo, n); c != nil && c.Summary.Center >= 0.01 {
			out = append(out, fmt.Sprintf("%s forced switches per task", fmtCount(c.Summary.Center)))
		}
	}
	if c := cellAt(r.groupTable(g, UnitCPUUtil), a.Recommended, n); c != nil && a.Recommended != r.Options.Baseline {
		out = append(out, fmt.Sprintf("%s keeps %s of %s × wall time on a CPU", a.Recommended, pct(c.Summary.Center), plural(n, "worker")))
	}
	if lt := r.groupTable(g, vocab.LostUpdates.Tidy()); lt != nil {
		for ci, col := range lt.Cols {
			for ri := range lt.Rows {
				if c := lt.Cell(ri, ci); c != nil && lt.Rows[ri].Workers == n && c.Summary.Center > 0 {
					out = append(out, fmt.Sprintf("%s loses %s updates per task", col.Label, fmtCount(c.Summary.Center)))
				}
			}
		}
	}
	if vocab.IsRate(t.Unit) && t.Unit != vocab.Tasks.Tidy() && a.StatusQuo != "" {
		if c := cellAt(t, a.StatusQuo, n); c != nil && c.Base != nil {
			cls := benchunit.ClassOf(t.Unit)
			out = append(out, fmt.Sprintf("%s %s beside %s against %s alone", benchunit.Scale(c.Summary.Center, cls), t.Unit,
				a.StatusQuo, benchunit.Scale(c.Base.Summary.Center, cls)))
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

// fmtCount formats a count with at most 3 significant digits.
func fmtCount(v float64) string {
	if v >= 1000 {
		return benchunit.Scale(v, benchunit.Decimal)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// ruleChecks tests each class's rule of thumb against the status quo's
// speed-up in every workload of that class.
func (r *Result) ruleChecks(as []Answer) []RuleCheck {
	var out []RuleCheck
	index := map[string]int{}
	for _, a := range as {
		rule, ok := ruleFor(a.Class)
		if !ok || a.StatusQuo == "" {
			continue
		}
		i, seen := index[a.Class]
		if !seen {
			i = len(out)
			index[a.Class] = i
			out = append(out, RuleCheck{Class: a.Class, Rule: rule.Rule})
		}
		x := a.StatusQuoX
		var holds bool
		switch rule.Test {
		case "flat":
			holds = x <= flatMax
		case "scales":
			holds = x >= scalesMin
		case "worse":
			holds = x < 1
		}
		word := "supports"
		if !holds {
			word = "contradicts"
		}
		ev := fmt.Sprintf("%s: %s gives %s× at %s", a.Group, a.StatusQuo, fmtX(x), plural(a.Workers, "worker"))
		if len(a.Evidence) > 0 && strings.HasPrefix(a.Evidence[0], "under "+r.named(a.StatusQuo)) {
			ev += " (" + a.Evidence[0] + ")"
		}
		out[i].Evidence = append(out[i].Evidence, ev+" — "+word)
		switch v := out[i].Verdict; {
		case v == "":
			out[i].Verdict = map[bool]string{true: "supported", false: "contradicted"}[holds]
		case (v == "supported") != holds:
			out[i].Verdict = "mixed"
		}
	}
	return out
}
