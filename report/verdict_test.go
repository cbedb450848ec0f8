package report

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOverallNothingSignificant: when no cell differs significantly, the
// overall line of a comparison says so rather than "1.10× faster".
func TestOverallNothingSignificant(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, f float64) string {
		var b strings.Builder
		for _, w := range []int{1, 2} {
			for rep := range 3 { // 3 samples: no test can reach p < 0.05
				fmt.Fprintf(&b, "BenchmarkCPU/workload=w/mode=gil/workers=%d-2 10 %.0f ns/op\n", w, f*1e6*(1+0.01*float64(rep)))
			}
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old, new := write("old.txt", 1.1), write("new.txt", 1)
	r, err := Build(context.Background(), Options{Layout: ByInput, Inputs: []Input{{Label: "old", Path: old}, {Label: "new", Path: new}}})
	if err != nil {
		t.Fatal(err)
	}
	var overall []string
	for _, f := range r.Verdict {
		if f.Group == "" {
			overall = append(overall, f.Text)
		}
	}
	want := "overall: nothing differs significantly between new and old (2 cells, none significant)"
	if len(overall) != 1 || overall[0] != want {
		t.Errorf("overall %q; want %q", overall, want)
	}
}

// TestCompareSeries: gilbench compare plots each later run's cell as a
// ratio to the first run's with its interval; compare-b's gil is 0.85×
// the CPU time of compare-a's, its sequential unchanged.
func TestCompareSeries(t *testing.T) {
	r, err := Build(context.Background(), Options{Layout: ByInput, Inputs: []Input{
		{Label: "A", Path: "testdata/compare-a.txt"}, {Label: "B", Path: "testdata/compare-b.txt"}}})
	if err != nil {
		t.Fatal(err)
	}
	tb := primary(r.GroupTables("primes"))
	ss := compareSeries(tb)
	if len(ss) != 2 || ss[0].label != "B ÷ A" {
		t.Fatalf("series %+v; want the significant and the other ratios of B ÷ A", ss)
	}
	find := func(row string) (point, bool) {
		for si, s := range ss {
			for _, p := range s.pts {
				if tb.Rows[int(math.Round(p.x))].Label == row {
					return p, si == 0
				}
			}
		}
		t.Fatalf("no point for %s", row)
		return point{}, false
	}
	if p, sig := find("gil/4"); !sig || p.y < 0.8 || p.y > 0.9 || !(p.lo < p.y && p.y < p.hi) {
		t.Errorf("gil/4: ratio %g (%g–%g), significant %v; want about 0.85 with an interval around it, significant", p.y, p.lo, p.hi, sig)
	}
	if p, sig := find("sequential/1"); sig || p.y < 0.95 || p.y > 1.05 || !(p.lo < 1 && 1 < p.hi) {
		t.Errorf("sequential/1: ratio %g (%g–%g), significant %v; want about 1, its interval holding 1, not significant", p.y, p.lo, p.hi, sig)
	}
}
