package workloads

import (
	"context"
	"fmt"
)

func init() {
	Register(&Workload{
		Name:  "pipeline",
		Class: Shared,
		Description: "counter's work with nothing shared: producer -> job queue -> N workers (the private work and the cs units " +
			"of every batch increments, no lock) -> result queue -> aggregator adding up the counts",
		DefaultSize:  256,
		DefaultTasks: 16,
		QuickSize:    64,
		QuickTasks:   16,
		Source: batchedWork(`
	load cs             #   if cs: work(cs), no lock needed: nothing is shared
	jump_if_false add
	load cs
	call work
	pop
add:
	load count          #   count += n (a local)
	load n
	add
	store count
`, "count"), // the aggregator adds the counts up
		Natives: settingsNatives,
		Twin:    pipelineTwin,
		Want:    func(_, size int64) int64 { return size },
		Sweep:   csSweep,
	})
}

func pipelineTwin(_ context.Context, p Params, _, size int64) (int64, error) {
	st, err := settingsOf(p)
	if err != nil {
		return 0, err
	}
	var sink, count int64
	for left := size; left > 0; {
		n := min(st.batch, left)
		sink += spin(n*privateWork) + spin(st.cs)
		count += n
		left -= n
	}
	spinSink.Store(sink)
	return count, nil
}

// batchedWork is the program counter and pipeline share; only commit, what a worker
// does with each batch of n increments, and the result differ:
//
//	left = size
//	while left > 0:
//	    n = min(batch, left)
//	    work(n * privateWork)   # the increments' own work
//	    commit                  # counter: under the lock; pipeline: into a local
//	    left -= n
//	return result
func batchedWork(commit, result string) string {
	return fmt.Sprintf(`
func task i size
	var cs b left n count
	native cs
	store cs
	native batch
	store b
	load size
	store left
loop:                   # while left > 0:
	load left
	jump_if_false done
	load left           #   n = min(b, left)
	load b
	lt
	jump_if_true short
	load b
	store n
	jump private
short:
	load left
	store n
private:
	load n              #   work(n * %d): the increments' own work
	const %d
	mul
	call work
	pop
%s	load left           #   left -= n
	load n
	sub
	store left
	jump loop
done:
	load %s
	return
end
`, privateWork, privateWork, commit, result) + workFunc
}
