// Package runner runs gilbench's matrix: workload × mode × workers × repetitions.
//
// Plan expands a Config into cells; Run measures them through the engine (engine.go)
// and writes one Go benchmark-format line per repetition (see docs/RESULTS.md), then one
// outcome line per cell (vocab.Outcome: completed, failed and why, interrupted). Modes
// plug in through the Mode interface and carry their own Rules; the mode table
// (modes.go) lists them. The in-process modes share one pool (pool.go): one job queue,
// one result queue, a sentinel per worker; the process mode has its own (mode_process.go).
//
// Total work is fixed across worker counts (strong scaling) unless Config.Scaling is
// "weak", where each worker gets the default number of tasks.
//
// A workload with a Sweep runs every cell once per variant, the variant's key=value
// parts following workers in the name (BenchmarkShared/workload=counter/mode=gil/
// workers=4/cs=100/batch=1) and its parameters joining the Env's. A workload whose
// program declares globals or objects gets one interp.Shared per cell, shared by all
// the cell's workers in every mode (sharedstate.go): reset before each batch, checked
// by the workload after it, its lock statistics reported per op.
package runner

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"

	"gilbench/cpython"
	"gilbench/vocab"
	"gilbench/workloads"
)

// Version is gilbench's version.
const Version = "0.2.0"

// Config is one run's matrix and settings. The zero value is not usable; start from
// DefaultConfig.
type Config struct {
	Workloads []string // names; DefaultWorkloads() when empty
	Modes     []string // names; every mode of the table when empty
	Workers   []int    // worker counts; single-worker modes run only at 1
	Count     int      // timed repetitions per cell (benchstat wants ≥ 6)
	Warmup    int      // untimed batches per cell before the timed ones
	Tasks     int      // tasks per batch; 0: the workload's default
	Size      int64    // per-task size; 0: the workload's default
	Quick     bool     // use the workloads' quick sizes
	Scaling   string   // "strong" (fixed total work) or "weak" (work grows with workers)
	Settings  Settings
	// Shared measures every cell in the runner's own process instead of a fresh
	// process per cell (isolate.go); faster to start, but a cell's peak RSS then
	// includes what the cells before it left.
	Shared bool
	// Sequential measures each cell's repetitions back to back instead of
	// round-robin across the workload's cells.
	Sequential bool
	Run        string // the run's name, recorded in the config lines
	Commit     string // the build's commit, recorded in the config lines; "" for unknown
	// Chunksizes, if any, are the chunksizes (vocab.KeyChunksize) every workload runs
	// at, in place of those of its sweep (withChunksizes).
	Chunksizes []int
	// Pythons are the interpreters the Python modes (cpython-*) run in, a cell each.
	// With none, a matrix of every mode leaves the Python modes out, and naming one is
	// bad input.
	Pythons []*cpython.Interpreter
}

// StartMethods are the values of Settings.StartMethod: "" (each interpreter's own
// default) and multiprocessing's start methods.
var StartMethods = []string{"", "fork", "spawn", "forkserver"}

// DefaultWorkloads is the matrix `make bench` runs.
func DefaultWorkloads() []string {
	return []string{"countdown", "primes", "mandelbrot", "sha256", "sleep", "http", "convoy"}
}

// DefaultConfig is the default matrix: every mode, 1/2/4/8 workers, 6 repetitions.
func DefaultConfig() Config {
	return Config{
		Workers:  []int{1, 2, 4, 8},
		Count:    6,
		Warmup:   1,
		Scaling:  "strong",
		Settings: DefaultSettings(),
	}
}

// Cell is one point of the matrix.
type Cell struct {
	Workload *workloads.Workload
	Mode     Mode
	Workers  int
	Tasks    int
	Size     int64
	Variant  workloads.Variant    // one of the workload's Sweep, nil if it has none
	Python   *cpython.Interpreter // the interpreter of a Python mode's cell
	// Start is the multiprocessing start method a Python mode's cell asks for
	// (Settings.StartMethod); "" is the interpreter's own default.
	Start    string
	Settings Settings // the run's; a mode may name the cell by some (nameKeyer)
}

