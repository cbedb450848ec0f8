package report

import (
	"context"
	"fmt"
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
