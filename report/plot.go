package report

import (
	"context"
	"runtime"
	"sync"

	"gilbench/vocab"
)

// A Plot is one chart, drawn as PNG and SVG.
type Plot struct {
	// Name is the file name without extension ("speedup-primes").
	Name string
	// Kind is "speedup", "throughput", "latency", "lock-wait", "cpu",
	// "sweep" or "compare".
	Kind  string
	Group string
	Title string
	// Alt describes the chart in words, for the HTML alt text.
	Alt      string
	PNG, SVG []byte
	// Width and Height are the PNG's size in pixels.
	Width, Height int
	// Anchors are the IDs of the published figures drawn on it.
	Anchors []string
}

// A chart is one kind of plot: the layout it belongs to, what it selects
// from the tables (each selection is one plot) and how it draws a
// selection. Drawing a selection the data does not support (no baseline,
// no points) gives no plot and no error.
type chart struct {
	kind   string // Plot.Kind
	layout Layout
	// across: select from all the tables at once (the sweep families
	// span groups); otherwise from each group's tables, the primary one
	// first.
	across bool
	sel    func(ts []*Table) [][]*Table
	// name, title and yLabel are for the draw functions that take them.
	name, title, yLabel string
	draw                func(c *chart, pal *palette, ts []*Table) (*Plot, error)
}

// charts lists every chart, in the order the plots are drawn (group by
// group, then the charts across groups) and shown.
var charts = []*chart{
	{kind: "speedup", layout: ByMode, sel: primaryTable, draw: speedupPlot},
	{kind: "throughput", layout: ByMode, sel: each(measuredRate), draw: throughputPlot},
	{kind: "latency", layout: ByMode, sel: together(percentile), draw: latencyPlot},
	{kind: "cpu", layout: ByMode, sel: each(unitIs(UnitCPUUtil)), draw: sharePlot,
		title: "CPU utilisation", yLabel: "CPU time (% of workers × wall time)"},
	{kind: "lock-wait", layout: ByMode, sel: each(unitIs(UnitLockWait)), draw: sharePlot,
		title: "share of time waiting for the lock", yLabel: "lock wait (% of workers × wall time)"},
	{kind: "compare", layout: ByInput, sel: primaryTable, draw: comparePlot},

	{kind: "sweep", layout: ByMode, across: true, draw: sweepPlot, name: "throughput",
		sel: sweepSelect([]func(string) bool{unitIs(vocab.Tasks.Tidy()), vocab.IsRate})},
	{kind: "sweep", layout: ByMode, across: true, draw: sweepPlot, name: "lock-wait", yLabel: "lock wait (s/op)",
		sel: sweepSelect([]func(string) bool{unitIs(vocab.ObjLockWait.Tidy())})},
	{kind: "sweep", layout: ByMode, across: true, draw: sweepPlot, name: "lock-acquisitions", yLabel: "lock acquisitions per op",
		sel: sweepSelect([]func(string) bool{unitIs(vocab.ObjLockAcquisitions.Tidy())}, vocab.ObjLockContended.Tidy())},
}

// Selections.

// primaryTable selects the table that answers "which is faster".
func primaryTable(ts []*Table) [][]*Table {
	if p := primary(ts); p != nil {
		return [][]*Table{{p}}
	}
	return nil
}

// each selects every table whose unit is wanted, one plot each.
func each(want func(unit string) bool) func([]*Table) [][]*Table {
	return func(ts []*Table) [][]*Table {
		var out [][]*Table
		for _, t := range ts {
			if want(t.Unit) {
				out = append(out, []*Table{t})
			}
		}
		return out
	}
}

// together selects every table whose unit is wanted, all in one plot.
func together(want func(unit string) bool) func([]*Table) [][]*Table {
	return func(ts []*Table) [][]*Table {
		var sel []*Table
		for _, t := range ts {
			if want(t.Unit) {
				sel = append(sel, t)
			}
		}
		if sel == nil {
			return nil
		}
		return [][]*Table{sel}
	}
}

func unitIs(u string) func(string) bool { return func(unit string) bool { return unit == u } }

// measuredRate: a rate, as every rate is measured (the derived metrics
// are shares).
func measuredRate(unit string) bool { return vocab.IsRate(unit) }

func percentile(unit string) bool { return percentileUnit.MatchString(unit) }

// drawPlots draws every chart the data supports, on up to GOMAXPROCS
// goroutines (all of them finished when it returns), in a fixed order.
func drawPlots(ctx context.Context, r *Result) ([]*Plot, error) {
	pal := newPalette(modeNames(r.Modes))
	pal.words = map[string]string{}
	for _, m := range r.Modes {
		pal.words[m.Name] = pythonWords(m)
	}
	var jobs []func() (*Plot, error)
	add := func(c *chart, ts []*Table) {
		for _, sel := range c.sel(ts) {
			jobs = append(jobs, func() (*Plot, error) { return c.draw(c, pal, sel) })
		}
	}
	for _, g := range r.Groups() {
		ts := r.GroupTables(g)
		for _, c := range charts {
			if c.layout == r.Options.Layout && !c.across {
				add(c, ts)
			}
		}
	}
	for _, c := range charts {
		if c.layout == r.Options.Layout && c.across {
			add(c, r.Tables)
		}
	}
	// Emulated beside real: one chart per workload that has pairs.
	byGroup := map[string][]Pair{}
	var pgroups []string
	for _, p := range r.Pairs {
		if _, ok := byGroup[p.Group]; !ok {
			pgroups = append(pgroups, p.Group)
		}
		byGroup[p.Group] = append(byGroup[p.Group], p)
	}
	for _, g := range pgroups {
		ps := byGroup[g]
		jobs = append(jobs, func() (*Plot, error) { return sideBySidePlot(pal, ps) })
	}
	plots := make([]*Plot, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, job := range jobs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			plots[i], errs[i] = job()
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*Plot
	for i, p := range plots {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}
