package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"

	"gilbench/vocab"
)

// Tabulating: results are projected with benchproc into tables, rows and
// columns (the projections of a Layout), each cell's values summarized and
// compared with benchmath, the way benchstat's benchtab does.

// projection is the benchproc description of a Layout.
type projection struct {
	table, row, col, residue *benchproc.Projection
	unitField                *benchproc.Field
	rowKey, colKey           string
}

// projectionExprs are benchproc projection expressions.
type projectionExprs struct {
	Table, Row, Col, Ignore string
	RowKey, ColKey          string
}

// The name keys the projections use, as benchproc spells them.
var (
	keyWorkload = "/" + vocab.KeyWorkload
	keyMode     = "/" + vocab.KeyMode
	keyWorkers  = "/" + vocab.KeyWorkers
)

// ignoredKeys are name keys that neither split a table nor make a row: the cell's
// GOMAXPROCS, and the cluster mode's queue knobs (one value each per run), so that
// cluster cells sit in their workload's table beside the other modes.
var ignoredKeys = "/gomaxprocs,/" + vocab.KeyProcs + ",/" + vocab.KeyPrefetch + ",/" + vocab.KeyAckWait

func layoutExprs(l Layout) projectionExprs {
	table := keyWorkload + ",.fullname"
	switch l {
	case ByInput:
		return projectionExprs{Table: table, Row: keyMode + "," + keyWorkers + "@num", Col: ".file",
			Ignore: ignoredKeys, RowKey: vocab.KeyMode + "/" + vocab.KeyWorkers, ColKey: "file"}
	default:
		return projectionExprs{Table: table, Row: keyWorkers + "@num", Col: keyMode,
			Ignore: ignoredKeys, RowKey: vocab.KeyWorkers, ColKey: vocab.KeyMode}
	}
}

func newProjection(e projectionExprs) (*projection, error) {
	var parser benchproc.ProjectionParser
	filter, err := benchproc.NewFilter("*")
	if err != nil {
		return nil, err
	}
	p := &projection{rowKey: e.RowKey, colKey: e.ColKey}
	if p.table, p.unitField, err = parser.ParseWithUnit(e.Table, filter); err != nil {
		return nil, fmt.Errorf("report: table projection %q: %w", e.Table, err)
	}
	if p.row, err = parser.Parse(e.Row, filter); err != nil {
		return nil, fmt.Errorf("report: row projection %q: %w", e.Row, err)
	}
	if p.col, err = parser.Parse(e.Col, filter); err != nil {
		return nil, fmt.Errorf("report: column projection %q: %w", e.Col, err)
	}
	if e.Ignore != "" {
		if _, err = parser.Parse(e.Ignore, filter); err != nil {
			return nil, fmt.Errorf("report: ignore projection %q: %w", e.Ignore, err)
		}
	}
	p.residue = parser.Residue()
	return p, nil
}

// builder groups results into cells, the way benchstat's benchtab does.
type builder struct {
	proj   *projection
	tables map[benchproc.Key]*bTable
	// statusOf says how the cell of a result ended (nil: nothing known).
	statusOf func(*benchfmt.Result) (vocab.Status, string)
}

type bTable struct {
	rows, cols map[benchproc.Key]struct{}
	cells      map[bKey]*bCell
}

type bKey struct{ row, col benchproc.Key }

type bCell struct {
	values  []float64
	residue map[benchproc.Key]struct{}
	status  vocab.Status // the worst outcome of its results' cells
	reason  string
}

func newBuilder(p *projection) *builder {
	return &builder{proj: p, tables: make(map[benchproc.Key]*bTable)}
}

func (b *builder) add(r *benchfmt.Result) {
	tableKeys := b.proj.table.ProjectValues(r)
	row := b.proj.row.Project(r)
	col := b.proj.col.Project(r)
	res := b.proj.residue.Project(r)
	for i, tk := range tableKeys {
		t := b.tables[tk]
		if t == nil {
			t = &bTable{rows: map[benchproc.Key]struct{}{}, cols: map[benchproc.Key]struct{}{},
				cells: map[bKey]*bCell{}}
			b.tables[tk] = t
		}
		k := bKey{row, col}
		c := t.cells[k]
		if c == nil {
			c = &bCell{residue: map[benchproc.Key]struct{}{}}
			t.cells[k] = c
			t.rows[row] = struct{}{}
			t.cols[col] = struct{}{}
		}
		c.values = append(c.values, r.Values[i].Value)
		c.residue[res] = struct{}{}
		if b.statusOf != nil {
			if st, why := b.statusOf(r); worse(c.status, st) != c.status {
				c.status, c.reason = st, why
			}
		}
	}
}

