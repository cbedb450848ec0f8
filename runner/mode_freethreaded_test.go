package runner

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gilbench/interp"
	"gilbench/workloads"
)

// Every free-threading workload gives its checksum in the free-threaded mode at both
// profiles, and in goroutine mode, at 1 and 3 workers (run with -race: the containers
// are shared by threads without a lock).
func TestFreeThreadedChecksums(t *testing.T) {
	ctx := context.Background()
	for _, name := range append(workloads.FTWorkloads(), "primes") {
		w, err := workloads.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{"free-threaded", "goroutine", "gil"} {
			m, err := LookupMode(mode)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range modeVariants(m, nil) {
				for _, n := range []int{1, 3} {
					spec := Spec{Workload: w, Params: v.Params(workloads.Params{}), Size: w.QuickSize / 4, Workers: n, Settings: DefaultSettings()}
					pool, err := m.Start(ctx, spec)
					if err != nil {
						t.Fatalf("%s %s%v: %v", name, mode, v, err)
					}
					const tasks = 16
					b, err := pool.Run(ctx, tasks)
					if cerr := pool.Close(); err == nil {
						err = cerr
					}
					if err != nil {
						t.Fatalf("%s %s%v %d workers: %v", name, mode, v, n, err)
					}
					if want := w.Checksum(tasks, spec.Size); b.Checksum != want {
						t.Errorf("%s %s%v %d workers: checksum %d, want %d", name, mode, v, n, b.Checksum, want)
					}
				}
			}
		}
	}
}

func TestFreeThreadedCells(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Workloads, cfg.Modes, cfg.Workers = []string{"ft-shared-dict"}, []string{"free-threaded", "goroutine"}, []int{1, 2}
	cells, err := Plan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cells {
		names = append(names, c.Name())
	}
	for _, want := range [][2]string{{"mode=free-threaded/workers=2/", "/ft=3.13"}, {"mode=free-threaded/workers=1/", "/ft=3.14"}, {"mode=goroutine/workers=2/", "procs"}} {
		if !slices.ContainsFunc(names, func(n string) bool {
			i := strings.Index(n, want[0])
			return i >= 0 && strings.Contains(n[i:], want[1])
		}) {
			t.Errorf("no cell %s...%s in %v", want[0], want[1], names)
		}
	}
	if len(names) != 6 {
		t.Errorf("%d cells, want 6: %v", len(names), names)
	}
	m, _ := LookupMode("free-threaded")
	if _, err := m.Start(context.Background(), Spec{Workload: mustWorkload(t, "primes"), Params: workloads.Params{KeyFT: "3.12"}, Size: 10, Workers: 1}); err == nil || !strings.Contains(err.Error(), `ft="3.12"`) {
		t.Errorf("ft=3.12: err = %v", err)
	}
}

func mustWorkload(t testing.TB, name string) *workloads.Workload {
	t.Helper()
	w, err := workloads.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// BenchmarkFreeThreadedOverhead measures each profile's single-thread overhead on primes
// the way the profiles are calibrated: one thread, sequential and each profile in
// turn, round after round in one run, reported as the ratio of the medians
// (ratio-3.13, ratio-3.14).
func BenchmarkFreeThreadedOverhead(b *testing.B) {
	w := mustWorkload(b, "primes")
	prog, entry, err := w.Program(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	keys := FTProfiles()
	threads := map[string]*interp.Thread{"sequential": interp.New(prog, nil).NewThread()}
	for _, k := range keys {
		in := interp.New(prog, nil)
		if err := in.SetFreeThreading(ftProfiles[k]); err != nil {
			b.Fatal(err)
		}
		threads[k] = in.NewThread()
	}
	times := map[string][]time.Duration{}
	const size = 1000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, k := range append([]string{"sequential"}, keys...) {
			start := time.Now()
			if _, err := threads[k].Call(entry, interp.Value(i%64), size); err != nil {
				b.Fatal(err)
			}
			times[k] = append(times[k], time.Since(start))
		}
	}
	med := func(ds []time.Duration) float64 {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return float64(ds[len(ds)/2])
	}
	for _, k := range keys {
		b.ReportMetric(med(times[k])/med(times["sequential"]), "ratio-"+k)
	}
}

// BenchmarkHotSpotScaling measures each free-threading workload's speed-up at 2 threads
// in goroutine (the ideal: concurrent containers) and under each profile, in this
// process: every iteration runs the 16 tasks on one thread, then on two, and the
// speed-up is reported from the best round of each (speedup-best: what a round that
// had both cores to itself gives, so other processes' load shows less) and from the
// medians (speedup-median). Run with -benchtime 25x.
func BenchmarkHotSpotScaling(b *testing.B) {
	for _, name := range workloads.FTWorkloads() {
		w := mustWorkload(b, name)
		prog, entry, err := w.Program(nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, prof := range append([]string{"goroutine"}, FTProfiles()...) {
			b.Run("workload="+name+"/mode="+prof, func(b *testing.B) {
				in := interp.New(prog, nil)
				if prof != "goroutine" {
					if err := in.SetFreeThreading(ftProfiles[prof]); err != nil {
						b.Fatal(err)
					}
				}
				ths := []*interp.Thread{in.NewThread(), in.NewThread()}
				const tasks, size = 16, 50_000
				round := func(n int) time.Duration {
					if err := in.Shared().Reset(); err != nil {
						b.Fatal(err)
					}
					errs := make([]error, n)
					var wg sync.WaitGroup
					start := time.Now()
					for k := range n {
						wg.Go(func() {
							for i := k; i < tasks && errs[k] == nil; i += n {
								_, errs[k] = ths[k].Call(entry, interp.Value(i), size)
							}
						})
					}
					wg.Wait()
					d := time.Since(start)
					for _, err := range errs {
						if err != nil {
							b.Fatal(err)
						}
					}
					return d
				}
				var d1, d2 []float64
				for b.Loop() {
					d1 = append(d1, float64(round(1)))
					d2 = append(d2, float64(round(2)))
				}
				b.ReportMetric(slices.Min(d1)/slices.Min(d2), "speedup-best")
				b.ReportMetric(median(d1)/median(d2), "speedup-median")
			})
		}
	}
}
