package cluster

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// BenchmarkBroker is the broker's throughput for tiny tasks (a no-op each) on an
// embedded loopback server: one op is one task's trip — job stored, fetched, run,
// result stored, job acknowledged, result counted. Sub-benchmarks vary the workers and
// the prefetch (a pull's size). Compare with Celery's published 1,700 tasks/s (20,000
// no-op jobs in 11.7 s with 10 threaded workers).
func BenchmarkBroker(b *testing.B) {
	for _, workers := range []int{1, 2, 4} {
		for _, prefetch := range []int{1, 16, 256} {
			b.Run("workers="+strconv.Itoa(workers)+"/prefetch="+strconv.Itoa(prefetch), func(b *testing.B) {
				benchBroker(b, workers, prefetch)
			})
		}
	}
}

func benchBroker(b *testing.B, workers, prefetch int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s := startServer(b)
	c := openCell(b, ctx, s.URL(), CellOptions{Workers: workers, Prefetch: prefetch})
	goWorkers(b, s.URL(), c.ID, workers)
	if _, err := c.WaitWorkers(ctx, nil); err != nil {
		b.Fatal(err)
	}
	const batch = 2000
	if _, err := c.Run(ctx, batch, nil); err != nil { // warm-up
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0, _ := selfUsage()
	var elapsed time.Duration
	for done := 0; done < b.N; {
		n := min(batch, b.N-done)
		r, err := c.Run(ctx, n, nil)
		if err != nil {
			b.Fatal(err)
		}
		if r.Checksum != checksum(n) {
			b.Fatalf("checksum %d; want %d", r.Checksum, checksum(n))
		}
		elapsed += r.Elapsed
		done += n
	}
	b.StopTimer()
	cpu, _ := selfUsage()
	// The process's CPU time per task — server, runner and workers are all in it —,
	// queueing included: on a loaded machine a steadier figure than the wall time.
	b.ReportMetric(float64((cpu-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	// The batches' own timing (starting gun to last result), without the queueing.
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tasks/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N), "task-ns/op")
}
