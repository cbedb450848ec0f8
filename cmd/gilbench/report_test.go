package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	stdhtml "html"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gilbench/report"
	"gilbench/runner"
	"gilbench/workloads"
)

// copyRun makes a run directory holding testdata file name as raw.txt.
func copyRun(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "report", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), strings.TrimSuffix(name, ".txt"))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "raw.txt"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCmdReport(t *testing.T) {
	dir := copyRun(t, "synthetic-run.txt")
	var stdout, stderr bytes.Buffer
	if err := cmdReport([]string{dir}, &stdout, &stderr); err != nil {
		t.Fatalf("cmdReport: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"Answer (this machine: 2 cores", "│ use ", "subinterp", "rule of thumb, CPU: supported"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) > 40 {
		t.Errorf("report prints %d lines; want a compact summary (≤ 40) so that make bench stays under 60", len(lines))
	}
	html := filepath.Join(dir, "report.html")
	if last, want := lines[len(lines)-1], "report: file://"+filepath.ToSlash(html); last != want {
		t.Errorf("last line %q; want %q", last, want)
	}
	for _, f := range []string{"report.html", "summary.csv", "summary.json", "speedup-primes.png", "speedup-primes.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
	// The glossary has each built-in workload's description and Python
	// source, and the answers link to them.
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	text := stdhtml.UnescapeString(string(page))
	for _, w := range []string{"primes", "convoy"} {
		src, ok := workloads.PythonSource(w)
		if !ok {
			t.Fatalf("%s has no Python source", w)
		}
		wl, _ := workloads.Lookup(w)
		for _, want := range []string{`id="wl-` + w + `"`, `href="#wl-` + w + `"`, wl.Description, workloads.PythonFileName(w), string(src)} {
			if !strings.Contains(text, want) {
				t.Errorf("report.html lacks %.60q", want)
			}
		}
	}
}

func TestCmdReportCSVAndOut(t *testing.T) {
	dir := copyRun(t, "synthetic-primes.txt")
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := cmdReport([]string{"-o", out, "-format", "csv", filepath.Join(dir, "raw.txt")}, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "group,workload,class,unit,") {
		t.Errorf("stdout is not the summary CSV:\n%.200s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err == nil {
		t.Error("report.html written into the run directory despite -o")
	}
}

func TestCmdReportCut(t *testing.T) {
	dir := copyRun(t, "cut.txt")
	var stdout, stderr bytes.Buffer
	if err := cmdReport([]string{dir}, &stdout, &stderr); err != nil {
		t.Fatalf("a cut file must give a report of what is complete: %v", err)
	}
	if !strings.Contains(stderr.String(), "warning: ") || !strings.Contains(stderr.String(), "interrupted run") {
		t.Errorf("no warning about the cut line on stderr: %q", stderr.String())
	}
}

func TestCmdReportBadInput(t *testing.T) {
	notBench := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notBench, []byte("hello\nworld\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"empty dir":   {t.TempDir()},
		"not bench":   {notBench},
		"missing":     {filepath.Join(t.TempDir(), "nope")},
		"mixed units": {filepath.Join("..", "..", "report", "testdata", "bad-mixedunits.txt")},
		"no argument": {},
		"two runs":    {t.TempDir(), t.TempDir()},
		"bad flag":    {"-x", t.TempDir()},
		"bad format":  {"-format", "xml", t.TempDir()},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := cmdReport(args, &stdout, &stderr)
			if !errors.Is(err, report.ErrInput) || !errors.Is(err, runner.ErrUsage) {
				t.Fatalf("err = %v; want one wrapping report.ErrInput and runner.ErrUsage (exit status 2)", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
		})
	}
}

func TestCmdReportHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := cmdReport([]string{"-h"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "usage: gilbench report") {
		t.Errorf("no usage on stderr: %q", stderr.String())
	}
}

func TestCmdCompare(t *testing.T) {
	td := filepath.Join("..", "..", "report", "testdata")
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := cmdCompare([]string{"-o", out, "old=" + filepath.Join(td, "compare-a.txt"), "new=" + filepath.Join(td, "compare-b.txt")}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("cmdCompare: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"mode/workers", "old", "new", "overall: new is", "faster than old"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Error(err)
	}
	err = cmdCompare([]string{filepath.Join(td, "compare-a.txt")}, &stdout, &stderr)
	if !errors.Is(err, report.ErrInput) {
		t.Errorf("compare with one run: err = %v; want ErrInput", err)
	}
}

// TestCmdCompareDuplicateLabels: two inputs under one label would be
// merged into one column; compare refuses them (exit status 2).
func TestCmdCompareDuplicateLabels(t *testing.T) {
	td := filepath.Join("..", "..", "report", "testdata")
	var stdout, stderr bytes.Buffer
	err := cmdCompare([]string{"x=" + filepath.Join(td, "compare-a.txt"), "x=" + filepath.Join(td, "compare-b.txt")}, &stdout, &stderr)
	if !errors.Is(err, report.ErrInput) || !errors.Is(err, runner.ErrUsage) {
		t.Fatalf("err = %v; want one wrapping report.ErrInput (exit status 2)", err)
	}
	if !strings.Contains(err.Error(), `label "x"`) || !strings.Contains(err.Error(), "compare-a.txt") {
		t.Errorf("err = %q; want it to name the label and the input that has it", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %q", stdout.String())
	}
}

// TestCmdCompareMissing: an error of compare says compare, not report.
func TestCmdCompareMissing(t *testing.T) {
	td := filepath.Join("..", "..", "report", "testdata")
	missing := filepath.Join(t.TempDir(), "nope")
	var stdout, stderr bytes.Buffer
	err := cmdCompare([]string{filepath.Join(td, "compare-a.txt"), missing}, &stdout, &stderr)
	if !errors.Is(err, report.ErrInput) {
		t.Fatalf("err = %v; want ErrInput", err)
	}
	if want := "compare: " + missing + ": no such file or directory"; err.Error() != want {
		t.Errorf("err = %q; want %q", err, want)
	}
	err = cmdReport([]string{missing}, &stdout, &stderr)
	if want := "report: " + missing + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("report: err = %v; want %q", err, want)
	}
}

var update = flag.Bool("update", false, "rewrite the command-line goldens in testdata")

// A cliCase is one command line and its expected exit status; its output
// is testdata/<name>.stdout and testdata/<name>.stderr. $OUT in args is a
// fresh directory, and stands for it in the output.
type cliCase struct {
	name string
	code int // exit status, as exitCode maps the error
	args []string
}

var cliCases = []cliCase{
	{"list", 0, []string{"list"}},
	{"usage", 2, []string{}},
	{"help", 0, []string{"help"}},
	{"unknown-command", 2, []string{"frobnicate"}},
	{"run-bad-mode", 2, []string{"run", "-modes", "threads", "-out", "$OUT/r"}},
	{"run-too-many-workers", 2, []string{"run", "-workers", "11000", "-out", "$OUT/r"}},
	{"run-empty-matrix", 2, []string{"run", "-modes", "sequential", "-workers", "2", "-out", "$OUT/r"}},
	{"report", 0, []string{"report", "-o", "$OUT", "testdata/run.txt"}},
	{"report-units", 0, []string{"report", "-o", "$OUT", "-units", "tasks/s,cpu-ns/op", "testdata/run.txt"}},
	{"report-csv", 0, []string{"report", "-o", "$OUT", "-format", "csv", "testdata/run.txt"}},
	{"report-old", 0, []string{"report", "-o", "$OUT", "testdata/old-run.txt"}},
	{"report-corrupt", 0, []string{"report", "-o", "$OUT", "testdata/corrupt.txt"}},
	{"report-cut", 0, []string{"report", "-o", "$OUT", "testdata/cut.txt"}},
	{"report-missing", 2, []string{"report", "-o", "$OUT", "testdata/nope"}},
	{"report-mixed-units", 2, []string{"report", "-o", "$OUT", "testdata/mixed-units.txt"}},
	{"report-two", 2, []string{"report", "testdata/run.txt", "testdata/old-run.txt"}},
	{"compare", 0, []string{"compare", "old=testdata/compare-a.txt", "new=testdata/compare-b.txt"}},
	{"compare-same", 0, []string{"compare", "a=testdata/run.txt", "b=testdata/run.txt"}},
	{"compare-duplicate-label", 2, []string{"compare", "x=testdata/compare-a.txt", "x=testdata/compare-b.txt"}},
	{"compare-missing", 2, []string{"compare", "testdata/compare-a.txt", "testdata/nope"}},
	{"compare-one", 2, []string{"compare", "testdata/compare-a.txt"}},
}

// TestCLIGolden runs each case in-process, as main does (run, then
// exitCode, which prints the error), and compares the output with the
// goldens, benchstat's way.
func TestCLIGolden(t *testing.T) {
	for _, tc := range cliCases {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$OUT", out)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), args, &stdout, &stderr)
			if code := exitCode(err, &stderr); code != tc.code {
				t.Errorf("gilbench %s: exit status %d; want %d (err = %v)", strings.Join(tc.args, " "), code, tc.code, err)
			}
			clean := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(out), []byte("$OUT")) }
			checkCLIGolden(t, tc.name, clean(stdout.Bytes()), clean(stderr.Bytes()))
		})
	}
}

// checkCLIGolden compares the streams with testdata/<name>.stdout and
// .stderr (a missing file is empty). On a mismatch it writes
// testdata/<name>.got with both streams and says got/want at the first
// line that differs; with -update it rewrites the goldens.
func checkCLIGolden(t *testing.T, name string, stdout, stderr []byte) {
	t.Helper()
	base := filepath.Join("testdata", name)
	if *update {
		for ext, got := range map[string][]byte{".stdout": stdout, ".stderr": stderr} {
			if len(got) == 0 {
				if err := os.Remove(base + ext); err != nil && !errors.Is(err, fs.ErrNotExist) {
					t.Fatal(err)
				}
				continue
			}
			if err := os.WriteFile(base+ext, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	bad := false
	for _, s := range []struct {
		ext string
		got []byte
	}{{".stdout", stdout}, {".stderr", stderr}} {
		want, err := os.ReadFile(base + s.ext)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Equal(s.got, want) {
			continue
		}
		bad = true
		gl, wl := strings.Split(string(s.got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("%s%s differs at line %d:\ngot  %q\nwant %q", base, s.ext, i+1, g, w)
				break
			}
		}
	}
	if !bad {
		return
	}
	got := "-- stdout --\n" + string(stdout) + "-- stderr --\n" + string(stderr)
	if err := os.WriteFile(base+".got", []byte(got), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Errorf("got written to %s.got; go test ./cmd/gilbench -run CLIGolden -update rewrites the goldens", base)
}
