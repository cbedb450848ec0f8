package validate

import (
	"context"
	"fmt"

	"gilbench/cpython"
	"gilbench/runner"
	"gilbench/vocab"
	"gilbench/workloads"
)

// The chunking curve (docs/design/MULTIPROCESSING.md, "Pools and chunking"): tiny tasks
// at 2 workers, one task per job message and 64 per message, beside the one-thread
// loop. gilbench's side is process against sequential; CPython's is the real
// multiprocessing.Pool (cpython-pool, through the embedded driver) against cpython-seq,
// measured by the same engine, interleaved the same way. The figures are the median
// elapsed seconds by key: "seq", and the chunksizes at 2 workers.

// chunkSizes are the chunksizes of the curve: one task per message, and 64.
var chunkSizes = []string{"1", "64"}

func init() {
	register(func(sizes) []experiment { return []experiment{chunkingExperiment()} })
}

// chunkingExperiment is the experiment of the chunking curve and its rows.
func chunkingExperiment() experiment {
	const e = "chunking"
	keys := append([]string{"seq"}, chunkSizes...)
	return experiment{name: e,
		gb: side{mode: "process", workload: "tiny", customKeys: keys,
			custom: func(ctx context.Context, v *validator, _ *cpython.Interpreter) (figures, error) {
				return v.measureChunking(ctx, "sequential", "process", nil)
			}},
		py: &side{mode: "cpython-pool", workload: "tiny", python: cpython3, customKeys: keys,
			custom: func(ctx context.Context, v *validator, py *cpython.Interpreter) (figures, error) {
				return v.measureChunking(ctx, "cpython-seq", "cpython-pool", py)
			}},
		rows: []row{
			{name: "process: tiny, chunksize=1", behaviour: "a job message per task costs more than the task: elapsed(2 workers, chunksize=1) / elapsed(one thread)",
				target: "> 1", value: ratio(e+"/1", e+"/seq"), pass: above(1), show: showRatio, factor: 2},
			{name: "process: tiny, chunksize=64", behaviour: "64 tasks per message pays: elapsed(chunksize=1) / elapsed(chunksize=64), 2 workers",
				target: "≥ 1.5", value: ratio(e+"/1", e+"/64"), pass: atLeast(1.5), show: showRatio, factor: 3},
		}}
}

// measureChunking measures the tiny workload under base (1 worker) and under pool at
// 2 workers per chunksize, interleaved, in CPython py for the Python modes.
func (v *validator) measureChunking(ctx context.Context, base, pool string, py *cpython.Interpreter) (figures, error) {
	w, err := workloads.Lookup("tiny")
	if err != nil {
		return nil, err
	}
	tasks, size := w.DefaultTasks, w.DefaultSize
	cells := []*cell{{mode: base, w: w, workers: 1, tasks: tasks, size: size, settings: runner.DefaultSettings(), key: "seq", python: py}}
	for _, cs := range chunkSizes {
		cells = append(cells, &cell{mode: pool, w: w, workers: 2, tasks: tasks, size: size, settings: runner.DefaultSettings(), key: cs,
			variant: workloads.MakeVariant(vocab.KeyChunksize, cs), python: py})
	}
	if err := v.measure(ctx, cells, ""); err != nil {
		return nil, fmt.Errorf("%s, %s: %w", base, pool, err)
	}
	f := figures{}
	for _, c := range cells {
		f[c.key] = median(c.samples)
	}
	return f, nil
}
