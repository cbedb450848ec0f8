// Package bench is gilbench's matrix as a `go test -bench` suite:
//
//	go test -bench . ./bench
//	go test -bench 'CPU/workload=primes/mode=(gil|goroutine)/' -count 6 ./bench | tee new.txt
//	benchstat -col /mode -row /workers new.txt
//
// Sub-benchmarks are named like gilbench's raw results
// (BenchmarkCPU/workload=primes/mode=goroutine/workers=2, and for a workload with a
// sweep BenchmarkShared/workload=counter/mode=gil/workers=4/cs=100/batch=1), one op is
// one task, the workloads run at their quick sizes, and every batch's checksum is
// verified, as is the shared state of the Shared workloads (the counter's exact total).
// Workers start with the timer stopped; b.N tasks go through one job queue.
//
//	go test -bench 'Shared/workload=counter/mode=(goroutine|gil)/workers=2/' ./bench
//	benchstat -col /cs -row /mode,/batch new.txt     # throughput against the critical section
package bench

import (
	"context"
	"fmt"
	"os"
	"testing"

	"gilbench/mp"
	"gilbench/runner"
	"gilbench/vocab"
	"gilbench/workloads"
)

// workers are the worker counts each cell runs at.
var workers = []int{1, 2, 4, 8}

// The test binary is also the process mode's worker (mp re-executes it).
func TestMain(m *testing.M) {
	mp.Main()
	code := m.Run()
	_ = mp.Shutdown(context.Background())
	os.Exit(code)
}

func BenchmarkCPU(b *testing.B)    { benchClass(b, workloads.CPU) }
func BenchmarkIO(b *testing.B)     { benchClass(b, workloads.IO) }
func BenchmarkMixed(b *testing.B)  { benchClass(b, workloads.Mixed) }
func BenchmarkShared(b *testing.B) { benchClass(b, workloads.Shared) }

func benchClass(b *testing.B, class workloads.Class) {
	for _, w := range workloads.All() {
		if w.Class != class {
			continue
		}
		b.Run("workload="+w.Name, func(b *testing.B) {
			env, err := w.NewEnv(context.Background(), w.QuickSize)
			if err != nil {
				b.Fatal(err)
			}
			defer env.Close()
			for _, m := range runner.Modes() {
				b.Run("mode="+m.Name(), func(b *testing.B) {
					for _, n := range workers {
						if m.Rules().Single && n != 1 {
							continue
						}
						b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
							if len(w.Sweep) == 0 {
								benchCell(b, runner.Cell{Workload: w, Mode: m, Workers: n, Size: w.QuickSize}, env.Params)
								return
							}
							benchVariants(b, w.Sweep, 0, func(b *testing.B, v workloads.Variant) {
								c := runner.Cell{Workload: w, Mode: m, Workers: n, Size: w.QuickSize, Variant: v}
								benchCell(b, c, env.Params)
							})
						})
					}
				})
			}
		})
	}
}

// benchVariants runs f for every variant of vs as nested sub-benchmarks named by their
// parts from the k-th on (cs=100, then batch=1 inside it), so that -bench patterns match
// them level by level. Variants that share a part share its sub-benchmark.
func benchVariants(b *testing.B, vs []workloads.Variant, k int, f func(*testing.B, workloads.Variant)) {
	for i := 0; i < len(vs); {
		v := vs[i]
		if k == len(v) {
			f(b, v)
			i++
			continue
		}
		part := v[k]
		var same []workloads.Variant
		for _, u := range vs[i:] {
			if len(u) > k && u[k] == part {
				same = append(same, u)
			}
		}
		var rest []workloads.Variant
		for _, u := range vs[i:] {
			if !(len(u) > k && u[k] == part) {
				rest = append(rest, u)
			}
		}
		b.Run(part.Key+"="+part.Value, func(b *testing.B) { benchVariants(b, same, k+1, f) })
		vs, i = rest, 0
	}
}

// benchCell runs b.N tasks of c in one batch (for one-task-per-worker workloads, b.N
// batches) through the runner's engine and reports its metrics.
func benchCell(b *testing.B, c runner.Cell, params workloads.Params) {
	ctx := context.Background()
	s, err := runner.Open(ctx, c, params, runner.DefaultSettings())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batches, tasks := 1, b.N
	if c.Workload.OneTaskPerWorker {
		batches, tasks = b.N, c.Workers
	}
	b.ResetTimer()
	sample, err := s.Measure(ctx, batches, tasks)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range sample.Values {
		if v.Unit == vocab.Time.Name {
			continue // the testing package reports it
		}
		b.ReportMetric(v.Value, v.Unit)
	}
}
