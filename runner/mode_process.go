package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"gilbench/interp"
	"gilbench/mp"
	"gilbench/vocab"
	"gilbench/workloads"
)

// The process mode is Python's multiprocessing pattern: N worker OS processes, each with
// an interpreter of its own (and so a lock of its own, uncontended), fed from one
// JoinableQueue of jobs, reporting on one Queue of results. Workers are the running
// binary re-executed (mp); the command, the tests and the benchmarks call mp.Main first.
//
// A batch runs as the in-process pool's does: with the timer off the runner holds the
// gate (an mp.Lock), queues one begin job per worker, the batch's jobs and one
// end-of-batch job per worker, and waits until every worker has taken its begin job and
// stands at the gate; then it starts the timer and releases the gate (the starting gun).
// A worker answers its end-of-batch job with its batch figures (its lock's statistics,
// the workload's own figures such as the convoy's round trips, its trace), which the
// runner merges into the batch, and then waits at a second gate (the end gate, held by
// the runner until every worker has answered) so that no worker takes two end-of-batch
// jobs: one that did would leave another worker's figures out of the batch.
//
// A chunksize (the name key vocab.KeyChunksize, from the workload's sweep) sends several
// tasks in one job message, as Pool.map, Pool.imap and ProcessPoolExecutor.map do: a job
// is the tasks I..I+N-1, and its worker answers with one message for the chunk.

// workerTarget is the registered name of the worker process's body.
const workerTarget = "gilbench.worker"

func init() { mp.Register(workerTarget, processWorker) }

// procJob is one item of the job queue (fixed size: the queue's fast path).
type procJob struct {
	I  int64
	N  int64 // opTask: the tasks I..I+N-1 (a chunk); 0 means one
	Op int64 // opTask, opBegin, opEndBatch or opQuit
}

const (
	opTask int64 = iota
	opBegin
	opEndBatch
	opQuit
)

// procResult is one item of the result queue: a task's result (I ≥ 0), or a message
// about the worker (I < 0: msgReady, msgAtGate, msgBatch). The result of a chunk is one
// message: V is the sum of its tasks' results, Lats their latencies.
type procResult struct {
	I, V    int64
	N       int64   // tasks in the result: 0 or 1 for one task, else a chunk's
	LatNs   int64   // one task's latency
	Lats    []int64 // a chunk's latencies, task by task
	Pid     int
	Err     string
	Metrics map[string]float64 // msgBatch: the worker's batch figures by unit
	Trace   []byte             // msgBatch: its trace events, when tracing
}

const (
	msgReady  int64 = -1 // the worker built its program
	msgAtGate int64 = -2 // the worker took its begin job and waits at the gate
	msgBatch  int64 = -3 // the worker took its end-of-batch job: its figures
)

// workerSpec is everything a worker process needs to know, as one typed argument. The
// queues, the gate and the shared memory follow it as handles (see processArgs).
type workerSpec struct {
	Workload string
	File     string // the user's Python file the workload is, "" for a built-in one
	Params   map[string]string
	Size     int64
	Settings Settings
}

// MaxProcessWorkers bounds the process mode's workers: each is an OS process with a
// Go runtime (about 10 MiB) and a few descriptors in this one.
const MaxProcessWorkers = 256

type processMode struct{}

func (processMode) Name() string { return "process" }
func (processMode) Describe() string {
	return "N worker OS processes (multiprocessing): jobs on one JoinableQueue, results on one Queue"
}
func (processMode) Rules() Rules {
	return Rules{Role: vocab.Rival, OutOfProcess: true, MaxWorkers: MaxProcessWorkers,
		Idiom:       "multiprocessing.Process workers fed by a JoinableQueue, results on a Queue",
		Doc:         "https://docs.python.org/3/library/multiprocessing.html",
		Counterpart: "cpython-process"}
}

type processPool struct {
	chunk   int64         // tasks per job message
	startup time.Duration // from the first worker's spawn to the last one's ready
	procs   []*mp.Process
	jobs    *mp.JoinableQueue[procJob]
	results *mp.Queue[procResult]
	gate    *mp.Lock         // the starting gun: held by the runner until every worker waits at it
	endGate *mp.Lock         // held by the runner until every worker has answered its end-of-batch job
	mem     *procMemory      // the shared memory of the cell's state
	state   *cellState       // that state, as this process sees it
	local   *workloads.Local // this process's resources for the pool
	closed  bool
}

