package report

// The expected numbers in testdata/*.benchstat{,.csv} come from the
// stock benchstat, run once on the same inputs (from this directory):
//
//	go run golang.org/x/perf/cmd/benchstat -col /mode -row /workers testdata/synthetic-primes.txt > testdata/synthetic-primes.benchstat
//	go run golang.org/x/perf/cmd/benchstat -format csv -col /mode -row /workers testdata/synthetic-primes.txt > testdata/synthetic-primes.benchstat.csv
//	go run golang.org/x/perf/cmd/benchstat -table /workload,.fullname -row /mode,/workers@num -ignore /gomaxprocs A=testdata/compare-a.txt B=testdata/compare-b.txt > testdata/compare.benchstat
//	go run golang.org/x/perf/cmd/benchstat -format csv -table /workload,.fullname -row /mode,/workers@num -ignore /gomaxprocs A=testdata/compare-a.txt B=testdata/compare-b.txt > testdata/compare.benchstat.csv
//
// The CSV form has the centers in full precision; the text form is what
// people read, and the tests check that our formatted cells appear in it.
// One known difference: benchfmt leaves a 0 in its untidied unit ("0
// gil-wait-ns/op"), so benchstat shows such zeros in a table of their
// own; the report tidies them into the main table (see tidyZeros). The
// tests skip benchstat's untidied tables and compare only the cells and
// comparisons benchstat shows.

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"

	"gilbench/vocab"
)

// bsCell is one cell of a benchstat CSV table.
type bsCell struct {
	center, ci, delta, p string
}

type bsTable struct {
	workload string
	unit     string
	cols     []string
	rows     []string
	cells    map[[2]string]bsCell // (row, col)
	geomean  map[string][2]string // col -> (center, ratio)
}

func readBenchstatCSV(t *testing.T, path string) []*bsTable {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	startCol := func(i int) int {
		if i == 0 {
			return 1
		}
		return 3 + (i-1)*4
	}
	var out []*bsTable
	var cur *bsTable
	var cols []string
	workload := ""
	for _, rec := range recs {
		switch {
		case len(rec) == 1 && strings.Contains(rec[0], ": "):
			if v, ok := strings.CutPrefix(rec[0], "/workload: "); ok {
				workload = v
			}
		case rec[0] == "" && len(rec) > 2 && rec[2] == "CI":
			cur = &bsTable{workload: workload, unit: rec[1], cols: cols,
				cells: map[[2]string]bsCell{}, geomean: map[string][2]string{}}
			out = append(out, cur)
		case rec[0] == "":
			cols = nil
			for _, v := range rec[1:] {
				if v != "" {
					cols = append(cols, v)
				}
			}
		default:
			row := strings.ReplaceAll(rec[0], " ", "/")
			for i, col := range cur.cols {
				s := startCol(i)
				get := func(j int) string {
					if s+j < len(rec) {
						return rec[s+j]
					}
					return ""
				}
				if row == "geomean" {
					ratio := ""
					if i > 0 {
						ratio = get(2)
					}
					cur.geomean[col] = [2]string{get(0), ratio}
					continue
				}
				if get(0) == "" {
					continue
				}
				c := bsCell{center: get(0), ci: get(1)}
				if i > 0 {
					c.delta, c.p = get(2), get(3)
				}
				cur.cells[[2]string{row, col}] = c
			}
			if row != "geomean" {
				cur.rows = append(cur.rows, row)
			}
		}
	}
	return out
}

// tableFor finds our table for a benchstat table.
func tableFor(ts []*Table, workload, unit string) *Table {
	for _, t := range ts {
		if t.Unit == unit && (workload == "" || t.Workload == workload) {
			return t
		}
	}
	return nil
}

