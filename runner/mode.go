package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gilbench/workloads"
)

// Mode is a concurrency strategy: how a cell's workers are made. Modes differ only here;
// the job queue, the result queue, the timing and the checks are shared (pool.go).
type Mode interface {
	Name() string
	Describe() string
	// Start makes spec.Workers workers for spec.Workload (the timer is off). The pool's
	// workers wait until Run releases them.
	Start(ctx context.Context, spec Spec) (Pool, error)
}

// Spec is what a mode needs to start a pool for one cell.
type Spec struct {
	Workload *workloads.Workload
	Params   workloads.Params // the cell's Env parameters
	Size     int64
	Workers  int
	Settings Settings
}

// Settings are the run-wide knobs recorded in the config lines.
type Settings struct {
	SwitchInterval time.Duration // new GIL switch interval (sys.setswitchinterval)
	CheckInterval  int64         // legacy GIL check interval, in instructions
	Trace          bool          // record lock trace events
}

// DefaultSettings are CPython's defaults.
var DefaultSettings = Settings{SwitchInterval: 5 * time.Millisecond, CheckInterval: 100}

// Pool is a started set of workers.
type Pool interface {
	// Run hands tasks 0..tasks-1 to the workers through one job queue, collects the
	// results from one result queue and returns the batch's measurements. The timer
	// runs from the release of the workers to the arrival of the last result.
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
	// workers are processes (the runner measures its own process itself).
	ChildCPU time.Duration
	// ChildMaxRSS is the largest peak RSS of a worker process, in bytes.
	ChildMaxRSS int64
	// Metrics are extra per-op or per-batch figures by unit (e.g. "switches/op").
	// Values for units ending in "/op" are totals for the batch; the runner divides.
	Metrics map[string]float64
	// Trace holds the batch's trace events in trace-event JSON (nil if none).
	Trace []byte
}

var modes = map[string]Mode{}

// RegisterMode adds m to the modes the runner knows; it panics on a duplicate name.
func RegisterMode(m Mode) {
	if _, dup := modes[m.Name()]; dup {
		panic("runner: duplicate mode " + m.Name())
	}
	modes[m.Name()] = m
}

// ModeOrder is the order in which modes are listed and run.
var ModeOrder = []string{"sequential", "gil", "gil-legacy", "subinterp", "goroutine", "process", "native"}

// LookupMode returns the mode called name.
func LookupMode(name string) (Mode, error) {
	if m, ok := modes[name]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("unknown mode %q (known: %s)", name, strings.Join(ModeNames(), ", "))
}

// ModeNames lists the registered modes in ModeOrder, then any others by name.
func ModeNames() []string {
	var names []string
	for _, n := range ModeOrder {
		if _, ok := modes[n]; ok {
			names = append(names, n)
		}
	}
	var rest []string
	for n := range modes {
		if !contains(ModeOrder, n) {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
