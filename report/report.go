package report

import (
	"context"
	"fmt"
	"gilbench/internal/atomicfile"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/perf/benchmath"

	"gilbench/vocab"
)

// Options configures Build. The zero value of every field but Inputs
// means its documented default.
type Options struct {
	// Inputs are the runs to read: run directories (holding raw.txt)
	// or raw result files, each optionally labeled. Required.
	Inputs []Input

	// Layout is ByMode (one run: modes side by side; the default) or
	// ByInput (several runs side by side, as benchstat compares files).
	Layout Layout

	// OutDir is where report.html, the plots (*.png, *.svg),
	// summary.csv and summary.json are written. Empty: nothing is
	// written and no plots are drawn (the Result still has the
	// tables, verdict and warnings).
	OutDir string

	// Baseline is the mode every cell is compared with in the ByMode
	// layout. Default: the mode whose mode line gives it the role
	// baseline ("mode-sequential: baseline"); in a file without mode
	// lines, the first mode to appear.
	Baseline string

	// Confidence is the level of the intervals. Default 0.95.
	Confidence float64

	// Alpha is the significance level of the Mann–Whitney U test.
	// Default 0.05 (benchmath.DefaultThresholds).
	Alpha float64

	// MinSamples: a cell with fewer repetitions gets a warning.
	// Default 6 (the fewest for a 95% interval of the median).
	MinSamples int

	// HighVariance: a time or throughput cell whose interval is wider
	// than ± this fraction of its median gets a warning. Default 0.10.
	HighVariance float64

	// WallCPURatio: a CPU-class cell whose wall time per task is more
	// than this many times its CPU time per task gets a warning (the
	// machine was busy, or the workload waits). Default 2.
	WallCPURatio float64

	// Reference lists modes that are yardsticks rather than contenders:
	// the verdict does not pick them as the winner (they stay in the
	// tables and plots). Default (nil): the modes whose mode lines give
	// them the role reference (the Go twin of a workload, which wins
	// every time and says nothing about Python's choices); none in a
	// file without mode lines. A non-nil empty list means none.
	Reference []string

	// Title heads the HTML report. Default: "gilbench report: " and
	// the input labels.
	Title string

	// Workloads, if set, describes a workload by its /workload key for
	// the glossary: its one-line description and its Python source, which
	// report.html embeds one click away. The report does not know the
	// workloads itself (it never imports them); gilbench passes its
	// catalogue's. Default (nil): the glossary lists no workloads.
	Workloads func(name string) (WorkloadDoc, bool)
}

// A WorkloadDoc is what the glossary says of a workload.
type WorkloadDoc struct {
	Description string
	// File is the name of the Python source file, Python its text ("" if
	// the workload has none).
	File, Python string
}

