package runner

import (
	"context"
	"fmt"
	"runtime"
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
	rules     Rules
}

func (m *interpMode) Name() string     { return m.name }
func (m *interpMode) Describe() string { return m.desc }
func (m *interpMode) Rules() Rules     { return m.rules }

func (m *interpMode) Start(ctx context.Context, spec Spec) (Pool, error) {
	if m.rules.Single && spec.Workers != 1 {
		return nil, fmt.Errorf("mode %s runs one worker, not %d", m.name, spec.Workers)
	}
	local, prog, entry, state, err := newCellProgram(spec)
	if err != nil {
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

func newGIL(s Settings) interp.Lock {
	iv := s.SwitchInterval
	if iv <= 0 {
		iv = DefaultSettings().SwitchInterval
	}
	g := interp.NewGIL(iv)
	if s.Trace {
		g.EnableTrace(interp.DefaultTraceLimit)
	}
	return g
}

func newLegacyGIL(s Settings) interp.Lock {
	ci := s.CheckInterval
	if ci <= 0 {
		ci = DefaultSettings().CheckInterval
	}
	l := interp.NewLegacyGIL(ci)
	if s.Trace {
		l.EnableTrace(interp.DefaultTraceLimit)
	}
	return l
}

// workloadStats returns the batch statistics the cell's workload keeps in the pool's
// Local (the convoy's round trips), nil if it keeps none.
func workloadStats(l *workloads.Local) statsSource {
	if s, ok := l.Stats(); ok {
		return batchStats{s}
	}
	return nil
}

// batchStats makes a workload's BatchStats a statsSource without a trace.
type batchStats struct{ workloads.BatchStats }

func (batchStats) TraceJSON() []byte { return nil }

// ThreadGOMAXPROCS is a GOMAXPROCS at which no interpreter thread of a cell with workers
// threads waits for a Go P. A goroutine locked to its OS thread needs a P to run Go code;
// a P stays with a thread blocked in a system call (a futex wait for the lock, a socket
// read) until sysmon takes it back, 20 µs to 10 ms later. With GOMAXPROCS equal to the
// number of cores and more threads than cores, a thread woken by the kernel can then
// wait for Go's scheduler instead of running, which hides the convoy effect and
// distorts the legacy GIL's battle. With a P for every thread (and for the servers a
// workload runs beside them), the kernel alone decides who runs, as for CPython.
func ThreadGOMAXPROCS(workers int) int { return max(runtime.NumCPU(), 2*workers+4) }
