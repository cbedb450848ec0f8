package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
)

// A Finding is one sentence of the verdict, with the numbers behind it.
type Finding struct {
	Group string `json:"group"` // workload group, "" for an overall finding
	Unit  string `json:"unit"`
	// Where the comparison is made: a worker count (ByMode) or a
	// mode and worker count (ByInput).
	Mode    string `json:"mode,omitempty"`
	Workers int    `json:"workers,omitempty"`
	// Winner and Other are column labels (modes or inputs). When the
	// difference is not significant, Winner is merely the one with
	// the better median.
	Winner string `json:"winner"`
	Other  string `json:"other"`
	// Speedup is how many times better Winner is (≥ 1); for a
	// time or rate metric, how many times faster.
	Speedup float64 `json:"speedup"`
	P       float64 `json:"p"`
	N1      int     `json:"n1"` // repetitions of Other
	N2      int     `json:"n2"` // repetitions of Winner
	// Significant: the Mann–Whitney U test rejects "no difference" at
	// Options.Alpha. Only significant findings are stated as wins.
	Significant bool   `json:"significant"`
	Text        string `json:"text"`
}

// verdict picks the comparisons to state first. In the ByMode layout,
// for each workload group, at the highest worker count that has a mode
// besides the baseline: the rival with the best median against the
// status quo, or, when the status quo is the best or has no cell there,
// against the runner-up (the best of the other rivals); a lone contender
// is compared with the baseline. The status quo is the first rival in
// the run's mode order: runs list their rivals starting with what a
// Python programmer has without choosing (threads under the GIL), and
// "how much better than what I have?" is the question the verdict
// answers; when the status quo wins, its margin over the next best is.
// Reference modes (Options.Reference: native Go) are not contenders
// unless there is no rival. Significant findings, sorted by speed-up,
// come first. In the ByInput layout, for each group and each input after
// the first: the largest significant change, and one overall line per
// input with the geomean and the counts of faster, slower and unchanged
// cells.
func verdict(tables []*Table, o Options, statusQuo string) []Finding {
	groups := map[string][]*Table{}
	var order []string
	for _, t := range tables {
		if _, ok := groups[t.Group]; !ok {
			order = append(order, t.Group)
		}
		groups[t.Group] = append(groups[t.Group], t)
	}
	var out []Finding
	if o.Layout == ByMode {
		for _, g := range order {
			t := primary(groups[g])
			if t == nil || t.Better == 0 {
				continue
			}
			if f, ok := modeFinding(t, o, statusQuo); ok {
				out = append(out, f)
			}
		}
		sortFindings(out)
		return out
	}
	var prim []*Table
	for _, g := range order {
		t := primary(groups[g])
		if t == nil || t.Better == 0 {
			continue
		}
		prim = append(prim, t)
		out = append(out, inputFindings(t)...)
	}
	sortFindings(out)
	return append(overallFindings(prim), out...)
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Significant != fs[j].Significant {
			return fs[i].Significant
		}
		return fs[i].Speedup > fs[j].Speedup
	})
}

// better reports whether cell a's center is better than b's.
func better(t *Table, a, b *Cell) bool {
	if t.Better > 0 {
		return a.Summary.Center > b.Summary.Center
	}
	return a.Summary.Center < b.Summary.Center
}

func modeFinding(t *Table, o Options, statusQuo string) (Finding, bool) {
	bc := t.ColIndex(o.Baseline)
	sq := -1
	if statusQuo != "" && statusQuo != o.Baseline && !contains(o.Reference, statusQuo) {
		sq = t.ColIndex(statusQuo)
	}
	for r := len(t.Rows) - 1; r >= 0; r-- {
		var cands, refs []*Cell
		for ci, c := range t.Cells[r] {
			switch {
			case c == nil || ci == bc || c.Incomplete(): // a failed cell wins nothing
			case contains(o.Reference, t.Cols[ci].Label):
				refs = append(refs, c)
			default:
				cands = append(cands, c)
			}
		}
		if len(cands) == 0 {
			cands = refs
		}
		if len(cands) == 0 {
			continue
		}
		sort.SliceStable(cands, func(i, j int) bool { return better(t, cands[i], cands[j]) })
		best := cands[0]
		var other *Cell
		if c := t.Cell(r, sq); c != nil && c != best {
			other = c
		} else if len(cands) > 1 {
			other = cands[1]
		} else if best.Base != nil {
			other = best.Base
		} else {
			continue
		}
		return compareCells(t, best, other, t.Cols[best.Col].Label, t.Cols[other.Col].Label, best.Workers, ""), true
	}
	return Finding{}, false
}

