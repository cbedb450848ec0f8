package validate

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// results are what a run measured, for the table.
type results struct {
	ran      []experiment      // in the order they ran
	gb, py   figures           // gilbench's and CPython's, by "experiment/key"
	notes    map[string]string // CPython's note by experiment ("" for none)
	pyFailed map[string]bool   // experiments whose CPython run failed (see stderr)
	pythons  pythons
}

// printHeader writes the lines above the table: the machine, the repetitions and sizes,
// and the CPythons found.
func printHeader(w io.Writer, o Options, py pythons) {
	fmt.Fprintf(w, "gilbench validate: %d CPUs, GOMAXPROCS %d, %d repetitions a configuration (medians), %s sizes\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), o.Reps, map[bool]string{true: "quick", false: "full"}[o.Quick])
	if len(py) == 0 {
		fmt.Fprintln(w, "CPython: not found (-python, -python2); showing gilbench's figures only")
	} else {
		var have []string
		for i := range kinds {
			if p, ok := py[interpreter(i)]; ok {
				have = append(have, version(p))
			}
		}
		fmt.Fprintf(w, "CPython: %s\n", strings.Join(slices.Compact(have), ", "))
	}
	fmt.Fprintln(w)
}

// render writes the table of res, a row per behaviour, and the line under it, and
// returns how many of gilbench's behaviours failed out of how many.
func render(w io.Writer, res results, elapsed time.Duration) (failed, total int, err error) {
	tbl := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Settings: tw.Settings{Separators: tw.Separators{BetweenRows: tw.On}},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithRowMaxWidth(44),
	)
	tbl.Header("experiment", "behaviour to reproduce", "target", "gilbench", "CPython", "of CPython", "pass")
	for _, e := range res.ran {
		for _, r := range e.rows {
			total++
			j := res.judge(e, r)
			gbText, verdict := "n/a", "FAIL"
			if j.ok {
				gbText = r.show(res.gb, j.gb)
			}
			if j.pass {
				verdict = "pass"
			} else {
				failed++
			}
			target := r.target
			if r.factor > 0 && e.py != nil {
				target += fmt.Sprintf(", ×%.3g of CPython", r.factor)
			}
			of := ""
			if j.hasPy {
				of = "×" + showFactor(j.gb/j.py) + " " + mark(j.agree)
			}
			if err := tbl.Append(r.name, r.behaviour, target, gbText, res.cpythonText(e, r), of, verdict); err != nil {
				return 0, 0, err
			}
		}
	}
	if err := tbl.Render(); err != nil {
		return 0, 0, err
	}
	_, err = fmt.Fprintf(w, "\n%d of %d behaviours reproduced by gilbench in %s. A behaviour is reproduced when gilbench's value is in its target band and,\n"+
		"where CPython ran, within the stated factor of CPython's own figure from this run (of CPython: gilbench / CPython);\n"+
		"outside the band it is still reproduced when CPython's figure is outside it too and the two agree (the machine moved both).\n",
		total-failed, total, elapsed.Round(time.Second))
	return failed, total, err
}

// cpythonText is the CPython cell of row r of experiment e: its value judged against
// the same target, or why there is none.
func (res results) cpythonText(e experiment, r row) string {
	switch x, ok := r.value(res.py); {
	case e.py == nil:
		return "no counterpart"
	case !res.pythons.has(e.py.python):
		return "not run (no " + e.py.python.missing() + ")"
	case ok:
		text := r.show(res.py, x) + " " + mark(r.pass(x))
		if n := res.notes[e.name]; n != "" {
			text += " [" + n + "]"
		}
		return text
	case res.pyFailed[e.name]:
		return "error (see stderr)"
	default:
		return "—"
	}
}

// judgement is a row's verdict and the values it rests on.
type judgement struct {
	gb, py float64 // the row's value in gilbench's and in CPython's figures
	ok     bool    // gilbench's value is there
	hasPy  bool    // CPython's value is there and the row has a factor
	agree  bool    // gb is within the row's factor of py
	pass   bool
}

// judge judges row r of experiment e: gilbench's value must be in the band and, where
// CPython ran, within r.factor of CPython's own figure from the same run; a value outside
// the band still passes when CPython's figure is outside it too and the two agree.
func (res results) judge(e experiment, r row) judgement {
	var j judgement
	j.gb, j.ok = r.value(res.gb)
	if !j.ok {
		return j
	}
	if r.factor > 0 && e.py != nil && res.pythons.has(e.py.python) {
		j.py, j.hasPy = r.value(res.py)
		j.hasPy = j.hasPy && j.py != 0
	}
	if !j.hasPy {
		j.pass = r.pass(j.gb)
		return j
	}
	q := j.gb / j.py
	j.agree = q <= r.factor && q >= 1/r.factor
	j.pass = j.agree && (r.pass(j.gb) || !r.pass(j.py))
	return j
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// showFactor shows gilbench's value as a share of CPython's: two decimals, or two
// significant digits far from 1.
func showFactor(q float64) string {
	if q < 0.1 || q >= 100 {
		return fmt.Sprintf("%.2g", q)
	}
	return fmt.Sprintf("%.2f", q)
}
