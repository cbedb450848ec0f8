package report

import (
	"fmt"
	"image/color"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"gilbench/vocab"
)

// The charts' draw functions (see the table in plot.go): each turns its
// selection of tables into series or bars and renders them.

// percentileUnit matches a latency percentile as benchfmt tidies it ("p99-sec").
var percentileUnit = regexp.MustCompile(`^p([0-9]+(?:\.[0-9]+)?)-sec$`)

// speedupPlot: speed-up over the baseline against workers, a line per
// mode with its interval, and the ideal line.
func speedupPlot(ch *chart, pal *palette, ts []*Table) (*Plot, error) {
	t := ts[0]
	if t.Baseline == "" || t.Better == 0 || t.ColKey != vocab.KeyMode {
		return nil, nil
	}
	var ss []series
	for ci, col := range t.Cols {
		s := series{label: col.Label, color: pal.color(col.Label)}
		for r := range t.Rows {
			c := t.Cell(r, ci)
			if c == nil || c.Base == nil || c.Workers == 0 {
				continue
			}
			b := c.Base.Summary.Center
			y := Speedup(c.Summary.Center/b, t.Better)
			lo := Speedup(c.Summary.Lo/b, t.Better)
			hi := Speedup(c.Summary.Hi/b, t.Better)
			if lo > hi {
				lo, hi = hi, lo
			}
			s.pts = append(s.pts, point{float64(c.Workers), y, lo, hi})
		}
		if len(s.pts) > 0 {
			ss = append(ss, s)
		}
	}
	if len(ss) == 0 {
		return nil, nil
	}
	marks := anchorsFor(ch.kind, t, pal.python)
	glyphs := []draw.GlyphDrawer{draw.PyramidGlyph{}, draw.BoxGlyph{}, draw.CrossGlyph{}}
	for i, a := range marks {
		lo, hi := math.NaN(), math.NaN()
		if a.Lo > 0 && a.Hi > 0 {
			lo, hi = a.Lo, a.Hi
		}
		// A glyph of its own per mark: two marks can share a worker count
		// (the 3.13t and 3.14t costs at one thread).
		ss = append(ss, series{label: a.Label, color: color.Black, marker: glyphs[i%len(glyphs)],
			pts: []point{{float64(a.Workers), a.Value, lo, hi}}})
	}
	title := fmt.Sprintf("%s: speed-up over %s", t.Group, t.Baseline)
	p, leg, err := lineChart(lineOpts{
		title: title, xLabel: "workers", yLabel: "speed-up (×)",
		ideal: true, yMin: 0, yMax: math.NaN(), log2Y: true,
		yTicks: scaledTicks{benchunit.Decimal},
	}, ss)
	if err != nil || p == nil {
		return nil, err
	}
	alt := fmt.Sprintf("Speed-up of each mode over %s against the number of workers for %s, with intervals and the ideal linear line%s.",
		t.Baseline, t.Group, anchorsAlt(marks))
	return withAnchors(render(ch.kind+"-"+fileName(t.Group), ch.kind, t.Group, alt, p, leg))(marks)
}

// throughputPlot: a rate by mode, a bar per worker count.
func throughputPlot(ch *chart, pal *palette, ts []*Table) (*Plot, error) {
	t := ts[0]
	if len(t.Cols) == 0 || len(t.Rows) == 0 {
		return nil, nil
	}
	var groups []string
	for _, c := range t.Cols {
		groups = append(groups, c.Label)
	}
	var ss []barSeries
	for ri, row := range t.Rows {
		s := barSeries{label: row.Label, color: seqColor(ri, len(t.Rows))}
		if row.Workers > 0 {
			s.label = plural(row.Workers, "worker")
		}
		for ci := range t.Cols {
			s.add(t.Cell(ri, ci))
		}
		ss = append(ss, s)
	}
	title := fmt.Sprintf("%s: %s by mode", t.Group, t.Unit)
	marks := anchorsFor(ch.kind, t, pal.python)
	var refs []float64
	for _, a := range marks {
		refs = append(refs, a.Value)
	}
	p, leg := barChart(title, t.Unit, groups, ss, benchunit.ClassOf(t.Unit), refs...)
	for i, a := range marks {
		// A reference line across the bars, its citation in the legend.
		v := a.Value
		l := plotter.NewFunction(func(float64) float64 { return v })
		l.Color = color.Black
		l.Width = vg.Points(1)
		l.Dashes = [][]vg.Length{{vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}}[i%2]
		p.Add(l)
		leg.Add(a.Label, l)
	}
	alt := fmt.Sprintf("Bar chart of %s for each mode of %s, one bar per worker count, with intervals%s.", t.Unit, t.Group, anchorsAlt(marks))
	return withAnchors(render(ch.kind+"-"+fileName(t.Unit)+"-"+fileName(t.Group), ch.kind, t.Group, alt, p, leg))(marks)
}

