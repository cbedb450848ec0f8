package runner

import (
	"fmt"
	"maps"
	"os"
	"time"

	"gilbench/interp"
	"gilbench/mp"
	"gilbench/workloads"
)

// processArgs are a worker process's arguments, read back in the order processMode.Start
// passes them: the spec, then the handles.
type processArgs struct {
	spec    workerSpec
	jobs    *mp.JoinableQueue[procJob]
	results *mp.Queue[procResult]
	gate    *mp.Lock
	endGate *mp.Lock
	mem     *procMemory
}

func readProcessArgs(a mp.Args) (pa processArgs, err error) {
	if pa.spec, err = mp.Arg[workerSpec](a, 0); err != nil {
		return pa, err
	}
	if pa.jobs, err = mp.Arg[*mp.JoinableQueue[procJob]](a, 1); err != nil {
		return pa, err
	}
	if pa.results, err = mp.Arg[*mp.Queue[procResult]](a, 2); err != nil {
		return pa, err
	}
	if pa.gate, err = mp.Arg[*mp.Lock](a, 3); err != nil {
		return pa, err
	}
	if pa.endGate, err = mp.Arg[*mp.Lock](a, 4); err != nil {
		return pa, err
	}
	pa.mem, err = procMemoryArg(a, 5)
	return pa, err
}

// processWorker is the body of a worker process: build the workload's program, say
// ready, then take jobs until told to quit.
func processWorker(a mp.Args) error {
	pa, err := readProcessArgs(a)
	if err != nil {
		return err
	}
	// One job at a time, as multiprocessing's get reads one item: a worker that waits
	// at the gate or has taken its end-of-batch job must hold no job another worker
	// could take (its begin and end jobs are one per worker).
	pa.jobs.SetPrefetch(1)
	pid := os.Getpid()
	local := workloads.NewLocal()
	defer local.Close()
	w, err := newProcessWorker(pa.spec, local, pa.mem.memory())
	if err != nil {
		// Tell the parent why, then fail: its Start reports the message.
		_ = pa.results.Put(procResult{I: msgReady, Pid: pid, Err: err.Error()})
		return err
	}
	if err := pa.results.Put(procResult{I: msgReady, Pid: pid}); err != nil {
		return err
	}
	th := w.thread
	th.Attach()
	defer th.Detach()
	put := func(r procResult) (err error) {
		th.Blocking(func() { err = pa.results.Put(r) })
		return err
	}
	for {
		var j procJob
		th.Blocking(func() { j, err = pa.jobs.Get() })
		if err != nil {
			return err
		}
		switch j.Op {
		case opQuit:
			return pa.jobs.TaskDone()
		case opBegin:
			if err := pa.jobs.TaskDone(); err != nil {
				return err
			}
			w.resetStats()
			if err := put(procResult{I: msgAtGate, Pid: pid}); err != nil {
				return err
			}
			if err := pass(th, pa.gate); err != nil {
				return fmt.Errorf("waiting for the starting gun: %w", err)
			}
			continue
		case opEndBatch:
			th.Detach() // the lock's statistics are complete once no thread holds it
			r := w.report(pid)
			th.Attach()
			if err := put(r); err != nil {
				return err
			}
			// Wait at the end gate until every worker has answered, then mark the job
			// done (the runner's Join then knows every worker is past the gate).
			if err := pass(th, pa.endGate); err != nil {
				return fmt.Errorf("waiting at the end gate: %w", err)
			}
			if err := pa.jobs.TaskDone(); err != nil {
				return err
			}
			continue
		}
		if err := put(w.runJob(j, pa.spec.Size, pid)); err != nil {
			return err
		}
		if err := pa.jobs.TaskDone(); err != nil {
			return err
		}
	}
}

// processWorkerState is a worker process's interpreter and what it counts.
type processWorkerState struct {
	thread *interp.Thread
	entry  int
	stats  statsSource // its own lock and the workload's figures
}

// newProcessWorker builds the interpreter of a worker process: one thread under a GIL of
// its own, as a CPython worker process has, whose globals and lock objects are in the
// cell's shared memory mem (the parent sets their values).
func newProcessWorker(s workerSpec, local *workloads.Local, mem interp.Memory) (*processWorkerState, error) {
	w, err := workloads.Lookup(s.Workload)
	if s.File != "" {
		// The user's file: this process compiles it as the parent does.
		w, err = workloads.ForPythonFile(s.Workload, s.File), nil
	}
	if err != nil {
		return nil, err
	}
	params := workloads.Params(s.Params)
	prog, entry, err := w.Program(params, local)
	if err != nil {
		return nil, err
	}
	shared, err := interp.NewShared(prog, mem)
	if err != nil {
		return nil, err
	}
	gil := newGIL(s.Settings)
	in := interp.New(prog, gil)
	if err := in.Share(shared); err != nil {
		return nil, err
	}
	stats := multiStats{lockSource{gil.(lockStats)}}
	if ws := workloadStats(local); ws != nil {
		stats = append(stats, ws)
	}
	return &processWorkerState{thread: in.NewThread(), entry: entry, stats: stats}, nil
}

// runJob runs the task or the chunk of tasks j and returns its one result message. A
// chunk stops at its first failing task, whose error the message carries.
func (w *processWorkerState) runJob(j procJob, size int64, pid int) procResult {
	if j.N <= 1 {
		t0 := time.Now()
		v, err := w.thread.Call(w.entry, interp.Value(j.I), interp.Value(size))
		r := procResult{I: j.I, V: int64(v), LatNs: int64(time.Since(t0)), Pid: pid}
		if err != nil {
			r.Err = err.Error()
		}
		return r
	}
	r := procResult{I: j.I, N: j.N, Pid: pid, Lats: make([]int64, 0, j.N)}
	for i := j.I; i < j.I+j.N; i++ {
		t0 := time.Now()
		v, err := w.thread.Call(w.entry, interp.Value(i), interp.Value(size))
		r.Lats = append(r.Lats, int64(time.Since(t0)))
		r.V += int64(v)
		if err != nil {
			r.Err = fmt.Sprintf("task %d: %v", i, err)
			break
		}
	}
	return r
}

func (w *processWorkerState) resetStats() { w.stats.ResetStats() }

// report is the worker's figures for the batch that just ended.
func (w *processWorkerState) report(pid int) procResult {
	r := procResult{I: msgBatch, Pid: pid, Metrics: maps.Clone(w.stats.Metrics()), Trace: w.stats.TraceJSON()}
	return r
}

// pass waits, with th's lock released, until the runner lets go of gate.
func pass(th *interp.Thread, gate *mp.Lock) (err error) {
	th.Blocking(func() {
		if err = gate.Acquire(); err == nil {
			err = gate.Release()
		}
	})
	return err
}
