package workloads

import (
	"context"

	"gilbench/vocab"
)

// The tiny workload is many tasks of a few microseconds each (a sum of size integers in
// bytecode), the shape where a process pool's cost per job message — a pickled task
// through a pipe, a result back — outweighs the work, and where sending several tasks
// per message (Pool.map's and ProcessPoolExecutor.map's chunksize) pays. Its sweep is
// the process mode's chunksize (vocab.KeyChunksize); modes that take jobs from an
// in-process queue ignore it, so their cells at each chunksize measure the same thing.
func init() {
	Register(&Workload{
		Name:         "tiny",
		Class:        CPU,
		Description:  "many tasks of a few µs (a sum of size integers): the cost of IPC per task; swept over chunksize",
		DefaultSize:  200,
		DefaultTasks: 4096,
		QuickSize:    200,
		QuickTasks:   512,
		Sweep:        tinySweep,
		Twin: func(_ context.Context, _ Params, i, size int64) (int64, error) {
			var s int64
			for n := size; n > 0; n-- {
				s += n
			}
			return s + i, nil
		},
		Want: func(i, size int64) int64 { return size*(size+1)/2 + i },
	})
}

// tinySweep is the chunksizes the tiny workload runs at: one task per message, as
// imap's default, up to 64.
var tinySweep = []Variant{
	MakeVariant(vocab.KeyChunksize, "1"),
	MakeVariant(vocab.KeyChunksize, "8"),
	MakeVariant(vocab.KeyChunksize, "64"),
}
