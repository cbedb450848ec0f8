package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// The broker's cost: a run with cluster cells (workers behind NATS JetStream) says
// what the broker costs per task, measured — the median time per task of the cluster
// mode less that of a mode that hands tasks to processes without one (process: the
// emulated interpreter in worker processes over pipes; cpython-process: real
// multiprocessing), at the same workload and worker count — and how the cluster mode
// scales: its speed-up over its own one-worker cell, beside the other mode's. The
// cluster cells and the others may sit in different tables (cpython-process cells
// carry /python= and /start= keys); they are matched by workload, variant and workers.

// clusterMode is the broker-backed mode; brokerless are the modes it is measured
// against, in this order.
var (
	clusterMode = "cluster"
	brokerless  = []string{"process", "cpython-process"}
)

// A BrokerCost is the cluster mode against one brokerless mode in one workload.
type BrokerCost struct {
	Workload string          `json:"workload"`
	Group    string          `json:"group"`   // the cluster cells' table group ("primes")
	Against  string          `json:"against"` // the other mode, with its group's extra keys ("cpython-process python=3.11 start=fork")
	Rows     []BrokerCostRow `json:"rows"`
}

// A BrokerCostRow is one worker count: medians of time per task, in seconds.
type BrokerCostRow struct {
	Workers  int     `json:"workers"`
	Cluster  float64 `json:"cluster_sec"`
	Other    float64 `json:"other_sec"`
	Overhead float64 `json:"overhead_sec"` // Cluster − Other: the broker's cost per task
	Ratio    float64 `json:"ratio"`        // Cluster ÷ Other
	// ClusterX and OtherX are each mode's speed-up over its own one-worker cell
	// (0 when that cell is missing): the scaling curves.
	ClusterX float64 `json:"cluster_speedup"`
	OtherX   float64 `json:"other_speedup"`
}

// medians are one mode's median time per task by worker count in one table.
func medians(t *Table, mode string) map[int]float64 {
	ci := -1
	for i, c := range t.Cols {
		if c.Label == mode {
			ci = i
		}
	}
	if ci < 0 {
		return nil
	}
	out := map[int]float64{}
	for ri, row := range t.Rows {
		if c := t.Cells[ri][ci]; c != nil && !c.Incomplete() && c.N() > 0 && row.Workers > 0 {
			out[row.Workers] = c.Summary.Center
		}
	}
	return out
}

// brokerCosts finds, for every workload with cluster cells, the broker's cost against
// each brokerless mode that ran it.
func (r *Result) brokerCosts() []BrokerCost {
	if r.Options.Layout != ByMode {
		return nil
	}
	var times []*Table
	for _, t := range r.Tables {
		if t.Unit == "sec/op" && !t.Derived && t.ColKey != "" {
			times = append(times, t)
		}
	}
	var out []BrokerCost
	for _, ct := range times {
		cl := medians(ct, clusterMode)
		if len(cl) == 0 {
			continue
		}
		for _, mode := range brokerless {
			for _, ot := range times {
				// The same workload and variant (chunksize=8); the other group may add
				// keys of its own (python=3.11 start=fork).
				keys := groupKeys(ct)
				if ot.Workload != ct.Workload || !hasAll(groupKeys(ot), keys) {
					continue
				}
				other := medians(ot, mode)
				if len(other) == 0 {
					continue
				}
				bc := BrokerCost{Workload: ct.Workload, Group: ct.Group, Against: mode}
				for _, k := range groupKeys(ot) {
					if !contains(keys, k) {
						bc.Against += " " + k
					}
				}
				for _, row := range ct.Rows {
					c, ok1 := cl[row.Workers]
					o, ok2 := other[row.Workers]
					if !ok1 || !ok2 || o <= 0 {
						continue
					}
					br := BrokerCostRow{Workers: row.Workers, Cluster: c, Other: o, Overhead: c - o, Ratio: c / o}
					if c1, ok := cl[1]; ok && c > 0 {
						br.ClusterX = c1 / c
					}
					if o1, ok := other[1]; ok {
						br.OtherX = o1 / o
					}
					bc.Rows = append(bc.Rows, br)
				}
				if len(bc.Rows) > 0 {
					out = append(out, bc)
				}
			}
		}
	}
	return out
}

// fmtTask formats a time per task with three significant digits and a unit
// ("1.23ms", "−45.6µs").
func fmtTask(sec float64) string {
	sign := ""
	if sec < 0 {
		sign, sec = "−", -sec
	}
	d := time.Duration(sec * 1e9)
	var v float64
	var unit string
	switch {
	case d >= time.Second:
		v, unit = sec, "s"
	case d >= time.Millisecond:
		v, unit = sec*1e3, "ms"
	case d >= time.Microsecond:
		v, unit = sec*1e6, "µs"
	default:
		v, unit = sec*1e9, "ns"
	}
	prec := 0
	switch {
	case v < 10:
		prec = 2
	case v < 100:
		prec = 1
	}
	return sign + strconv.FormatFloat(v, 'f', prec, 64) + unit
}