func (processMode) Start(ctx context.Context, spec Spec) (Pool, error) {
	// The program's globals and lock objects live in shared memory that every worker
	// maps; this process reads them after each batch.
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
	chunk, err := chunksize(spec.Params)
	if err != nil {
		local.Close()
		mem.close()
		return nil, err
	}
	p := &processPool{mem: mem, local: local, chunk: chunk}
	shared, err := interp.NewShared(prog, mem.memory())
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("mode process: %w", err)
	}
	p.state = &cellState{shared: shared, spec: spec}
	if err := p.state.reset(); err != nil {
		p.Close()
		return nil, err
	}
	if p.jobs, err = mp.NewJoinableQueue[procJob](0); err != nil {
		p.Close()
		return nil, err
	}
	if p.results, err = mp.NewQueue[procResult](0); err != nil {
		p.Close()
		return nil, err
	}
	if p.gate, err = mp.NewLock(); err != nil {
		p.Close()
		return nil, err
	}
	if p.endGate, err = mp.NewLock(); err != nil {
		p.Close()
		return nil, err
	}
	ws := workerSpec{Workload: spec.Workload.Name, Params: spec.Params, Size: spec.Size, Settings: spec.Settings}
	ws.File, _ = workloads.PythonFile(spec.Workload)
	args := append([]any{ws, p.jobs, p.results, p.gate, p.endGate}, mem.args()...)
	t0 := time.Now()
	for range spec.Workers {
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
		r, err := p.results.GetContext(wctx)
		if err == nil && r.Err != "" {
			err = errors.New(r.Err)
		}
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("worker process failed to start: %w", cause(wctx, err))
		}
	}
	p.startup = time.Since(t0)
	return p, nil
}

func (p *processPool) Run(ctx context.Context, tasks int) (b Batch, err error) {
	if p.closed {
		return Batch{}, errors.New("runner: pool is closed")
	}
	// The workers wait on the job queue: none touches the shared state.
	if err := p.state.reset(); err != nil {
		return Batch{}, err
	}
	wctx, cancel := mp.WithProcesses(ctx, p.procs...)
	defer cancel()
	// Timer off: hold the gate, queue the batch, wait for every worker at the gate.
	if err := p.gate.AcquireContext(wctx); err != nil {
		return b, p.fail(cause(wctx, err))
	}
	held := true
	defer func() {
		if held {
			_ = p.gate.Release()
		}
	}()
	// And the end gate: a worker that has answered its end-of-batch job waits there, so
	// that it cannot take another worker's too (whose figures would then be lost).
	if err := p.endGate.AcquireContext(wctx); err != nil {
		return b, p.fail(cause(wctx, err))
	}
	endHeld := true
	defer func() {
		if endHeld {
			_ = p.endGate.Release()
		}
	}()
	put := func(j procJob) error {
		if err := p.jobs.Put(j); err != nil {
			return p.fail(fmt.Errorf("putting job %d: %w", j.I, err))
		}
		return nil
	}
	for range p.procs {
		if err := put(procJob{Op: opBegin}); err != nil {
			return b, err
		}
	}
	pending := make(map[int64]bool, tasks)
	for i := int64(0); i < int64(tasks); i += p.chunk {
		n := min(p.chunk, int64(tasks)-i)
		for k := i; k < i+n; k++ {
			pending[k] = true
		}
		if err := put(procJob{I: i, N: n}); err != nil {
			return b, err
		}
	}
	for range p.procs {
		if err := put(procJob{Op: opEndBatch}); err != nil {
			return b, err
		}
	}
	for range p.procs {
		r, err := p.results.GetContext(wctx)
		if err == nil && r.I != msgAtGate {
			err = fmt.Errorf("worker pid %d: message %d before the starting gun", r.Pid, r.I)
		}
		if err != nil {
			return b, p.fail(cause(wctx, err))
		}
	}
	cpu0 := p.childCPU()
	b.Latencies = make([]time.Duration, 0, tasks)
	t0 := time.Now()
	held = false
	if err := p.gate.Release(); err != nil { // the starting gun
		return b, p.fail(err)
	}
	var firstErr error
	var reports []procResult
	for done := 0; done < tasks; {
		r, err := p.results.GetContext(wctx)
		if err != nil {
			return b, p.fail(fmt.Errorf("%w; tasks without a result: %s", cause(wctx, err), taskList(pending)))
		}
		if r.I == msgBatch { // a worker that found no more tasks
			reports = append(reports, r)
			continue
		}
		n := max(r.N, 1)
		for k := r.I; k < r.I+n; k++ {
			if !pending[k] {
				return b, p.fail(fmt.Errorf("worker pid %d: a result for task %d, which is not pending", r.Pid, k))
			}
			delete(pending, k)
		}
		done += int(n)
		if r.Err != "" && firstErr == nil {
			firstErr = fmt.Errorf("task %d (worker pid %d): %s", r.I, r.Pid, r.Err)
		}
		b.Checksum += r.V
		if r.Lats == nil {
			b.Latencies = append(b.Latencies, time.Duration(r.LatNs))
		}
		for _, l := range r.Lats {
			b.Latencies = append(b.Latencies, time.Duration(l))
		}
	}
	b.Elapsed = time.Since(t0)
	for len(reports) < len(p.procs) {
		r, err := p.results.GetContext(wctx)
		if err == nil && r.I != msgBatch {
			err = fmt.Errorf("worker pid %d: message %d after the batch", r.Pid, r.I)
		}
		if err != nil {
			return b, p.fail(cause(wctx, err))
		}
		reports = append(reports, r)
	}
	seen := make(map[int]bool, len(reports))
	for _, r := range reports {
		if seen[r.Pid] {
			return b, p.fail(fmt.Errorf("worker pid %d answered two end-of-batch jobs", r.Pid))
		}
		seen[r.Pid] = true
	}
	endHeld = false
	if err := p.endGate.Release(); err != nil {
		return b, p.fail(err)
	}
	// Every worker has taken its end-of-batch job and passed the end gate once the count
	// reaches zero (a worker marks the job done after the gate): the next batch may take
	// the end gate again.
	if err := p.jobs.JoinContext(wctx); err != nil {
		return b, p.fail(cause(wctx, err))
	}
	b.ChildCPU = p.childCPU() - cpu0
	for _, proc := range p.procs {
		if pid, ok, _ := proc.Pid(); ok {
			b.ChildMaxRSS = max(b.ChildMaxRSS, procHWM(pid))
		}
	}
	if err := mergeReports(&b, reports); err != nil && firstErr == nil {
		firstErr = err
	}
	m, err := p.state.finish(tasks)
	addMetrics(&b, m)
	if err != nil && firstErr == nil {
		firstErr = err
	}
	return b, firstErr
}

