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
		for _, i := range []interpreter{cpython3, cpython2, cpythonSub} {
			if p, ok := py[i]; ok {
				have = append(have, fmt.Sprintf("%s (%s)", p.version, p.path))
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
	tbl.Header("experiment", "behaviour to reproduce", "target", "gilbench", "CPython", "pass")
	for _, e := range res.ran {
		for _, r := range e.rows {
			total++
			gbText, verdict := "n/a", "FAIL"
			if x, ok := r.value(res.gb); ok {
				gbText = r.show(res.gb, x)
				if r.pass(x) {
					verdict = "pass"
				}
			}
			if verdict != "pass" {
				failed++
			}
			if err := tbl.Append(r.name, r.behaviour, r.target, gbText, res.cpythonText(e, r), verdict); err != nil {
				return 0, 0, err
			}
		}
	}
	if err := tbl.Render(); err != nil {
		return 0, 0, err
	}
	_, err = fmt.Fprintf(w, "\n%d of %d behaviours reproduced by gilbench in %s; CPython's figures (✓/✗ against the same target) for comparison.\n",
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
		mark := "✗"
		if r.pass(x) {
			mark = "✓"
		}
		text := r.show(res.py, x) + " " + mark
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
