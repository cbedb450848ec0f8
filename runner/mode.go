package runner

import (
	"context"
	"time"

	"gilbench/cpython"
	"gilbench/vocab"
	"gilbench/workloads"
)

// Mode is a concurrency strategy: how a cell's workers are made. Modes differ only here
// and in their Rules; the job queue, the result queue, the timing and the checks are
// the engine's (engine.go). Every mode is one line of the mode table (modes.go).
type Mode interface {
	Name() string
	Describe() string
	// Rules are what the runner and the report need to know about the mode, so that
	// neither ever tests a mode's name.
	Rules() Rules
	// Start makes spec.Workers workers for spec.Workload (the timer is off). The pool's
	// workers wait until Run releases them.
	Start(ctx context.Context, spec Spec) (Pool, error)
}

// Rules are a mode's own rules.
type Rules struct {
	// Role is what the mode is in a comparison: the baseline every cell is compared
	// with, a reference (a yardstick, never the verdict's winner) or a rival.
	Role vocab.Role
	// Single modes run one worker: the plan gives them only the 1-worker cell.
	Single bool
	// MaxWorkers is the most workers the mode can run on this machine; a plan that
	// asks for more is bad input. Zero means DefaultMaxWorkers.
	MaxWorkers int
	// Procs is the GOMAXPROCS the mode needs for a cell of workers workers; nil means
	// the process's own. A mode with its own GOMAXPROCS gets a procs=N name part.
	Procs func(workers int) int
	// OutOfProcess modes run their workers in other OS processes: their CPU time and
	// memory are read from those processes.
	OutOfProcess bool
	// Python modes run the workload's Python file in real CPython: the plan makes one
	// cell per interpreter of Config.Pythons, named python=KEY. Only they run a user's
	// own Python file.
	Python bool
	// OnRequest modes run only when named: a matrix of every mode leaves them out
	// (the default matrix must fit its time budget).
	OnRequest bool
	// Idiom is the Python code a reader would write for the strategy, Doc the PEP or
	// Python documentation that describes it, and Counterpart the mode that runs the
	// same strategy on real CPython, with the name keys its cells carry
	// ("cpython-threads/python=2.7"). The report shows them beside the results.
	Idiom, Doc, Counterpart string
}

// DefaultMaxWorkers bounds the workers of an in-process mode: every worker is an OS
// thread (as a Python thread is), and Go ends a program that passes 10,000 threads
// (runtime/debug.SetMaxThreads) with a fatal error, not an error value.
const DefaultMaxWorkers = 4096

// maxWorkers is r.MaxWorkers with its default.
func (r Rules) maxWorkers() int {
	if r.Single {
		return 1
	}
	if r.MaxWorkers > 0 {
		return r.MaxWorkers
	}
	return DefaultMaxWorkers
}

// Spec is what a mode needs to start a pool for one cell.
type Spec struct {
	Workload *workloads.Workload
	Params   workloads.Params // the cell's Env parameters
	Size     int64
	Workers  int
	Settings Settings
	Python   *cpython.Interpreter // the cell's CPython, for Python modes
	Start    string               // the cell's multiprocessing start method; "" the interpreter's own
}

// Settings are the run-wide knobs recorded in the config lines. They cross the process
// boundary whole (process mode's workers get every field).
type Settings struct {
	SwitchInterval time.Duration // new GIL switch interval (sys.setswitchinterval)
	CheckInterval  int64         // legacy GIL check interval, in instructions
	Trace          bool          // record lock trace events
	// StartMethod is multiprocessing's start method for the CPython strategies that
	// start worker processes (cpython-process): fork, spawn or forkserver; "" is each
	// interpreter's own default. Their cells carry it as start=METHOD.
	StartMethod string

	// The cluster mode's (zero values: its defaults).
	NATS          string        // server URL; "" starts one embedded in the cell
	RemoteWorkers bool          // start no workers: `gilbench worker` processes serve the cells
	Prefetch      int           // jobs a worker holds unacknowledged (0: cluster.DefaultPrefetch)
	AckWait       time.Duration // redelivery of a job its worker did not acknowledge (0: cluster.DefaultAckWait)
}

// DefaultSettings are CPython's defaults.
func DefaultSettings() Settings {
	return Settings{SwitchInterval: 5 * time.Millisecond, CheckInterval: 100}
}

// Pool is a started set of workers.
type Pool interface {
	// Run hands tasks 0..tasks-1 to the workers through one job queue, collects the
	// results from one result queue and returns the batch's measurements. The jobs are
	// queued with the timer off; the timer runs from the release of the workers (the
	// starting gun) to the arrival of the last result.
	Run(ctx context.Context, tasks int) (Batch, error)
	// Close stops the workers and waits for them.
	Close() error
}

// Batch is what one timed batch measured.
type Batch struct {
	Elapsed   time.Duration
	Checksum  int64
	Latencies []time.Duration // per task: from the worker taking the job to its result
	// ChildCPU is CPU time used by worker processes during the batch, for modes whose
	// workers are processes (the engine measures its own process itself).
	ChildCPU time.Duration
	// ChildMaxRSS is the largest peak RSS of a worker process, in bytes.
	ChildMaxRSS int64
	// Metrics are extra per-op or per-batch figures by unit name (vocab). Values of
	// PerOp units are totals for the batch; the engine divides.
	Metrics map[string]float64
	// Trace holds the batch's trace events in trace-event JSON (nil if none).
	Trace []byte
}
