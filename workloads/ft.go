package workloads

import (
	"context"

	"gilbench/interp"
)

// The free-threading hot spots (issue 16): the places where free-threaded CPython
// (3.13t, 3.14t) stops scaling, as CPython's Tools/ftscalingbench finds them, and a
// control that scales. Each is a plain Python file, workloads/py/ft_*.py, that CPython
// runs as it is; the interpreter's program is that file compiled (package compiler),
// as every built-in workload's is.
//
//	ft-shared-dict    writes to one module-level dict       do not scale (its lock, its refcount)
//	ft-shared-list    appends to one module-level list      contend likewise
//	ft-thread-local   reads of a threading.local attribute  slower with threads (the local's refcount)
//	ft-shared-method  method calls on one shared instance   contend (self's refcount; 3.13: the function's)
//	ft-private-data   ft-shared-list's loop on a list each task makes: the control, scales
//
// Every task's result depends only on i and size, never on what other threads wrote, so
// the checksum is the same in every mode, whatever the interleaving.
//
// They are not in the default matrix (runner.DefaultWorkloads): name them.

// FTWorkloads lists the free-threading workloads' names.
func FTWorkloads() []string {
	return []string{"ft-shared-dict", "ft-shared-list", "ft-thread-local", "ft-shared-method", "ft-private-data"}
}

// sum7 is sum(k % 7 for k in range(size)); sum3 likewise with 3.
func sumMod(size, m int64) int64 {
	full := size / m
	r := size % m
	return full*(m*(m-1)/2) + r*(r-1)/2
}

func init() {
	ft := func(name, desc string, twin func(ctx context.Context, i, size int64) (int64, error), want func(i, size int64) int64) {
		Register(&Workload{
			Name: name, Class: Shared, Description: desc,
			// 100,000 iterations a task: a batch of ~5 ms, as primes', so that the batch's
			// fixed cost (the starting gun, the result queue: ~0.1 ms) is not what limits
			// the scaling; at 20,000 (a 1 ms batch) the control reached 1.63 at 2 workers,
			// at 100,000 1.79 (goroutine: 1.77 and 1.80).
			DefaultSize: 100_000, DefaultTasks: 16, QuickSize: 2_000, QuickTasks: 16,
			Twin: func(ctx context.Context, _ Params, i, size int64) (int64, error) {
				return twin(ctx, i, size)
			},
			Want: want,
		})
	}
	container := func(ctx context.Context, name string) (*interp.Obj, error) {
		s, err := SharedFrom(ctx)
		if err != nil {
			return nil, err
		}
		return s.Container(name)
	}
	mod7 := func(i, size int64) int64 { return sumMod(size, 7) + i }

	ft("ft-shared-dict", "free-threading hot spot: every worker writes to one shared dict (its lock, its refcount)",
		func(ctx context.Context, i, size int64) (int64, error) {
			d, err := container(ctx, "shared")
			if err != nil {
				return 0, err
			}
			var total int64
			for k := range size {
				key := (i*31 + k) % 1024
				if err := d.SetItem(interp.Value(key), interp.Value(k)); err != nil {
					return 0, err
				}
				total += key
			}
			return total, nil
		},
		func(i, size int64) int64 {
			var total int64
			for k := range size {
				total += (i*31 + k) % 1024
			}
			return total
		})
	ft("ft-shared-list", "free-threading hot spot: every worker appends to one shared list",
		func(ctx context.Context, i, size int64) (int64, error) {
			l, err := container(ctx, "shared")
			if err != nil {
				return 0, err
			}
			var total int64
			for k := range size {
				if err := l.Append(interp.Value(k)); err != nil {
					return 0, err
				}
				total += k % 7
			}
			return total + i, nil
		}, mod7)
	ft("ft-private-data", "free-threading control: ft-shared-list's loop on a list each task makes (scales)",
		func(_ context.Context, i, size int64) (int64, error) {
			var data []int64
			var total int64
			for k := range size {
				data = append(data, k)
				total += k % 7
			}
			return total + i + int64(len(data)) - size, nil
		}, mod7)
	ft("ft-thread-local", "free-threading hot spot: reads of a threading.local (slower with threads on 3.13t)",
		func(_ context.Context, i, size int64) (int64, error) {
			base := i % 10 // Go has no thread-local storage: a local variable
			var total int64
			for k := range size {
				total += base + k%3
			}
			return total, nil
		},
		func(i, size int64) int64 { return size*(i%10) + sumMod(size, 3) })
	ft("ft-shared-method", "free-threading hot spot: method calls on one shared object (refcounts of self and the method)",
		func(_ context.Context, i, size int64) (int64, error) {
			var total int64
			for k := range size {
				total += ftBump(k)
			}
			return total + i, nil
		}, mod7)
}

// ftBump is Tally.bump of ft_shared_method.py.
//
//go:noinline
func ftBump(k int64) int64 { return k%7 + 0 }
