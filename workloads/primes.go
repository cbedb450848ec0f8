package workloads

import "context"

// primesBase and primesWindows place task i's range: [base + (i mod windows)·size, +size).
// Trial division costs about √n a prime, so a fixed offset far above the windows keeps
// every task's cost within a few percent of the others, however many tasks there are.
const (
	primesBase    = 1_000_000
	primesWindows = 64
)

func init() {
	Register(&Workload{
		Name:         "primes",
		Class:        CPU,
		Description:  "count primes by trial division in a window of size numbers near 10^6, pure bytecode",
		DefaultSize:  4_000,
		DefaultTasks: 16,
		QuickSize:    1_000,
		QuickTasks:   16,
		Twin: func(_ context.Context, _ Params, i, size int64) (int64, error) {
			return primesCount(i, size), nil
		},
		Want: primesCount,
	})
}

// primesCount counts the primes in task i's window by the program's algorithm.
func primesCount(i, size int64) int64 {
	lo := primesBase + (i%primesWindows)*size
	var count int64
	for n := lo; n < lo+size; n++ {
		if isPrime(n) {
			count++
		}
	}
	return count
}

func isPrime(n int64) bool {
	switch {
	case n < 2:
		return false
	case n < 4:
		return true
	case n%2 == 0:
		return false
	}
	for d := int64(3); d*d <= n; d += 2 {
		if n%d == 0 {
			return false
		}
	}
	return true
}
