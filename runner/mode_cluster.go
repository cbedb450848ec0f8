package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"gilbench/cluster"
	"gilbench/interp"
	"gilbench/mp"
	"gilbench/vocab"
	"gilbench/workloads"
)

// The cluster mode is the step past one machine: a broker-backed task queue (Celery,
// RQ, Dramatiq) on NATS JetStream (package cluster). Its workers are processes with an
// interpreter each, as the process mode's, but jobs reach them through a work-queue
// stream with explicit acks and results come back through a stream: every task crosses
// the broker twice, and a worker may be on another host.
//
// The server is embedded in the cell's process on loopback (file-backed, in a temp
// directory) unless Settings.NATS names one. The workers are started by the cell as
// local processes, one P each (GOMAXPROCS=1, as the process mode's), unless
// Settings.RemoteWorkers says that `gilbench worker` processes elsewhere serve it; the
// cell then waits for them. Start-up — server, connections, consumers ready — is the
// engine's start-up figure; connect-ns is the workers' share of it.
//
// The cell's own workers share its state (globals, locks) through shared memory, as the
// process mode's do; remote workers share no memory, so a cell with shared state and
// remote workers is refused.

// clusterWorkerTarget is the registered name of a cluster worker process's body.
const clusterWorkerTarget = "gilbench.cluster-worker"

func init() { mp.Register(clusterWorkerTarget, clusterWorkerProcess) }

// clusterStartTimeout bounds the wait for the cell's workers to be ready.
const clusterStartTimeout = time.Minute

type clusterMode struct{}

// nameKeys are prefetch=N and ackwait=D, the queue's two knobs, defaults spelled out.
func (clusterMode) nameKeys(c Cell) string {
	prefetch, ackWait := clusterKnobs(c.Settings)
	return fmt.Sprintf("/%s=%d/%s=%v", vocab.KeyPrefetch, prefetch, vocab.KeyAckWait, ackWait)
}

// clusterKnobs are the prefetch and the ack wait a cell runs with: the settings', or
// the cluster package's defaults.
func clusterKnobs(s Settings) (prefetch int, ackWait time.Duration) {
	prefetch, ackWait = s.Prefetch, s.AckWait
	if prefetch <= 0 {
		prefetch = cluster.DefaultPrefetch
	}
	if ackWait <= 0 {
		ackWait = cluster.DefaultAckWait
	}
	return prefetch, ackWait
}

func (clusterMode) Name() string { return "cluster" }
func (clusterMode) Describe() string {
	return "N workers behind a broker (NATS JetStream): jobs on a work-queue stream with acks, results on a stream; embedded or -nats URL"
}
func (clusterMode) Rules() Rules {
	// Only when named: a broker per cell does not fit the default matrix's budget.
	return Rules{Role: vocab.Rival, OutOfProcess: true, MaxWorkers: MaxProcessWorkers, OnRequest: true,
		Idiom: "a broker-backed task queue (Celery, RQ, Dramatiq) with workers on any host",
		Doc:   "https://docs.nats.io/nats-concepts/jetstream"}
}

type clusterPool struct {
	srv    *cluster.Server // nil with an outside server
	dir    string          // the embedded server's storage
	nc     *nats.Conn
	cell   *cluster.Cell
	procs  []*mp.Process
	slots  []cluster.Slot
	mem    *procMemory // the cell's shared state, for its own workers
	state  *cellState
	local  *workloads.Local
	closed bool
}