// mergeReports adds the workers' batch figures to b: per-op totals and rates add up (a
// figure that only one worker measures, such as the convoy's round trips, comes from
// that worker alone); latency percentiles are the worst worker's. Their traces become
// one, a process per worker.
func mergeReports(b *Batch, reports []procResult) error {
	var traces [][]byte
	for _, r := range reports {
		for unit, v := range r.Metrics {
			if b.Metrics == nil {
				b.Metrics = map[string]float64{}
			}
			old, seen := b.Metrics[unit]
			switch {
			case !seen:
				b.Metrics[unit] = v
			case unit == vocab.P50.Name || unit == vocab.P99.Name:
				b.Metrics[unit] = max(old, v)
			default:
				b.Metrics[unit] = old + v
			}
		}
		if len(r.Trace) > 0 {
			traces = append(traces, r.Trace)
		}
	}
	switch len(traces) {
	case 0:
	case 1:
		b.Trace = traces[0]
	default:
		merged, err := interp.MergeTraces(traces...)
		if err != nil {
			return fmt.Errorf("merging the workers' traces: %w", err)
		}
		b.Trace = merged
	}
	return nil
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
	if p.jobs != nil {
		for range p.procs {
			_ = p.jobs.Put(procJob{Op: opQuit})
		}
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
	if p.jobs != nil {
		p.jobs.Close()
	}
	if p.results != nil {
		p.results.Close()
	}
	if p.gate != nil {
		_ = p.gate.Close()
	}
	if p.endGate != nil {
		_ = p.endGate.Close()
	}
	if err := p.mem.close(); err != nil && first == nil {
		first = err
	}
	if err := p.local.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

// chunksize reads the tasks per job message from a cell's parameters: 1 unless the
// name key vocab.KeyChunksize says otherwise.
func chunksize(p workloads.Params) (int64, error) {
	v, ok := p[vocab.KeyChunksize]
	if !ok {
		return 1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("mode process: %s=%q: want a whole number of tasks, at least 1", vocab.KeyChunksize, v)
	}
	return n, nil
}

// withChunksizes is a workload's sweep run at the chunksizes sizes: each variant once
// per size, its own chunksize (if any) replaced; the sweep itself when sizes is empty.
func withChunksizes(sweep []workloads.Variant, sizes []int) []workloads.Variant {
	if len(sizes) == 0 {
		return sweep
	}
	var out []workloads.Variant
	seen := map[string]bool{}
	base := sweep
	if len(base) == 0 {
		base = []workloads.Variant{nil}
	}
	for _, v := range base {
		var rest workloads.Variant
		for _, p := range v {
			if p.Key != vocab.KeyChunksize {
				rest = append(rest, p)
			}
		}
		for _, n := range sizes {
			nv := append(slices.Clone(rest), workloads.Param{Key: vocab.KeyChunksize, Value: strconv.Itoa(n)})
			if !seen[nv.Name()] {
				seen[nv.Name()] = true
				out = append(out, nv)
			}
		}
	}
	return out
}

// cause prefers the reason a context was cancelled (a dead worker's exit error).
func cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		return c
	}
	return err
}

func taskList(pending map[int64]bool) string {
	ids := slices.Sorted(maps.Keys(pending))
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
