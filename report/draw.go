package report

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Drawing primitives: the colours, a plot with its axes and legend, line
// series with intervals over worker counts (or nominal x values), and
// rendering to PNG and SVG. The charts (charts.go, sweep.go) are built
// from these; bars.go and ticks.go hold the bar charts and the axis ticks.

const (
	plotWidth  = 15 * vg.Centimeter
	plotHeight = 8.5 * vg.Centimeter
	plotDPI    = 96
)

// modePalette is the colours of the modes by their position in the run's
// mode order (Result.Modes), so that a mode looks the same in every plot
// of a report: grey for the first (the baseline, as runs list it), then
// the rest; it wraps around after the last.
var modePalette = []color.RGBA{
	{0x70, 0x70, 0x70, 0xff}, {0xd6, 0x27, 0x28, 0xff}, {0xff, 0x7f, 0x0e, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0x1f, 0x77, 0xb4, 0xff},
	{0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x1a, 0x1a, 0x1a, 0xff}, {0x7f, 0x7f, 0xff, 0xff},
}

// palette gives each mode its colour, and knows its strategy in Python's
// words (for the published anchors, anchors.go). It is not changed once
// the plots are drawn, concurrently, sharing one.
type palette struct {
	index map[string]int
	words map[string]string // mode -> pythonWords; nil: none known
}

// python is mode's strategy in Python's words, or "".
func (p *palette) python(mode string) string { return p.words[mode] }

// newPalette numbers the modes in order.
func newPalette(modes []string) *palette {
	p := &palette{index: make(map[string]int, len(modes))}
	for i, m := range modes {
		p.index[m] = i
	}
	return p
}

// color is mode's colour; a mode outside the order (none, when the
// palette is the Result's) gets the last one.
func (p *palette) color(mode string) color.RGBA {
	i, ok := p.index[mode]
	if !ok {
		i = len(modePalette) - 1
	}
	return modePalette[i%len(modePalette)]
}

// seqColor is the i-th of n shades of blue (for worker counts, inputs).
func seqColor(i, n int) color.RGBA {
	if n <= 1 {
		return color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	}
	f := float64(i) / float64(n-1)
	return color.RGBA{uint8(0x9e - f*0x8e), uint8(0xca - f*0x8a), uint8(0xe1 - f*0x5b), 0xff}
}

// fileName makes a safe file name part.
func fileName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// point is a value with its interval (lo, hi NaN when unknown).
type point struct{ x, y, lo, hi float64 }

type series struct {
	label  string
	color  color.Color
	dashes []vg.Length
	pts    []point
	// marker, if set, draws the points with it and no line: a reference
	// mark (a published anchor), not a curve.
	marker draw.GlyphDrawer
}

type errPoints []point

func (e errPoints) Len() int                { return len(e) }
func (e errPoints) XY(i int) (x, y float64) { return e[i].x, e[i].y }
func (e errPoints) YError(i int) (lo, hi float64) {
	return e[i].y - e[i].lo, e[i].hi - e[i].y
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// lineOpts shape a chart of values against worker counts.
type lineOpts struct {
	title, xLabel, yLabel string
	ideal                 bool    // draw y = x
	yMin                  float64 // NaN: automatic
	yMax                  float64 // NaN: automatic
	logY                  bool    // log10 y axis
	log2Y                 bool    // log2 y axis with power-of-two ticks, when the range is wide
	yTicks                plot.Ticker
	// xNames, if set, makes the x axis nominal: point x = i is labeled xNames[i].
	xNames []string
}

func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(12)
	p.Title.Padding = vg.Points(6)
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = vg.Points(10)
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	p.Add(plotter.NewGrid())
	return p
}

func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.TextStyle.Font.Size = vg.Points(10)
	l.ThumbnailWidth = vg.Points(22)
	l.Padding = vg.Points(2)
	return &l
}

