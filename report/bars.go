package report

import (
	"image/color"
	"math"

	"golang.org/x/perf/benchunit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// barSeries is one color of a grouped bar chart.
type barSeries struct {
	label          string
	color          color.Color
	vals, los, his []float64 // NaN where missing
}

// add appends c's median and interval, or NaNs when the cell is missing.
func (s *barSeries) add(c *Cell) {
	if c == nil {
		s.vals, s.los, s.his = append(s.vals, math.NaN()), append(s.los, math.NaN()), append(s.his, math.NaN())
		return
	}
	s.vals = append(s.vals, c.Summary.Center)
	s.los = append(s.los, c.Summary.Lo)
	s.his = append(s.his, c.Summary.Hi)
}

// groupedBars draws bars in data coordinates so that error bars line
// up: group i spans [i-0.4, i+0.4], split between the series.
type groupedBars struct {
	n      int
	series []barSeries
	floor  float64 // where bars start: 0, or the axis minimum of a log axis
	// refs are the values of reference lines drawn across the bars
	// (published anchors): the axis includes them.
	refs []float64
}

func (g *groupedBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	w := 0.8 / float64(len(g.series))
	line := draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}
	for si, s := range g.series {
		for i := 0; i < g.n; i++ {
			v := s.vals[i]
			if !finite(v) {
				continue
			}
			x0 := float64(i) - 0.4 + float64(si)*w
			x1 := x0 + w*0.9
			f := g.floor
			if f == 0 && p.Y.Min > 0 {
				f = p.Y.Min
			}
			pts := []vg.Point{{X: trX(x0), Y: trY(f)}, {X: trX(x1), Y: trY(f)}, {X: trX(x1), Y: trY(v)}, {X: trX(x0), Y: trY(v)}}
			c.FillPolygon(s.color, c.ClipPolygonY(pts))
			if finite(s.los[i], s.his[i]) {
				xm := trX((x0 + x1) / 2)
				cap := (trX(x1) - trX(x0)) / 4
				ylo, yhi := trY(s.los[i]), trY(s.his[i])
				c.StrokeLine2(line, xm, ylo, xm, yhi)
				c.StrokeLine2(line, xm-cap, ylo, xm+cap, ylo)
				c.StrokeLine2(line, xm-cap, yhi, xm+cap, yhi)
			}
		}
	}
}

func (g *groupedBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = -0.5, float64(g.n)-0.5
	for _, s := range g.series {
		for i, v := range s.vals {
			if finite(v) {
				ymax = math.Max(ymax, v)
			}
			if finite(s.his[i]) {
				ymax = math.Max(ymax, s.his[i])
			}
		}
	}
	for _, v := range g.refs {
		ymax = math.Max(ymax, v)
	}
	ymin = 0
	if g.floor > 0 {
		ymin = g.floor
	}
	return xmin, xmax, ymin, ymax * 1.05
}

// logRange returns the smallest positive value and the largest value
// (with their intervals) of the bars.
func (g *groupedBars) logRange() (lo, hi float64) {
	lo, hi = math.Inf(1), 0
	for _, s := range g.series {
		for i, v := range s.vals {
			if finite(v) && v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			if finite(s.los[i]) && s.los[i] > 0 {
				lo = math.Min(lo, s.los[i])
			}
			if finite(s.his[i]) {
				hi = math.Max(hi, s.his[i])
			}
		}
	}
	for _, v := range g.refs {
		if v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return lo, hi
}

// swatch is a legend thumbnail: a filled square.
type swatch struct{ color color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	h := c.Max.Y - c.Min.Y
	x := c.Min.X + (c.Max.X-c.Min.X-h)/2
	c.FillPolygon(s.color, []vg.Point{{X: x, Y: c.Min.Y}, {X: x + h, Y: c.Min.Y}, {X: x + h, Y: c.Max.Y}, {X: x, Y: c.Max.Y}})
}

func barChart(title, yLabel string, groups []string, ss []barSeries, cls benchunit.Class, refs ...float64) (*plot.Plot, *plot.Legend) {
	p := newPlot(title)
	leg := newLegend()
	p.Y.Label.Text = yLabel
	bars := &groupedBars{n: len(groups), series: ss, refs: refs}
	if lo, hi := bars.logRange(); hi/lo > 20 {
		// One mode dwarfs the rest (native Go, usually): a log axis
		// keeps the others readable.
		bars.floor = lo / 2
		p.Y.Scale = plot.LogScale{}
		p.Title.Text += " (log scale)"
	}
	p.Add(bars)
	p.NominalX(groups...)
	if len(groups) > 8 {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	if bars.floor > 0 {
		p.Y.Tick.Marker = logScaledTicks{cls: cls}
	} else {
		p.Y.Tick.Marker = scaledTicks{cls}
		p.Y.Min = 0
	}
	for _, s := range ss {
		leg.Add(s.label, swatch{s.color})
	}
	return p, leg
}
