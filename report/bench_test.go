package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// raceEnabled is set by race_test.go under -race.
var raceEnabled = false

const (
	maxReportBytes = 5 << 20          // report.html of the default matrix
	maxBuildTime   = 10 * time.Second // one Build of the default matrix
)

// defaultMatrixRun writes a synthetic run of the default matrix: 6
// workloads × 7 modes × 4 worker counts × 6 repetitions (sequential at 1
// worker only).
func defaultMatrixRun(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "synthetic-default")
	if err := os.Mkdir(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeSynth(&buf, defaultMatrix()); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, RawFile), buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// BenchmarkBuildDefaultMatrix builds the full report (tables, plots,
// report.html, CSV, JSON) of a default-matrix run, and reports the size of
// report.html. It fails when the report is over 5 MB or a build takes
// over 10 s:
//
//	go test -run '^$' -bench BuildDefaultMatrix -benchtime 3x ./report/
func BenchmarkBuildDefaultMatrix(b *testing.B) {
	dir := defaultMatrixRun(b)
	var r *Result
	for b.Loop() {
		var err error
		r, err = Build(context.Background(), Options{Inputs: []Input{{Path: dir}}, OutDir: dir})
		if err != nil {
			b.Fatal(err)
		}
	}
	fi, err := os.Stat(r.HTML)
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, f := range r.Files {
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	b.ReportMetric(float64(fi.Size())/1e6, "html-MB")
	b.ReportMetric(float64(total)/1e6, "files-MB")
	b.ReportMetric(float64(len(r.Plots)), "plots")
	b.ReportMetric(float64(len(r.Tables)), "tables")
	if fi.Size() > maxReportBytes {
		b.Errorf("report.html is %d bytes; want ≤ %d", fi.Size(), maxReportBytes)
	}
	if per := b.Elapsed() / time.Duration(b.N); per > maxBuildTime {
		b.Errorf("a build takes %v; want ≤ %v", per, maxBuildTime)
	}
}

// TestDefaultMatrixSize checks the size (not the time) of the default
// matrix's report, so that a plain go test catches a report that grows.
func TestDefaultMatrixSize(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("draws every plot of the default matrix (slow under -short and -race)")
	}
	dir := defaultMatrixRun(t)
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: dir}}, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(r.HTML)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > maxReportBytes {
		t.Errorf("report.html is %d bytes; want ≤ %d", fi.Size(), maxReportBytes)
	}
	if len(r.Groups()) != 6 {
		t.Errorf("%d workload groups; want 6", len(r.Groups()))
	}
	t.Logf("report.html: %d bytes, %d plots, %d tables", fi.Size(), len(r.Plots), len(r.Tables))
}
