package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSweep writes a raw file of a workload swept over the critical section: cs in
// a scrambled order, two batch sizes, three modes, one and two workers.
func writeSweep(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\ngomaxprocs: 2\nrun: sweep\nUnit tasks/s better=higher\n")
	for _, batch := range []int{1, 64} {
		for _, cs := range []int{1000, 0, 100, 10} {
			for _, mode := range []string{"sequential", "gil", "goroutine"} {
				for _, n := range []int{1, 2} {
					if mode == "sequential" && n > 1 {
						continue
					}
					for rep := range 6 {
						ns := (500 + float64(cs)*20/float64(batch)) * 256 * (1 + 0.01*float64(rep))
						cont := 0.0
						if mode == "goroutine" && n > 1 {
							cont = float64(cs) / 100
						}
						fmt.Fprintf(&b, "BenchmarkShared/workload=counter/mode=%s/workers=%d/cs=%d/batch=%d-2 16 %.0f ns/op %.2f tasks/s %d lock-acquisitions/op %.2f lock-contended/op %.0f lock-wait-ns/op\n",
							mode, n, cs, batch, ns, 1e9/ns, 256/batch, cont, cont*1e4)
					}
				}
			}
		}
	}
	path := filepath.Join(dir, "raw.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSweepFamilies(t *testing.T) {
	path := writeSweep(t, t.TempDir())
	r, err := Build(context.Background(), Options{Inputs: []Input{{Label: "sweep", Path: path}}})
	if err != nil {
		t.Fatal(err)
	}
	fams := sweepFamilies(r.Tables)
	var got []string
	for _, f := range fams {
		got = append(got, fmt.Sprintf("%s %s %s %s", f.name, f.unit, strings.Join(f.xs, ","), f.tables[0].Group))
	}
	for _, want := range []string{
		"counter batch=1 tasks/s 0,10,100,1000 counter cs=0 batch=1",
		"counter batch=64 lock-wait-sec/op 0,10,100,1000 counter cs=0 batch=64",
		"counter batch=1 lock-acquisitions/op 0,10,100,1000 counter cs=0 batch=1",
	} {
		if !contains(got, want) {
			t.Errorf("no family %q in\n%s", want, strings.Join(got, "\n"))
		}
	}
	for _, f := range fams {
		if f.tables[0].Derived {
			t.Errorf("family of a derived metric: %s %s", f.name, f.unit)
		}
	}
}

func TestSweepPlots(t *testing.T) {
	dir := t.TempDir()
	path := writeSweep(t, dir)
	r, err := Build(context.Background(), Options{Inputs: []Input{{Label: "sweep", Path: path}}, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// Each group shows its sweep plots in the order of the chart table.
	sweeps := map[string][]string{}
	for _, p := range r.Plots {
		if p.Kind == "sweep" {
			sweeps[p.Group] = append(sweeps[p.Group], p.Name)
			if len(p.PNG) == 0 || len(p.SVG) == 0 || !strings.Contains(p.Alt, "0, 10, 100, 1000") {
				t.Errorf("%s: empty image or alt %q", p.Name, p.Alt)
			}
		}
	}
	want := map[string][]string{
		"counter cs=0 batch=1": {
			"sweep-throughput-counter_batch_1",
			"sweep-lock-wait-counter_batch_1",
			"sweep-lock-acquisitions-counter_batch_1",
		},
		"counter cs=0 batch=64": {
			"sweep-throughput-counter_batch_64",
			"sweep-lock-wait-counter_batch_64",
			"sweep-lock-acquisitions-counter_batch_64",
		},
	}
	if fmt.Sprint(sweeps) != fmt.Sprint(want) {
		t.Errorf("sweep plots by group:\n%v\nwant:\n%v", sweeps, want)
	}
	html, err := os.ReadFile(r.HTML)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "sweep-throughput-counter_batch_1.png") {
		t.Error("report.html does not show the sweep plots")
	}
}

// TestNoSweepWithoutKey: results without a /cs key get no sweep plot.
func TestNoSweepWithoutKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "raw.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("BenchmarkCPU/workload=p/mode=gil/workers=1/batch=2-2 1 100 ns/op\nBenchmarkCPU/workload=p/mode=gil/workers=1/batch=4-2 1 100 ns/op\n", 6)), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: path}}, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Plots {
		if p.Kind == "sweep" {
			t.Errorf("sweep plot %s without a cs key", p.Name)
		}
	}
}