func (clusterMode) Start(ctx context.Context, spec Spec) (Pool, error) {
	local := workloads.NewLocal()
	prog, _, err := spec.Workload.Program(spec.Params, local)
	if err != nil {
		local.Close()
		return nil, err
	}
	shared := prog.Slots() > 0 || prog.Mutexes() > 0
	if shared && spec.Settings.RemoteWorkers {
		local.Close()
		return nil, fmt.Errorf("mode cluster: workload %s shares state between its workers (globals, locks); workers on other hosts share no memory", spec.Workload.Name)
	}
	p := &clusterPool{local: local}
	// The cell's own workers share its state as the process mode's do: in shared
	// memory passed to them as process arguments.
	if p.mem, err = newProcMemory(prog); err != nil {
		p.Close()
		return nil, err
	}
	sh, err := interp.NewShared(prog, p.mem.memory())
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("mode cluster: %w", err)
	}
	p.state = &cellState{shared: sh, spec: spec}
	if err := p.state.reset(); err != nil {
		p.Close()
		return nil, err
	}
	url := spec.Settings.NATS
	if url == "" {
		if p.dir, err = os.MkdirTemp("", "gilbench-nats-"); err != nil {
			p.Close()
			return nil, err
		}
		if p.srv, err = cluster.StartServer(cluster.ServerOptions{StoreDir: p.dir}); err != nil {
			p.Close()
			return nil, err
		}
		url = p.srv.URL()
	}
	if p.nc, err = cluster.Connect(url, "gilbench runner", 0); err != nil {
		p.Close()
		return nil, err
	}
	body, err := json.Marshal(workerSpec{Workload: spec.Workload.Name, Params: spec.Params, Size: spec.Size, Settings: spec.Settings})
	if err != nil {
		p.Close()
		return nil, err
	}
	prefetch, ackWait := clusterKnobs(spec.Settings)
	if p.cell, err = cluster.OpenCell(ctx, p.nc, cluster.CellOptions{Workers: spec.Workers,
		Prefetch: prefetch, AckWait: ackWait, Body: body}); err != nil {
		p.Close()
		return nil, err
	}
	if !spec.Settings.RemoteWorkers {
		for range spec.Workers {
			args := append([]any{url, p.cell.ID}, p.mem.args()...)
			proc := mp.NewProcessWith(mp.Options{Env: []string{"GOMAXPROCS=1"}}, clusterWorkerTarget, args...)
			if err := proc.Start(); err != nil {
				p.Close()
				return nil, fmt.Errorf("starting worker process: %w", err)
			}
			p.procs = append(p.procs, proc)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, clusterStartTimeout)
	defer cancel()
	if p.slots, err = p.cell.WaitWorkers(wctx, p.alive); err != nil {
		p.Close()
		if spec.Settings.RemoteWorkers && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (start `gilbench worker -nats %s` where the workers run)", err, url)
		}
		return nil, fmt.Errorf("mode cluster: %w", err)
	}
	return p, nil
}

// alive is nil while one of the cell's own worker processes runs (or the workers are
// remote); once all have ended, it is why the first ended.
func (p *clusterPool) alive() error {
	if len(p.procs) == 0 {
		return nil
	}
	var first error
	for _, proc := range p.procs {
		if ok, _ := proc.IsAlive(); ok {
			return nil
		}
		if err := proc.Err(); err != nil && first == nil {
			first = err
		}
	}
	if first == nil {
		first = errors.New("every worker process exited")
	}
	return fmt.Errorf("mode cluster: no worker left: %w", first)
}

func (p *clusterPool) Run(ctx context.Context, tasks int) (Batch, error) {
	if p.closed {
		return Batch{}, errors.New("runner: pool is closed")
	}
	// The workers wait at a paused consumer: none touches the shared state.
	if err := p.state.reset(); err != nil {
		return Batch{}, err
	}
	cb, err := p.cell.Run(ctx, tasks, p.alive)
	if err != nil {
		return Batch{}, err
	}
	b := Batch{Elapsed: cb.Elapsed, Checksum: cb.Checksum, Latencies: cb.Latencies,
		ChildCPU: cb.CPU, ChildMaxRSS: cb.MaxRSS, Metrics: map[string]float64{}}
	var connect time.Duration
	for _, r := range cb.Reports {
		for unit, v := range r.Metrics {
			b.Metrics[unit] += v
		}
		connect += r.Connect
	}
	b.Metrics[vocab.Redeliveries.Name] = float64(cb.Redeliveries)
	b.Metrics[vocab.Duplicates.Name] = float64(cb.Duplicates)
	if n := len(cb.Reports); n > 0 {
		b.Metrics[vocab.Connect.Name] = float64(connect.Nanoseconds()) / float64(n)
	}
	m, err := p.state.finish(tasks)
	addMetrics(&b, m)
	if cb.Err != nil {
		return b, cb.Err
	}
	return b, err
}