// latencyPlot: latency percentiles against workers, a color per mode, a
// dash pattern per percentile.
func latencyPlot(ch *chart, pal *palette, ts []*Table) (*Plot, error) {
	sort.SliceStable(ts, func(i, j int) bool {
		a, _ := strconv.ParseFloat(percentileUnit.FindStringSubmatch(ts[i].Unit)[1], 64)
		b, _ := strconv.ParseFloat(percentileUnit.FindStringSubmatch(ts[j].Unit)[1], 64)
		return a > b
	})
	dashes := [][]vg.Length{nil, {vg.Points(5), vg.Points(3)}, {vg.Points(1), vg.Points(2)}, {vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}}
	var ss []series
	var modes []string
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for ti, t := range ts {
		for ci, col := range t.Cols {
			s := series{color: pal.color(col.Label), dashes: dashes[ti%len(dashes)]}
			for r := range t.Rows {
				c := t.Cell(r, ci)
				if c == nil || c.Workers == 0 {
					continue
				}
				s.pts = append(s.pts, point{float64(c.Workers), c.Summary.Center, c.Summary.Lo, c.Summary.Hi})
				if c.Summary.Center > 0 {
					ymin, ymax = math.Min(ymin, c.Summary.Center), math.Max(ymax, c.Summary.Center)
				}
			}
			if len(s.pts) == 0 {
				continue
			}
			if !contains(modes, col.Label) {
				modes = append(modes, col.Label)
			}
			ss = append(ss, s)
		}
	}
	if len(ss) == 0 {
		return nil, nil
	}
	group := ts[0].Group
	var names []string
	for _, t := range ts {
		names = append(names, strings.TrimSuffix(t.Unit, "-sec"))
	}
	p, leg, err := lineChart(lineOpts{
		title:  fmt.Sprintf("%s: latency %s", group, strings.Join(names, ", ")),
		xLabel: "workers", yLabel: "latency (s)",
		yMin: 0, yMax: math.NaN(), logY: ymax/ymin > 30,
		yTicks: scaledTicks{benchunit.Decimal},
	}, ss)
	if err != nil || p == nil {
		return nil, err
	}
	if ymax/ymin > 30 {
		p.Y.Tick.Marker = logScaledTicks{cls: benchunit.Decimal}
	}
	// Legend: a solid line per mode, then a gray line per percentile.
	for _, m := range modes {
		l := plotter.Line{LineStyle: draw.LineStyle{Color: pal.color(m), Width: vg.Points(1.5)}}
		leg.Add(m, &l)
	}
	for ti, n := range names {
		l := plotter.Line{LineStyle: draw.LineStyle{Color: color.Gray{0x40}, Width: vg.Points(1.5), Dashes: dashes[ti%len(dashes)]}}
		leg.Add(n, &l)
	}
	alt := fmt.Sprintf("Latency percentiles (%s) of %s against the number of workers, a line per mode.", strings.Join(names, ", "), group)
	return render(ch.kind+"-"+fileName(group), ch.kind, group, alt, p, leg)
}

// sharePlot: a fraction (derived metric) in percent against workers.
func sharePlot(ch *chart, pal *palette, ts []*Table) (*Plot, error) {
	t, what := ts[0], ch.title
	var ss []series
	for ci, col := range t.Cols {
		s := series{label: col.Label, color: pal.color(col.Label)}
		for r := range t.Rows {
			c := t.Cell(r, ci)
			if c == nil || c.Workers == 0 {
				continue
			}
			s.pts = append(s.pts, point{float64(c.Workers), 100 * c.Summary.Center, 100 * c.Summary.Lo, 100 * c.Summary.Hi})
		}
		if len(s.pts) > 0 {
			ss = append(ss, s)
		}
	}
	if len(ss) == 0 {
		return nil, nil
	}
	p, leg, err := lineChart(lineOpts{
		title: t.Group + ": " + what, xLabel: "workers", yLabel: ch.yLabel,
		yMin: 0, yMax: 100,
	}, ss)
	if err != nil || p == nil {
		return nil, err
	}
	alt := fmt.Sprintf("%s of %s against the number of workers, a line per mode, with intervals.", what, t.Group)
	return render(ch.kind+"-"+fileName(t.Group), ch.kind, t.Group, strings.ToUpper(alt[:1])+alt[1:], p, leg)
}