// withDerived returns r with the derived metrics appended, or r itself
// when it has none. r is owned by the caller.
func withDerived(r *benchfmt.Result) *benchfmt.Result {
	wall, ok := r.Value(vocab.Time.Tidy())
	if !ok || wall <= 0 {
		return r
	}
	w := float64(workersOf(r))
	if cpu, ok := r.Value(vocab.CPU.Tidy()); ok {
		r.Values = append(r.Values, benchfmt.Value{Value: cpu / (wall * w), Unit: UnitCPUUtil})
	}
	if wait, ok := r.Value(vocab.LockWait.Tidy()); ok {
		r.Values = append(r.Values, benchfmt.Value{Value: wait / (wall * w), Unit: UnitLockWait})
	}
	return r
}

// nameKey returns the value of a /key=value part of the name, or "".
func nameKey(r *benchfmt.Result, key string) string {
	_, parts := r.Name.Parts()
	prefix := "/" + key + "="
	for _, p := range parts {
		if strings.HasPrefix(string(p), prefix) {
			return string(p[len(prefix):])
		}
	}
	return ""
}

func workersOf(r *benchfmt.Result) int {
	n, err := strconv.Atoi(nameKey(r, vocab.KeyWorkers))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// tableOpts are the statistics settings.
type tableOpts struct {
	layout     Layout
	baseline   string   // ByMode: baseline column label
	modeOrder  []string // ByMode: the order of the other columns
	confidence float64
	thresholds *benchmath.Thresholds
	units      benchfmt.UnitMetadataMap
}

// finish turns the builder into Tables, in benchproc order.
func (b *builder) finish(o tableOpts) []*Table {
	var keys []benchproc.Key
	for k := range b.tables {
		keys = append(keys, k)
	}
	benchproc.SortKeys(keys)

	var out []*Table
	for _, tk := range keys {
		bt := b.tables[tk]
		unit := tk.Get(b.proj.unitField)
		t := &Table{
			Unit:       unit,
			Better:     o.units.GetBetter(unit),
			Derived:    unit == UnitCPUUtil || unit == UnitLockWait,
			RowKey:     b.proj.rowKey,
			ColKey:     b.proj.colKey,
			assumption: o.units.GetAssumption(unit),
		}
		if t.Better == 0 {
			t.Better = defaultBetter(unit)
		}
		t.Group, t.Workload, t.Class = groupOf(tk)
		rowKeys := sortedKeys(bt.rows)
		colKeys := sortedKeys(bt.cols)
		if o.layout == ByMode {
			// The baseline mode goes first, the rest in the run's mode
			// order (their colour order); modes outside it keep the order
			// they appear in, after it.
			rank := func(k benchproc.Key) int {
				m := k.StringValues()
				if m == o.baseline {
					return -1
				}
				for i, n := range o.modeOrder {
					if n == m {
						return i
					}
				}
				return len(o.modeOrder)
			}
			sort.SliceStable(colKeys, func(i, j int) bool { return rank(colKeys[i]) < rank(colKeys[j]) })
		}
		for _, rk := range rowKeys {
			t.Rows = append(t.Rows, rowOf(rk))
		}
		for _, ck := range colKeys {
			t.Cols = append(t.Cols, Col{Label: ck.StringValues()})
		}
		t.Cells = make([][]*Cell, len(rowKeys))
		for ri, rk := range rowKeys {
			t.Cells[ri] = make([]*Cell, len(colKeys))
			for ci, ck := range colKeys {
				bc := bt.cells[bKey{rk, ck}]
				if bc == nil {
					continue
				}
				vals := append([]float64(nil), bc.values...)
				c := &Cell{Row: ri, Col: ci, Sample: benchmath.NewSample(vals, o.thresholds), Status: bc.status, Reason: bc.reason,
					Reps: append([]float64(nil), bc.values...)}
				c.Mode, c.Workers = t.Rows[ri].Mode, t.Rows[ri].Workers
				if o.layout == ByMode {
					c.Mode = t.Cols[ci].Label
				}
				c.Summary = t.assumption.Summary(c.Sample, o.confidence)
				if nsk := benchproc.NonSingularFields(sortedKeys(bc.residue)); len(nsk) > 0 {
					w := &ResidueWarning{}
					for _, f := range nsk {
						w.Fields = append(w.Fields, f.Name)
					}
					c.Warnings = append(c.Warnings, w)
				}
				t.Cells[ri][ci] = c
			}
		}
		setBaselines(t, o)
		for _, row := range t.Cells {
			for _, c := range row {
				if c == nil {
					continue
				}
				if c.Base != nil {
					c.Cmp = t.assumption.Compare(c.Base.Sample, c.Sample)
				}
				c.Warnings = append(c.Warnings, statsWarnings(c)...)
			}
		}
		t.Geomean = geomeans(t, o.layout == ByMode)
		out = append(out, t)
	}
	return out
}

// defaultBetter is the direction of a unit without "better" metadata:
// the project's own (vocab.BetterOf), else the Go convention, lower is
// better (ns/op, B/op), except for rates (tasks/s), where higher is; CPU
// utilisation has no direction.
func defaultBetter(unit string) int {
	if unit == UnitCPUUtil {
		return 0
	}
	if vocab.BetterOf(unit) == vocab.Higher {
		return +1
	}
	return -1
}

func setBaselines(t *Table, o tableOpts) {
	switch o.layout {
	case ByMode:
		bc := t.ColIndex(o.baseline)
		if bc < 0 {
			return
		}
		var base *Cell
		for r := range t.Rows {
			if base = t.Cell(r, bc); base != nil {
				break
			}
		}
		if base == nil {
			return
		}
		t.Baseline = o.baseline
		if base.Workers > 0 {
			t.Baseline += ", " + plural(base.Workers, "worker")
		}
		for _, row := range t.Cells {
			for _, c := range row {
				if c != nil && c != base {
					c.Base = base
				}
			}
		}
	default:
		if len(t.Cols) < 2 {
			return
		}
		t.Baseline = t.Cols[0].Label
		for _, row := range t.Cells {
			for ci, c := range row {
				if ci > 0 && c != nil && row[0] != nil {
					c.Base = row[0]
				}
			}
		}
	}
}

// geomeans follows benchstat's summary row: the geomean of the centers,
// and the geomean of the ratios to the baselines.
func geomeans(t *Table, byMode bool) []Geomean {
	nBase := 0
	if len(t.Cols) > 0 {
		for r := range t.Rows {
			if t.Cell(r, 0) != nil {
				nBase++
			}
		}
	}
	out := make([]Geomean, len(t.Cols))
	for ci := range t.Cols {
		var centers, ratios []float64
		badRatio := false
		hasBase := false
		for r := range t.Rows {
			c := t.Cell(r, ci)
			if c == nil {
				continue
			}
			centers = append(centers, c.Summary.Center)
			if c.Base != nil {
				hasBase = true
				a, b := c.Summary.Center, c.Base.Summary.Center
				switch {
				case a == b:
					ratios = append(ratios, 1)
				case b == 0:
					badRatio = true
					ratios = append(ratios, 0)
				default:
					ratios = append(ratios, a/b)
				}
			}
		}
		g := Geomean{Center: geoMean(centers), Ratio: math.NaN()}
		// benchstat: every column but the first has a ratio, and the
		// same number of them as the first column has cells. In the
		// ByMode layout the baseline is one cell, not a column.
		isBase := ci == 0
		if byMode {
			isBase = !hasBase
		} else if !isBase && nBase != len(ratios) {
			g.Warnings = append(g.Warnings, "benchmark set differs from baseline; geomeans may not be comparable")
		}
		if math.IsNaN(g.Center) {
			g.Warnings = append(g.Warnings, "summaries must be >0 to compute geomean")
		}
		if !isBase && !badRatio {
			g.Ratio = geoMean(ratios)
			if math.IsNaN(g.Ratio) {
				g.Warnings = append(g.Warnings, "ratios must be >0 to compute geomean")
			}
		}
		out[ci] = g
	}
	return out
}

// geoMean is go-moremath's stats.GeoMean (which benchstat uses), so that
// the numbers agree to the last bit.
func geoMean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	m := 0.0
	for i, x := range xs {
		if x <= 0 {
			return math.NaN()
		}
		m += (math.Log(x) - m) / float64(i+1)
	}
	return math.Exp(m)
}