func (o Options) withDefaults() Options {
	if o.Confidence == 0 {
		o.Confidence = 0.95
	}
	if o.Alpha == 0 {
		o.Alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	if o.MinSamples == 0 {
		o.MinSamples = 6
	}
	if o.HighVariance == 0 {
		o.HighVariance = 0.10
	}
	if o.WallCPURatio == 0 {
		o.WallCPURatio = 2
	}
	return o
}

// Result is a built report.
type Result struct {
	// Options are the options with defaults filled in, Baseline and
	// Reference as the inputs' mode lines give them.
	Options Options
	// Modes are the inputs' modes in their order, which is also their
	// colour order in the plots, with the role each plays here.
	Modes []vocab.ModeInfo
	// Runs describes the inputs in order.
	Runs []RunInfo
	// Tables are the summaries, one per workload and metric, in the
	// order the results first appear.
	Tables []*Table
	// Answers say, per workload, which strategy to choose and why (ByMode).
	Answers []Answer
	// Rules are the rules of thumb per workload class, checked against the run.
	Rules []RuleCheck
	// Pairs are the emulated modes beside their real-CPython counterparts.
	Pairs []Pair
	// Cluster is the broker's cost per task, when the run has cluster cells (cluster.go).
	Cluster []BrokerCost
	// Verdict lists the chosen comparisons, most informative first.
	Verdict []Finding
	// Warnings are problems with the data, in order of discovery.
	Warnings []Warning
	// Plots are the charts drawn (only when Options.OutDir is set).
	Plots []*Plot
	// Anchors are the published figures, each with the plots that draw
	// it (ByMode, with Options.OutDir set).
	Anchors []AnchorUse
	// Files are the paths written, report.html last.
	Files []string
	// HTML is the path of report.html ("" if nothing was written).
	HTML string
}

// Build reads the inputs, summarizes and compares them with benchmath,
// picks the verdict, collects warnings and, if opts.OutDir is set, draws
// the plots and writes report.html, the plots, summary.csv and
// summary.json there (each file atomically). It is what `gilbench
// report` and `gilbench compare` run, and what `make bench` can call.
//
// Errors caused by the inputs wrap ErrInput. ctx is checked between
// plots and files; on cancellation no further file is written.
func Build(ctx context.Context, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	ds, err := load(opts.Inputs)
	if err != nil {
		return nil, err
	}
	r, err := analyze(ds, opts)
	if err != nil {
		return nil, err
	}
	if opts.OutDir == "" {
		return r, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.Plots, err = drawPlots(ctx, r); err != nil {
		return nil, err
	}
	if opts.Layout == ByMode {
		r.Anchors = anchorUses(r.Plots)
	}
	if err := r.write(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// analyze groups, summarizes and compares.
func analyze(ds *dataset, opts Options) (*Result, error) {
	proj, err := newProjection(layoutExprs(opts.Layout))
	if err != nil {
		return nil, err
	}
	thr := benchmath.DefaultThresholds
	thr.CompareAlpha = opts.Alpha
	b := newBuilder(proj)
	b.statusOf = ds.statusOf
	for _, res := range ds.results {
		b.add(withDerived(res.Clone()))
	}
	mr := resolveModes(ds.runs, ds.modes, opts)
	opts.Baseline, opts.Reference = mr.baseline, mr.reference
	r := &Result{Options: opts, Modes: mr.modes, Runs: ds.runs, Warnings: append(ds.warnings, mr.warnings...)}
	r.Tables = b.finish(tableOpts{
		layout:     opts.Layout,
		baseline:   opts.Baseline,
		modeOrder:  modeNames(mr.modes),
		confidence: opts.Confidence,
		thresholds: &thr,
		units:      ds.units,
	})
	r.Warnings = append(r.Warnings, cellWarnings(r.Tables, opts)...)
	r.Verdict = verdict(r.Tables, opts, firstRival(r.Modes))
	r.Answers = r.answers()
	r.Rules = r.ruleChecks(r.Answers)
	r.Pairs = r.pairs()
	r.Cluster = r.brokerCosts()
	return r, nil
}

// Groups returns the workload groups in table order.
func (r *Result) Groups() []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range r.Tables {
		if !seen[t.Group] {
			seen[t.Group] = true
			out = append(out, t.Group)
		}
	}
	return out
}

// GroupTables returns the tables of one group, the primary one first.
func (r *Result) GroupTables(group string) []*Table {
	var out []*Table
	for _, t := range r.Tables {
		if t.Group == group {
			out = append(out, t)
		}
	}
	if p := primary(out); p != nil {
		for i, t := range out {
			if t == p {
				copy(out[1:i+1], out[:i])
				out[0] = p
				break
			}
		}
	}
	return out
}

// primary picks the table that answers "which is faster": wall time per
// task, else tasks per second, else any rate, else the first measured
// metric with a known direction, else the first.
func primary(ts []*Table) *Table {
	for _, want := range []func(*Table) bool{
		// A workload's own rate (convoy's roundtrips/s) says more than the time
		// of its tasks, which it fixes.
		func(t *Table) bool { return vocab.IsRate(t.Unit) && t.Unit != vocab.Tasks.Tidy() },
		func(t *Table) bool { return t.Unit == vocab.Time.Tidy() },
		func(t *Table) bool { return t.Unit == vocab.Tasks.Tidy() },
		func(t *Table) bool { return vocab.IsRate(t.Unit) },
		func(t *Table) bool { return !t.Derived && t.Better != 0 },
		func(t *Table) bool { return !t.Derived },
	} {
		for _, t := range ts {
			if want(t) {
				return t
			}
		}
	}
	if len(ts) > 0 {
		return ts[0]
	}
	return nil
}

// speedupUnit reports whether a unit's comparisons read as speed-ups
// (time per task, or a rate), rather than as percentage changes.
func speedupUnit(t *Table) bool {
	return t.Better != 0 && (t.Unit == vocab.Time.Tidy() || vocab.IsRate(t.Unit))
}

// SelectTables returns the tables for the given units (as written in the
// input, "ns/op", or tidied, "sec/op"); nil or "all" selects every
// measured table; an empty list selects each group's primary table.
func (r *Result) SelectTables(units []string) []*Table {
	if len(units) == 1 && units[0] == "all" {
		var out []*Table
		for _, g := range r.Groups() {
			for _, t := range r.GroupTables(g) {
				if !t.Derived {
					out = append(out, t)
				}
			}
		}
		return out
	}
	if len(units) == 0 {
		var out []*Table
		for _, g := range r.Groups() {
			if p := primary(r.GroupTables(g)); p != nil {
				out = append(out, p)
			}
		}
		return out
	}
	want := map[string]bool{}
	for _, u := range units {
		want[vocab.Tidy(u)] = true
	}
	var out []*Table
	for _, g := range r.Groups() {
		for _, t := range r.GroupTables(g) {
			if want[t.Unit] {
				out = append(out, t)
			}
		}
	}
	return out
}

// write writes every output file into Options.OutDir, report.html last.
func (r *Result) write(ctx context.Context) error {
	dir := r.Options.OutDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	put := func(name string, data []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		path := filepath.Join(dir, name)
		if err := atomicfile.Write(path, data); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		r.Files = append(r.Files, path)
		return nil
	}
	for _, p := range r.Plots {
		if err := put(p.Name+".png", p.PNG); err != nil {
			return err
		}
		if err := put(p.Name+".svg", p.SVG); err != nil {
			return err
		}
	}
	var buf strings.Builder
	if err := r.WriteCSV(&buf); err != nil {
		return err
	}
	if err := put("summary.csv", []byte(buf.String())); err != nil {
		return err
	}
	buf.Reset()
	if err := r.WriteJSON(&buf); err != nil {
		return err
	}
	if err := put("summary.json", []byte(buf.String())); err != nil {
		return err
	}
	buf.Reset()
	if err := r.WriteHTML(&buf); err != nil {
		return err
	}
	if err := put("report.html", []byte(buf.String())); err != nil {
		return err
	}
	r.HTML = filepath.Join(dir, "report.html")
	return nil
}
