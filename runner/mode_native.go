package runner

import (
	"context"

	"gilbench/vocab"
	"gilbench/workloads"
)

// nativeMode runs the workload's Go twin on goroutines.
type nativeMode struct{}

func (nativeMode) Name() string { return "native" }
func (nativeMode) Rules() Rules {
	return Rules{Role: vocab.Reference, Idiom: "no Python: the same work in plain Go on goroutines", Doc: "https://go.dev/doc/effective_go#concurrency"}
}
func (nativeMode) Describe() string {
	return "the Go twin on N goroutines: what a Go programmer writes"
}

func (nativeMode) Start(ctx context.Context, spec Spec) (Pool, error) {
	// The twins share the state the program would: built from the program's layout.
	local, _, _, state, err := newCellProgram(spec)
	if err != nil {
		return nil, err
	}
	var workers []worker
	for range spec.Workers {
		wctx := workloads.WithLocal(workloads.WithShared(context.Background(), state.shared), local)
		wctx, cancel := context.WithCancel(wctx)
		workers = append(workers, &twinWorker{w: spec.Workload, p: spec.Params, size: spec.Size, ctx: wctx, cancel: cancel})
	}
	var src statsSource
	if ws := workloadStats(local); ws != nil {
		src = ws
	}
	return newInprocPool(workers, src, state, local), nil
}

type twinWorker struct {
	w      *workloads.Workload
	p      workloads.Params
	size   int64
	ctx    context.Context
	cancel context.CancelFunc
}

func (w *twinWorker) begin()         {}
func (w *twinWorker) end()           {}
func (w *twinWorker) block(f func()) { f() }
func (w *twinWorker) interrupt()     { w.cancel() }
func (w *twinWorker) do(_ context.Context, i int64) (int64, error) {
	return w.w.Twin(w.ctx, w.p, i, w.size)
}
