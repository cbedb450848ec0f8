package runner

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"gilbench/vocab"
	"gilbench/workloads"
)

// Test-only workloads: one that leaves its lock held (the next batch must fail), one
// whose program declares a map (which processes cannot share).
func init() {
	workloads.Register(&workloads.Workload{
		Name: "test-held-lock", Class: workloads.Shared, Description: "test only",
		DefaultSize: 1, DefaultTasks: 8, QuickSize: 1, QuickTasks: 8,
		Source: "lock mu\nfunc task i size\n\tload i\n\tjump_if_true out\n\tload_global mu\n\tnative lock_acquire\n\tpop\nout:\n\tload i\n\treturn\nend\n",
		Twin:   func(_ context.Context, _ workloads.Params, i, _ int64) (int64, error) { return i, nil },
		Want:   func(i, _ int64) int64 { return i },
	})
	workloads.Register(&workloads.Workload{
		Name: "test-map", Class: workloads.Shared, Description: "test only",
		DefaultSize: 1, DefaultTasks: 8, QuickSize: 1, QuickTasks: 8,
		Source: "map m\nfunc task i size\n\tload_global m\n\tload i\n\tload i\n\tnative map_set\n\tpop\n\tload i\n\treturn\nend\n",
		Twin:   func(_ context.Context, _ workloads.Params, i, _ int64) (int64, error) { return i, nil },
		Want:   func(i, _ int64) int64 { return i },
	})
}

func TestPlanVariants(t *testing.T) {
	cfg := quickConfig("counter", "countdown")
	cfg.Modes = []string{"sequential", "gil"}
	cfg.Workers = []int{1, 2}
	cells, err := Plan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := workloads.Lookup("counter")
	if want := len(w.Sweep)*3 + 3; len(cells) != want {
		t.Fatalf("%d cells; want %d (3 per variant of counter, 3 of countdown)", len(cells), want)
	}
	names := map[string]bool{}
	for _, c := range cells {
		names[c.Name()] = true
	}
	for _, n := range []string{
		"BenchmarkShared/workload=counter/mode=sequential/workers=1/procs=" + strconv.Itoa(ThreadGOMAXPROCS(1)) + "/cs=0/batch=1",
		"BenchmarkShared/workload=counter/mode=gil/workers=2/procs=" + strconv.Itoa(ThreadGOMAXPROCS(2)) + "/cs=1000/batch=64",
		"BenchmarkCPU/workload=countdown/mode=gil/workers=2/procs=" + strconv.Itoa(ThreadGOMAXPROCS(2)),
	} {
		if !names[n] {
			t.Errorf("no cell %s", n)
		}
	}
	if p := cells[0].Params(workloads.Params{"x": "1"}); p["cs"] != "0" || p["batch"] != "1" || p["x"] != "1" {
		t.Errorf("params of the first cell: %v", p)
	}
}

