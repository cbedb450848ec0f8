package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
	"gonum.org/v1/plot/vg"

	"gilbench/vocab"
)

// Emulated beside real: a mode whose mode line names a counterpart
// ("mode-gil: rival counterpart=cpython-threads") is compared with that
// mode's cells, speed-up against speed-up. An emulated mode's speed-up is
// against the baseline; the counterpart's against the baseline's own
// counterpart in the same table (cpython-seq beside cpython-threads). The
// counterpart's cells may carry name keys the emulated cells lack (the
// interpreter: /python=3.11); each set of such keys is a table of its own
// (its group), and each gives its own real curve. Nothing here knows a
// mode or a key by name.

// A Pair is an emulated mode beside its real counterpart in one workload.
type Pair struct {
	Group     string    `json:"group"`      // the emulated mode's workload group
	Emulated  string    `json:"emulated"`   // mode
	Real      string    `json:"real"`       // counterpart mode
	RealGroup string    `json:"real_group"` // its group ("primes python=3.11")
	Rows      []PairRow `json:"rows"`
}

// A PairRow is one worker count of a Pair. Each figure has its interval
// (Lo, Hi; 0 when there are too few repetitions). A speed-up's interval is
// its cell's over its baseline's median, as the speed-up charts draw it.
// The ratio's is benchmath's interval of the median of the per-round
// ratios: round i's emulated speed-up over round i's real one, each
// against its baseline's round i (the runner interleaves the cells, so a
// round's four cells ran side by side); Ratio is that median.
type PairRow struct {
	Workers  int     `json:"workers"`
	Emulated float64 `json:"emulated"` // speed-up over the baseline
	EmuLo    float64 `json:"emulated_lo,omitempty"`
	EmuHi    float64 `json:"emulated_hi,omitempty"`
	Real     float64 `json:"real"` // speed-up over the baseline's counterpart
	RealLo   float64 `json:"real_lo,omitempty"`
	RealHi   float64 `json:"real_hi,omitempty"`
	Ratio    float64 `json:"ratio"` // Emulated / Real
	RatioLo  float64 `json:"ratio_lo,omitempty"`
	RatioHi  float64 `json:"ratio_hi,omitempty"`
	// N is the number of rounds the ratio's interval is from; with too
	// few (benchmath gives no finite interval below 6 at 95%), the ratio
	// is of the medians and has no interval.
	N int `json:"n,omitempty"`
}

// speedupRange is c's interval as a speed-up over base's median.
func speedupRange(c, base *Cell, better int) (lo, hi float64) {
	b := base.Summary.Center
	lo, hi = Speedup(c.Summary.Lo/b, better), Speedup(c.Summary.Hi/b, better)
	if lo > hi {
		lo, hi = hi, lo
	}
	if !finite(lo, hi) {
		return 0, 0
	}
	return lo, hi
}

// ratioSummary summarizes, round by round, (e/eb)/(c/cb) as speed-ups
// (higher is better), at confidence; ok is false with fewer than two
// common rounds.
func ratioSummary(e, eb, c, cb *Cell, ebetter, cbetter int, confidence float64) (benchmath.Summary, int, bool) {
	n := min(len(e.Reps), len(eb.Reps), len(c.Reps), len(cb.Reps))
	if n < 2 {
		return benchmath.Summary{}, n, false
	}
	vals := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		ex := Speedup(e.Reps[i]/eb.Reps[i], ebetter)
		rx := Speedup(c.Reps[i]/cb.Reps[i], cbetter)
		if !finite(ex, rx) || rx == 0 {
			return benchmath.Summary{}, n, false
		}
		vals = append(vals, ex/rx)
	}
	s := benchmath.AssumeNothing.Summary(benchmath.NewSample(vals, &benchmath.DefaultThresholds), confidence)
	return s, n, finite(s.Center, s.Lo, s.Hi)
}

