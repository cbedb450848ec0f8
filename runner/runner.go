// Package runner runs gilbench's matrix: workload × mode × workers × repetitions.
//
// For each cell it starts the workers with the timer off, releases them together, times
// the batch from the starting gun to the last result, verifies the checksum against the
// workload's reference, and writes one Go benchmark-format line per repetition (see
// docs/RESULTS.md). Modes plug in through the Mode interface; the in-process modes share
// one pool (pool.go): one job queue, one result queue, a sentinel per worker.
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
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/perf/benchfmt"

	"gilbench/workloads"
)

// Version is gilbench's version; Commit is set by the Makefile with -ldflags.
var (
	Version = "0.1.0"
	Commit  = ""
)

// Config is one run's matrix and settings. The zero value is not usable; start from
// DefaultConfig.
type Config struct {
	Workloads []string // names; DefaultWorkloads when empty
	Modes     []string // names; every registered mode when empty
	Workers   []int    // worker counts; sequential runs only at 1
	Count     int      // timed repetitions per cell (benchstat wants ≥ 6)
	Warmup    int      // untimed batches per cell before the timed ones
	Tasks     int      // tasks per batch; 0: the workload's default
	Size      int64    // per-task size; 0: the workload's default
	Quick     bool     // use the workloads' quick sizes
	Scaling   string   // "strong" (fixed total work) or "weak" (work grows with workers)
	Settings  Settings
	Run       string // the run's name, recorded in the config lines
}

// DefaultWorkloads is the matrix `make bench` runs.
var DefaultWorkloads = []string{"countdown", "primes", "mandelbrot", "sha256", "sleep", "http", "convoy"}

// DefaultConfig is the default matrix: every mode, 1/2/4/8 workers, 6 repetitions.
func DefaultConfig() Config {
	return Config{
		Workers:  []int{1, 2, 4, 8},
		Count:    6,
		Warmup:   1,
		Scaling:  "strong",
		Settings: DefaultSettings,
	}
}

// Cell is one point of the matrix.
type Cell struct {
	Workload *workloads.Workload
	Mode     Mode
	Workers  int
	Tasks    int
	Size     int64
	Variant  workloads.Variant // one of the workload's Sweep, nil if it has none
}

// Name is the cell's benchmark name without the -GOMAXPROCS suffix.
func (c Cell) Name() string {
	name := fmt.Sprintf("Benchmark%s/workload=%s/mode=%s/workers=%d", c.Workload.Class, c.Workload.Name, c.Mode.Name(), c.Workers)
	if v := c.Variant.Name(); v != "" {
		name += "/" + v
	}
	return name
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
		wnames = DefaultWorkloads
	}
	mnames := cfg.Modes
	if len(mnames) == 0 {
		mnames = ModeNames()
	}
	var ws []*workloads.Workload
	for _, n := range wnames {
		w, err := workloads.Lookup(n)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		ws = append(ws, w)
	}
	var ms []Mode
	for _, n := range mnames {
		m, err := LookupMode(n)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		ms = append(ms, m)
	}
	workers := slices.Clone(cfg.Workers)
	slices.Sort(workers)
	workers = slices.Compact(workers)
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
					if m.Name() == "sequential" && n != 1 {
						continue
					}
					t := tasks
					if cfg.Scaling == "weak" {
						t = tasks * n
					}
					if w.OneTaskPerWorker {
						t = n
					}
					cells = append(cells, Cell{Workload: w, Mode: m, Workers: n, Tasks: t, Size: size, Variant: v})
				}
			}
		}
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

// ChecksumError is a cell whose results do not add up to the reference.
type ChecksumError struct {
	Cell      string
	Got, Want int64
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s: checksum %d, want %d: this mode computed a wrong answer", e.Cell, e.Got, e.Want)
}

