package report

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/perf/benchunit"
)

// rowScalers returns, per row, the common scale benchstat uses for the
// centers of that row.
func rowScalers(t *Table) []benchunit.Scaler {
	cls := benchunit.ClassOf(t.Unit)
	out := make([]benchunit.Scaler, len(t.Rows))
	for r := range t.Rows {
		var vals []float64
		for _, c := range t.Cells[r] {
			if c != nil {
				vals = append(vals, c.Summary.Center)
			}
		}
		out[r] = benchunit.CommonScale(vals, cls)
	}
	return out
}

// colScalers returns, per column, one scale for all the centers of that
// column, so that a column reads in one unit (4.626m above 1.2m, never
// 4626.1µ above 1.2m); each cell of a row is still benchstat's number.
func colScalers(t *Table) []benchunit.Scaler {
	cls := benchunit.ClassOf(t.Unit)
	out := make([]benchunit.Scaler, len(t.Cols))
	for ci := range t.Cols {
		var vals []float64
		for r := range t.Rows {
			if c := t.Cell(r, ci); c != nil {
				vals = append(vals, c.Summary.Center)
			}
		}
		out[ci] = benchunit.CommonScale(vals, cls)
	}
	return out
}

// cellText is how every output format shows a cell.
type cellText struct {
	Center string // "4.012m", scaled as benchstat scales the row
	CI     string // "1%", benchmath's PctRangeString
	Vs     string // "1.91×", "+12.34%", "~", "?", "base" or ""
	Stat   string // "p=0.002 n=6", or "n=6"
	Class  string // "better", "worse", "same", "base" or ""
}

func formatCell(t *Table, sc benchunit.Scaler, c *Cell, isBase bool) cellText {
	ct := cellText{Center: sc.Format(c.Summary.Center), CI: c.Summary.PctRangeString()}
	switch {
	case c.Base != nil:
		ct.Stat = c.Cmp.String()
		d := c.Delta()
		switch {
		case d == "~" || d == "?":
			ct.Vs, ct.Class = d, "same"
		case speedupUnit(t):
			s := Speedup(c.Ratio(), t.Better)
			ct.Vs = fmtX(s) + "×"
			ct.Class = "better"
			if s < 1 {
				ct.Class = "worse"
			}
		default:
			ct.Vs = d
			ct.Class = ""
			if t.Better != 0 {
				if Speedup(c.Ratio(), t.Better) >= 1 {
					ct.Class = "better"
				} else {
					ct.Class = "worse"
				}
			}
		}
	case isBase:
		ct.Vs, ct.Class = "base", "base"
		ct.Stat = fmt.Sprintf("n=%d", c.N())
	default:
		ct.Stat = fmt.Sprintf("n=%d", c.N())
	}
	if c.Incomplete() {
		// A cell that did not complete stands out: its figures are what was
		// finished before it failed, never a cell's result.
		ct.Stat = statusText(c.Status) + " " + ct.Stat
		ct.Class = "failed"
	}
	return ct
}

// baseCells returns the set of cells that others are compared with.
func baseCells(t *Table) map[*Cell]bool {
	m := map[*Cell]bool{}
	for _, row := range t.Cells {
		for _, c := range row {
			if c != nil && c.Base != nil {
				m[c.Base] = true
			}
		}
	}
	return m
}

// geomeanText formats a column's geomean center and ratio.
func geomeanText(t *Table, ci int) (center, ratio string) {
	g := t.Geomean[ci]
	if !math.IsNaN(g.Center) {
		center = benchunit.Scale(g.Center, benchunit.ClassOf(t.Unit))
	}
	if !math.IsNaN(g.Ratio) {
		if speedupUnit(t) {
			ratio = fmtX(Speedup(g.Ratio, t.Better)) + "×"
		} else {
			ratio = fmt.Sprintf("%+.2f%%", (g.Ratio-1)*100)
		}
	} else if ci > 0 && t.Baseline != "" && g.Warnings != nil {
		ratio = "?"
	}
	return center, ratio
}

// Title is a table's heading: "primes (CPU) · sec/op".
func (t *Table) Title() string {
	s := t.Group
	if t.Class != "" {
		s += " (" + t.Class + ")"
	}
	return s + " · " + t.Unit
}

// Legend explains a table's cells in one line.
func (t *Table) Legend(conf float64) string {
	s := fmt.Sprintf("median ± %.0f%% CI", 100*conf)
	if t.Baseline == "" {
		return s
	}
	s += "; vs " + t.Baseline + ": "
	if speedupUnit(t) {
		s += "speed-up (× > 1 is faster)"
	} else {
		s += "change"
	}
	return s + ", ~ no significant difference (Mann–Whitney U)"
}

