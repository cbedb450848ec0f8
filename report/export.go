package report

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
)

// csvHeader names the columns of summary.csv: one line per table cell,
// numbers in full precision and base units (seconds, bytes).
var csvHeader = []string{
	"group", "workload", "class", "unit", "better",
	"row", "mode", "workers", "col",
	"n", "median", "lo", "hi", "ci",
	"base", "ratio", "speedup", "delta", "p", "significant", "warnings",
}

func fnum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// WriteCSV writes summary.csv: every table, every cell.
func (r *Result) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, t := range r.Tables {
		for ri, row := range t.Rows {
			for ci, col := range t.Cols {
				c := t.Cell(ri, ci)
				if c == nil {
					continue
				}
				rec := []string{
					t.Group, t.Workload, t.Class, t.Unit, strconv.Itoa(t.Better),
					row.Label, c.Mode, itoa0(c.Workers), col.Label,
					strconv.Itoa(c.N()), fnum(c.Summary.Center), fnum(c.Summary.Lo), fnum(c.Summary.Hi), c.Summary.PctRangeString(),
				}
				if c.Base != nil {
					rec = append(rec, baseLabel(t, c.Base), fnum(c.Ratio()), fnum(Speedup(c.Ratio(), t.Better)),
						c.Delta(), fnum(c.Cmp.P), strconv.FormatBool(c.Significant()))
				} else {
					rec = append(rec, "", "", "", "", "", "")
				}
				rec = append(rec, strings.Join(errorTexts(c.Warnings), "; "))
				if err := cw.Write(rec); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// errorTexts is the text of each error, nil for none.
func errorTexts(errs []error) []string {
	var out []string
	for _, err := range errs {
		out = append(out, err.Error())
	}
	return out
}

func itoa0(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// baseLabel names a baseline cell: "sequential/1" or "A".
func baseLabel(t *Table, b *Cell) string {
	col := t.Cols[b.Col].Label
	if t.ColKey == "file" {
		return col
	}
	return col + "/" + t.Rows[b.Row].Label
}

// JSON shapes of summary.json. Numbers that do not exist are null.

type jsonSummary struct {
	Layout   string        `json:"layout"`
	Runs     []RunInfo     `json:"runs"`
	Answers  []Answer      `json:"answers,omitempty"`
	Rules    []RuleCheck   `json:"rules,omitempty"`
	Pairs    []Pair        `json:"emulated_beside_real,omitempty"`
	Anchors  []AnchorUse   `json:"anchors,omitempty"`
	Cluster  []BrokerCost  `json:"broker_cost,omitempty"`
	Verdict  []jsonFinding `json:"verdict"`
	Warnings []Warning     `json:"warnings"`
	Tables   []jsonTable   `json:"tables"`
}

type jsonFinding struct {
	Finding
	Speedup *float64 `json:"speedup"`
	P       *float64 `json:"p"`
}

type jsonTable struct {
	*Table
	Cells   []jsonCell    `json:"cells"`
	Geomean []jsonGeomean `json:"geomean"`
}

type jsonCell struct {
	Row         string    `json:"row"`
	Col         string    `json:"col"`
	Mode        string    `json:"mode,omitempty"`
	Workers     int       `json:"workers,omitempty"`
	N           int       `json:"n"`
	Values      []float64 `json:"values"`
	Median      *float64  `json:"median"`
	Lo          *float64  `json:"lo"`
	Hi          *float64  `json:"hi"`
	Confidence  float64   `json:"confidence"`
	Base        string    `json:"base,omitempty"`
	Ratio       *float64  `json:"ratio,omitempty"`
	Speedup     *float64  `json:"speedup,omitempty"`
	Delta       string    `json:"delta,omitempty"`
	P           *float64  `json:"p,omitempty"`
	Significant bool      `json:"significant,omitempty"`
	Warnings    []string  `json:"warnings,omitempty"`
	Status      string    `json:"status,omitempty"` // failed or interrupted: the repetitions are incomplete
	Reason      string    `json:"reason,omitempty"`
}

type jsonGeomean struct {
	Center   *float64 `json:"center"`
	Ratio    *float64 `json:"ratio"`
	Warnings []string `json:"warnings,omitempty"`
}

func jnum(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// WriteJSON writes summary.json: the inputs and their configuration,
// the verdict, the warnings and every table with its samples.
func (r *Result) WriteJSON(w io.Writer) error {
	s := jsonSummary{Layout: r.Options.Layout.String(), Runs: r.Runs, Warnings: r.Warnings, Answers: r.Answers, Rules: r.Rules, Pairs: r.Pairs, Anchors: r.Anchors, Cluster: r.Cluster}
	if s.Warnings == nil {
		s.Warnings = []Warning{}
	}
	s.Verdict = []jsonFinding{}
	for _, f := range r.Verdict {
		s.Verdict = append(s.Verdict, jsonFinding{Finding: f, Speedup: jnum(f.Speedup), P: jnum(f.P)})
	}
	s.Tables = []jsonTable{}
	for _, t := range r.Tables {
		jt := jsonTable{Table: t, Cells: []jsonCell{}}
		for ri, row := range t.Rows {
			for ci, col := range t.Cols {
				c := t.Cell(ri, ci)
				if c == nil {
					continue
				}
				jc := jsonCell{
					Row: row.Label, Col: col.Label, Mode: c.Mode, Workers: c.Workers,
					N: c.N(), Values: c.Sample.Values,
					Median: jnum(c.Summary.Center), Lo: jnum(c.Summary.Lo), Hi: jnum(c.Summary.Hi),
					Confidence: c.Summary.Confidence, Warnings: errorTexts(c.Warnings),
				}
				if c.Incomplete() {
					jc.Status, jc.Reason = string(c.Status), c.Reason
				}
				if c.Base != nil {
					jc.Base = baseLabel(t, c.Base)
					jc.Ratio = jnum(c.Ratio())
					jc.Speedup = jnum(Speedup(c.Ratio(), t.Better))
					jc.Delta = c.Delta()
					jc.P = jnum(c.Cmp.P)
					jc.Significant = c.Significant()
				}
				jt.Cells = append(jt.Cells, jc)
			}
		}
		for _, g := range t.Geomean {
			jt.Geomean = append(jt.Geomean, jsonGeomean{Center: jnum(g.Center), Ratio: jnum(g.Ratio), Warnings: g.Warnings})
		}
		s.Tables = append(s.Tables, jt)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}
