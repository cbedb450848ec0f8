package report

import (
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gilbench/vocab"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

type htmlPage struct {
	Title, Subtitle string
	Verdict         []htmlFinding
	ByMode          bool // one run: the answer section is shown
	Pairs           []htmlPair
	PairPlots       []htmlPlot
	Anchors         []AnchorUse
	Workloads       []htmlWorkload
	Cluster         template.HTML // the broker's cost (cluster.go), "" without cluster cells
	CPythonHint     string
	Answers         []htmlAnswer
	Rules           []RuleCheck
	Strategies      []Strategy
	Modes           []htmlMode
	WorkerCost      bool // the modes have start-up and memory per worker (startup.go)
	Notes           []string
	WarnSummary     []WarnSummary
	ConfPct         string
	Alpha           string
	Meta            htmlMeta
	Groups          []htmlGroup
	Warnings        []Warning
	Links           []htmlLink
}

type htmlFinding struct{ Text, Class string }

// htmlPair is a row of the side-by-side table.
type htmlPair struct {
	Group, Emulated, Real string
	Workers               int
	EmuX, RealX, Ratio    string
}

// htmlMode is a mode of the run in the glossary, as its lines describe it.
type htmlMode struct {
	ID, Name, Role, Python, Counterpart string
	Doc                                 template.URL
	HasCounterpart                      bool   // the counterpart ran too
	StartUp, Memory                     string // per worker (startup.go)
}

type htmlMeta struct {
	Cols []string
	Rows []htmlMetaRow
}

type htmlMetaRow struct {
	Key    string
	Values []string
}

// htmlAnswer is an answer and the glossary's ID of its workload.
type htmlAnswer struct {
	Answer
	Workload, WorkloadName string
}

// htmlWorkload is a workload of the run in the glossary.
type htmlWorkload struct {
	ID, Name, Class, Description string
	File, Python                 string
}

type htmlGroup struct {
	ID, Name, Class string
	// Workload is the glossary's ID of its workload ("" if not listed).
	Workload   string
	Main, More []htmlTable
	Plots      []htmlPlot
}

type htmlTable struct {
	ID, Title, Legend, RowKey string
	Cols                      []string
	Rows                      []htmlRow
	Foot                      []htmlFoot
}

type htmlRow struct {
	Label string
	Cells []htmlCell
}

type htmlCell struct {
	Empty bool
	cellText
}

type htmlFoot struct{ Center, Vs string }

type htmlPlot struct {
	Src        template.URL
	Alt, Title string
	W, H       int
	PNG, SVG   string
	Refs       []htmlLink // the citations of the anchors drawn on it
}

type htmlLink struct{ Href, Text, Note string }

// WriteHTML writes the self-contained report: plots are embedded as
// data: URIs, every text is escaped by html/template.
func (r *Result) WriteHTML(w io.Writer) error {
	return htmlTemplate.Execute(w, r.htmlPage())
}

func (r *Result) htmlPage() *htmlPage {
	o := r.Options
	pg := &htmlPage{
		Title:    o.Title,
		ConfPct:  fmt.Sprintf("%.0f", 100*o.Confidence),
		Alpha:    fmt.Sprint(o.Alpha),
		Warnings: r.Warnings,
	}
	var labels []string
	for _, run := range r.Runs {
		labels = append(labels, run.Label)
	}
	if pg.Title == "" {
		if o.Layout == ByInput {
			pg.Title = "gilbench comparison: " + strings.Join(labels, " vs ")
		} else {
			pg.Title = "gilbench report: " + strings.Join(labels, ", ")
		}
	}
	var sub []string
	for _, run := range r.Runs {
		s := run.Label
		if d := run.Get("date"); d != "" {
			s += ", " + d
		}
		if c := run.Get("cpu"); c != "" {
			s += ", " + c
		}
		sub = append(sub, s)
	}
	n := 0
	for _, run := range r.Runs {
		n += run.Results
	}
	pg.Subtitle = fmt.Sprintf("%s · %d result lines · %d tables", strings.Join(sub, " · "), n, len(r.Tables))

	for _, f := range r.Verdict {
		pg.Verdict = append(pg.Verdict, htmlFinding{Text: f.Text, Class: verdictClass(f)})
	}
	pg.ByMode = o.Layout == ByMode
	pg.Rules, pg.Strategies, pg.Notes = r.Rules, Glossary(), known.Notes
	pg.WarnSummary = r.WarningSummary()
	for _, m := range r.Modes {
		hm := htmlMode{ID: "gl-" + fileName(m.Name), Name: m.Name, Role: string(m.Role), Python: m.Python, Counterpart: m.Counterpart}
		if w := profileWords(m.Name); w != "" {
			hm.Python += "; this column: " + w // a profile of the mode (profile.go)
		}
		if safeURL(m.Doc) {
			hm.Doc = template.URL(m.Doc)
		}
		if m.Counterpart != "" {
			hm.HasCounterpart = r.counterpartRan(m.Counterpart)
		}
		hm.StartUp, hm.Memory = r.workerCost(m.Name)
		pg.Modes = append(pg.Modes, hm)
	}
	pg.WorkerCost = r.hasWorkerCost()

	// Machine and settings: the configuration lines of every input, the
	// mode lines as one row.
	pg.Meta.Cols = labels
	index := map[string]int{}
	set := func(key string, run int, value string) {
		i, ok := index[key]
		if !ok {
			i = len(pg.Meta.Rows)
			index[key] = i
			pg.Meta.Rows = append(pg.Meta.Rows, htmlMetaRow{Key: key, Values: make([]string, len(r.Runs))})
		}
		pg.Meta.Rows[i].Values[run] = value
	}
	for ri, run := range r.Runs {
		for _, c := range run.Config {
			if !strings.HasPrefix(c.Key, vocab.ModeConfigPrefix) {
				set(c.Key, ri, strings.Join(c.Values, ", "))
			}
		}
	}
	for ri, run := range r.Runs {
		if len(run.Modes) > 0 {
			set("modes", ri, describeModes(run.Modes))
		}
	}

	plots := map[string][]*Plot{}
	for _, p := range r.Plots {
		plots[p.Group] = append(plots[p.Group], p)
	}
	seenWorkload := map[string]bool{}

	for gi, g := range r.Groups() {
		ts := r.GroupTables(g)
		hg := htmlGroup{ID: fmt.Sprintf("g%d-%s", gi+1, fileName(g)), Name: g, Class: ts[0].Class}
		if w := ts[0].Workload; w != "" {
			if d, ok := r.workloadDoc(w); ok {
				hg.Workload = "wl-" + fileName(w)
				if !seenWorkload[w] {
					seenWorkload[w] = true
					pg.Workloads = append(pg.Workloads, htmlWorkload{ID: hg.Workload, Name: w, Class: ts[0].Class,
						Description: d.Description, File: d.File, Python: d.Python})
				}
			}
		}
		for ti, t := range ts {
			ht := htmlTableOf(t, o.Confidence, fmt.Sprintf("%s-t%d", hg.ID, ti+1))
			if ti == 0 {
				hg.Main = append(hg.Main, ht)
			} else {
				hg.More = append(hg.More, ht)
			}
		}
		for _, p := range plots[g] {
			if p.Kind != "real" {
				hg.Plots = append(hg.Plots, htmlPlotOf(p))
			}
		}
		pg.Groups = append(pg.Groups, hg)
	}
	// The answers link to their workloads in the glossary.
	for _, a := range r.Answers {
		ha := htmlAnswer{Answer: a}
		if t := primary(r.GroupTables(a.Group)); t != nil && seenWorkload[t.Workload] {
			ha.Workload, ha.WorkloadName = "wl-"+fileName(t.Workload), t.Workload
		}
		pg.Answers = append(pg.Answers, ha)
	}
	for _, p := range r.Pairs {
		for _, row := range p.Rows {
			pg.Pairs = append(pg.Pairs, htmlPair{Group: p.Group, Emulated: p.Emulated, Real: p.Label(), Workers: row.Workers,
				EmuX: fmtX(row.Emulated) + "×" + fmtRange(row.EmuLo, row.EmuHi), RealX: fmtX(row.Real) + "×" + fmtRange(row.RealLo, row.RealHi),
				Ratio: fmtX(row.Ratio) + fmtRatioRange(row)})
		}
	}
	for _, p := range r.Plots {
		if p.Kind == "real" {
			pg.PairPlots = append(pg.PairPlots, htmlPlotOf(p))
		}
	}
	if pg.ByMode {
		pg.CPythonHint = r.noCPythonHint()
	}
	pg.Cluster = brokerHTML(r.Cluster)
	pg.Links = r.links()
	if pg.ByMode {
		pg.Anchors = r.Anchors
	}
	return pg
}

func htmlTableOf(t *Table, conf float64, id string) htmlTable {
	ht := htmlTable{ID: id, Title: t.Title(), Legend: t.Legend(conf), RowKey: t.RowKey}
	for _, c := range t.Cols {
		ht.Cols = append(ht.Cols, c.Label)
	}
	scalers := colScalers(t)
	bases := baseCells(t)
	for ri, row := range t.Rows {
		hr := htmlRow{Label: row.Label}
		for ci, c := range t.Cells[ri] {
			if c == nil {
				hr.Cells = append(hr.Cells, htmlCell{Empty: true})
				continue
			}
			hr.Cells = append(hr.Cells, htmlCell{cellText: formatCell(t, scalers[ci], c, bases[c])})
		}
		ht.Rows = append(ht.Rows, hr)
	}
	if len(t.Rows) > 1 {
		for ci := range t.Cols {
			center, ratio := geomeanText(t, ci)
			ht.Foot = append(ht.Foot, htmlFoot{Center: center, Vs: ratio})
		}
	}
	return ht
}

// links lists the files beside the report, relative to OutDir.
func (r *Result) links() []htmlLink {
	dir := r.Options.OutDir
	rel := func(p string) string {
		if dir == "" {
			return filepath.ToSlash(p)
		}
		absDir, err1 := filepath.Abs(dir)
		absP, err2 := filepath.Abs(p)
		if err1 != nil || err2 != nil {
			return filepath.ToSlash(p)
		}
		if s, err := filepath.Rel(absDir, absP); err == nil {
			return filepath.ToSlash(s)
		}
		return filepath.ToSlash(absP)
	}
	var out []htmlLink
	for _, run := range r.Runs {
		note := ""
		if len(r.Runs) > 1 {
			note = run.Label
		}
		if run.Truncated {
			note = strings.TrimSpace(note + " (cut short: an interrupted run)")
		}
		if run.Malformed > 0 {
			note = strings.TrimSpace(note + " (" + plural(run.Malformed, "malformed line") + " skipped)")
		}
		out = append(out, htmlLink{Href: rel(run.Raw), Text: filepath.Base(run.Raw), Note: note})
		// trace.json, or the runner's per-cell trace-<cell>.json files.
		traces, _ := filepath.Glob(filepath.Join(run.Dir, "trace*.json"))
		sort.Strings(traces)
		for _, trace := range traces {
			if st, err := os.Stat(trace); err == nil && !st.IsDir() {
				out = append(out, htmlLink{Href: rel(trace), Text: filepath.Base(trace), Note: note})
			}
		}
	}
	out = append(out,
		htmlLink{Href: "summary.csv", Text: "summary.csv", Note: "every cell: median, interval, comparison"},
		htmlLink{Href: "summary.json", Text: "summary.json", Note: "the same, with the samples, verdict and warnings"},
	)
	return out
}

// safeURL admits only http(s) links from a run's note lines.
func safeURL(u string) bool {
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

func htmlPlotOf(p *Plot) htmlPlot {
	return htmlPlot{
		Src:   template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(p.PNG)),
		Alt:   p.Alt,
		Title: p.Title,
		W:     p.Width, H: p.Height,
		PNG: p.Name + ".png", SVG: p.Name + ".svg",
		Refs: anchorRefs(p.Anchors),
	}
}

// anchorRefs are the citations of the anchors with the given IDs.
func anchorRefs(ids []string) []htmlLink {
	var out []htmlLink
	for _, id := range ids {
		for _, a := range anchors {
			if a.ID == id {
				out = append(out, htmlLink{Href: a.URL, Text: a.Source, Note: a.Figure})
			}
		}
	}
	return out
}

// fmtRange is an interval for a table cell, " (0.91–1.05)", or "" when
// unknown.
func fmtRange(lo, hi float64) string {
	if lo == 0 && hi == 0 {
		return ""
	}
	return " (" + fmtX(lo) + "–" + fmtX(hi) + ")"
}

// fmtRatioRange is a side-by-side ratio's interval, or, when its rounds
// are too few for one, benchstat's "±∞" with their number.
func fmtRatioRange(row PairRow) string {
	if row.RatioLo == 0 && row.RatioHi == 0 && row.N > 0 {
		return fmt.Sprintf(" (±∞: %d rounds)", row.N)
	}
	return fmtRange(row.RatioLo, row.RatioHi)
}

// counterpartRan reports whether the run has cells of counterpart: its mode,
// in a table whose name keys include the counterpart's (python=3.14t).
func (r *Result) counterpartRan(counterpart string) bool {
	cm, ckeys := vocab.SplitCounterpart(counterpart)
	for _, t := range r.Tables {
		if t.ColIndex(cm) >= 0 && hasAll(groupKeys(t), ckeys) {
			return true
		}
	}
	return false
}

// workloadDoc describes workload w: from Options.Workloads (the catalogue), else from
// a user's workload's note line in the run, its source read from its file if that is
// still there.
func (r *Result) workloadDoc(w string) (WorkloadDoc, bool) {
	if r.Options.Workloads != nil {
		if d, ok := r.Options.Workloads(w); ok {
			return d, true
		}
	}
	for _, run := range r.Runs {
		for _, n := range run.UserWorkloads {
			if n.Name == w {
				d := WorkloadDoc{Description: n.Doc, File: filepath.Base(n.File)}
				if src, err := os.ReadFile(n.File); err == nil {
					d.Python = string(src)
				}
				return d, true
			}
		}
	}
	return WorkloadDoc{}, false
}
