package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gilbench/report"
	"gilbench/runner"
	"gilbench/workloads"
)

// reportInputError is bad input to report or compare: it wraps the report
// package's error (errors.Is(err, report.ErrInput)) and runner.ErrUsage, so
// that exitCode maps it to status 2 either way.
type reportInputError struct{ err error }

func (e reportInputError) Error() string   { return e.err.Error() }
func (e reportInputError) Unwrap() []error { return []error{e.err, runner.ErrUsage, report.ErrInput} }

// badReportInput marks bad input to the command name as such, its
// message starting with the command's name ("compare: DIR: no such file
// or directory"); other errors pass unchanged.
func badReportInput(name string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, report.ErrInput) {
		return reportInputError{fmt.Errorf("%s: %w", name, err)}
	}
	return err
}

const reportUsage = `usage: gilbench report [-o DIR] [-format text|csv] [-units LIST] [-v] RUN_DIR|raw.txt

Reads a run's raw results, prints the answer per workload (the strategy to
use, its speed-up against the run's baseline mode, the runner-up and the
status quo) and one line per kind of warning, and writes report.html, the
plots (*.png, *.svg), summary.csv and summary.json into the run directory
(or DIR). With -units, prints benchstat-style tables of those units
(median ± 95% CI, ~ when the difference is not significant) instead.
The last line is the report's address: report: file://…/report.html.
`

const compareUsage = `usage: gilbench compare [-o DIR] [-format text|csv] [-units LIST] [-v] [label=]RUN_DIR|raw.txt ...

Compares runs (two machines, two versions, two settings) the way benchstat
compares files: every cell of the first run against the same cell of the
others. Each argument is a run directory or a raw file, optionally
labeled as label=path. With -o, also writes report.html and the rest there.
`

// reportFlags are the flags shared by report and compare.
type reportFlags struct {
	out, format string
	units       string
	verbose     bool
}

func parseReportFlags(name, usage string, args []string, stderr io.Writer) (*reportFlags, []string, error) {
	fs := flag.NewFlagSet("gilbench "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := &reportFlags{}
	fs.StringVar(&f.out, "o", "", "write the report files into `DIR`")
	fs.StringVar(&f.format, "format", "text", "print the tables as `text` or csv")
	fs.BoolVar(&f.verbose, "v", false, "list every warning, not one line per kind")
	fs.StringVar(&f.units, "units", "", "comma-separated `units` to print (ns/op, tasks/s, …) or \"all\"; default: each workload's time per task")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stderr, usage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return nil, nil, flag.ErrHelp
	case err != nil:
		return nil, nil, usageErr(name, err.Error())
	case f.format != "text" && f.format != "csv":
		return nil, nil, usageErr(name, fmt.Sprintf("-format must be text or csv, not %q", f.format))
	}
	return f, fs.Args(), nil
}

func usageErr(name, msg string) error {
	return reportInputError{fmt.Errorf("%s: %s (see gilbench %s -h)", name, msg, name)}
}

func (f *reportFlags) unitList() []string {
	if f.units == "" {
		return nil
	}
	var out []string
	for _, u := range strings.Split(f.units, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// cmdReport is `gilbench report`.
func cmdReport(args []string, stdout, stderr io.Writer) error {
	return runReport(context.Background(), args, stdout, stderr)
}

// runReport is cmdReport with a context, in the shape of the commands table.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, rest, err := parseReportFlags("report", reportUsage, args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageErr("report", fmt.Sprintf("want one run directory or raw file, got %d arguments", len(rest)))
	}
	in := report.Input{Path: rest[0]}
	out := f.out
	if out == "" {
		out = rest[0]
		if !isDir(out) {
			out = filepath.Dir(out)
		}
	}
	return build(ctx, "report", report.Options{Inputs: []report.Input{in}, Layout: report.ByMode, OutDir: out, Workloads: workloadDoc}, f, stdout, stderr)
}

// cmdCompare is `gilbench compare`.
func cmdCompare(args []string, stdout, stderr io.Writer) error {
	return runCompare(context.Background(), args, stdout, stderr)
}

// runCompare is cmdCompare with a context, in the shape of the commands table.
func runCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, rest, err := parseReportFlags("compare", compareUsage, args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rest) < 2 {
		return usageErr("compare", fmt.Sprintf("want two or more runs to compare, got %d", len(rest)))
	}
	var ins []report.Input
	for _, a := range rest {
		ins = append(ins, report.ParseInput(a))
	}
	return build(ctx, "compare", report.Options{Inputs: ins, Layout: report.ByInput, OutDir: f.out}, f, stdout, stderr)
}

// build runs report.Build for the command name and prints its result.
func build(ctx context.Context, name string, opts report.Options, f *reportFlags, stdout, stderr io.Writer) error {
	r, err := report.Build(ctx, opts)
	if err != nil {
		return badReportInput(name, err)
	}
	// One line per kind of warning; report.html lists them all.
	for _, s := range r.WarningSummary() {
		fmt.Fprintf(stderr, "warning: %s\n", s.Text)
		if f.verbose || len(s.List) == 1 {
			for _, w := range s.List {
				fmt.Fprintf(stderr, "  %s\n", w)
			}
		}
	}
	link := ""
	if r.HTML != "" {
		abs, err := filepath.Abs(r.HTML)
		if err != nil {
			return err
		}
		link = "report: " + (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	}
	switch f.format {
	case "csv":
		if err := r.WriteCSV(stdout); err != nil {
			return err
		}
		if link != "" {
			fmt.Fprintln(stderr, link)
		}
		return nil
	default:
		// The tables when asked for (or for a comparison of runs, which
		// has no answer), else the compact summary; the report's path last.
		if units := f.unitList(); units != nil || name == "compare" {
			if err := r.WriteText(stdout, units); err != nil {
				return err
			}
		} else if err := r.WriteSummary(stdout); err != nil {
			return err
		}
		if link != "" {
			_, err = fmt.Fprintf(stdout, "\n%s\n", link)
		}
		return err
	}
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// workloadDoc describes a built-in workload for the report's glossary: its
// description and its Python source.
func workloadDoc(name string) (report.WorkloadDoc, bool) {
	w, err := workloads.Lookup(name)
	if err != nil {
		return report.WorkloadDoc{}, false
	}
	d := report.WorkloadDoc{Description: w.Description}
	if src, ok := workloads.PythonSource(name); ok {
		d.File, d.Python = workloads.PythonFileName(name), string(src)
	}
	return d, true
}