// Name is the cell's benchmark name without the -GOMAXPROCS suffix:
// BenchmarkCPU/workload=primes/mode=gil/workers=2/procs=8, the procs part for modes
// that run at a GOMAXPROCS of their own.
func (c Cell) Name() string {
	name := fmt.Sprintf("Benchmark%s/%s=%s/%s=%s/%s=%d", c.Workload.Class,
		vocab.KeyWorkload, c.Workload.Name, vocab.KeyMode, c.Mode.Name(), vocab.KeyWorkers, c.Workers)
	if k, ok := c.Mode.(nameKeyer); ok {
		name += k.nameKeys(c)
	}
	if p := c.procs(); p > 0 {
		name += fmt.Sprintf("/%s=%d", vocab.KeyProcs, p)
	}
	if v := c.Variant.Name(); v != "" {
		name += "/" + v
	}
	return name
}

// nameKeyer is a mode whose cells have name parts of their own after workers
// (/python=3.13/start=fork), each starting with a slash.
type nameKeyer interface {
	nameKeys(c Cell) string
}

// procs is the GOMAXPROCS the cell's mode asks for, 0 for the process's own.
func (c Cell) procs() int {
	if f := c.Mode.Rules().Procs; f != nil {
		return f(c.Workers)
	}
	return 0
}

// GOMAXPROCS is the GOMAXPROCS c runs at.
func (c Cell) GOMAXPROCS() int {
	if p := c.procs(); p > 0 {
		return p
	}
	return runtime.GOMAXPROCS(0)
}

// Params are the parameters c's workers get: the Env's and the variant's.
func (c Cell) Params(env workloads.Params) workloads.Params { return c.Variant.Params(env) }

