package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gilbench/interp"
	"gilbench/mp"
	"gilbench/workloads"
)

// The process mode is Python's multiprocessing pattern: N worker processes, each with
// an interpreter of its own (and so a lock of its own, uncontended), fed from one
// JoinableQueue of jobs, reporting on one Queue of results. Workers are the running
// binary re-executed (mp); the command, the tests and the benchmarks call mp.Main first.

// workerTarget is the registered name of the worker process's body.
const workerTarget = "gilbench.worker"

func init() {
	mp.Register(workerTarget, processWorker)
	RegisterMode(processMode{})
}

// procJob is one item of the job queue (fixed size: the queue's fast path).
type procJob struct {
	I  int64
	Op int64 // opTask, opEndBatch or opQuit
}

const (
	opTask int64 = iota
	opEndBatch
	opQuit
)

// procResult is one item of the result queue. I is -1 for the "ready" message a worker
// sends once its program is built.
type procResult struct {
	I, V  int64
	LatNs int64
	Pid   int
	Err   string
}

type processMode struct{}

func (processMode) Name() string { return "process" }
func (processMode) Describe() string {
	return "N worker OS processes (multiprocessing): jobs on one JoinableQueue, results on one Queue"
}

type processPool struct {
	procs   []*mp.Process
	jobs    *mp.JoinableQueue[procJob]
	results *mp.Queue[procResult]
	mem     *procMemory      // the shared memory of the cell's state
	state   *cellState       // that state, as this process sees it
	local   *workloads.Local // this process's resources for the pool
	closed  bool
}

func (processMode) Start(ctx context.Context, spec Spec) (Pool, error) {
	// The program's globals and lock objects live in shared memory that every worker
	// maps; this process reads them after each batch. Every worker process makes a
	// Local of its own; this one is the parent's.
	local := workloads.NewLocal()
	prog, _, err := spec.Workload.Program(spec.Params, local)
	if err != nil {
		local.Close()
		return nil, err
	}
	mem, err := newProcMemory(prog)
	if err != nil {
		local.Close()
		return nil, err
	}
	shared, err := interp.NewShared(prog, mem.memory())
	if err != nil {
		mem.close()
		local.Close()
		return nil, fmt.Errorf("mode process: %w", err)
	}
	state := &cellState{shared: shared, spec: spec}
	if err := state.reset(); err != nil {
		mem.close()
		local.Close()
		return nil, err
	}
	jobs, err := mp.NewJoinableQueue[procJob](0)
	if err != nil {
		mem.close()
		local.Close()
		return nil, err
	}
	results, err := mp.NewQueue[procResult](0)
	if err != nil {
		jobs.Close()
		mem.close()
		local.Close()
		return nil, err
	}
	p := &processPool{jobs: jobs, results: results, mem: mem, state: state, local: local}
	for range spec.Workers {
		args := append([]any{spec.Workload.Name, map[string]string(spec.Params), spec.Size,
			int64(spec.Settings.SwitchInterval), jobs, results}, mem.args()...)
		// A worker is a single-threaded interpreter, as a CPython worker process is: one
		// P is all it needs, and a second one only lets the Go scheduler's idle
		// spinning take CPU from the other workers (measured: 1.6× → 1.8–2.0× at two
		// workers on two cores).
		proc := mp.NewProcessWith(mp.Options{Env: []string{"GOMAXPROCS=1"}}, workerTarget, args...)
		if err := proc.Start(); err != nil {
			p.Close()
			return nil, fmt.Errorf("starting worker process: %w", err)
		}
		p.procs = append(p.procs, proc)
	}
	// Start-up ends when every worker has built its program and said so.
	wctx, cancel := mp.WithProcesses(ctx, p.procs...)
	defer cancel()
	for range p.procs {
		r, err := results.GetContext(wctx)
		if err == nil && r.Err != "" {
			err = errors.New(r.Err)
		}
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("worker process failed to start: %w", cause(wctx, err))
		}
	}
	return p, nil
}

func (p *processPool) Run(ctx context.Context, tasks int) (Batch, error) {
	if p.closed {
		return Batch{}, errors.New("runner: pool is closed")
	}
	// The workers wait on the job queue: none touches the shared state.
	if err := p.state.reset(); err != nil {
		return Batch{}, err
	}
	wctx, cancel := mp.WithProcesses(ctx, p.procs...)
	defer cancel()
	cpu0 := p.childCPU()
	b := Batch{Latencies: make([]time.Duration, 0, tasks)}
	pending := make(map[int64]bool, tasks)
	t0 := time.Now()
	// The jobs are put after the starting gun: the workers are already waiting on the
	// queue, and putting is microseconds against tasks of milliseconds.
	for i := range int64(tasks) {
		pending[i] = true
		if err := p.jobs.Put(procJob{I: i}); err != nil {
			return b, p.fail(fmt.Errorf("putting job %d: %w", i, err))
		}
	}
	for range p.procs {
		if err := p.jobs.Put(procJob{Op: opEndBatch}); err != nil {
			return b, p.fail(err)
		}
	}
	var firstErr error
	for range tasks {
		r, err := p.results.GetContext(wctx)
		if err != nil {
			return b, p.fail(fmt.Errorf("%w; tasks without a result: %s", cause(wctx, err), taskList(pending)))
		}
		delete(pending, r.I)
		if r.Err != "" && firstErr == nil {
			firstErr = fmt.Errorf("task %d (worker pid %d): %s", r.I, r.Pid, r.Err)
		}
		b.Checksum += r.V
		b.Latencies = append(b.Latencies, time.Duration(r.LatNs))
	}
	b.Elapsed = time.Since(t0)
	// Every worker has taken its end-of-batch job once the count reaches zero.
	if err := p.jobs.JoinContext(wctx); err != nil {
		return b, p.fail(cause(wctx, err))
	}
	b.ChildCPU = p.childCPU() - cpu0
	for _, proc := range p.procs {
		if pid, ok, _ := proc.Pid(); ok {
			b.ChildMaxRSS = max(b.ChildMaxRSS, procHWM(pid))
		}
	}
	m, err := p.state.finish(tasks)
	addMetrics(&b, m)
	if err != nil && firstErr == nil {
		firstErr = err
	}
	return b, firstErr
}

