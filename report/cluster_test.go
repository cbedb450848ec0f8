package report

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clusterRaw is a run of primes with cluster, process and cpython-process cells: the
// medians of time per task (ms) by mode and workers.
func clusterRaw(t *testing.T, withCluster bool) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("mode-sequential: baseline\nmode-process: rival counterpart=cpython-process\nmode-cluster: rival\nmode-cpython-process: rival\n\n")
	cells := []struct {
		name string
		ms   float64
	}{
		{"mode=sequential/workers=1", 2.0},
		{"mode=process/workers=1", 2.1},
		{"mode=process/workers=2", 1.1},
		{"mode=cpython-process/workers=1/python=3.11/start=fork", 3.0},
		{"mode=cpython-process/workers=2/python=3.11/start=fork", 1.6},
	}
	if withCluster {
		cells = append(cells, []struct {
			name string
			ms   float64
		}{
			{"mode=cluster/workers=1/prefetch=1/ackwait=5s", 2.5},
			{"mode=cluster/workers=2/prefetch=1/ackwait=5s", 1.4},
		}...)
	}
	for rep := range 6 {
		for _, c := range cells {
			// A little spread around the median, the same for every cell.
			ns := c.ms * 1e6 * (1 + 0.001*float64(rep-3))
			fmt.Fprintf(&b, "BenchmarkCPU/workload=primes/%s-2 100 %.0f ns/op\n", c.name, ns)
		}
	}
	path := filepath.Join(t.TempDir(), "raw.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBrokerCost(t *testing.T) {
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: clusterRaw(t, true)}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cluster) != 2 {
		t.Fatalf("%d broker costs; want 2 (against process and cpython-process): %+v", len(r.Cluster), r.Cluster)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-3*math.Abs(want)+1e-9 }
	for _, tc := range []struct {
		against           string
		workers           int
		overhead, clX, oX float64
	}{
		{"process", 1, 0.4e-3, 1, 1},
		{"process", 2, 0.3e-3, 2.5 / 1.4, 2.1 / 1.1},
		{"cpython-process python=3.11 start=fork", 1, -0.5e-3, 1, 1},
		{"cpython-process python=3.11 start=fork", 2, -0.2e-3, 2.5 / 1.4, 3.0 / 1.6},
	} {
		var found bool
		for _, bc := range r.Cluster {
			if bc.Against != tc.against || bc.Group != "primes" {
				continue
			}
			for _, row := range bc.Rows {
				if row.Workers != tc.workers {
					continue
				}
				found = true
				if !near(row.Overhead, tc.overhead) || !near(row.ClusterX, tc.clX) || !near(row.OtherX, tc.oX) {
					t.Errorf("against %s at %d workers: overhead %g, speed-ups %g and %g; want %g, %g and %g",
						tc.against, tc.workers, row.Overhead, row.ClusterX, row.OtherX, tc.overhead, tc.clX, tc.oX)
				}
			}
		}
		if !found {
			t.Errorf("no row against %s at %d workers in %+v", tc.against, tc.workers, r.Cluster)
		}
	}
	var text bytes.Buffer
	if err := r.WriteText(&text, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"The broker's cost", "400µs", "−500µs", "1.79×"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	var sum bytes.Buffer
	if err := r.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	if want := "primes: the broker's cost per task over process: +400µs at 1 worker, +300µs at 2; cluster speed-up at 2 workers 1.79× (process 1.91×)"; !strings.Contains(sum.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, sum.String())
	}
	h := string(brokerHTML(r.Cluster))
	if !strings.Contains(h, `id="broker-cost"`) || !strings.Contains(h, "cpython-process python=3.11 start=fork") {
		t.Errorf("HTML section:\n%s", h)
	}
}

func TestBrokerCostOnlyWithClusterCells(t *testing.T) {
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: clusterRaw(t, false)}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cluster) != 0 {
		t.Fatalf("broker costs without cluster cells: %+v", r.Cluster)
	}
	var text bytes.Buffer
	if err := r.WriteBrokerCost(&text); err != nil || text.Len() != 0 {
		t.Fatalf("wrote %q, %v; want nothing", text.String(), err)
	}
	if brokerHTML(r.Cluster) != "" {
		t.Fatal("an HTML section without cluster cells")
	}
}

// TestBrokerCostByVariant: a workload's variants (chunksize=1, chunksize=8) are matched
// each with its own, never across.
func TestBrokerCostByVariant(t *testing.T) {
	var b strings.Builder
	b.WriteString("mode-process: rival\nmode-cluster: rival\n\n")
	ms := map[string]float64{"process/workers=1/chunksize=1": 50, "process/workers=1/chunksize=8": 20,
		"cluster/workers=1/prefetch=1/ackwait=5s/chunksize=1": 70, "cluster/workers=1/prefetch=1/ackwait=5s/chunksize=8": 71}
	for rep := range 6 {
		for name, us := range ms {
			fmt.Fprintf(&b, "BenchmarkCPU/workload=tiny/mode=%s-2 100 %.0f ns/op\n", name, us*1e3*(1+0.001*float64(rep-3)))
		}
	}
	path := filepath.Join(t.TempDir(), "raw.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: path}}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, bc := range r.Cluster {
		if bc.Against != "process" || len(bc.Rows) != 1 {
			t.Fatalf("broker cost %+v; want one row against process", bc)
		}
		got[bc.Group] = math.Round(bc.Rows[0].Overhead * 1e6)
	}
	if want := map[string]float64{"tiny chunksize=1": 20, "tiny chunksize=8": 51}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("overheads (µs) %v; want %v", got, want)
	}
}
