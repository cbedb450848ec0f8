package runner

import (
	"context"
	"fmt"
	"slices"

	"gilbench/interp"
	"gilbench/workloads"
)

// interpMode runs the workload's bytecode on interpreter threads. The interpreted modes
// differ only in their locks: none (free threading), one shared, one per interpreter.
type interpMode struct {
	name, desc string
	// newLock makes the lock of one interpreter; nil means no lock.
	newLock func(s Settings) interp.Lock
	// perWorker gives every worker an interpreter of its own (PEP 684); otherwise all
	// workers are threads of one interpreter.
	perWorker bool
	// single forces one worker (the sequential baseline).
	single bool
}

func (m *interpMode) Name() string     { return m.name }
func (m *interpMode) Describe() string { return m.desc }

func (m *interpMode) Start(ctx context.Context, spec Spec) (Pool, error) {
	if m.single && spec.Workers != 1 {
		return nil, fmt.Errorf("mode %s runs one worker, not %d", m.name, spec.Workers)
	}
	local := workloads.NewLocal()
	prog, entry, err := spec.Workload.Program(spec.Params, local)
	if err != nil {
		local.Close()
		return nil, err
	}
	state, err := newCellState(spec, prog)
	if err != nil {
		local.Close()
		return nil, err
	}
	var (
		in      *interp.Interpreter
		stats   multiStats
		workers []worker
	)
	newInterp := func() (*interp.Interpreter, error) {
		var l interp.Lock
		if m.newLock != nil {
			l = m.newLock(spec.Settings)
		}
		if s, ok := l.(lockStats); ok {
			stats = append(stats, lockSource{s})
		}
		in := interp.New(prog, l)
		return in, in.Share(state.shared) // every interpreter of the cell, one state
	}
	for range spec.Workers {
		if in == nil || m.perWorker {
			if in, err = newInterp(); err != nil {
				local.Close()
				return nil, err
			}
		}
		workers = append(workers, &threadWorker{t: in.NewThread(), entry: entry, size: interp.Value(spec.Size)})
	}
	if ws := workloadStats(local); ws != nil {
		stats = append(stats, ws)
	}
	var src statsSource
	if len(stats) > 0 {
		src = stats
	}
	return newInprocPool(workers, src, state, local), nil
}

// threadWorker is one interpreter thread.
type threadWorker struct {
	t     *interp.Thread
	entry int
	size  interp.Value
}

func (w *threadWorker) begin()         { w.t.Attach() }
func (w *threadWorker) end()           { w.t.Detach() }
func (w *threadWorker) block(f func()) { w.t.Blocking(f) }
func (w *threadWorker) interrupt()     { w.t.Interrupt() }
func (w *threadWorker) do(_ context.Context, i int64) (int64, error) {
	v, err := w.t.Call(w.entry, interp.Value(i), w.size)
	return int64(v), err
}

// nativeMode runs the workload's Go twin on goroutines.
type nativeMode struct{}

func (nativeMode) Name() string { return "native" }
func (nativeMode) Describe() string {
	return "the Go twin on N goroutines: what a Go programmer writes"
}

func (nativeMode) Start(ctx context.Context, spec Spec) (Pool, error) {
	// The twins share the state the program would: built from the program's layout.
	local := workloads.NewLocal()
	prog, _, err := spec.Workload.Program(spec.Params, local)
	if err != nil {
		local.Close()
		return nil, err
	}
	state, err := newCellState(spec, prog)
	if err != nil {
		local.Close()
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

// multiStats gathers the statistics of several locks (one per interpreter).
type multiStats []statsSource

func (m multiStats) ResetStats() {
	for _, s := range m {
		s.ResetStats()
	}
}

func (m multiStats) Metrics() map[string]float64 {
	out := map[string]float64{}
	for _, s := range m {
		for k, v := range s.Metrics() {
			out[k] += v
		}
	}
	return out
}

func (m multiStats) TraceJSON() []byte {
	var parts [][]byte
	for _, s := range m {
		if t := s.TraceJSON(); t != nil {
			parts = append(parts, t)
		}
	}
	if len(parts) <= 1 {
		return slices.Concat(parts...)
	}
	merged, err := interp.MergeTraces(parts...) // one process per interpreter
	if err != nil {
		return nil
	}
	return merged
}

func init() {
	RegisterMode(&interpMode{name: "sequential", desc: "one interpreter thread, no contention: the baseline", single: true})
	RegisterMode(&interpMode{name: "goroutine", desc: "N interpreter threads and no lock: free threading (PEP 703)"})
	RegisterMode(nativeMode{})
}