// checkCells compares every cell benchstat shows with ours: the center
// to the last bit, the interval and, where benchstat compares, the
// delta and the p-value. With geomean, the summary row too, where the
// column holds the same cells.
func checkCells(t *testing.T, bs []*bsTable, ours []*Table, compareRows func(row string) bool, geomean bool) int {
	t.Helper()
	checked := 0
	for _, b := range bs {
		if vocab.Tidy(b.unit) != b.unit {
			continue // benchfmt's untidied zeros; see the comment above
		}
		o := tableFor(ours, b.workload, b.unit)
		if o == nil {
			t.Errorf("%s %s: benchstat has the table, we do not", b.workload, b.unit)
			continue
		}
		for key, want := range b.cells {
			row, col := key[0], key[1]
			ri, ci := -1, o.ColIndex(col)
			for i, r := range o.Rows {
				if r.Label == row {
					ri = i
				}
			}
			c := o.Cell(ri, ci)
			if c == nil {
				t.Errorf("%s %s row %s col %s: benchstat has the cell, we do not", b.workload, b.unit, row, col)
				continue
			}
			where := fmt.Sprintf("%s %s row %s col %s", b.workload, b.unit, row, col)
			if got := fmt.Sprint(c.Summary.Center); got != want.center {
				t.Errorf("%s: median %s; want %s", where, got, want.center)
			}
			if got := c.Summary.PctRangeString(); got != want.ci {
				t.Errorf("%s: CI %s; want %s", where, got, want.ci)
			}
			// Compare where both compare with the same baseline.
			if want.delta != "" && compareRows(row) && strings.HasPrefix(o.Baseline, b.cols[0]) {
				if got := c.Delta(); got != want.delta {
					t.Errorf("%s: delta %s; want %s", where, got, want.delta)
				}
				if got := c.Cmp.String(); got != want.p {
					t.Errorf("%s: %s; want %s", where, got, want.p)
				}
			}
			checked++
		}
		if !geomean {
			continue
		}
		sameCells := func(ci int) bool {
			n, nb := 0, 0
			for ri := range o.Rows {
				if o.Cell(ri, ci) != nil {
					n++
				}
			}
			for key := range b.cells {
				if key[1] == o.Cols[ci].Label {
					nb++
				}
			}
			return n == nb
		}
		for ci, oc := range o.Cols {
			col := oc.Label
			want, ok := b.geomean[col]
			if !ok || !sameCells(ci) || !sameCells(0) {
				continue // a column with tidied zeros
			}
			g := o.Geomean[ci]
			gotC := ""
			if !math.IsNaN(g.Center) {
				gotC = fmt.Sprint(g.Center)
			}
			if gotC != want[0] {
				t.Errorf("%s %s geomean of %s: %s; want %s", b.workload, b.unit, col, gotC, want[0])
			}
			gotR := ""
			if ci > 0 {
				gotR = "?"
				if !math.IsNaN(g.Ratio) {
					gotR = fmt.Sprintf("%+.2f%%", (g.Ratio-1)*100)
				}
			}
			if gotR != want[1] {
				t.Errorf("%s %s geomean ratio of %s: %s; want %s", b.workload, b.unit, col, gotR, want[1])
			}
		}
	}
	t.Logf("%d cells checked against benchstat", checked)
	return checked
}

// checkText checks that each of our cells, formatted as benchstat
// formats them, appears on its row of benchstat's text output.
func checkText(t *testing.T, path string, ours []*Table, units map[string]bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	n := 0
	for _, o := range ours {
		if !units[o.Unit] {
			continue
		}
		scalers := rowScalers(o)
		for ri, row := range o.Rows {
			label := strings.ReplaceAll(row.Label, "/", " ")
			for _, c := range o.Cells[ri] {
				if c == nil {
					continue
				}
				cell := scalers[ri].Format(c.Summary.Center) + " ± " + c.Summary.PctRangeString()
				found := false
				for _, line := range strings.Split(text, "\n") {
					if strings.HasPrefix(line, label+" ") && strings.Contains(line, cell) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("%s %s row %s: %q not on any benchstat line", o.Group, o.Unit, row.Label, cell)
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Errorf("no cell checked against %s", path)
	}
}

// TestBenchstatProjection builds tables with benchstat's own projection
// (-col /mode -row /workers, tables by .config) and checks every number,
// geomeans included.
func TestBenchstatProjection(t *testing.T) {
	ds, err := load([]Input{{Path: "testdata/synthetic-primes.txt"}})
	if err != nil {
		t.Fatal(err)
	}
	proj, err := newProjection(projectionExprs{Table: ".config", Row: "/workers", Col: "/mode", RowKey: "workers", ColKey: "mode"})
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(proj)
	for _, r := range ds.results {
		b.add(r)
	}
	thr := benchmath.DefaultThresholds
	tables := b.finish(tableOpts{layout: ByInput, confidence: 0.95, thresholds: &thr, units: ds.units})
	bs := readBenchstatCSV(t, "testdata/synthetic-primes.benchstat.csv")
	if n := checkCells(t, bs, tables, func(string) bool { return true }, true); n < 100 {
		t.Errorf("checked %d cells; want ≥ 100", n)
	}
	checkText(t, "testdata/synthetic-primes.benchstat", tables, map[string]bool{"sec/op": true, "tasks/s": true, "cpu-sec/op": true})
}

// TestBenchstatReport checks the report's own tables (ByMode) against
// benchstat: every median and interval, and the comparisons benchstat
// makes (at 1 worker, where both compare with sequential).
func TestBenchstatReport(t *testing.T) {
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: "testdata/synthetic-primes.txt"}}})
	if err != nil {
		t.Fatal(err)
	}
	bs := readBenchstatCSV(t, "testdata/synthetic-primes.benchstat.csv")
	if n := checkCells(t, bs, r.Tables, func(row string) bool { return row == "1" }, false); n < 100 {
		t.Errorf("checked %d cells; want ≥ 100", n)
	}
}

// TestBenchstatCompare checks `gilbench compare` (ByInput) against
// benchstat comparing the same two files.
func TestBenchstatCompare(t *testing.T) {
	r, err := Build(context.Background(), Options{Layout: ByInput, Inputs: []Input{
		{Label: "A", Path: "testdata/compare-a.txt"}, {Label: "B", Path: "testdata/compare-b.txt"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	bs := readBenchstatCSV(t, "testdata/compare.benchstat.csv")
	if n := checkCells(t, bs, r.Tables, func(string) bool { return true }, true); n < 100 {
		t.Errorf("checked %d cells; want ≥ 100", n)
	}
	checkText(t, "testdata/compare.benchstat", r.Tables, map[string]bool{"sec/op": true, "tasks/s": true})
}
