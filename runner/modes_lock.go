package runner

import (
	"runtime"

	"gilbench/interp"
	"gilbench/workloads"
)

// The modes with an interpreter lock: one interpreter whose threads share a new GIL
// (gil) or a legacy GIL (gil-legacy), and one interpreter per worker, each with a GIL of
// its own (subinterp). Their locks are statsSources: the pool reads lock statistics and
// trace events after every batch.

func newGIL(s Settings) interp.Lock {
	iv := s.SwitchInterval
	if iv <= 0 {
		iv = DefaultSettings.SwitchInterval
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
		ci = DefaultSettings.CheckInterval
	}
	l := interp.NewLegacyGIL(ci)
	if s.Trace {
		l.EnableTrace(interp.DefaultTraceLimit)
	}
	return l
}

func init() {
	RegisterMode(&interpMode{
		name:    "gil",
		desc:    "N threads of one interpreter sharing CPython's new GIL (switch interval, forced hand-off)",
		newLock: newGIL,
	})
	RegisterMode(&interpMode{
		name:    "gil-legacy",
		desc:    "N threads of one interpreter sharing CPython 2's GIL (released every check interval, no hand-off)",
		newLock: newLegacyGIL,
	})
	RegisterMode(&interpMode{
		name:      "subinterp",
		desc:      "N interpreters, one thread each, each with its own GIL (PEP 684)",
		newLock:   newGIL,
		perWorker: true,
	})
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
