package report

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/perf/benchunit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

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
}

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

// palette gives each mode its colour. It is not changed after
// newPalette, so the plots, drawn concurrently, share one.
type palette struct {
	index map[string]int
}

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

var percentileUnit = regexp.MustCompile(`^p([0-9]+(?:\.[0-9]+)?)-sec$`)

// drawPlots draws every chart the data supports, on up to GOMAXPROCS
// goroutines (all of them finished when it returns), in a fixed order.
func drawPlots(ctx context.Context, r *Result) ([]*Plot, error) {
	var jobs []func() (*Plot, error)
	pal := newPalette(modeNames(r.Modes))
	for _, g := range r.Groups() {
		ts := r.GroupTables(g)
		if r.Options.Layout == ByInput {
			t := primary(ts)
			jobs = append(jobs, func() (*Plot, error) { return comparePlot(t) })
			continue
		}
		t := primary(ts)
		jobs = append(jobs, func() (*Plot, error) { return speedupPlot(t, pal) })
		for _, t := range ts {
			if vocab.IsRate(t.Unit) && !t.Derived {
				jobs = append(jobs, func() (*Plot, error) { return throughputPlot(t) })
			}
		}
		var pct []*Table
		for _, t := range ts {
			if percentileUnit.MatchString(t.Unit) {
				pct = append(pct, t)
			}
		}
		jobs = append(jobs, func() (*Plot, error) { return latencyPlot(pct, pal) })
		for _, t := range ts {
			switch t.Unit {
			case UnitLockWait:
				jobs = append(jobs, func() (*Plot, error) {
					return sharePlot(t, pal, "lock-wait", "share of time waiting for the lock", "lock wait (% of workers × wall time)")
				})
			case UnitCPUUtil:
				jobs = append(jobs, func() (*Plot, error) {
					return sharePlot(t, pal, "cpu", "CPU utilisation", "CPU time (% of workers × wall time)")
				})
			}
		}
	}
	if r.Options.Layout == ByMode {
		jobs = append(jobs, sweepJobs(r.Tables, pal)...)
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

// point is a value with its interval (lo, hi NaN when unknown).
type point struct{ x, y, lo, hi float64 }

type series struct {
	label  string
	color  color.Color
	dashes []vg.Length
	pts    []point
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
		p.Add(line, scatter)
		if len(errs) > 0 {
			eb, err := plotter.NewYErrorBars(errs)
			if err != nil {
				return nil, nil, err
			}
			eb.Color = s.color
			eb.CapWidth = vg.Points(5)
			p.Add(eb)
		}
		if s.label != "" {
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
		p.Y.Min, p.Y.Max = ymin/1.15, ymax*1.15
		p.Title.Text += " (log scale)"
	} else if o.logY && ymin > 0 {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
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

// speedupPlot: speed-up over the baseline against workers, a line per
// mode with its interval, and the ideal line.
func speedupPlot(t *Table, pal *palette) (*Plot, error) {
	if t == nil || t.Baseline == "" || t.Better == 0 || t.ColKey != "mode" {
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
	title := fmt.Sprintf("%s: speed-up over %s", t.Group, t.Baseline)
	p, leg, err := lineChart(lineOpts{
		title: title, xLabel: "workers", yLabel: "speed-up (×)",
		ideal: true, yMin: 0, yMax: math.NaN(), log2Y: true,
		yTicks: scaledTicks{benchunit.Decimal},
	}, ss)
	if err != nil || p == nil {
		return nil, err
	}
	alt := fmt.Sprintf("Speed-up of each mode over %s against the number of workers for %s, with intervals and the ideal linear line.",
		t.Baseline, t.Group)
	return render("speedup-"+fileName(t.Group), "speedup", t.Group, alt, p, leg)
}

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
	return lo, hi
}

// swatch is a legend thumbnail: a filled square.
type swatch struct{ color color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	h := c.Max.Y - c.Min.Y
	x := c.Min.X + (c.Max.X-c.Min.X-h)/2
	c.FillPolygon(s.color, []vg.Point{{X: x, Y: c.Min.Y}, {X: x + h, Y: c.Min.Y}, {X: x + h, Y: c.Max.Y}, {X: x, Y: c.Max.Y}})
}

// scaledTicks labels ticks with benchunit's SI or binary prefixes.
type scaledTicks struct{ cls benchunit.Class }

func (s scaledTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	var vals []float64
	for _, t := range ticks {
		if t.Label != "" {
			vals = append(vals, t.Value)
		}
	}
	sc := benchunit.CommonScale(vals, s.cls)
	for i, t := range ticks {
		if t.Label == "" {
			continue
		}
		if t.Value == 0 {
			ticks[i].Label = "0"
			continue
		}
		l := strconv.FormatFloat(t.Value/sc.Factor, 'f', -1, 64)
		if len(l) > 6 {
			l = strconv.FormatFloat(t.Value/sc.Factor, 'g', 4, 64)
		}
		ticks[i].Label = l + sc.Prefix
	}
	return ticks
}

func barChart(title, yLabel string, groups []string, ss []barSeries, cls benchunit.Class) (*plot.Plot, *plot.Legend) {
	p := newPlot(title)
	leg := newLegend()
	p.Y.Label.Text = yLabel
	bars := &groupedBars{n: len(groups), series: ss}
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
		p.Y.Tick.Marker = logScaledTicks{cls}
	} else {
		p.Y.Tick.Marker = scaledTicks{cls}
		p.Y.Min = 0
	}
	for _, s := range ss {
		leg.Add(s.label, swatch{s.color})
	}
	return p, leg
}

// throughputPlot: a rate by mode, a bar per worker count.
func throughputPlot(t *Table) (*Plot, error) {
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
	p, leg := barChart(title, t.Unit, groups, ss, benchunit.ClassOf(t.Unit))
	alt := fmt.Sprintf("Bar chart of %s for each mode of %s, one bar per worker count, with intervals.", t.Unit, t.Group)
	return render("throughput-"+fileName(t.Unit)+"-"+fileName(t.Group), "throughput", t.Group, alt, p, leg)
}

// latencyPlot: latency percentiles against workers, a color per mode, a
// dash pattern per percentile.
func latencyPlot(ts []*Table, pal *palette) (*Plot, error) {
	if len(ts) == 0 {
		return nil, nil
	}
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
		p.Y.Tick.Marker = logScaledTicks{benchunit.Decimal}
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
	return render("latency-"+fileName(group), "latency", group, alt, p, leg)
}

// logScaledTicks mark 1, 2, 5 × 10ⁿ on a log axis, labeled with SI (or
// binary) prefixes; only powers of ten are labeled when the range is
// wide.
type logScaledTicks struct{ cls benchunit.Class }

func (s logScaledTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	wide := max/min > 1e3
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < min || v > max {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || !wide {
				t.Label = trimZeros(benchunit.CommonScale([]float64{v}, s.cls).Format(v))
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

func trimZeros(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	num, suffix := s, ""
	if i >= 0 {
		num, suffix = s[:i], s[i:]
	}
	if strings.Contains(num, ".") {
		num = strings.TrimRight(strings.TrimRight(num, "0"), ".")
	}
	return num + suffix
}

// sharePlot: a fraction (derived metric) in percent against workers.
func sharePlot(t *Table, pal *palette, kind, what, yLabel string) (*Plot, error) {
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
		title: t.Group + ": " + what, xLabel: "workers", yLabel: yLabel,
		yMin: 0, yMax: 100,
	}, ss)
	if err != nil || p == nil {
		return nil, err
	}
	alt := fmt.Sprintf("%s of %s against the number of workers, a line per mode, with intervals.", what, t.Group)
	return render(kind+"-"+fileName(t.Group), kind, t.Group, strings.ToUpper(alt[:1])+alt[1:], p, leg)
}

// comparePlot: the primary metric of each row, a bar per input.
func comparePlot(t *Table) (*Plot, error) {
	if t == nil || len(t.Cols) < 2 {
		return nil, nil
	}
	var groups []string
	for _, r := range t.Rows {
		groups = append(groups, r.Label)
	}
	var ss []barSeries
	for ci, col := range t.Cols {
		s := barSeries{label: col.Label, color: seqColor(ci, len(t.Cols))}
		for r := range t.Rows {
			s.add(t.Cell(r, ci))
		}
		ss = append(ss, s)
	}
	p, leg := barChart(fmt.Sprintf("%s: %s by input", t.Group, t.Unit), t.Unit, groups, ss, benchunit.ClassOf(t.Unit))
	alt := fmt.Sprintf("Bar chart of %s for each mode and worker count of %s, one bar per input, with intervals.", t.Unit, t.Group)
	return render("compare-"+fileName(t.Group), "compare", t.Group, alt, p, leg)
}

// pow2Ticks marks powers of two (…, 0.5, 1, 2, 4, …) on a log axis.
type pow2Ticks struct{}

func (pow2Ticks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log2(min)); e <= math.Ceil(math.Log2(max)); e++ {
		v := math.Pow(2, e)
		if v < min || v > max {
			continue
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
	}
	return ticks
}