// Plan checks cfg and expands it into cells. Errors wrap ErrUsage.
func Plan(cfg Config) ([]Cell, error) {
	if cfg.Count <= 0 {
		return nil, fmt.Errorf("%w: count must be positive, got %d", ErrUsage, cfg.Count)
	}
	if cfg.Warmup < 0 {
		return nil, fmt.Errorf("%w: warmup must not be negative, got %d", ErrUsage, cfg.Warmup)
	}
	if cfg.Tasks < 0 || cfg.Size < 0 {
		return nil, fmt.Errorf("%w: tasks and size must not be negative", ErrUsage)
	}
	if len(cfg.Workers) == 0 {
		return nil, fmt.Errorf("%w: no worker counts given", ErrUsage)
	}
	for _, n := range cfg.Workers {
		if n <= 0 {
			return nil, fmt.Errorf("%w: workers must be positive, got %d", ErrUsage, n)
		}
	}
	if cfg.Scaling != "strong" && cfg.Scaling != "weak" {
		return nil, fmt.Errorf("%w: scaling must be strong or weak, got %q", ErrUsage, cfg.Scaling)
	}
	if cfg.Settings.SwitchInterval <= 0 {
		return nil, fmt.Errorf("%w: switch interval must be positive, got %v", ErrUsage, cfg.Settings.SwitchInterval)
	}
	if !slices.Contains(StartMethods, cfg.Settings.StartMethod) {
		return nil, fmt.Errorf("%w: start method must be one of %s, got %q", ErrUsage, strings.Join(StartMethods[1:], ", "), cfg.Settings.StartMethod)
	}
	if cfg.Settings.CheckInterval <= 0 {
		return nil, fmt.Errorf("%w: check interval must be positive, got %d", ErrUsage, cfg.Settings.CheckInterval)
	}
	if cfg.Settings.Prefetch < 0 {
		return nil, fmt.Errorf("%w: prefetch must not be negative, got %d", ErrUsage, cfg.Settings.Prefetch)
	}
	if cfg.Settings.AckWait < 0 {
		return nil, fmt.Errorf("%w: ack wait must not be negative, got %v", ErrUsage, cfg.Settings.AckWait)
	}
	wnames := cfg.Workloads
	if len(wnames) == 0 {
		wnames = DefaultWorkloads()
	}
	mnames := cfg.Modes
	if len(mnames) == 0 {
		mnames = ModeNames()
	}
	var ws []*workloads.Workload
	for _, n := range wnames {
		w, err := workloads.Lookup(n)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUsage, err)
		}
		ws = append(ws, w)
	}
	var ms []Mode
	for _, n := range mnames {
		m, err := LookupMode(n)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUsage, err)
		}
		if m.Rules().OnRequest && len(cfg.Modes) == 0 {
			continue
		}
		if m.Rules().Python && len(cfg.Pythons) == 0 {
			if len(cfg.Modes) == 0 {
				continue // every mode: those that need a Python are left out
			}
			return nil, fmt.Errorf("%w: mode %s runs in CPython, and no Python interpreter was given (-python)", ErrUsage, m.Name())
		}
		ms = append(ms, m)
	}
	workers := slices.Clone(cfg.Workers)
	slices.Sort(workers)
	workers = slices.Compact(workers)
	for _, m := range ms {
		r := m.Rules()
		if most := workers[len(workers)-1]; !r.Single && most > r.maxWorkers() {
			return nil, fmt.Errorf("%w: mode %s runs at most %d workers, not %d", ErrUsage, m.Name(), r.maxWorkers(), most)
		}
	}
	var cells []Cell
	for _, w := range ws {
		size, tasks := w.DefaultSize, w.DefaultTasks
		if cfg.Quick {
			size, tasks = w.QuickSize, w.QuickTasks
		}
		if cfg.Size > 0 {
			size = cfg.Size
		}
		if cfg.Tasks > 0 {
			tasks = cfg.Tasks
		}
		variants := withChunksizes(w.Sweep, cfg.Chunksizes)
		if len(variants) == 0 {
			variants = []workloads.Variant{nil}
		}
		for _, v := range variants {
			for _, m := range ms {
				for _, n := range workers {
					if m.Rules().Single && n != 1 {
						continue
					}
					t := tasks
					if cfg.Scaling == "weak" {
						t = tasks * n
					}
					if w.OneTaskPerWorker {
						t = n
					}
					pys := []*cpython.Interpreter{nil}
					if m.Rules().Python {
						pys = cfg.Pythons
					}
					for _, py := range pys {
						for _, mv := range modeVariants(m, v) {
							c := Cell{Workload: w, Mode: m, Workers: n, Tasks: t, Size: size, Variant: mv, Python: py, Settings: cfg.Settings}
							if py != nil {
								c.Start = cfg.Settings.StartMethod
							}
							cells = append(cells, c)
						}
					}
				}
			}
		}
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("%w: the matrix is empty: modes %v run at none of the worker counts %v", ErrUsage, mnames, workers)
	}
	return cells, nil
}

// Progress reports the runner's progress to a front end: after each cell's start
// (Started), after each repetition, and when a cell is over (Finished).
type Progress struct {
	Cell     Cell
	Step     int // repetitions measured so far in the run (a failed cell's count as done)
	Steps    int // repetitions in the run
	Ended    int // cells over so far, including this one when Finished
	Cells    int // cells in the run
	Started  bool
	Finished bool   // the cell is over: completed, failed or interrupted
	Err      error  // the cell's failure, if any
	Median   string // the cell's median time per op, when finished
}

// Options are the parts of a run that are not the matrix.
type Options struct {
	// Raw receives the results in Go benchmark format, a record per Write call, so an
	// interrupted run leaves only whole lines.
	Raw io.Writer
	// Progress, if not nil, is called as the run goes.
	Progress func(Progress)
	// TraceDir, if not empty, receives one trace-event JSON file per cell whose lock
	// records a trace (Settings.Trace).
	TraceDir string
	// NoiseProbe is how long the noise guard watches the idle machine before the run
	// (the noise-before config line); zero skips the probe. During the run the guard
	// measures each workload (a "# noise" line after its outcomes) whatever this is.
	NoiseProbe time.Duration
	// OnLoad, if not nil, is told each load the noise guard measures: before the run
	// (workload "") and after each workload.
	OnLoad func(workload string, l vocab.Load)
}

