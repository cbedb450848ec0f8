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
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
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
	Run       string // the run's name, recorded in the config lines
	Commit    string // the build's commit, recorded in the config lines; "" for unknown
	// Pythons are the interpreters the Python modes (cpython-*) run in, a cell each.
	// With none, a matrix of every mode leaves the Python modes out, and naming one is
	// bad input.
	Pythons []*cpython.Interpreter
}

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
	if cfg.Settings.CheckInterval <= 0 {
		return nil, fmt.Errorf("%w: check interval must be positive, got %d", ErrUsage, cfg.Settings.CheckInterval)
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
		variants := w.Sweep
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
						cells = append(cells, Cell{Workload: w, Mode: m, Workers: n, Tasks: t, Size: size, Variant: v, Python: py})
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

// Progress reports the runner's progress to a front end.
type Progress struct {
	Cell     Cell
	Done     int // cells finished, including this one when Finished
	Total    int
	Finished bool   // the cell is over (else it is starting)
	Err      error  // the cell's failure, if any
	Median   string // the cell's median time per op, when finished
}

// Options are the parts of a run that are not the matrix.
type Options struct {
	// Raw receives the results in Go benchmark format, a record per Write call, so an
	// interrupted run leaves only whole lines.
	Raw io.Writer
	// Progress, if not nil, is called before and after each cell.
	Progress func(Progress)
	// TraceDir, if not empty, receives one trace-event JSON file per cell whose lock
	// records a trace (Settings.Trace).
	TraceDir string
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

// Run runs the matrix. A cell that fails (a wrong checksum, a task error, a dead
// worker) is recorded as failed and the run goes on with the next cell; Run then
// returns a *FailedError. On ctx's cancellation it stops, marks the cell it was in as
// interrupted and returns ctx's error. Everything written stays readable.
func Run(ctx context.Context, cfg Config, opt Options) error {
	cells, err := Plan(cfg)
	if err != nil {
		return err
	}
	return runCells(ctx, cells, cfg, opt)
}

// runCells runs the cells of a plan for cfg.
func runCells(ctx context.Context, cells []Cell, cfg Config, opt Options) (err error) {
	out := &rawWriter{w: opt.Raw, bw: benchfmt.NewWriter(opt.Raw)}
	if err := out.header(cells); err != nil {
		return err
	}
	config := configLines(cfg)
	var (
		env    *workloads.Env
		envFor *workloads.Workload
		failed []error
	)
	defer func() {
		if env != nil {
			env.Close() // after a failure: the failure is the error to report
		}
	}()
	for k, c := range cells {
		if err := ctx.Err(); err != nil {
			return err
		}
		if envFor != c.Workload {
			if env != nil {
				if err := env.Close(); err != nil {
					return fmt.Errorf("%s: closing: %w", envFor.Name, err)
				}
			}
			env, envFor = nil, c.Workload
			if env, err = c.Workload.NewEnv(ctx, c.Size); err != nil {
				return err
			}
		}
		if opt.Progress != nil {
			opt.Progress(Progress{Cell: c, Done: k, Total: len(cells)})
		}
		samples, err := measureCell(ctx, c, cfg, env.Params)
		for _, s := range samples {
			if werr := out.result(c, s, config); werr != nil {
				return werr
			}
			if opt.TraceDir != "" && len(s.Batch.Trace) > 0 {
				if werr := writeTrace(opt.TraceDir, c, s.Batch.Trace); werr != nil {
					return werr
				}
			}
		}
		if werr := out.outcome(c, err, ctx); werr != nil {
			return werr
		}
		if opt.Progress != nil {
			p := Progress{Cell: c, Done: k + 1, Total: len(cells), Finished: true, Err: err}
			if len(samples) > 0 {
				p.Median = medianNsPerOp(samples)
			}
			opt.Progress(p)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !isSkip(err) {
				failed = append(failed, err)
			}
		}
	}
	if env != nil {
		e := env
		env = nil
		if err := e.Close(); err != nil {
			return fmt.Errorf("%s: closing: %w", envFor.Name, err)
		}
	}
	if len(failed) > 0 {
		return &FailedError{Failed: failed, Cells: len(cells)}
	}
	return nil
}

// measureCell opens c's session, warms it up and measures cfg.Count batches.
func measureCell(ctx context.Context, c Cell, cfg Config, params workloads.Params) (out []Sample, err error) {
	s, err := Open(ctx, c, params, cfg.Settings)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := s.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if err := s.Warm(ctx, cfg.Warmup, c.Tasks); err != nil {
		return nil, err
	}
	for range cfg.Count {
		sm, err := s.Measure(ctx, 1, c.Tasks)
		if err != nil {
			return out, err
		}
		out = append(out, sm)
	}
	return out, nil
}

// rawWriter writes raw.txt: unit metadata and mode lines, results, outcomes.
type rawWriter struct {
	w     io.Writer
	bw    *benchfmt.Writer
	procs int // the -N suffix: this process's GOMAXPROCS when the run began
}

func (r *rawWriter) header(cells []Cell) error {
	r.procs = runtime.GOMAXPROCS(0)
	for _, u := range vocab.Units {
		if u.Better != vocab.Higher {
			continue
		}
		md := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u.Name, Key: "better"}, OrigUnit: u.Name, Value: u.Better.String()}
		if err := r.bw.Write(md); err != nil {
			return fmt.Errorf("runner: writing results: %w", err)
		}
	}
	// One line per mode of the run, in table order: its role, for the report.
	seen := map[string]bool{}
	var lines []byte
	for _, m := range modeTable {
		for _, c := range cells {
			if c.Mode == m && !seen[m.Name()] {
				seen[m.Name()] = true
				lines = fmt.Appendf(lines, "%s: %s\n", vocab.ModeConfigKey(m.Name()), m.Rules().Role)
			}
		}
	}
	if _, err := r.w.Write(lines); err != nil {
		return fmt.Errorf("runner: writing results: %w", err)
	}
	return nil
}