func sortedKeys(m map[benchproc.Key]struct{}) []benchproc.Key {
	keys := make([]benchproc.Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	benchproc.SortKeys(keys)
	return keys
}

func fieldValue(k benchproc.Key, name string) (string, bool) {
	for _, f := range k.Projection().FlattenedFields() {
		if f.Name == name {
			return k.Get(f), true
		}
	}
	return "", false
}

// groupOf names a table from its key's /workload and .fullname fields.
func groupOf(k benchproc.Key) (group, workload, class string) {
	workload, _ = fieldValue(k, keyWorkload)
	full, ok := fieldValue(k, ".fullname")
	if !ok {
		// A custom projection (the benchstat test): use the whole key.
		var parts []string
		for _, f := range k.Projection().FlattenedFields() {
			if f.Name != ".unit" && k.Get(f) != "" {
				parts = append(parts, k.Get(f))
			}
		}
		return strings.Join(parts, " "), workload, ""
	}
	class, extra, _ := strings.Cut(full, "/")
	extra = strings.ReplaceAll(extra, "/", " ")
	switch {
	case workload == "":
		group = full
	case extra != "":
		group = workload + " " + extra
	default:
		group = workload
	}
	return group, workload, class
}

func rowOf(k benchproc.Key) Row {
	r := Row{Label: strings.ReplaceAll(k.StringValues(), " ", "/")}
	r.Mode, _ = fieldValue(k, keyMode)
	if w, ok := fieldValue(k, keyWorkers); ok {
		r.Workers, _ = strconv.Atoi(w)
	}
	return r
}
