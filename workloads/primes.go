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
		Source: `
func task i size
	var n hi count
	load i              # n = base + (i % windows) * size
	const 64
	mod
	load size
	mul
	const 1000000
	add
	dup
	store n
	load size           # hi = n + size
	add
	store hi
loop:                   # for n < hi: count += isprime(n); n += 1
	load n
	load hi
	lt
	jump_if_false done
	load n
	call isprime
	load count
	add
	store count
	load n
	const 1
	add
	store n
	jump loop
done:
	load count
	return
end

func isprime n
	var d
	load n              # n < 2: no
	const 2
	lt
	jump_if_false two
	const 0
	return
two:
	load n              # 2 and 3: yes
	const 4
	lt
	jump_if_false even
	const 1
	return
even:
	load n              # even: no
	const 2
	mod
	jump_if_true odd
	const 0
	return
odd:
	const 3
	store d
trial:                  # while d*d <= n: if n % d == 0: no; d += 2
	load d
	load d
	mul
	load n
	le
	jump_if_false prime
	load n
	load d
	mod
	jump_if_false composite
	load d
	const 2
	add
	store d
	jump trial
prime:
	const 1
	return
composite:
	const 0
	return
end
`,
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