func fmtSpeedup(x float64) string {
	if x == 0 {
		return "–"
	}
	return strconv.FormatFloat(x, 'f', 2, 64) + "×"
}

// brokerCostNote says how to read the broker's cost.
const brokerCostNote = "medians of time per task; overhead = cluster − the other mode at the same workers (the broker's cost per task: two trips through a file-backed stream and their acknowledgements); speed-ups against each mode's own one-worker cell"

// WriteBrokerCost prints the broker's cost per task, if the run has cluster cells.
func (r *Result) WriteBrokerCost(w io.Writer) error {
	if len(r.Cluster) == 0 {
		return nil
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "\nThe broker's cost (cluster against modes without one) — %s\n", brokerCostNote)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "workload\tagainst\tworkers\tcluster\tother\toverhead/task\tratio\tcluster speed-up\tother speed-up")
	for _, bc := range r.Cluster {
		for _, row := range bc.Rows {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", bc.Group, bc.Against, row.Workers,
				fmtTask(row.Cluster), fmtTask(row.Other), fmtTask(row.Overhead),
				strconv.FormatFloat(row.Ratio, 'f', 2, 64), fmtSpeedup(row.ClusterX), fmtSpeedup(row.OtherX))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeBrokerSummary is the broker's cost in the terminal summary: per workload and
// mode compared, the overhead per task at each worker count and the cluster mode's
// speed-up at the most workers.
func (r *Result) writeBrokerSummary(w io.Writer) error {
	for _, bc := range r.Cluster {
		var parts []string
		for i, row := range bc.Rows {
			unit := ""
			if i == 0 {
				unit = " worker"
				if row.Workers != 1 {
					unit += "s"
				}
			}
			parts = append(parts, fmt.Sprintf("%s at %d%s", signed(row.Overhead), row.Workers, unit))
		}
		last := bc.Rows[len(bc.Rows)-1]
		if _, err := fmt.Fprintf(w, "%s: the broker's cost per task over %s: %s; cluster speed-up at %d workers %s (%s %s)\n",
			bc.Group, bc.Against, strings.Join(parts, ", "), last.Workers, fmtSpeedup(last.ClusterX), bc.Against, fmtSpeedup(last.OtherX)); err != nil {
			return err
		}
	}
	return nil
}

func signed(sec float64) string {
	if sec >= 0 {
		return "+" + fmtTask(sec)
	}
	return fmtTask(sec)
}

var brokerTemplate = template.Must(template.New("broker").Parse(`<section id="broker">
<h2>The broker's cost</h2>
<div class="wide"><table class="cmp" id="broker-cost">
<thead><tr><th>workload</th><th>against</th><th>workers</th><th>cluster</th><th>other</th><th>overhead / task</th><th>ratio</th><th>cluster speed-up</th><th>other speed-up</th></tr></thead>
<tbody>
{{range .Rows}}<tr><td class="row">{{.Group}}</td><td>{{.Against}}</td><td>{{.Workers}}</td><td>{{.Cluster}}</td><td>{{.Other}}</td><td>{{.Overhead}}</td><td>{{.Ratio}}</td><td>{{.ClusterX}}</td><td>{{.OtherX}}</td></tr>
{{end}}</tbody>
</table></div>
<p class="legend">{{.Note}}</p>
</section>
`))

// brokerHTML is the report's section on the broker's cost ("" without cluster cells).
func brokerHTML(costs []BrokerCost) template.HTML {
	if len(costs) == 0 {
		return ""
	}
	type row struct {
		Group, Against                                    string
		Workers                                           int
		Cluster, Other, Overhead, Ratio, ClusterX, OtherX string
	}
	var data struct {
		Rows []row
		Note string
	}
	data.Note = brokerCostNote
	for _, bc := range costs {
		for _, r := range bc.Rows {
			data.Rows = append(data.Rows, row{Group: bc.Group, Against: bc.Against, Workers: r.Workers,
				Cluster: fmtTask(r.Cluster), Other: fmtTask(r.Other), Overhead: fmtTask(r.Overhead),
				Ratio: strconv.FormatFloat(r.Ratio, 'f', 2, 64), ClusterX: fmtSpeedup(r.ClusterX), OtherX: fmtSpeedup(r.OtherX)})
		}
	}
	var b bytes.Buffer
	if err := brokerTemplate.Execute(&b, data); err != nil {
		return template.HTML(template.HTMLEscapeString("broker's cost: " + err.Error()))
	}
	return template.HTML(b.String()) // executed by html/template: escaped
}
