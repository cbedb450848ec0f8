package report

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Sweeps: a workload run at several critical-section lengths has one group per length
// ("counter cs=100 batch=1"). The sweep plots put the lengths on the x axis, one line
// per mode at the largest worker count: throughput against the critical section, the
// time spent waiting for the workload's lock, and its acquisitions (solid) and
// contended acquisitions (dashed) per task. They are drawn only when results have a
// /cs name key, and shown with the family's group of the smallest cs.

// sweepKey is the name key on the x axis of the sweep plots.
const sweepKey = "cs"

// A sweepFamily is the tables of one unit whose groups differ only in the swept key.
type sweepFamily struct {
	name   string   // the group without the swept part: "counter batch=1"
	group  string   // the group of the smallest value, where the family's plots are shown
	unit   string   // the tables' unit
	xs     []string // the swept values, in numeric order
	tables []*Table // by x
}

// sweepFamilies finds the families of tables ts holds, in the order of their first
// tables. Families with a single value are left out.
func sweepFamilies(ts []*Table) []*sweepFamily {
	type key struct{ name, unit string }
	var (
		order []key
		fams  = map[key]*sweepFamily{}
	)
	for _, t := range ts {
		if t.Derived {
			continue
		}
		parts := strings.Fields(t.Group)
		x, rest := "", []string{}
		for _, p := range parts {
			if v, ok := strings.CutPrefix(p, sweepKey+"="); ok {
				x = v
				continue
			}
			rest = append(rest, p)
		}
		if _, err := strconv.ParseFloat(x, 64); err != nil {
			continue
		}
		k := key{strings.Join(rest, " "), t.Unit}
		f := fams[k]
		if f == nil {
			f = &sweepFamily{name: k.name, unit: t.Unit}
			fams[k] = f
			order = append(order, k)
		}
		f.xs = append(f.xs, x)
		f.tables = append(f.tables, t)
	}
	var out []*sweepFamily
	for _, k := range order {
		f := fams[k]
		if len(f.xs) < 2 {
			continue
		}
		idx := make([]int, len(f.xs))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(i, j int) bool {
			a, _ := strconv.ParseFloat(f.xs[idx[i]], 64)
			b, _ := strconv.ParseFloat(f.xs[idx[j]], 64)
			return a < b
		})
		xs, tables := make([]string, len(idx)), make([]*Table, len(idx))
		for i, j := range idx {
			xs[i], tables[i] = f.xs[j], f.tables[j]
		}
		f.xs, f.tables, f.group = xs, tables, tables[0].Group
		out = append(out, f)
	}
	return out
}

// sweepSelect selects, for each swept workload (in the order of its first
// table), the tables of one family: the first family whose unit passes
// the first of want that any family passes, then the families of extra
// units when there are (the contended acquisitions beside all of them).
// Each selection is one sweep plot.
func sweepSelect(want []func(unit string) bool, extra ...string) func([]*Table) [][]*Table {
	return func(ts []*Table) [][]*Table {
		fams := sweepFamilies(ts)
		var names []string
		for _, f := range fams {
			if !contains(names, f.name) {
				names = append(names, f.name)
			}
		}
		var out [][]*Table
		for _, name := range names {
			var main *sweepFamily
			for _, ok := range want {
				for _, f := range fams {
					if main == nil && f.name == name && ok(f.unit) {
						main = f
					}
				}
			}
			if main == nil {
				continue
			}
			sel := append([]*Table(nil), main.tables...)
			for _, u := range extra {
				for _, f := range fams {
					if f.name == name && f.unit == u {
						sel = append(sel, f.tables...)
					}
				}
			}
			out = append(out, sel)
		}
		return out
	}
}

// sweepWorkers is the largest worker count in the families' tables.
func sweepWorkers(fs []*sweepFamily) int {
	w := 0
	for _, f := range fs {
		for _, t := range f.tables {
			for _, r := range t.Rows {
				w = max(w, r.Workers)
			}
		}
	}
	return w
}

