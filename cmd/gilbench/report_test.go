package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gilbench/report"
	"gilbench/runner"
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
	for _, want := range []string{"primes (CPU) · sec/op", "│ workers │", "Verdict:", "subinterp is"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	html := filepath.Join(dir, "report.html")
	if last := lines[len(lines)-1]; last != html {
		t.Errorf("last line %q; want the path of report.html %q", last, html)
	}
	for _, f := range []string{"report.html", "summary.csv", "summary.json", "speedup-primes.png", "speedup-primes.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %s", stderr.String())
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
