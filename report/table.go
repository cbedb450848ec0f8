package report

import (
	"gilbench/vocab"
	"math"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"
)

// A Layout chooses what the columns of the tables are and what each
// cell is compared with.
type Layout int

const (
	// ByMode is the layout of one run: a table per workload and
	// metric, a row per worker count, a column per mode. Every cell
	// is compared with the baseline mode (Options.Baseline: the mode
	// the run's mode lines call baseline) at its lowest worker count.
	ByMode Layout = iota
	// ByInput is the layout of a comparison of runs: a table per
	// workload and metric, a row per mode and worker count, a column
	// per input. Every cell is compared with the first input's cell
	// in the same row, as benchstat does.
	ByInput
)

func (l Layout) String() string {
	switch l {
	case ByMode:
		return "by-mode"
	case ByInput:
		return "by-input"
	}
	return "Layout(" + strconv.Itoa(int(l)) + ")"
}

// Derived metrics, computed per result line before summarizing, so that
// they get a median and a confidence interval like measured ones.
const (
	// UnitCPUUtil is cpu-ns/op ÷ (ns/op × workers): the share of the
	// workers' wall time spent on a CPU.
	UnitCPUUtil = "cpu-util"
	// UnitLockWait is gil-wait-ns/op ÷ (ns/op × workers): the share
	// of the workers' wall time spent waiting for the lock.
	UnitLockWait = "lock-wait-share"
)

// A Table summarizes one metric of one workload.
type Table struct {
	// Group names the workload: the /workload key plus any other
	// name keys ("primes", "convoy cs=100"), or the benchmark name
	// when there is no /workload key.
	Group string `json:"group"`
	// Workload is the /workload key ("" when absent).
	Workload string `json:"workload"`
	// Class is the benchmark's base name (CPU, IO, Mixed, Shared).
	Class string `json:"class"`
	// Unit is the metric's unit as benchstat shows it (benchfmt
	// tidies ns to sec and MB to B): "sec/op", "tasks/s", "p99-sec".
	Unit string `json:"unit"`
	// Better is +1 if higher is better, -1 if lower is better, 0 if
	// neither: from the "Unit … better=" metadata lines, else lower for
	// every unit but rates (…/s) and UnitCPUUtil.
	Better int `json:"better"`
	// Derived is set for UnitCPUUtil and UnitLockWait.
	Derived bool `json:"derived,omitempty"`
	// RowKey and ColKey name the dimensions ("workers", "mode",
	// "mode/workers", "file").
	RowKey string `json:"row_key"`
	ColKey string `json:"col_key"`
	Rows   []Row  `json:"rows"`
	Cols   []Col  `json:"cols"`
	// Cells is indexed [row][col]; nil where there is no data.
	Cells [][]*Cell `json:"-"`
	// Baseline describes what the cells are compared with
	// ("sequential, 1 worker", "first column"), "" if nothing.
	Baseline string `json:"baseline,omitempty"`
	// Geomean summarizes each column, as benchstat's last row.
	Geomean []Geomean `json:"geomean"`

	assumption benchmath.Assumption
}

// A Row is one row of a Table.
type Row struct {
	Label   string `json:"label"`
	Mode    string `json:"mode,omitempty"`
	Workers int    `json:"workers,omitempty"` // 0 when unknown
}

// A Col is one column of a Table.
type Col struct {
	Label string `json:"label"`
}

// A Cell summarizes the repetitions of one benchmark in one table cell.
type Cell struct {
	Row, Col int
	// Mode and Workers of the benchmark ("" and 0 when unknown).
	Mode    string
	Workers int
	Sample  *benchmath.Sample
	Summary benchmath.Summary
	// Reps are the repetitions' values in the order the run wrote them
	// (Sample's are sorted): the i-th repetitions of two cells ran in the
	// same round of an interleaved run.
	Reps []float64
	// Base is the cell this one is compared with, nil if none.
	Base *Cell
	// Cmp is the comparison with Base (valid when Base != nil).
	Cmp benchmath.Comparison
	// Warnings are the statistics warnings about this cell, as values:
	// a *ResidueWarning, a *SampleSizeWarning, or another of
	// benchmath's warnings as benchmath gives it (see statsWarnings).
	Warnings []error
	// Status is how the run says the cell ended: vocab.Failed or Interrupted for
	// a cell whose repetitions are incomplete, with Reason; "" or Completed else.
	Status vocab.Status
	Reason string
}

// Incomplete reports whether the run says the cell failed or was interrupted.
func (c *Cell) Incomplete() bool { return c.Status == vocab.Failed || c.Status == vocab.Interrupted }

// N is the number of repetitions.
func (c *Cell) N() int { return len(c.Sample.Values) }

// Significant reports whether the comparison with Base rejects "no
// difference" (benchstat prints a percentage rather than "~").
func (c *Cell) Significant() bool {
	return c.Base != nil && !(c.Cmp.P > c.Cmp.Alpha)
}

// Delta is benchstat's "vs base" column: "+12.34%", "~" or "?".
// It is "" when there is no baseline.
func (c *Cell) Delta() string {
	if c.Base == nil {
		return ""
	}
	return c.Cmp.FormatDelta(c.Base.Summary.Center, c.Summary.Center)
}

// Ratio is this cell's center divided by its baseline's (NaN if none).
func (c *Cell) Ratio() float64 {
	if c.Base == nil || c.Base.Summary.Center == 0 {
		return math.NaN()
	}
	return c.Summary.Center / c.Base.Summary.Center
}

// Geomean is the summary of one column.
type Geomean struct {
	// Center is the geometric mean of the column's centers (NaN if
	// not computable).
	Center float64 `json:"center"`
	// Ratio is the geometric mean of the column's ratios to their
	// baselines (NaN if none).
	Ratio    float64  `json:"ratio"`
	Warnings []string `json:"warnings,omitempty"`
}

// Speedup orients a ratio so that > 1 means better: for a lower-is-better
// unit it is base/cell, for a higher-is-better unit cell/base. It
// returns NaN for a unit whose direction is unknown.
func Speedup(ratio float64, better int) float64 {
	switch {
	case better < 0:
		return 1 / ratio
	case better > 0:
		return ratio
	}
	return math.NaN()
}

// Cell returns the cell at row r, column c, or nil.
func (t *Table) Cell(r, c int) *Cell {
	if r < 0 || r >= len(t.Cells) || c < 0 || c >= len(t.Cells[r]) {
		return nil
	}
	return t.Cells[r][c]
}

// ColIndex returns the index of the column labeled label, or -1.
func (t *Table) ColIndex(label string) int {
	for i, c := range t.Cols {
		if c.Label == label {
			return i
		}
	}
	return -1
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "ch") || strings.HasSuffix(word, "s") {
		return strconv.Itoa(n) + " " + word + "es"
	}
	return strconv.Itoa(n) + " " + word + "s"
}
