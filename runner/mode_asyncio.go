package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"sync/atomic"
	"time"

	"gilbench/interp"
	"gilbench/vocab"
	"gilbench/workloads"
)

// asyncioMode runs N coroutines on one event loop (interp.Loop): each coroutine is a
// worker taking tasks from one asyncio.Queue-like job queue, and a task runs until it
// awaits. The natives that release the lock (sleep, socket and HTTP round trips, file
// I/O, waits for a lock object) are the await points: their I/O proceeds on a helper
// while the loop runs the next ready coroutine. CPU work never yields, and a native
// that releases the lock to compute (a large hash) blocks the loop.
//
// The job queue is the loop's own, as an asyncio.Queue is: filled before the batch, it
// never makes a worker wait, so taking a job and putting a result are no await points
// (`await queue.get()` on a queue that has items returns without suspending). With CPU
// work alone the first worker therefore runs every task, as it does in Python.
type asyncioMode struct{}

func (asyncioMode) Name() string { return "asyncio" }
func (asyncioMode) Describe() string {
	return "N coroutines on one event loop: a task runs until it awaits I/O, CPU work never yields (asyncio)"
}

// Rules: the loop is one thread of execution, but its awaits' I/O runs on helpers that
// may sit in system calls (a socket read): they get Ps as the thread modes' threads do.
func (asyncioMode) Rules() Rules {
	// Only when named: under one loop the convoy's spinners run one after another, each
	// until its safety deadline, which cost 94 s of a default matrix's 7 minutes.
	return Rules{Role: vocab.Rival, Procs: ThreadGOMAXPROCS, OnRequest: true,
		Idiom: "asyncio: N worker coroutines on one event loop, awaiting an asyncio.Queue",
		Doc:   "https://peps.python.org/pep-3156/", Counterpart: "cpython-asyncio"}
}

func (asyncioMode) Start(ctx context.Context, spec Spec) (Pool, error) {
	local, prog, entry, state, err := newCellProgram(spec)
	if err != nil {
		return nil, err
	}
	loop := interp.NewLoop()
	in := interp.New(prog, loop)
	if err := in.Share(state.shared); err != nil {
		local.Close()
		return nil, err
	}
	p := &asyncioPool{
		loop:  loop,
		entry: entry,
		size:  interp.Value(spec.Size),
		state: state,
		local: local,
		reqs:  make(chan asyncioBatch),
		done:  make(chan struct{}),
	}
	for range spec.Workers {
		p.threads = append(p.threads, in.NewThread())
	}
	if ws := workloadStats(local); ws != nil {
		p.stats = ws
	}
	go p.serve()
	return p, nil
}

// asyncioPool is one event loop and its coroutines' threads. The loop runs on the
// pool's own goroutine (serve), one batch at a time; the coroutines of a batch are
// made there with the timer off.
type asyncioPool struct {
	loop    *interp.Loop
	threads []*interp.Thread
	entry   int
	size    interp.Value
	state   *cellState
	local   *workloads.Local
	stats   statsSource // the workload's figures, nil if none

	reqs   chan asyncioBatch
	done   chan struct{} // closed when serve returns
	stop   atomic.Bool   // a cancelled batch: take no more jobs
	closed bool
}

// asyncioBatch is one batch request to the loop's goroutine.
type asyncioBatch struct {
	tasks int
	reply chan asyncioResult
}

type asyncioResult struct {
	b   Batch
	err error
}

func (p *asyncioPool) serve() {
	defer close(p.done)
	for req := range p.reqs {
		b, err := p.batch(req.tasks)
		req.reply <- asyncioResult{b, err}
	}
}

// batch runs one batch on the loop; it is called on the loop's goroutine.
func (p *asyncioPool) batch(tasks int) (Batch, error) {
	b := Batch{Latencies: make([]time.Duration, 0, tasks)}
	var (
		next, got int
		firstErr  error
		t0, tEnd  time.Time
	)
	// Everything below runs on the loop, one coroutine at a time: no locks.
	for _, th := range p.threads {
		err := p.loop.Spawn(th, func() {
			th.Attach()
			defer th.Detach()
			for next < tasks && !p.stop.Load() {
				i := next
				next++
				start := time.Now()
				v, err := p.call(th, int64(i))
				b.Latencies = append(b.Latencies, time.Since(start))
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("task %d: %w", i, err)
				}
				b.Checksum += v
				if got++; got == tasks {
					tEnd = time.Now()
				}
			}
		})
		if err != nil {
			return b, err
		}
	}
	p.loop.ResetStats()
	if p.stats != nil {
		p.stats.ResetStats()
	}
	t0 = time.Now() // the starting gun: the loop starts
	if err := p.loop.Run(); err != nil {
		return b, err
	}
	if tEnd.IsZero() {
		tEnd = time.Now()
	}
	b.Elapsed = tEnd.Sub(t0)
	b.Metrics = loopMetrics(p.loop.Stats())
	if p.stats != nil {
		maps.Copy(b.Metrics, p.stats.Metrics())
	}
	if firstErr == nil && got < tasks {
		firstErr = errors.New("runner: asyncio batch stopped before its last task")
	}
	return b, firstErr
}

// call runs task i on th, turning a panic into an error with its stack (STYLE.md 7).
func (p *asyncioPool) call(th *interp.Thread, i int64) (v int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in task %d: %v\n%s", i, r, debug.Stack())
		}
	}()
	r, err := th.Call(p.entry, interp.Value(i), p.size)
	return int64(r), err
}

func (p *asyncioPool) Run(ctx context.Context, tasks int) (Batch, error) {
	if p.closed {
		return Batch{}, errors.New("runner: pool is closed")
	}
	if err := p.state.reset(); err != nil {
		return Batch{}, err
	}
	req := asyncioBatch{tasks: tasks, reply: make(chan asyncioResult, 1)}
	p.reqs <- req
	var r asyncioResult
	select {
	case r = <-req.reply:
	case <-ctx.Done():
		// Stop where the coroutines are: the running one at its next check point, the
		// others when their awaits finish. The threads stay interrupted, so the pool
		// cannot be reused.
		p.stop.Store(true)
		for _, th := range p.threads {
			th.Interrupt()
		}
		<-req.reply
		p.Close()
		return Batch{}, ctx.Err()
	}
	m, err := p.state.finish(tasks)
	addMetrics(&r.b, m)
	if err != nil && r.err == nil {
		r.err = err
	}
	return r.b, r.err
}

func (p *asyncioPool) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	close(p.reqs)
	<-p.done
	return p.local.Close()
}

// loopMetrics are an event loop's batch figures by unit: its switches and awaits per
// task and the percentiles of its loop lag.
func loopMetrics(s interp.LoopStats) map[string]float64 {
	p50, p99 := workloads.Percentiles(s.Lags)
	return map[string]float64{
		vocab.LockSwitches.Name: float64(s.Switches),
		vocab.LoopAwaits.Name:   float64(s.Awaits),
		vocab.LoopLagP50.Name:   float64(p50.Nanoseconds()),
		vocab.LoopLagP99.Name:   float64(p99.Nanoseconds()),
	}
}