// WriteText prints the tables (see SelectTables for units) with
// tablewriter, then the verdict.
func (r *Result) WriteText(w io.Writer, units []string) error {
	for i, t := range r.SelectTables(units) {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if err := writeTextTable(w, t, r.Options.Confidence); err != nil {
			return err
		}
	}
	if err := r.WriteBrokerCost(w); err != nil {
		return err
	}
	if err := r.WriteAnswer(w); err != nil {
		return err
	}
	if len(r.Verdict) > 0 {
		if _, err := io.WriteString(w, "\nVerdict:\n"); err != nil {
			return err
		}
		for _, f := range r.Verdict {
			if _, err := fmt.Fprintf(w, "  %s\n", f.Text); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeTextTable(w io.Writer, t *Table, conf float64) error {
	if _, err := fmt.Fprintf(w, "%s — %s\n", t.Title(), t.Legend(conf)); err != nil {
		return err
	}
	tbl := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Settings: tw.Settings{Separators: tw.Separators{BetweenRows: tw.On}},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithFooterAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignCenter),
		tablewriter.WithRowAlignment(tw.AlignRight),
		tablewriter.WithFooterAlignmentConfig(tw.CellAlignment{Global: tw.AlignRight}),
	)
	header := []any{t.RowKey}
	for _, c := range t.Cols {
		header = append(header, c.Label)
	}
	tbl.Header(header...)
	scalers := colScalers(t)
	bases := baseCells(t)
	for ri, row := range t.Rows {
		line := []any{row.Label}
		for ci, c := range t.Cells[ri] {
			if c == nil {
				line = append(line, "")
				continue
			}
			ct := formatCell(t, scalers[ci], c, bases[c])
			line = append(line, ct.Center+" ± "+ct.CI+"\n"+strings.TrimSpace(ct.Vs+" "+paren(ct.Stat)))
		}
		if err := tbl.Append(line...); err != nil {
			return err
		}
	}
	if len(t.Rows) > 1 {
		foot := []any{"geomean"}
		for ci := range t.Cols {
			center, ratio := geomeanText(t, ci)
			foot = append(foot, strings.TrimSpace(center+"\n"+ratio))
		}
		tbl.Footer(foot...)
	}
	return tbl.Render()
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// WriteAnswer prints the answers and the rules of thumb, each a line.
func (r *Result) WriteAnswer(w io.Writer) error {
	if len(r.Answers) > 0 {
		if _, err := io.WriteString(w, "\nAnswer:\n"); err != nil {
			return err
		}
		for _, a := range r.Answers {
			if _, err := fmt.Fprintf(w, "  %s\n", a.Text); err != nil {
				return err
			}
		}
	}
	if len(r.Rules) > 0 {
		if _, err := io.WriteString(w, "\nRules of thumb:\n"); err != nil {
			return err
		}
		for _, rc := range r.Rules {
			if _, err := fmt.Fprintf(w, "  %s (%s): %s\n", rc.Class, rc.Verdict, rc.Rule); err != nil {
				return err
			}
			for _, e := range rc.Evidence {
				if _, err := fmt.Fprintf(w, "    %s\n", e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// WriteSummary prints the compact summary a terminal gets: a table with a
// row per workload (the recommendation, its speed-up, the runner-up and
// the status quo), then a line per rule of thumb. The layout ByInput,
// which has no answers, prints its verdict instead.
func (r *Result) WriteSummary(w io.Writer) error {
	if err := r.writeSummary(w); err != nil {
		return err
	}
	return r.writeBrokerSummary(w) // cluster.go
}

func (r *Result) writeSummary(w io.Writer) error {
	if len(r.Answers) == 0 {
		for _, f := range r.Verdict {
			if _, err := fmt.Fprintf(w, "%s\n", f.Text); err != nil {
				return err
			}
		}
		return nil
	}
	head := "Answer"
	if c := r.cores(); c > 0 {
		head += fmt.Sprintf(" (this machine: %d cores; speed-ups against %s)", c, r.Options.Baseline)
	}
	if _, err := fmt.Fprintln(w, head+":"); err != nil {
		return err
	}
	tbl := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Borders: tw.BorderNone,
			Settings: tw.Settings{Separators: tw.Separators{BetweenColumns: tw.On}, Lines: tw.Lines{ShowHeaderLine: tw.On}}})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	tbl.Header("workload", "class", "workers", "use", "speed-up", "runner-up", "status quo")
	for _, a := range r.Answers {
		x := fmtX(a.Speedup) + "×"
		if a.Speedup == 0 { // a mixed workload's answer with no rate alone to compare with
			x = "–"
		}
		if a.Recommended != r.Options.Baseline && !(a.P <= r.Options.Alpha) {
			x += " (n.s.)"
		}
		ru, sq := "", ""
		if a.RunnerUp != "" {
			ru = a.RunnerUp + " " + fmtX(a.RunnerUpX) + "×"
		}
		if a.StatusQuo != "" {
			sq = a.StatusQuo + " " + fmtX(a.StatusQuoX) + "×"
		}
		if err := tbl.Append(a.Group, a.Class, fmt.Sprint(a.Workers), a.Recommended, x, ru, sq); err != nil {
			return err
		}
	}
	if err := tbl.Render(); err != nil {
		return err
	}
	for _, rc := range r.Rules {
		if _, err := fmt.Fprintf(w, "rule of thumb, %s: %s (%s)\n", rc.Class, rc.Verdict, rc.Rule); err != nil {
			return err
		}
	}
	return nil
}