// startVariant starts mode's pool on workload at its quick size and variant v.
func startVariant(t *testing.T, mode, workload string, v workloads.Variant, workers int) (Pool, *workloads.Workload) {
	t.Helper()
	w, err := workloads.Lookup(workload)
	if err != nil {
		t.Fatal(err)
	}
	m, err := LookupMode(mode)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Start(context.Background(), Spec{Workload: w, Params: v.Params(nil), Size: w.QuickSize, Workers: workers, Settings: DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, w
}

// TestCounterExactInEveryMode: with the lock, every mode's counter holds every
// increment after every batch (the pool fails the batch otherwise), and the lock's
// statistics are reported.
func TestCounterExactInEveryMode(t *testing.T) {
	for _, v := range []workloads.Variant{workloads.MakeVariant("cs", "10", "batch", "1"), workloads.MakeVariant("cs", "0", "batch", "64")} {
		for _, mode := range ModeNames() {
			if m, _ := LookupMode(mode); m.Rules().Python {
				continue // the emulated lock's statistics; CPython's modes: mode_cpython_test.go
			}
			n := 3
			if mode == "sequential" {
				n = 1
			}
			t.Run(v.Name()+"/"+mode, func(t *testing.T) {
				p, w := startVariant(t, mode, "counter", v, n)
				for range 2 {
					b := runBatch(t, p, w, w.QuickTasks)
					acq, ok := b.Metrics[vocab.ObjLockAcquisitions.Name]
					batch := int64(1)
					if v[1].Value == "64" {
						batch = 64
					}
					if want := float64(int64(w.QuickTasks) * ((w.QuickSize + batch - 1) / batch)); !ok || acq != want {
						t.Errorf("%s = %v (%v); want %v", vocab.ObjLockAcquisitions.Name, acq, ok, want)
					}
					if _, ok := b.Metrics[vocab.ObjLockWait.Name]; !ok {
						t.Errorf("no %s in %v", vocab.ObjLockWait.Name, b.Metrics)
					}
				}
			})
		}
	}
	checkNoChildren(t)
}

// TestLostUpdatesReported: without the lock the checksum holds and the lost updates are
// counted in every mode; one worker loses none. How many the others lose depends on the
// machine: logged, not asserted.
func TestLostUpdatesReported(t *testing.T) {
	for _, v := range []workloads.Variant{workloads.MakeVariant("update", "global"), workloads.MakeVariant("update", "value")} {
		for _, mode := range ModeNames() {
			if m, _ := LookupMode(mode); m.Rules().Python {
				continue // the emulated lock's statistics; CPython's modes: mode_cpython_test.go
			}
			for _, n := range []int{1, 2} {
				if mode == "sequential" && n > 1 {
					continue
				}
				p, w := startVariant(t, mode, "lost-update", v, n)
				b := runBatch(t, p, w, w.QuickTasks)
				lost, ok := b.Metrics[vocab.LostUpdates.Name]
				if !ok || lost < 0 || n == 1 && lost != 0 {
					t.Errorf("%s %s workers=%d: %s = %v (%v)", v.Name(), mode, n, vocab.LostUpdates.Name, lost, ok)
				}
				t.Logf("%s %s workers=%d: %.0f of %d updates lost", v.Name(), mode, n, lost, int64(w.QuickTasks)*w.QuickSize)
				p.Close()
			}
		}
	}
	checkNoChildren(t)
}

// TestHeldLockFailsTheNextBatch: a batch that ends with a lock object held leaves the
// state unusable; the next batch says so instead of hanging.
func TestHeldLockFailsTheNextBatch(t *testing.T) {
	for _, mode := range []string{"goroutine", "process"} {
		t.Run(mode, func(t *testing.T) {
			p, w := startVariant(t, mode, "test-held-lock", nil, 2)
			runBatch(t, p, w, w.QuickTasks)
			if _, err := p.Run(context.Background(), w.QuickTasks); err == nil || !strings.Contains(err.Error(), "lock mu is held") {
				t.Errorf("second batch: %v", err)
			}
		})
	}
	checkNoChildren(t)
}

func TestProcessModeRefusesMaps(t *testing.T) {
	cfg := quickConfig("test-map")
	cfg.Modes = []string{"goroutine", "process"}
	err := Run(context.Background(), cfg, Options{Raw: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "mode=process") || !strings.Contains(err.Error(), "map m cannot be shared between processes") {
		t.Errorf("Run: %v; want the process cell to refuse the map", err)
	}
	checkNoChildren(t)
}

// TestLostUpdatesAppear: at the default size, two workers that really run at once —
// free threading, Go, processes — lose updates without the lock. A batch without a
// loss is possible on a loaded machine, so each mode gets three batches.
func TestLostUpdatesAppear(t *testing.T) {
	w, err := workloads.Lookup("lost-update")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"goroutine", "native", "process"} {
		m, _ := LookupMode(mode)
		p, err := m.Start(context.Background(), Spec{Workload: w, Params: w.Sweep[0].Params(nil), Size: w.DefaultSize, Workers: 2, Settings: DefaultSettings()})
		if err != nil {
			t.Fatal(err)
		}
		var lost []float64
		for range 3 {
			b, err := p.Run(context.Background(), w.DefaultTasks)
			if err != nil {
				t.Fatal(err)
			}
			lost = append(lost, b.Metrics[vocab.LostUpdates.Name])
			if lost[len(lost)-1] > 0 {
				break
			}
		}
		p.Close()
		if lost[len(lost)-1] == 0 {
			t.Errorf("%s: no update lost in %d batches of %d unguarded increments", mode, len(lost), int64(w.DefaultTasks)*w.DefaultSize)
		}
	}
	checkNoChildren(t)
}