// Run runs the matrix. It stops at the first failing cell (a wrong checksum, a task
// error) and on ctx's cancellation; everything written before stays readable.
func Run(ctx context.Context, cfg Config, opt Options) error {
	cells, err := Plan(cfg)
	if err != nil {
		return err
	}
	bw := benchfmt.NewWriter(opt.Raw)
	for _, u := range unitMeta {
		if err := bw.Write(&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u[0], Key: "better"}, OrigUnit: u[0], Value: u[1]}); err != nil {
			return fmt.Errorf("runner: writing results: %w", err)
		}
	}
	config := configLines(cfg)
	var (
		env     *workloads.Env
		envFor  *workloads.Workload
		wantSum = map[wantKey]int64{}
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
		key := wantKey{c.Workload.Name, c.Tasks, c.Size}
		want, ok := wantSum[key]
		if !ok {
			want = c.Workload.Checksum(c.Tasks, c.Size)
			wantSum[key] = want
		}
		samples, err := measure(ctx, c, cfg, env.Params, want)
		for _, s := range samples {
			res := s.result(c, config)
			if werr := bw.Write(res); werr != nil {
				return fmt.Errorf("runner: writing results: %w", werr)
			}
			if opt.TraceDir != "" && len(s.trace) > 0 {
				if werr := writeTrace(opt.TraceDir, c, s.trace); werr != nil {
					return werr
				}
			}
		}
		if opt.Progress != nil {
			p := Progress{Cell: c, Done: k + 1, Total: len(cells), Finished: true, Err: err}
			if len(samples) > 0 {
				p.Median = medianNsPerOp(samples)
			}
			opt.Progress(p)
		}
		if err != nil {
			return err
		}
	}
	if env != nil {
		e := env
		env = nil
		if err := e.Close(); err != nil {
			return fmt.Errorf("%s: closing: %w", envFor.Name, err)
		}
	}
	return nil
}

type wantKey struct {
	workload string
	tasks    int
	size     int64
}

// sample is one timed batch of a cell.
type sample struct {
	procs  int // GOMAXPROCS during the batch
	tasks  int
	values []benchfmt.Value
	trace  []byte
}

func (s sample) result(c Cell, config []benchfmt.Config) *benchfmt.Result {
	r := &benchfmt.Result{
		Config: config,
		Name:   benchfmt.Name(fmt.Sprintf("%s-%d", strings.TrimPrefix(c.Name(), "Benchmark"), s.procs)),
		Iters:  s.tasks,
		Values: s.values,
	}
	return r
}

// GOMAXPROCS is the GOMAXPROCS c runs at. Interpreter threads are OS threads that
// block in the kernel; with a P for each of them the kernel, not Go's scheduler,
// decides who runs next (see ThreadGOMAXPROCS). Other modes run at the default.
func (c Cell) GOMAXPROCS() int {
	if _, ok := c.Mode.(*interpMode); ok {
		return ThreadGOMAXPROCS(c.Workers)
	}
	return runtime.GOMAXPROCS(0)
}

// measure starts c's pool, warms it up and runs cfg.Count timed batches.
func measure(ctx context.Context, c Cell, cfg Config, params workloads.Params, want int64) (out []sample, err error) {
	spec := Spec{Workload: c.Workload, Params: c.Params(params), Size: c.Size, Workers: c.Workers, Settings: cfg.Settings}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.GOMAXPROCS()))
	resetPeakRSS()
	t0 := time.Now()
	pool, err := c.Mode.Start(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("%s: start: %w", c.Name(), err)
	}
	startNs := float64(time.Since(t0).Nanoseconds())
	defer func() {
		if cerr := pool.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("%s: stopping workers: %w", c.Name(), cerr)
		}
	}()
	for range cfg.Warmup {
		b, err := pool.Run(ctx, c.Tasks)
		if err != nil {
			return nil, fmt.Errorf("%s: warm-up: %w", c.Name(), err)
		}
		if b.Checksum != want {
			return nil, &ChecksumError{Cell: c.Name(), Got: b.Checksum, Want: want}
		}
	}
	for range cfg.Count {
		cpu0 := CPUTime()
		b, err := pool.Run(ctx, c.Tasks)
		cpu := CPUTime() - cpu0 + b.ChildCPU
		if err != nil {
			return out, fmt.Errorf("%s: %w", c.Name(), err)
		}
		if b.Checksum != want {
			return out, &ChecksumError{Cell: c.Name(), Got: b.Checksum, Want: want}
		}
		vals := c.Values(b, c.Tasks, cpu, startNs)
		out = append(out, sample{procs: runtime.GOMAXPROCS(0), tasks: c.Tasks, values: vals, trace: b.Trace})
	}
	return out, nil
}