func (r *rawWriter) result(c Cell, s Sample, config []benchfmt.Config) error {
	res := &benchfmt.Result{
		Config: config,
		Name:   benchfmt.Name(fmt.Sprintf("%s-%d", c.Name()[len("Benchmark"):], r.procs)),
		Iters:  s.Tasks,
		Values: s.Values,
	}
	if err := r.bw.Write(res); err != nil {
		return fmt.Errorf("runner: writing results: %w", err)
	}
	return nil
}

// outcome records how c ended: completed, interrupted (ctx was cancelled) or failed.
func (r *rawWriter) outcome(c Cell, err error, ctx context.Context) error {
	o := vocab.Outcome{Cell: c.Name()[len("Benchmark"):], Status: vocab.Completed}
	switch {
	case err == nil:
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		o.Status = vocab.Interrupted
	case isSkip(err):
		var s *SkipError
		errors.As(err, &s)
		o.Status, o.Reason = vocab.Skipped, s.Reason
	default:
		o.Status, o.Reason = vocab.Failed, err.Error()
	}
	if _, werr := io.WriteString(r.w, o.Line()+"\n"); werr != nil {
		return fmt.Errorf("runner: writing results: %w", werr)
	}
	return nil
}

func medianNsPerOp(ss []Sample) string {
	var v []float64
	for _, s := range ss {
		v = append(v, s.Values[0].Value)
	}
	slices.Sort(v)
	return time.Duration(v[len(v)/2]).String()
}

func configLines(cfg Config) []benchfmt.Config {
	kv := [][2]string{
		{"goos", runtime.GOOS},
		{"goarch", runtime.GOARCH},
		{"cpu", cpuModel()},
		{"gomaxprocs", strconv.Itoa(runtime.GOMAXPROCS(0))},
		{"go", runtime.Version()},
		{"gilbench", Version},
		{"commit", orUnknown(cfg.Commit)},
		{"date", time.Now().UTC().Format(time.RFC3339)},
		{"run", cfg.Run},
		{"tasks", orDefault(cfg.Tasks)},
		{"size", orDefault(int(cfg.Size))},
		{"quick", strconv.FormatBool(cfg.Quick)},
		{"count", strconv.Itoa(cfg.Count)},
		{"warmup", strconv.Itoa(cfg.Warmup)},
		{"scaling", cfg.Scaling},
		{"switch-interval", cfg.Settings.SwitchInterval.String()},
		{"check-interval", strconv.FormatInt(cfg.Settings.CheckInterval, 10)},
	}
	var out []benchfmt.Config
	for _, p := range kv {
		if p[1] == "" {
			continue
		}
		out = append(out, benchfmt.Config{Key: p[0], Value: []byte(p[1]), File: true})
	}
	return out
}

func orDefault(n int) string {
	if n == 0 {
		return "default"
	}
	return strconv.Itoa(n)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
