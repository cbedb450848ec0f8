package report

import (
	"math"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"
	"gonum.org/v1/plot"
)

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
		ticks[i].Label = sig4(t.Value/sc.Factor) + sc.Prefix
	}
	return ticks
}

// logScaledTicks mark 1, 2, 5 × 10ⁿ on a log axis, labeled with SI (or
// binary) prefixes; only powers of ten are labeled when the range is
// wide.
// With plain set (ratios: 0.001×, 100×) the labels are plain numbers.
type logScaledTicks struct {
	cls   benchunit.Class
	plain bool
}

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
				if s.plain {
					t.Label = sig4(v)
				}
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

// pow2Ticks marks powers of two (…, 0.5, 1, 2, 4, …) on a log axis, for
// factors: plain numbers below 1000 (0.0625, 0.5, 512), SI prefixes above
// (8.192k); lineChart uses it only over a narrow range, where the labels
// stay short.
type pow2Ticks struct{}

func (pow2Ticks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log2(min)); e <= math.Ceil(math.Log2(max)); e++ {
		v := math.Pow(2, e)
		if v < min || v > max {
			continue
		}
		label := sig4(v)
		if v >= 1000 {
			label = trimZeros(benchunit.Scale(v, benchunit.Decimal))
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}

// sig4 formats v with at most 4 significant digits and no exponent for
// the values an axis shows after its SI prefix (0.001 to 9999).
func sig4(v float64) string {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	if err != nil {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// plainTicks are gonum's default ticks labeled as plain numbers with at
// most 4 significant digits, for factors near 1 (0.8, 0.9, 1, 1.1).
type plainTicks struct{}

func (plainTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = sig4(t.Value)
		}
	}
	return ticks
}