// lineChart draws series of points over worker counts (log2 x axis).
func lineChart(o lineOpts, ss []series) (*plot.Plot, *plot.Legend, error) {
	p := newPlot(o.title)
	leg := newLegend()
	p.X.Label.Text = o.xLabel
	p.Y.Label.Text = o.yLabel
	xs := map[float64]bool{}
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		var xys plotter.XYs
		var errs errPoints
		for _, pt := range s.pts {
			if !finite(pt.x, pt.y) {
				continue
			}
			xs[pt.x] = true
			xys = append(xys, plotter.XY{X: pt.x, Y: pt.y})
			ymin, ymax = math.Min(ymin, pt.y), math.Max(ymax, pt.y)
			if finite(pt.lo, pt.hi) && pt.lo <= pt.y && pt.y <= pt.hi {
				errs = append(errs, pt)
				ymin, ymax = math.Min(ymin, pt.lo), math.Max(ymax, pt.hi)
			}
		}
		if len(xys) == 0 {
			continue
		}
		line, scatter, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, nil, err
		}
		line.Color = s.color
		line.Width = vg.Points(1.5)
		line.Dashes = s.dashes
		scatter.Color = s.color
		scatter.Shape = draw.CircleGlyph{}
		scatter.Radius = vg.Points(2.5)
		if s.marker != nil {
			scatter.Shape, scatter.Radius = s.marker, vg.Points(4)
			p.Add(scatter)
		} else {
			p.Add(line, scatter)
		}
		if len(errs) > 0 {
			eb, err := plotter.NewYErrorBars(errs)
			if err != nil {
				return nil, nil, err
			}
			eb.Color = s.color
			eb.CapWidth = vg.Points(5)
			p.Add(eb)
		}
		if s.label != "" && s.marker != nil {
			leg.Add(s.label, scatter)
		} else if s.label != "" {
			leg.Add(s.label, line, scatter)
		}
	}
	if len(xs) == 0 {
		return nil, nil, nil
	}
	var xv []float64
	for x := range xs {
		xv = append(xv, x)
	}
	sort.Float64s(xv)
	lo, hi := xv[0], xv[len(xv)-1]
	var ticks plot.ConstantTicks
	for _, x := range xv {
		label := strconv.FormatFloat(x, 'g', -1, 64)
		if o.xNames != nil {
			label = o.xNames[int(x)]
		}
		ticks = append(ticks, plot.Tick{Value: x, Label: label})
	}
	p.X.Tick.Marker = ticks
	if lo > 0 && o.xNames == nil {
		p.X.Scale = plot.LogScale{}
	}
	if o.xNames != nil {
		lo, hi = lo-0.3, hi+0.3
	} else if lo == hi {
		lo, hi = lo/1.5, hi*1.5
	} else {
		f := math.Pow(hi/lo, 0.05)
		lo, hi = lo/f, hi*f
	}
	p.X.Min, p.X.Max = lo, hi
	if o.ideal {
		ideal := plotter.NewFunction(func(x float64) float64 { return x })
		ideal.Color = color.Gray{0x60}
		ideal.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		ideal.Width = vg.Points(1)
		ideal.XMin, ideal.XMax = xv[0], xv[len(xv)-1]
		ideal.Samples = 64
		p.Add(ideal)
		leg.Add("ideal (linear)", ideal)
		ymin, ymax = math.Min(ymin, xv[0]), math.Max(ymax, xv[len(xv)-1])
	}
	if o.log2Y && ymin > 0 && ymax/ymin > 8 {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = pow2Ticks{}
		if ymax/ymin > 256 {
			// Powers of two over a wide range read 6.104e-05: mark
			// 1, 2, 5 × 10ⁿ instead.
			p.Y.Tick.Marker = logScaledTicks{cls: benchunit.Decimal, plain: true}
		}
		p.Y.Min, p.Y.Max = ymin/1.15, ymax*1.15
		p.Title.Text += " (log scale)"
	} else if o.logY && ymin > 0 {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logScaledTicks{cls: benchunit.Decimal}
		p.Y.Min, p.Y.Max = ymin/1.2, ymax*1.2
	} else {
		pad := (ymax - ymin) * 0.05
		if pad == 0 {
			pad = math.Abs(ymax)*0.1 + 1e-12
		}
		p.Y.Min, p.Y.Max = ymin-pad, ymax+pad
		if !math.IsNaN(o.yMin) {
			p.Y.Min = math.Min(o.yMin, p.Y.Min)
			if o.yMin == 0 && p.Y.Min < 0 {
				p.Y.Min = 0
			}
		}
		if !math.IsNaN(o.yMax) {
			p.Y.Max = math.Max(o.yMax, p.Y.Max)
		}
	}
	if o.yTicks != nil && p.Y.Tick.Marker == (plot.DefaultTicks{}) {
		p.Y.Tick.Marker = o.yTicks
	}
	return p, leg, nil
}

// render draws p with its legend to the right, as PNG and SVG.
func render(name, kind, group, alt string, p *plot.Plot, leg *plot.Legend) (*Plot, error) {
	out := &Plot{Name: name, Kind: kind, Group: group, Title: p.Title.Text, Alt: alt}
	drawOn := func(c vg.CanvasSizer) {
		dc := draw.New(c)
		area := dc
		if leg != nil {
			pad := vg.Points(6)
			r := leg.Rectangle(dc)
			lw := r.Max.X - r.Min.X
			area = draw.Crop(dc, 0, -(lw + 2*pad), 0, 0)
			top := p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding + pad
			leg.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-lw-pad, -pad, 0, -top))
		}
		p.Draw(area)
	}
	img := vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI))
	drawOn(img)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img.Image()); err != nil {
		return nil, fmt.Errorf("report: plot %s: %w", name, err)
	}
	out.PNG = buf.Bytes()
	b := img.Image().Bounds()
	out.Width, out.Height = b.Dx(), b.Dy()
	svg := vgsvg.New(plotWidth, plotHeight)
	drawOn(svg)
	var sbuf bytes.Buffer
	if _, err := svg.WriteTo(&sbuf); err != nil {
		return nil, fmt.Errorf("report: plot %s: %w", name, err)
	}
	out.SVG = sbuf.Bytes()
	return out, nil
}
