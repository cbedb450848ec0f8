package workloads

import (
	"context"
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
		Natives:      settingsNatives,
		Twin:         pipelineTwin,
		Want:         func(_, size int64) int64 { return size },
		Sweep:        csSweep,
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