// fail ends the pool after a failed batch (its queues hold leftovers) and returns err.
func (p *processPool) fail(err error) error {
	for _, proc := range p.procs {
		_ = proc.Stop()
	}
	p.Close()
	return err
}

// Close asks every worker to quit, waits for it, and stops (SIGTERM, then SIGKILL) any
// that does not quit in time. Every child is waited for.
func (p *processPool) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	for range p.procs {
		_ = p.jobs.Put(procJob{Op: opQuit})
	}
	var first error
	for _, proc := range p.procs {
		if err := proc.JoinTimeout(5 * time.Second); err != nil && first == nil {
			first = err
		}
		if alive, _ := proc.IsAlive(); alive {
			_ = proc.Stop()
			_ = proc.Join()
		}
		_ = proc.Close()
	}
	p.jobs.Close()
	p.results.Close()
	if err := p.mem.close(); err != nil && first == nil {
		first = err
	}
	if err := p.local.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

// cause prefers the reason a context was cancelled (a dead worker's exit error).
func cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		return c
	}
	return err
}

func taskList(pending map[int64]bool) string {
	var ids []int64
	for i := range pending {
		ids = append(ids, i)
	}
	slices.Sort(ids)
	var s []string
	for k, i := range ids {
		if k == 10 {
			s = append(s, fmt.Sprintf("and %d more", len(ids)-10))
			break
		}
		s = append(s, strconv.FormatInt(i, 10))
	}
	return strings.Join(s, ", ")
}

// childCPU is the user+sys time the workers have used, read from /proc while they run.
func (p *processPool) childCPU() time.Duration {
	var total time.Duration
	for _, proc := range p.procs {
		if pid, ok, _ := proc.Pid(); ok {
			total += procCPU(pid)
		}
	}
	return total
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times; 100 on Linux.
const clockTick = 100

func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start after the last ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTick
}

// procHWM is a process's peak RSS (VmHWM) in bytes.
func procHWM(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// processWorker is the body of a worker process: build the workload's program, say
// ready, then take jobs until told to quit.
func processWorker(a mp.Args) error {
	name, err := mp.Arg[string](a, 0)
	if err != nil {
		return err
	}
	params, err := mp.Arg[map[string]string](a, 1)
	if err != nil {
		return err
	}
	size, err := mp.Arg[int64](a, 2)
	if err != nil {
		return err
	}
	interval, err := mp.Arg[int64](a, 3)
	if err != nil {
		return err
	}
	jobs, err := mp.Arg[*mp.JoinableQueue[procJob]](a, 4)
	if err != nil {
		return err
	}
	results, err := mp.Arg[*mp.Queue[procResult]](a, 5)
	if err != nil {
		return err
	}
	mem, err := procMemoryArg(a, 6)
	if err != nil {
		return err
	}
	pid := os.Getpid()
	local := workloads.NewLocal()
	defer local.Close()
	th, entry, err := workerThread(name, workloads.Params(params), local, time.Duration(interval), mem.memory())
	if err != nil {
		// Tell the parent why, then fail: its Start reports the message.
		_ = results.Put(procResult{I: -1, Pid: pid, Err: err.Error()})
		return err
	}
	if err := results.Put(procResult{I: -1, Pid: pid}); err != nil {
		return err
	}
	th.Attach()
	defer th.Detach()
	for {
		var j procJob
		th.Blocking(func() { j, err = jobs.Get() })
		if err != nil {
			return err
		}
		switch j.Op {
		case opQuit:
			return jobs.TaskDone()
		case opEndBatch:
			if err := jobs.TaskDone(); err != nil {
				return err
			}
			continue
		}
		t0 := time.Now()
		v, err := th.Call(entry, interp.Value(j.I), interp.Value(size))
		r := procResult{I: j.I, V: int64(v), LatNs: int64(time.Since(t0)), Pid: pid}
		if err != nil {
			r.Err = err.Error()
		}
		th.Blocking(func() { err = results.Put(r) })
		if err != nil {
			return err
		}
		if err := jobs.TaskDone(); err != nil {
			return err
		}
	}
}

// workerThread builds the interpreter of a worker process: one thread under a GIL of its
// own, as a CPython worker process has, whose natives use the worker's Local and whose
// globals and lock objects are in the cell's shared memory mem (the parent sets their
// values).
func workerThread(name string, params workloads.Params, local *workloads.Local, interval time.Duration, mem interp.Memory) (*interp.Thread, int, error) {
	w, err := workloads.Lookup(name)
	if err != nil {
		return nil, 0, err
	}
	prog, entry, err := w.Program(params, local)
	if err != nil {
		return nil, 0, err
	}
	shared, err := interp.NewShared(prog, mem)
	if err != nil {
		return nil, 0, err
	}
	in := interp.New(prog, interp.NewGIL(interval))
	if err := in.Share(shared); err != nil {
		return nil, 0, err
	}
	return in.NewThread(), entry, nil
}