// compareCells states how a compares with b (a has the better median).
func compareCells(t *Table, a, b *Cell, aName, bName string, workers int, mode string) Finding {
	cmp := t.assumption.Compare(b.Sample, a.Sample)
	f := Finding{
		Group: t.Group, Unit: t.Unit, Workers: workers, Mode: mode,
		Winner: aName, Other: bName,
		P: cmp.P, N1: cmp.N1, N2: cmp.N2,
		Significant: !(cmp.P > cmp.Alpha),
	}
	f.Speedup = Speedup(a.Summary.Center/b.Summary.Center, t.Better)
	if math.IsNaN(f.Speedup) || math.IsInf(f.Speedup, 0) {
		f.Significant = false
	}
	where := t.Group
	if mode != "" {
		where += ", " + mode
	}
	if workers > 0 {
		where += ", " + plural(workers, "worker")
	}
	adj := "faster"
	if !speedupUnit(t) {
		adj = "better in " + t.Unit
	}
	if f.Significant {
		f.Text = fmt.Sprintf("%s: %s is %s× %s than %s, p=%.3f", where, aName, fmtX(f.Speedup), adj, bName, f.P)
	} else {
		f.Text = fmt.Sprintf("%s: no significant difference between %s and %s (p=%.3f, n=%d+%d)", where, aName, bName, f.P, f.N2, f.N1)
	}
	return f
}

// fmtX formats a factor with two decimals below 2, one below 10 and
// none above: 1.05, 1.18, 3.6, 12; below 0.1, two significant digits
// (0.00066).
func fmtX(x float64) string {
	switch {
	case x < 0.0995:
		// A large slow-down: two significant digits, never 0.00.
		return strconv.FormatFloat(x, 'g', 2, 64)
	case x < 1.995:
		return fmt.Sprintf("%.2f", x)
	case x < 9.95:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.0f", x)
}

func inputFindings(t *Table) []Finding {
	var out []Finding
	for ci := 1; ci < len(t.Cols); ci++ {
		var best *Cell
		bestLog := 0.0
		for r := range t.Rows {
			c := t.Cell(r, ci)
			if c == nil || !c.Significant() || c.Incomplete() {
				continue
			}
			if l := math.Abs(math.Log(c.Ratio())); best == nil || l > bestLog {
				best, bestLog = c, l
			}
		}
		if best == nil {
			continue
		}
		a, b, an, bn := best, best.Base, t.Cols[ci].Label, t.Cols[0].Label
		if better(t, b, a) {
			a, b, an, bn = b, a, bn, an
		}
		out = append(out, compareCells(t, a, b, an, bn, best.Workers, best.Mode))
	}
	return out
}

// overallFindings summarizes each input against the first over every
// primary table.
func overallFindings(ts []*Table) []Finding {
	if len(ts) == 0 {
		return nil
	}
	var labels []string
	for _, t := range ts {
		for _, c := range t.Cols[1:] {
			if !contains(labels, c.Label) {
				labels = append(labels, c.Label)
			}
		}
	}
	var out []Finding
	for _, label := range labels {
		var logs []float64
		faster, slower, same := 0, 0, 0
		base := ""
		for _, t := range ts {
			ci := t.ColIndex(label)
			if ci <= 0 {
				continue
			}
			base = t.Cols[0].Label
			for r := range t.Rows {
				c := t.Cell(r, ci)
				if c == nil || c.Base == nil {
					continue
				}
				s := Speedup(c.Ratio(), t.Better)
				if s > 0 && !math.IsInf(s, 0) {
					logs = append(logs, math.Log(s))
				}
				switch {
				case !c.Significant():
					same++
				case s > 1:
					faster++
				default:
					slower++
				}
			}
		}
		if len(logs) == 0 {
			continue
		}
		sum := 0.0
		for _, l := range logs {
			sum += l
		}
		g := math.Exp(sum / float64(len(logs)))
		word := "faster"
		if g < 1 {
			word = "slower"
			g = 1 / g
		}
		f := Finding{Winner: label, Other: base, Speedup: g}
		if faster+slower == 0 {
			// A geomean of noise is not a speed-up: say only what the
			// tests say.
			f.Text = fmt.Sprintf("overall: nothing differs significantly between %s and %s (%s, none significant)",
				label, base, plural(len(logs), "cell"))
		} else {
			f.Text = fmt.Sprintf("overall: %s is %s× %s than %s (geomean over %d cells; %d faster, %d slower, %d without significant difference)",
				label, fmtX(g), word, base, len(logs), faster, slower, same)
		}
		out = append(out, f)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// verdictClass is the CSS class of a finding.
func verdictClass(f Finding) string {
	switch {
	case f.Group == "":
		return "overall"
	case f.Significant:
		return "win"
	}
	return "same"
}
