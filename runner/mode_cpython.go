package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gilbench/cpython"
	"gilbench/vocab"
	"gilbench/workloads"
)

// The CPython modes run the workload's Python file (workloads/py) in a real interpreter,
// through the embedded driver (package cpython), which builds the same pool as the Go
// side: one job queue, one result queue, a sentinel per worker, a starting gun. Each
// cell is one interpreter of Config.Pythons (python=3.13 in its name); the driver times
// the batch itself and reports the CPU time of its process and its worker processes.
// A strategy the interpreter lacks, and a workload the strategy cannot run faithfully,
// are skipped cells with the reason in their outcome line.

type cpythonMode struct {
	name, strategy, desc string
	rules                Rules
	// lacks says why py cannot run the strategy at all ("" if it can).
	lacks func(py *cpython.Interpreter) string
	// starts: the strategy starts worker processes with multiprocessing, at the cell's
	// start method (Cell.Start, start=METHOD in its name).
	starts bool
}

func (m *cpythonMode) Name() string     { return m.name }
func (m *cpythonMode) Describe() string { return m.desc }
func (m *cpythonMode) Rules() Rules     { return m.rules }

// nameKeys are python=KEY and, for processes, start=METHOD.
func (m *cpythonMode) nameKeys(c Cell) string {
	if c.Python == nil {
		return ""
	}
	s := "/" + vocab.KeyPython + "=" + c.Python.Key()
	if m.starts {
		s += "/" + vocab.KeyStart + "=" + startMethod(c.Python, c.Start)
	}
	return s
}

// startMethod is the start method a cell of py runs with: the one asked for, else py's
// own default.
func startMethod(py *cpython.Interpreter, asked string) string {
	if asked != "" {
		return asked
	}
	if py.DefaultStart != "" {
		return py.DefaultStart
	}
	return "fork"
}

func (m *cpythonMode) Start(ctx context.Context, spec Spec) (Pool, error) {
	py := spec.Python
	if py == nil {
		return nil, fmt.Errorf("mode %s: the cell has no Python interpreter", m.name)
	}
	if m.lacks != nil {
		if reason := m.lacks(py); reason != "" {
			return nil, &SkipError{Reason: reason}
		}
	}
	c := cpython.Config{
		Strategy: m.strategy, Workers: spec.Workers, Size: spec.Size, Params: spec.Params,
		SwitchInterval: spec.Settings.SwitchInterval, CheckInterval: spec.Settings.CheckInterval,
	}
	if m.starts {
		c.Start = startMethod(py, spec.Start)
		if !py.HasStart(c.Start) {
			return nil, &SkipError{Reason: fmt.Sprintf("Python %s has no multiprocessing start method %s", py.Version, c.Start)}
		}
	}
	if path, ok := workloads.PythonFile(spec.Workload); ok {
		c.Path = path
	} else if src, ok := workloads.PythonSource(spec.Workload.Name); ok {
		c.Name, c.Source = workloads.PythonFileName(spec.Workload.Name), src
		if m.strategy == cpython.Asyncio {
			c.AsyncSource, _ = workloads.PythonAsyncSource(spec.Workload.Name)
		}
	} else {
		return nil, &SkipError{Reason: fmt.Sprintf("workload %s has no Python source", spec.Workload.Name)}
	}
	c.StartTimeout = cpythonStartTimeout
	d, err := cpython.Start(ctx, py, c)
	var skip *cpython.SkipError
	if errors.As(err, &skip) {
		return nil, &SkipError{Reason: skip.Reason}
	}
	if err != nil {
		return nil, err
	}
	return &cpythonPool{d: d, workers: spec.Workers}, nil
}

type cpythonPool struct {
	d       *cpython.Driver
	workers int
}

func (p *cpythonPool) Run(ctx context.Context, tasks int) (Batch, error) {
	b, err := p.d.Batch(ctx, tasks)
	return Batch{
		Elapsed: b.Elapsed, Checksum: b.Checksum, Latencies: b.Latencies,
		ChildCPU: b.CPU, ChildMaxRSS: b.MaxRSS, Metrics: b.Metrics,
	}, err
}

func (p *cpythonPool) Close() error { return p.d.Close() }

// The CPython modes of the mode table.
var (
	cpythonSeq = &cpythonMode{name: "cpython-seq", strategy: cpython.Seq,
		desc: "real CPython, one thread: the CPython engine's baseline",
		rules: Rules{Role: vocab.Baseline, Single: true, OutOfProcess: true, Python: true,
			Idiom: "a plain loop on one thread, run by real CPython", Doc: "https://docs.python.org/3/tutorial/controlflow.html"}}
	cpythonThreads = &cpythonMode{name: "cpython-threads", strategy: cpython.Threads,
		desc: "real CPython, N threading.Thread workers over queue.Queue (real free threading on a free-threaded build: python=3.Nt)",
		rules: Rules{Role: vocab.Rival, OutOfProcess: true, Python: true,
			Idiom: "threading.Thread workers over queue.Queue, run by real CPython", Doc: "https://docs.python.org/3/library/threading.html"}}
	cpythonProcess = &cpythonMode{name: "cpython-process", strategy: cpython.Process, starts: true,
		desc: "real CPython, N multiprocessing.Process workers over a JoinableQueue of jobs and a Queue of results",
		rules: Rules{Role: vocab.Rival, OutOfProcess: true, Python: true, MaxWorkers: MaxProcessWorkers,
			Idiom: "multiprocessing.Process workers over a JoinableQueue and a Queue, real CPython", Doc: "https://docs.python.org/3/library/multiprocessing.html"}}
	cpythonSubinterp = &cpythonMode{name: "cpython-subinterp", strategy: cpython.Subinterp,
		desc: "real CPython, one sub-interpreter with its own GIL per worker, each on its own thread (3.12+)",
		rules: Rules{Role: vocab.Rival, OutOfProcess: true, Python: true, MaxWorkers: 256, OnRequest: true,
			Idiom: "one sub-interpreter per worker thread (concurrent.interpreters, 3.14+; _interpreters on 3.12-3.13)", Doc: "https://peps.python.org/pep-0734/"},
		lacks: func(py *cpython.Interpreter) string {
			if py.Subinterp == "" {
				return fmt.Sprintf("Python %s has no sub-interpreters with a GIL of their own (3.12 and later have them)", py.Version)
			}
			return ""
		}}
	cpythonAsyncio = &cpythonMode{name: "cpython-asyncio", strategy: cpython.Asyncio,
		desc: "real CPython, one asyncio event loop running N worker coroutines; CPU work blocks the loop",
		rules: Rules{Role: vocab.Rival, OutOfProcess: true, Python: true, OnRequest: true,
			Idiom: "asyncio.gather of N worker coroutines on one event loop, real CPython", Doc: "https://docs.python.org/3/library/asyncio.html"},
		lacks: func(py *cpython.Interpreter) string {
			if !py.Asyncio {
				return fmt.Sprintf("Python %s has no asyncio with async/await (3.5 and later have it)", py.Version)
			}
			return ""
		}}
)

// cpythonStartTimeout is how long a CPython cell's workers may take to start.
const cpythonStartTimeout = time.Minute