// FailedError is a run in which some cells failed; the others were measured.
type FailedError struct {
	Failed []error // each names its cell
	Cells  int     // cells in the run
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("%d of %d cells failed; the first: %v", len(e.Failed), e.Cells, e.Failed[0])
}

func (e *FailedError) Unwrap() []error { return e.Failed }

// Run runs the matrix, one workload at a time: it starts every cell of the workload
// (each in a process of its own unless cfg.Shared), warms each up, then measures the
// repetitions round-robin across the cells (unless cfg.Sequential), so that a drift of
// the machine over seconds falls on every cell alike instead of on whichever ran last.
//
// A cell that fails (a wrong checksum, a task error, a dead worker) is recorded as
// failed and the run goes on without it; Run then returns a *FailedError. On ctx's
// cancellation it stops, marks the unfinished cells interrupted and returns ctx's
// error. Every repetition written stays readable.
func Run(ctx context.Context, cfg Config, opt Options) error {
	cells, err := Plan(cfg)
	if err != nil {
		return err
	}
	return runCells(ctx, cells, cfg, opt)
}

// live is a cell of the workload being measured.
type live struct {
	cell    Cell
	r       cellRunner
	samples []Sample
	err     error
	done    bool
}

// runCells runs the cells of a plan for cfg.
func runCells(ctx context.Context, cells []Cell, cfg Config, opt Options) error {
	out := &rawWriter{w: opt.Raw, bw: benchfmt.NewWriter(opt.Raw), config: configLines(cfg)}
	if opt.NoiseProbe > 0 {
		m := StartLoad()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(opt.NoiseProbe):
		}
		l := m.Load()
		out.config = append(out.config, benchfmt.Config{Key: vocab.NoiseBeforeKey, Value: []byte(l.String()), File: true})
		if opt.OnLoad != nil {
			opt.OnLoad("", l)
		}
	}
	if err := out.header(cells); err != nil {
		return err
	}
	pr := &progress{f: opt.Progress, steps: len(cells) * cfg.Count, total: len(cells)}
	var failed []error
	for len(cells) > 0 {
		// The cells of one workload, in plan order, share its Env.
		n := 1
		for n < len(cells) && cells[n].Workload == cells[0].Workload && cells[n].Size == cells[0].Size {
			n++
		}
		group := cells[:n]
		cells = cells[n:]
		f, err := runGroup(ctx, group, cfg, opt, out, pr)
		failed = append(failed, f...)
		if err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return &FailedError{Failed: failed, Cells: pr.cells}
	}
	return nil
}

