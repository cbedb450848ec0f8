package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"gilbench/queue"
	"gilbench/workloads"
)

// worker is one in-process worker: a thread of an interpreter, or a plain goroutine.
// Every in-process mode is a way of making workers; the pool around them is shared.
type worker interface {
	// begin runs on the worker's goroutine when a batch is released (a thread attaches
	// to its interpreter lock); end when the batch is over (it detaches).
	begin()
	end()
	// do runs task i and returns its result.
	do(ctx context.Context, i int64) (int64, error)
	// block runs f, a blocking wait, the way the worker waits: an interpreter thread
	// releases its lock around it.
	block(f func())
	// interrupt asks a running do to stop soon; safe from any goroutine.
	interrupt()
}

// job is one item of the job queue; stop is the per-worker sentinel that ends a batch.
type job struct {
	i    int64
	stop bool
}

// result is one item of the result queue.
type result struct {
	i   int64
	v   int64
	lat time.Duration
	err error
}

// inprocPool runs workers on goroutines, each locked to its own OS thread (as CPython
// threads are OS threads), fed from one job queue, reporting to one result queue.
type inprocPool struct {
	workers []worker
	jobs    *queue.Queue[job]
	results *queue.Queue[result]
	release []chan struct{} // one gate per batch per worker
	gate    chan chan struct{}
	wg      sync.WaitGroup
	closed  bool
	// stats, if not nil, is reset before and read after each batch.
	stats statsSource
	// state is the cell's shared state, reset before and checked after each batch.
	state *cellState
	// local is the pool's per-process resources, closed with the pool.
	local *workloads.Local
}

// statsSource is what a pool reads after each batch: the statistics and traces of its
// interpreter locks (lockSource) and of its workload (workloadStats).
type statsSource interface {
	// ResetStats starts a new batch's statistics (and trace, if tracing).
	ResetStats()
	// Metrics returns the batch's totals by unit, e.g. "switches/op".
	Metrics() map[string]float64
	// TraceJSON returns the batch's trace events, nil when not tracing.
	TraceJSON() []byte
}

func newInprocPool(workers []worker, stats statsSource, state *cellState, local *workloads.Local) *inprocPool {
	p := &inprocPool{
		workers: workers,
		jobs:    queue.New[job](0),
		results: queue.New[result](0),
		gate:    make(chan chan struct{}),
		stats:   stats,
		state:   state,
		local:   local,
	}
	for _, w := range workers {
		p.wg.Add(1)
		go p.loop(w)
	}
	return p
}

// loop is one worker's goroutine: wait for a batch, take jobs until a sentinel, repeat
// until the pool closes.
func (p *inprocPool) loop(w worker) {
	defer p.wg.Done()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ctx := context.Background()
	for start := range p.gate {
		<-start
		w.begin()
		stopped := false
		for {
			var j job
			var err error
			w.block(func() { j, err = p.jobs.Get() })
			if err != nil {
				break
			}
			if j.stop {
				stopped = true
				break
			}
			t0 := time.Now()
			v, err := safeDo(ctx, w, j.i)
			r := result{i: j.i, v: v, lat: time.Since(t0), err: err}
			w.block(func() { _ = p.results.Put(r) })
			_ = p.jobs.TaskDone()
		}
		// Detach before reporting the sentinel done: Run reads the lock's statistics
		// once every sentinel is done, and they must be complete.
		w.end()
		if stopped {
			_ = p.jobs.TaskDone()
		}
	}
}

// safeDo turns a panic in a task into an error with its stack (STYLE.md 7).
func safeDo(ctx context.Context, w worker, i int64) (v int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in task %d: %v\n%s", i, r, debug.Stack())
		}
	}()
	return w.do(ctx, i)
}

func (p *inprocPool) Run(ctx context.Context, tasks int) (Batch, error) {
	if p.closed {
		return Batch{}, errors.New("runner: pool is closed")
	}
	// Every worker waits for its gate: none touches the shared state.
	if err := p.state.reset(); err != nil {
		return Batch{}, err
	}
	// Timer off: queue every job and the sentinels, then hand each worker its gate.
	for i := range tasks {
		_ = p.jobs.Put(job{i: int64(i)})
	}
	for range p.workers {
		_ = p.jobs.Put(job{stop: true})
	}
	start := make(chan struct{})
	for range p.workers {
		p.gate <- start
	}
	if p.stats != nil {
		p.stats.ResetStats()
	}
	b := Batch{Latencies: make([]time.Duration, 0, tasks)}
	t0 := time.Now()
	close(start) // the starting gun
	var firstErr error
	for n := 0; n < tasks; n++ {
		r, err := p.results.GetContext(ctx)
		if err != nil { // cancelled: stop the workers where they are
			p.abort()
			return b, err
		}
		if r.err != nil && firstErr == nil {
			firstErr = fmt.Errorf("task %d: %w", r.i, r.err)
		}
		b.Checksum += r.v
		b.Latencies = append(b.Latencies, r.lat)
	}
	b.Elapsed = time.Since(t0)
	// Every worker has met its sentinel once the queue's tasks are all done.
	p.jobs.Join()
	if p.stats != nil {
		b.Metrics = p.stats.Metrics()
		b.Trace = p.stats.TraceJSON()
	}
	m, err := p.state.finish(tasks)
	addMetrics(&b, m)
	if err != nil && firstErr == nil {
		firstErr = err
	}
	return b, firstErr
}

// abort interrupts running tasks and ends the pool: after a cancelled batch the queues
// hold leftovers, so the pool cannot be reused.
func (p *inprocPool) abort() {
	for _, w := range p.workers {
		w.interrupt()
	}
	p.jobs.Shutdown(true)
	p.results.Shutdown(true)
	p.Close()
}

func (p *inprocPool) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	close(p.gate)
	p.jobs.Shutdown(true)
	p.wg.Wait()
	return p.local.Close()
}
