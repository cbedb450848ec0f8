package runner

import (
	"bytes"
	"context"
	"math"
	"slices"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// BenchmarkOrderSpread measures what interleaving buys: the same small matrix (primes
// under goroutine at 1 and 2 workers, 6 repetitions) run back to back and round-robin,
// alternately, b.N times each. Each run gives a speed-up (median time at 1 worker ÷ at
// 2); the metrics are the spread of those speed-ups across runs, (max − min) ÷ median,
// for each order. On a machine that drifts over seconds the sequential order's spread
// is the larger: its 1-worker and 2-worker cells are measured seconds apart.
//
//	go test -run '^$' -bench OrderSpread -benchtime 8x ./runner
func BenchmarkOrderSpread(b *testing.B) {
	speedups := map[bool][]float64{}
	for range b.N {
		for _, sequential := range []bool{true, false} {
			cfg := quickConfig("primes")
			cfg.Modes = []string{"goroutine"}
			cfg.Workers = []int{1, 2}
			cfg.Count = 6
			cfg.Sequential = sequential
			var raw bytes.Buffer
			if err := Run(context.Background(), cfg, Options{Raw: &raw}); err != nil {
				b.Fatal(err)
			}
			t := map[int][]float64{}
			r := benchfmt.NewReader(&raw, "raw.txt")
			for r.Scan() {
				res, ok := r.Result().(*benchfmt.Result)
				if !ok {
					continue
				}
				w := 1
				if bytes.Contains(res.Name, []byte("workers=2")) {
					w = 2
				}
				v, _ := res.Value("sec/op")
				t[w] = append(t[w], v)
			}
			speedups[sequential] = append(speedups[sequential], median(t[1])/median(t[2]))
		}
	}
	b.ReportMetric(spread(speedups[true]), "spread-sequential")
	b.ReportMetric(spread(speedups[false]), "spread-interleaved")
	b.ReportMetric(median(speedups[true]), "speedup-sequential")
	b.ReportMetric(median(speedups[false]), "speedup-interleaved")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
	}
	return s[len(s)/2]
}

func spread(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	return (slices.Max(xs) - slices.Min(xs)) / median(xs)
}
