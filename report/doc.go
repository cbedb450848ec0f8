// Package report turns raw results into benchstat comparisons, plots and a
// self-contained HTML report.
//
// # Input
//
// The only input is the Go benchmark format of docs/RESULTS.md, read with
// golang.org/x/perf/benchfmt: results/<run>/raw.txt, or any raw file, or
// several of them, each optionally labeled ("label=path", as benchstat
// takes them). The package never imports the runner (of the project it
// imports only the leaf package vocab, the result vocabulary both share);
// whatever units and modes a file contains are what the report shows.
//
// The report knows no mode by name. A run writes one configuration line
// per mode before its first result, in its mode order ("mode-gil:
// rival"; vocab.ParseModeConfig): the mode with the role baseline is what
// every cell is compared with, reference modes are yardsticks the verdict
// never names the winner, the rest are rivals, and the order is the
// colour order of the plots (a fixed palette, by position) and the column
// order of the tables. A file without these lines (an older run) is read
// in the order its modes first appear, the first as the baseline and none
// as a reference, and one input warning says so.
//
// Reading is strict, because the files are written by a program: a path
// that is neither a run directory nor a result file, a file with no
// readable result line, a metric reported in two units (p99-ns here,
// p99-ms there) are errors wrapping [ErrInput], one line that says what
// and where. Two kinds of damage are not: a malformed line (benchfmt's
// SyntaxError) is skipped with a warning that gives its file and line, as
// benchstat does, and the mark of an interrupted run, a last line cut in
// the middle, is dropped, the rest reported, and a warning says so. A cell
// that raw.txt records as skipped has no results: one warning per workload
// and reason names its modes and says why (a strategy that cannot run the
// workload faithfully; a user's file outside the compiler's subset, with
// the compile error).
// benchfmt tidies ns to sec and MB to B (so tables say "sec/op", as
// benchstat does); the report also tidies zeros, which benchfmt leaves in
// their original unit.
//
// # Statistics
//
// Results are grouped with golang.org/x/perf/benchproc projections and
// summarized with golang.org/x/perf/benchmath, exactly as cmd/benchstat
// does: the median with its 95% confidence interval, the Mann–Whitney U
// test for a difference (printed "~" when p > α), the geometric mean of
// each column. The tests check our numbers against the stock benchstat's
// output for the same input and projection (testdata/*.benchstat). Two
// layouts exist:
//
//   - [ByMode], one run (gilbench report): a table per workload and
//     metric, rows are worker counts, columns are modes; every cell is
//     compared with the baseline mode at its one worker count, and time
//     and rate differences read as speed-ups.
//   - [ByInput], several runs (gilbench compare): rows are mode and worker
//     count, columns are the runs; each cell is compared with the first
//     run's cell in its row — benchstat's own comparison.
//
// Two derived metrics are computed per result line, so they get an
// interval too: CPU utilisation, cpu-ns/op ÷ (ns/op × workers), and the
// share of time waiting for the lock, gil-wait-ns/op ÷ (ns/op × workers).
// Units without "better" metadata take vocab's direction (vocab.BetterOf):
// the project's own, else lower-is-better except for rates.
//
// # Profiles of a mode
//
// A name key can be part of the mode rather than of the workload: the
// free-threaded mode runs each cell once per cost profile, ft=3.13 and
// ft=3.14 (vocab.KeyFT), and each profile is a strategy of its own to a
// Python programmer (free-threaded CPython 3.13t, 3.14t). As it reads the
// results the report folds such a key into the mode (profile.go): the cell
// .../mode=free-threaded/workers=2/ft=3.14 is in the column "free-threaded
// ft=3.14" of its workload's table, against the baseline, with a colour of
// its own, in the answer, the verdict and the charts; the mode's line and
// note stand for each profile, and its counterpart narrows to the profile's
// own interpreter (cpython-threads/python=3.14t). raw.txt keeps the runner's
// names, which stock benchstat reads with ft= as a key of its own.
//
// # Answer, glossary, verdict and warnings
//
// The answer comes first (answer.go): per workload, the strategy to use at
// the machine's core count (CPU-bound) or the most workers, its speed-up
// and cost (start-up, memory per worker), the runner-up, the status quo,
// and why, from the run's own figures; then each class's rule of thumb,
// checked against the status quo. A mixed workload (the convoy, mixed.go)
// is answered differently: its baseline is the I/O thread alone, so the
// modes are compared with each other at one worker count with a CPU-bound
// thread beside the I/O thread (the most workers up to the cores), on the
// I/O thread's own rate (round trips/s), with the CPU side's cores kept
// busy beside it. Modes are named with their strategy in Python's words
// ("gil (threading)"), taken from their note lines. The glossary names the strategies in
// Python's words with their PEPs from one data file (strategies.json) and
// the run's modes as their note lines describe them ("# mode gil:
// python=... doc=..."; vocab.ParseModeNote). A mode line's counterpart
// ("mode-gil: rival counterpart=cpython-threads") puts the emulated mode
// beside its real-CPython mode (sidebyside.go): a table of speed-ups and
// their ratio, and one chart with both curves. With Options.Workloads
// (gilbench passes its catalogue's) the glossary lists each workload of
// the run with its description and its Python source, folded, and every
// answer and workload heading links to it. Published figures for the
// phenomena the suite measures (anchors.go, anchors.json: Beazley's
// convoy, CPython 2's GIL battle, the single-thread cost of the 3.13t and
// 3.14t builds, each matched to its own profile of the free-threaded mode or
// to the real build, never to goroutine's cost-free free threading) are
// drawn as reference marks, with their citation, on the charts whose
// tables measure the same thing, and listed with their sources.
//
// The verdict puts first the comparisons a reader came for. For a run:
// per workload, at the highest worker count, the best rival against the
// status quo, the first rival in the run's mode order (or, when the status
// quo wins, against the runner-up), leaving out reference modes; only a
// significant difference is stated as a win, with its factor and p-value.
// For a comparison of runs: an overall geomean line per run, then each
// workload's largest significant change. Warnings are values, not log
// lines: fewer than 6 samples, an interval wider than ±10%, wall time
// more than twice the CPU time in a CPU-bound workload (vocab.Class's
// CPUBound), benchmath's own warnings, and a cut file. benchmath's and
// benchproc's warnings stay values too, classified by type, never by
// their text (see SampleSizeWarning).
//
// # Output
//
// [Build] does all of it and, given an output directory, writes (each
// file to a temporary name, then renamed) the plots as PNG and SVG, drawn
// with gonum.org/v1/plot only where the data has their metrics — speed-up
// against workers with intervals and the ideal line, throughput by mode,
// p50/p99 latency, lock wait share, CPU utilisation, and for results with a
// /cs name key (a critical-section sweep) throughput, lock wait and lock
// acquisitions per op against cs, a line per mode — then summary.csv,
// summary.json and last report.html: one file, images embedded as data:
// URIs, all text escaped by html/template, answer first, warnings one
// line per kind with the details folded. The compare chart (ByInput)
// plots each later input's cell as a ratio to the first input's, new ÷
// old, with an interval that joins the two cells' intervals end to end,
// hollow where the difference is not significant, and a line at 1. The charts are
// a table (plot.go): each entry names its kind, the tables it selects (by
// unit, or the primary table) and the function that draws them, over a
// few drawing primitives (draw.go, bars.go, ticks.go). [Result]
// prints the same tables for a terminal with tablewriter. A test opens
// the report in headless Chromium and checks that every image loads and
// the console stays clean.
package report