// Values are the measurements of one batch of c that ran tasks tasks, used cpu CPU
// time (this process and its workers) and whose pool took startNs to start.
func (c Cell) Values(b Batch, tasks int, cpu time.Duration, startNs float64) []benchfmt.Value {
	n := float64(tasks)
	vals := []benchfmt.Value{
		{Value: float64(b.Elapsed.Nanoseconds()) / n, Unit: "ns/op"},
		{Value: n / b.Elapsed.Seconds(), Unit: "tasks/s"},
		{Value: float64(cpu.Nanoseconds()) / n, Unit: "cpu-ns/op"},
		{Value: float64(max(peakRSS(), b.ChildMaxRSS)), Unit: "peak-rss-B"},
		{Value: startNs / n, Unit: "start-ns/op"},
	}
	// Task latency percentiles for I/O workloads; a mixed workload (convoy) measures
	// latencies of its own, which come with its metrics when its mode can collect them.
	if c.Workload.Class == workloads.IO {
		p50, p99 := workloads.Percentiles(b.Latencies)
		vals = append(vals,
			benchfmt.Value{Value: float64(p50.Nanoseconds()), Unit: "p50-ns"},
			benchfmt.Value{Value: float64(p99.Nanoseconds()), Unit: "p99-ns"})
	}
	return append(vals, metricValues(b.Metrics, n)...)
}

// metricValues turns a batch's extra metrics into values: "/op" totals are divided by
// the number of tasks, anything else is written as measured. Sorted for a stable line.
func metricValues(m map[string]float64, tasks float64) []benchfmt.Value {
	var units []string
	for u := range m {
		units = append(units, u)
	}
	slices.Sort(units)
	var vals []benchfmt.Value
	for _, u := range units {
		v := m[u]
		if strings.HasSuffix(u, "/op") {
			v /= tasks
		}
		vals = append(vals, benchfmt.Value{Value: v, Unit: u})
	}
	return vals
}

func medianNsPerOp(ss []sample) string {
	var v []float64
	for _, s := range ss {
		v = append(v, s.values[0].Value)
	}
	slices.Sort(v)
	return time.Duration(v[len(v)/2]).String()
}

// unitMeta says which way is better for units where it is not "lower".
var unitMeta = [][2]string{
	{"tasks/s", "higher"},
	{"roundtrips/s", "higher"},
}

// CPUTime is the user+sys CPU time this process has used so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS starts a new peak-RSS measurement (Linux: writing 5 to clear_refs resets
// VmHWM), so that each cell reports its own peak, not the run's.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident set size since resetPeakRSS, in bytes.
func peakRSS() int64 {
	if hwm := procHWM(os.Getpid()); hwm > 0 {
		return hwm
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024
}

func configLines(cfg Config) []benchfmt.Config {
	kv := [][2]string{
		{"goos", runtime.GOOS},
		{"goarch", runtime.GOARCH},
		{"cpu", cpuModel()},
		{"gomaxprocs", strconv.Itoa(runtime.GOMAXPROCS(0))},
		{"go", runtime.Version()},
		{"gilbench", Version},
		{"commit", commit()},
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

func commit() string {
	if Commit != "" {
		return Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