// Close removes the cell (its workers see it go and exit), waits for the cell's worker
// processes (stopping any that linger), and stops the embedded server.
func (p *clusterPool) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	if p.cell != nil {
		errs = append(errs, p.cell.Close())
	}
	for _, proc := range p.procs {
		if err := proc.JoinTimeout(5 * time.Second); err != nil {
			_ = proc.Stop()
			_ = proc.Join()
		}
		_ = proc.Close()
	}
	if p.nc != nil {
		p.nc.Close()
	}
	if p.srv != nil {
		p.srv.Shutdown()
	}
	if p.mem != nil {
		errs = append(errs, p.mem.close())
	}
	if p.dir != "" {
		errs = append(errs, os.RemoveAll(p.dir))
	}
	errs = append(errs, p.local.Close())
	return errors.Join(errs...)
}

// clusterWorkerProcess is the body of a worker process the cell started: serve that
// cell until it ends. Arguments: the server's URL and the cell's id.
func clusterWorkerProcess(a mp.Args) error {
	url, err := mp.Arg[string](a, 0)
	if err != nil {
		return err
	}
	cell, err := mp.Arg[string](a, 1)
	if err != nil {
		return err
	}
	mem, err := procMemoryArg(a, 2)
	if err != nil {
		return err
	}
	exec := clusterExec{mem: mem.memory(), hasMem: true}
	return cluster.RunWorker(context.Background(), cluster.WorkerOptions{URL: url, Cell: cell, Exec: exec})
}

// ServeCluster runs n cluster workers in this process for every cell on the server at
// url (`gilbench worker`), until ctx ends. logf, if not nil, hears what they do.
func ServeCluster(ctx context.Context, url string, n int, logf func(string, ...any)) error {
	if n <= 0 {
		return fmt.Errorf("%w: workers must be positive, got %d", ErrUsage, n)
	}
	host, _ := os.Hostname()
	errc := make(chan error, n)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for k := range n {
		go func() {
			errc <- cluster.RunWorker(wctx, cluster.WorkerOptions{URL: url, Exec: clusterExec{},
				Name: fmt.Sprintf("%s-%d-%d", host, os.Getpid(), k), Logf: logf})
		}()
	}
	var first error
	for range n {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel() // one worker that cannot go on ends them all
		}
	}
	return first
}

// clusterExec builds a cluster worker's interpreter for a cell: one thread under a GIL
// of its own, as a process-mode worker has. A worker the cell started has the cell's
// shared memory (hasMem); any other has none and refuses a cell with shared state.
type clusterExec struct {
	mem    interp.Memory
	hasMem bool
}

func (e clusterExec) Open(spec cluster.CellSpec) (cluster.Tasks, error) {
	var ws workerSpec
	if err := json.Unmarshal(spec.Body, &ws); err != nil {
		return nil, fmt.Errorf("cell %s: %w", spec.ID, err)
	}
	local := workloads.NewLocal()
	if !e.hasMem {
		w, err := workloads.Lookup(ws.Workload)
		if err != nil {
			local.Close()
			return nil, err
		}
		prog, _, err := w.Program(workloads.Params(ws.Params), local)
		if err != nil {
			local.Close()
			return nil, err
		}
		if prog.Slots() > 0 || prog.Mutexes() > 0 {
			local.Close()
			return nil, fmt.Errorf("cell %s: workload %s shares state between its workers; this worker shares no memory with the cell", spec.ID, ws.Workload)
		}
	}
	w, err := newProcessWorker(ws, local, e.mem)
	if err != nil {
		local.Close()
		return nil, err
	}
	return &clusterTasks{w: w, size: interp.Value(ws.Size), local: local}, nil
}

type clusterTasks struct {
	w     *processWorkerState
	size  interp.Value
	local *workloads.Local
}

func (t *clusterTasks) Run(i int64) (int64, error) {
	th := t.w.thread
	th.Attach()
	defer th.Detach() // the lock's statistics are complete once no thread holds it
	v, err := th.Call(t.w.entry, interp.Value(i), t.size)
	return int64(v), err
}

func (t *clusterTasks) ResetStats()                 { t.w.resetStats() }
func (t *clusterTasks) Metrics() map[string]float64 { return maps.Clone(t.w.stats.Metrics()) }
func (t *clusterTasks) Close() error                { return t.local.Close() }