// sweepCell is mode's cell of t at workers, or at the mode's largest worker count if it
// has none there (the baseline runs one worker).
func sweepCell(t *Table, mode string, workers int) *Cell {
	ci := t.ColIndex(mode)
	if ci < 0 {
		return nil
	}
	var best *Cell
	for r := range t.Rows {
		c := t.Cell(r, ci)
		if c == nil {
			continue
		}
		if c.Workers == workers {
			return c
		}
		if best == nil || c.Workers > best.Workers {
			best = c
		}
	}
	return best
}

// sweepPlot draws the families' values against the swept key, a line per mode (a
// color) and per family (a dash pattern: the first solid).
func sweepPlot(ch *chart, pal *palette, ts []*Table) (*Plot, error) {
	fs := sweepFamilies(ts)
	if len(fs) == 0 {
		return nil, nil
	}
	f0 := fs[0]
	yLabel := ch.yLabel
	if yLabel == "" {
		yLabel = f0.unit
	}
	workers := sweepWorkers(fs)
	dashes := [][]vg.Length{nil, {vg.Points(5), vg.Points(3)}}
	var (
		ss    []series
		modes []string
	)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for fi, f := range fs {
		var cols []string
		for _, t := range f.tables {
			for _, c := range t.Cols {
				if !contains(cols, c.Label) {
					cols = append(cols, c.Label)
				}
			}
		}
		for _, mode := range cols {
			s := series{color: pal.color(mode), dashes: dashes[fi%len(dashes)]}
			if len(fs) == 1 {
				s.label = mode
			}
			for xi, t := range f.tables {
				c := sweepCell(t, mode, workers)
				if c == nil {
					continue
				}
				s.pts = append(s.pts, point{float64(xi), c.Summary.Center, c.Summary.Lo, c.Summary.Hi})
				if v := c.Summary.Center; v > 0 {
					ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
				}
			}
			if len(s.pts) == 0 {
				continue
			}
			if !contains(modes, mode) {
				modes = append(modes, mode)
			}
			ss = append(ss, s)
		}
	}
	if len(ss) == 0 {
		return nil, nil
	}
	wide := ymin > 0 && ymax/ymin > 30
	allPositive := true
	for _, s := range ss {
		for _, pt := range s.pts {
			allPositive = allPositive && pt.y > 0
		}
	}
	what := f0.unit
	if len(fs) > 1 {
		what = yLabel
	}
	title := fmt.Sprintf("%s: %s against %s, %s", f0.name, what, sweepKey, plural(workers, "worker"))
	p, leg, err := lineChart(lineOpts{
		title: title, xLabel: "critical section (" + sweepKey + ", units of work)", yLabel: yLabel,
		yMin: 0, yMax: math.NaN(), logY: wide && allPositive, xNames: f0.xs,
		yTicks: scaledTicks{benchunit.ClassOf(f0.unit)},
	}, ss)
	if err != nil || p == nil {
		return nil, err
	}
	if wide && allPositive {
		p.Y.Tick.Marker = logScaledTicks{cls: benchunit.ClassOf(f0.unit)}
	}
	if len(fs) > 1 {
		for _, m := range modes {
			l := plotter.Line{LineStyle: draw.LineStyle{Color: pal.color(m), Width: vg.Points(1.5)}}
			leg.Add(m, &l)
		}
		for fi, f := range fs {
			l := plotter.Line{LineStyle: draw.LineStyle{Color: color.Gray{0x40}, Width: vg.Points(1.5), Dashes: dashes[fi%len(dashes)]}}
			leg.Add(f.unit, &l)
		}
	}
	var units []string
	for _, f := range fs {
		units = append(units, f.unit)
	}
	alt := fmt.Sprintf("%s of %s against the critical-section length %s (%s), a line per mode at %s (or at its most, for a mode run with fewer), with intervals.",
		strings.Join(units, " and "), f0.name, sweepKey, strings.Join(f0.xs, ", "), plural(workers, "worker"))
	return render(ch.kind+"-"+ch.name+"-"+fileName(f0.name), ch.kind, f0.group, alt, p, leg)
}