// runGroup measures one workload's cells; it returns the cells' failures, and an error
// that ends the run (cancellation, a write error, an Env that cannot be set up).
func runGroup(ctx context.Context, group []Cell, cfg Config, opt Options, out *rawWriter, pr *progress) (failed []error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := group[0].Workload
	meter := StartLoad()
	env, err := w.NewEnv(ctx, group[0].Size)
	if err != nil {
		return nil, fmt.Errorf("%s: setting up: %w", w.Name, err)
	}
	cells := make([]*live, len(group))
	for i, c := range group {
		cells[i] = &live{cell: c}
	}
	// end closes a cell and writes its outcome; a non-nil stop (the run's end) marks
	// it interrupted.
	end := func(l *live, stop error) error {
		if l.done {
			return nil
		}
		l.done = true
		if l.r != nil {
			if cerr := l.r.close(); cerr != nil && l.err == nil && stop == nil {
				l.err = cerr
			}
		}
		status := l.err
		if stop != nil {
			status = stop
		} else if l.err != nil && !isSkip(l.err) {
			failed = append(failed, l.err)
		}
		pr.finish(l, status)
		return out.outcome(l.cell, status)
	}
	defer func() {
		stop := ctx.Err()
		if stop == nil && err != nil {
			stop = err
		}
		for _, l := range cells {
			if werr := end(l, stop); werr != nil && err == nil {
				err = werr
			}
		}
		if cerr := env.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("%s: closing: %w", w.Name, cerr)
		}
		// Every cell process has been waited for: the meter sees their time as ours.
		l := meter.Load()
		if opt.OnLoad != nil {
			opt.OnLoad(w.Name, l)
		}
		if werr := out.line(vocab.NoiseLine(w.Name, l)); werr != nil && err == nil {
			err = werr
		}
	}()
	measureOne := func(l *live) error {
		sm, merr := l.r.measure(ctx)
		if merr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			l.err = merr
			pr.skip(cfg.Count - len(l.samples))
			return end(l, nil)
		}
		l.samples = append(l.samples, sm)
		pr.step(l)
		if werr := out.result(l.cell, sm); werr != nil {
			return werr
		}
		if opt.TraceDir != "" && len(sm.Batch.Trace) > 0 {
			return writeTrace(opt.TraceDir, l.cell, sm.Batch.Trace)
		}
		return nil
	}
	open := func(l *live) error {
		pr.start(l)
		var oerr error
		// A mode whose workers are other processes already measures each cell in
		// fresh processes (its figures are theirs): it needs no cell process. Nor
		// does a user's Python file, which a cell process could not look up (its
		// reference results come from CPython in this process): its emulated cells
		// run here too, so their peak RSS is not theirs alone.
		_, userFile := workloads.PythonFile(l.cell.Workload)
		if cfg.Shared || l.cell.Mode.Rules().OutOfProcess || userFile {
			var s *Session
			if s, oerr = Open(ctx, l.cell, env.Params, cfg.Settings); oerr == nil {
				l.r = inprocCell{s}
			}
		} else {
			var ch *cellChild
			if ch, oerr = openChild(ctx, l.cell, env.Params, cfg.Settings); oerr == nil {
				l.r = ch
			}
		}
		if oerr == nil {
			oerr = l.r.warm(ctx, cfg.Warmup)
		}
		if oerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			l.err = oerr
			pr.skip(cfg.Count)
			return end(l, nil)
		}
		return nil
	}
	if cfg.Sequential {
		for _, l := range cells {
			if err := open(l); err != nil {
				return failed, err
			}
			for len(l.samples) < cfg.Count && !l.done {
				if err := measureOne(l); err != nil {
					return failed, err
				}
			}
			if err := end(l, nil); err != nil {
				return failed, err
			}
		}
		return failed, nil
	}
	// Open and warm every cell; then the repetitions, round-robin.
	for _, l := range cells {
		if err := open(l); err != nil {
			return failed, err
		}
	}
	for range cfg.Count {
		for _, l := range cells {
			if l.done {
				continue
			}
			if err := measureOne(l); err != nil {
				return failed, err
			}
		}
	}
	for _, l := range cells {
		if err := end(l, nil); err != nil {
			return failed, err
		}
	}
	return failed, nil
}

// progress counts the run's repetitions for Options.Progress.
type progress struct {
	f     func(Progress)
	done  int
	steps int
	cells int // cells started
	ended int
	total int
}

func (p *progress) start(l *live) {
	p.cells++
	if p.f != nil {
		p.f(Progress{Cell: l.cell, Step: p.done, Steps: p.steps, Ended: p.ended, Cells: p.total, Started: true})
	}
}

func (p *progress) skip(n int) { p.done += n }

func (p *progress) step(l *live) {
	p.done++
	if p.f != nil {
		p.f(Progress{Cell: l.cell, Step: p.done, Steps: p.steps, Ended: p.ended, Cells: p.total})
	}
}

func (p *progress) finish(l *live, err error) {
	p.ended++
	if p.f == nil {
		return
	}
	pg := Progress{Cell: l.cell, Step: p.done, Steps: p.steps, Ended: p.ended, Cells: p.total, Finished: true, Err: err}
	if len(l.samples) > 0 {
		pg.Median = medianNsPerOp(l.samples)
	}
	p.f(pg)
}