// Label is how tables and legends name the real side: the counterpart and
// the name keys its group adds ("cpython-threads python=3.11").
func (p Pair) Label() string {
	extra := strings.TrimSpace(strings.TrimPrefix(p.RealGroup, p.Group))
	if extra == "" {
		return p.Real
	}
	return p.Real + " " + extra
}

// groupKeys are the name keys a group adds to its workload ("cs=100").
func groupKeys(t *Table) []string {
	rest := strings.TrimSpace(strings.TrimPrefix(t.Group, t.Workload))
	if rest == "" {
		return nil
	}
	return strings.Fields(rest)
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !contains(have, w) {
			return false
		}
	}
	return true
}

// pairs finds every emulated mode with its counterpart in the run.
func (r *Result) pairs() []Pair {
	if r.Options.Layout != ByMode {
		return nil
	}
	info := map[string]vocab.ModeInfo{}
	for _, m := range r.Modes {
		info[m.Name] = m
	}
	realBase, _ := vocab.SplitCounterpart(info[r.Options.Baseline].Counterpart)
	var out []Pair
	for _, g := range r.Groups() {
		t := primary(r.GroupTables(g))
		if t == nil || t.Baseline == "" || !speedupUnit(t) {
			continue
		}
		keys := groupKeys(t)
		for _, m := range r.Modes {
			if m.Counterpart == "" || t.ColIndex(m.Name) < 0 {
				continue
			}
			cmode, ckeys := vocab.SplitCounterpart(m.Counterpart)
			for _, rt := range r.Tables {
				if rt.Workload != t.Workload || rt.Unit != t.Unit || rt.Class != t.Class || rt.ColIndex(cmode) < 0 {
					continue
				}
				if rk := groupKeys(rt); !hasAll(rk, keys) || !hasAll(rk, ckeys) || claimedElsewhere(r.Modes, m, rk) {
					continue
				}
				if p, ok := pairOf(t, rt, m.Name, cmode, r.realBaseFor(rt, realBase), r.Options.Confidence); ok {
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// realBaseFor finds the real baseline's 1-worker cell for the real table rt: in rt
// itself, else in the table of the same workload, unit and class whose name keys are
// the most of rt's that the baseline has. A baseline (cpython-seq) has no start method
// or chunksize, so the cells of cpython-process/start=fork or cpython-pool/chunksize=64
// are in a table of their own, apart from it. Nil when the run has none.
func (r *Result) realBaseFor(rt *Table, realBase string) *Cell {
	if realBase == "" {
		return nil
	}
	if c := cellAt(rt, realBase, 1); c != nil {
		return c
	}
	rk := groupKeys(rt)
	var best *Cell
	most := -1
	for _, bt := range r.Tables {
		if bt == rt || bt.Workload != rt.Workload || bt.Unit != rt.Unit || bt.Class != rt.Class {
			continue
		}
		bk := groupKeys(bt)
		if !hasAll(rk, bk) || len(bk) <= most {
			continue
		}
		if c := cellAt(bt, realBase, 1); c != nil {
			best, most = c, len(bk)
		}
	}
	return best
}

// claimedElsewhere reports whether another mode names the same counterpart
// with more name keys, all of which the real table has: the real cells are
// that mode's (cpython-threads/python=2.7 is gil-legacy's, not gil's).
func claimedElsewhere(modes []vocab.ModeInfo, m vocab.ModeInfo, realKeys []string) bool {
	cmode, ckeys := vocab.SplitCounterpart(m.Counterpart)
	for _, o := range modes {
		om, okeys := vocab.SplitCounterpart(o.Counterpart)
		if o.Name != m.Name && om == cmode && len(okeys) > len(ckeys) && hasAll(okeys, ckeys) && hasAll(realKeys, okeys) {
			return true
		}
	}
	return false
}

// pairOf compares mode in t with cmode in rt, row by row.
func pairOf(t, rt *Table, mode, cmode string, rb *Cell, confidence float64) (Pair, bool) {
	p := Pair{Group: t.Group, Emulated: mode, Real: cmode, RealGroup: rt.Group}
	for _, row := range t.Rows {
		e, c := cellAt(t, mode, row.Workers), cellAt(rt, cmode, row.Workers)
		if e == nil || c == nil || e.Base == nil || e.Incomplete() || c.Incomplete() {
			continue
		}
		base := rb
		if base == nil {
			base = c.Base // the real table's own baseline, if it has one
		}
		if base == nil || base.Summary.Center == 0 {
			continue
		}
		ex := Speedup(e.Ratio(), t.Better)
		rx := Speedup(c.Summary.Center/base.Summary.Center, rt.Better)
		if !finite(ex, rx) || rx == 0 {
			continue
		}
		pr := PairRow{Workers: row.Workers, Emulated: ex, Real: rx, Ratio: ex / rx}
		pr.EmuLo, pr.EmuHi = speedupRange(e, e.Base, t.Better)
		pr.RealLo, pr.RealHi = speedupRange(c, base, rt.Better)
		s, n, ok := ratioSummary(e, e.Base, c, base, t.Better, rt.Better, confidence)
		pr.N = n
		if ok {
			pr.Ratio, pr.RatioLo, pr.RatioHi = s.Center, s.Lo, s.Hi
		}
		p.Rows = append(p.Rows, pr)
	}
	sort.Slice(p.Rows, func(i, j int) bool { return p.Rows[i].Workers < p.Rows[j].Workers })
	return p, len(p.Rows) > 0
}

// noCPythonHint says how to add the counterparts a run lacks ("" when
// every named counterpart ran, or none is named).
func (r *Result) noCPythonHint() string {
	var missing []string
	have := map[string]bool{}
	for _, m := range r.Modes {
		have[m.Name] = true
	}
	for _, m := range r.Modes {
		if c, _ := vocab.SplitCounterpart(m.Counterpart); c != "" && !have[c] && !contains(missing, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	var run []string // as -modes takes them: a profiled mode once, by its own name
	for _, m := range modeNames(r.Modes) {
		if base, _ := splitProfile(m); !contains(run, base) {
			run = append(run, base)
		}
	}
	return fmt.Sprintf("This run has no real-CPython counterpart of its emulated modes. To draw them side by side, add their modes to the run: gilbench run -modes %s,%s (they need a CPython on the PATH).",
		strings.Join(run, ","), strings.Join(missing, ","))
}

// sideBySidePlot draws, for one workload, each emulated mode's speed-up
// (solid) beside its counterpart's (dashed, the same colour).
func sideBySidePlot(pal *palette, ps []Pair) (*Plot, error) {
	var ss []series
	for _, p := range ps {
		e := series{label: p.Emulated + " (emulated)", color: pal.color(p.Emulated)}
		rl := series{label: p.Label() + " (real)", color: pal.color(p.Emulated), dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
		for _, row := range p.Rows {
			e.pts = append(e.pts, point{float64(row.Workers), row.Emulated, orNaN(row.EmuLo), orNaN(row.EmuHi)})
			rl.pts = append(rl.pts, point{float64(row.Workers), row.Real, orNaN(row.RealLo), orNaN(row.RealHi)})
		}
		ss = append(ss, e, rl)
	}
	if len(ss) == 0 {
		return nil, nil
	}
	g := ps[0].Group
	pl, leg, err := lineChart(lineOpts{
		title: g + ": emulated beside real CPython", xLabel: "workers", yLabel: "speed-up (×)",
		ideal: true, yMin: 0, yMax: math.NaN(), log2Y: true, yTicks: scaledTicks{benchunit.Decimal},
	}, ss)
	if err != nil || pl == nil {
		return nil, err
	}
	alt := fmt.Sprintf("Speed-up against workers for %s: each emulated mode as a solid line, its real-CPython counterpart dashed in the same colour, with intervals.", g)
	return render("real-"+fileName(g), "real", g, alt, pl, leg)
}

// orNaN is v, or NaN for 0 (an interval end that is unknown).
func orNaN(v float64) float64 {
	if v == 0 {
		return math.NaN()
	}
	return v
}
