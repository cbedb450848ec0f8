package workloads

import "context"

func init() {
	Register(&Workload{
		Name:         "fib",
		Class:        CPU,
		Description:  "naive recursive fib(size) + i: bytecode function calls",
		DefaultSize:  25,
		DefaultTasks: 32,
		QuickSize:    23,
		QuickTasks:   16,
		Twin: func(_ context.Context, _ Params, i, size int64) (int64, error) {
			return fibRec(size) + i, nil
		},
		Want: func(i, size int64) int64 { return fibIter(size) + i },
	})
}

// fibRec is the twin's naive recursion: the same calls the program makes.
func fibRec(n int64) int64 {
	if n < 2 {
		return n
	}
	return fibRec(n-1) + fibRec(n-2)
}

// fibIter is fib(n) in O(n), for Want (wrapping mod 2^64 as the interpreter does).
func fibIter(n int64) int64 {
	if n < 2 {
		return n
	}
	a, b := int64(0), int64(1)
	for range n - 1 {
		a, b = b, a+b
	}
	return b
}