// comparePlot: the primary metric of each row of every later input as a
// ratio to the first input's (new ÷ old), a point per row with its
// interval, and the line of no change at 1. The interval combines the two
// cells' intervals end to end ([new lo ÷ old hi, new hi ÷ old lo]), so it
// is wider, never narrower, than the ratio's own; a hollow point is a
// difference the Mann–Whitney U test does not find significant (benchstat's
// "~").
func comparePlot(ch *chart, _ *palette, ts []*Table) (*Plot, error) {
	t := ts[0]
	if len(t.Cols) < 2 || t.Better == 0 {
		return nil, nil
	}
	var names []string
	for _, r := range t.Rows {
		names = append(names, r.Label)
	}
	ss := compareSeries(t)
	dir := "< 1 is better"
	if t.Better > 0 {
		dir = "> 1 is better"
	}
	p, leg, err := lineChart(lineOpts{
		title:  fmt.Sprintf("%s: %s, new ÷ old", t.Group, t.Unit),
		xLabel: t.RowKey, yLabel: fmt.Sprintf("ratio of %s (%s)", t.Unit, dir),
		yMin: math.NaN(), yMax: math.NaN(), log2Y: true, xNames: names,
		yTicks: plainTicks{},
	}, ss)
	if err != nil || p == nil {
		return nil, err
	}
	// Ticks at the rows, whatever the offsets of the points.
	var ticks plot.ConstantTicks
	for i, name := range names {
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: name})
	}
	p.X.Tick.Marker = ticks
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	if len(names) > 8 {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Color = color.Gray{0x60}
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(one)
	leg.Add("no change", one)
	if p.Y.Min > 1 {
		p.Y.Min = 1 / 1.05
	}
	if p.Y.Max < 1 {
		p.Y.Max = 1.05
	}
	ns := &plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: color.Gray{0x40}, Shape: draw.RingGlyph{}, Radius: vg.Points(4)}}
	leg.Add("not significant (~)", ns)
	alt := fmt.Sprintf("Ratio of %s of each later input to the first's (new ÷ old) for each mode and worker count of %s, with intervals; 1 is no change.", t.Unit, t.Group)
	return render(ch.kind+"-"+fileName(t.Group), ch.kind, t.Group, alt, p, leg)
}

// compareSeries are comparePlot's points: for each later input, a series
// of the significant ratios and one of the others, x the row index
// (offset a little per input), y new ÷ old with its interval.
func compareSeries(t *Table) []series {
	n := len(t.Cols) - 1
	var ss []series
	for ci := 1; ci < len(t.Cols); ci++ {
		sig := series{label: t.Cols[ci].Label + " ÷ " + t.Cols[0].Label, color: seqColor(ci, len(t.Cols)), marker: draw.CircleGlyph{}}
		ns := series{color: sig.color, marker: draw.RingGlyph{}}
		off := (float64(ci-1) - float64(n-1)/2) * 0.5 / float64(n)
		for ri := range t.Rows {
			c := t.Cell(ri, ci)
			if c == nil || c.Base == nil || c.Base.Summary.Center == 0 || c.Incomplete() {
				continue
			}
			b := c.Base.Summary
			y := c.Summary.Center / b.Center
			lo, hi := math.NaN(), math.NaN()
			if b.Hi > 0 && b.Lo > 0 {
				lo, hi = c.Summary.Lo/b.Hi, c.Summary.Hi/b.Lo
			}
			pt := point{float64(ri) + off, y, lo, hi}
			if c.Significant() {
				sig.pts = append(sig.pts, pt)
			} else {
				ns.pts = append(ns.pts, pt)
			}
		}
		if len(sig.pts) == 0 {
			// The legend names the input by its significant points.
			sig.label, ns.label = "", sig.label
		}
		ss = append(ss, sig, ns)
	}
	return ss
}

// anchorsAlt describes the reference marks of a chart for its alt text.
func anchorsAlt(marks []Anchor) string {
	if len(marks) == 0 {
		return ""
	}
	var parts []string
	for _, a := range marks {
		parts = append(parts, a.Figure+" ("+a.Source+")")
	}
	return "; reference marks: " + strings.Join(parts, "; ")
}

// withAnchors records on a rendered plot the anchors drawn on it.
func withAnchors(p *Plot, err error) func([]Anchor) (*Plot, error) {
	return func(marks []Anchor) (*Plot, error) {
		if err != nil || p == nil {
			return p, err
		}
		for _, a := range marks {
			p.Anchors = append(p.Anchors, a.ID)
		}
		return p, nil
	}
}
