package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"gilbench/cluster"
	"gilbench/cpython"
	"gilbench/runner"
	"gilbench/vocab"
	"gilbench/workloads"
)

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := runner.DefaultConfig()
	fs := newFlags("run")
	var (
		wl, modes  listFlag
		pythons    listFlag
		workers    = intListFlag(cfg.Workers)
		chunksizes intListFlag
		out        string
		noiseProbe time.Duration
		results    string
		verbose    bool
	)
	fs.Var(&wl, "workloads", "comma-separated workloads (default: "+strings.Join(runner.DefaultWorkloads(), ",")+")")
	fs.Var(&modes, "modes", "comma-separated modes (default: "+strings.Join(runner.DefaultModeNames(), ",")+"; the cpython-* ones where a Python is found)")
	fs.Var(&workers, "workers", "comma-separated worker counts")
	fs.Var(&chunksizes, "chunksize", "comma-separated chunksizes (tasks per job message of process, cpython-process, cpython-pool) every workload runs at, in place of its sweep's")
	fs.Var(&pythons, "python", "comma-separated CPython interpreters for the cpython-* modes, names on PATH or paths (default: python3 on PATH)")
	fs.IntVar(&cfg.Count, "count", cfg.Count, "timed repetitions per cell (benchstat wants at least 6)")
	fs.IntVar(&cfg.Warmup, "warmup", cfg.Warmup, "untimed batches per cell before the timed ones")
	fs.IntVar(&cfg.Tasks, "tasks", 0, "tasks per batch (default: each workload's own)")
	fs.Int64Var(&cfg.Size, "size", 0, "per-task size (default: each workload's own)")
	fs.BoolVar(&cfg.Quick, "quick", false, "small sizes and 3 repetitions: a smoke run")
	fs.StringVar(&cfg.Scaling, "scaling", cfg.Scaling, "strong (fixed total work) or weak (work grows with workers)")
	fs.DurationVar(&cfg.Settings.SwitchInterval, "switch-interval", cfg.Settings.SwitchInterval, "GIL switch interval (sys.setswitchinterval)")
	fs.Int64Var(&cfg.Settings.CheckInterval, "check-interval", cfg.Settings.CheckInterval, "legacy GIL check interval in CPython 2.7's ticks (sys.setcheckinterval)")
	fs.StringVar(&cfg.Settings.StartMethod, "start", "", "multiprocessing start method of cpython-process: fork, spawn or forkserver (default: each interpreter's own)")
	fs.BoolVar(&cfg.Settings.Trace, "trace", false, "write a lock trace (trace-event JSON) per cell")
	fs.StringVar(&cfg.Settings.NATS, "nats", "", "cluster mode: the server's URL (default: one embedded in each cell, on loopback)")
	fs.BoolVar(&cfg.Settings.RemoteWorkers, "remote-workers", false, "cluster mode: start no workers; wait for `gilbench worker -nats URL` processes")
	fs.IntVar(&cfg.Settings.Prefetch, "prefetch", cluster.DefaultPrefetch, "cluster mode: jobs a worker holds unacknowledged (name key prefetch=)")
	fs.DurationVar(&cfg.Settings.AckWait, "ack-wait", cluster.DefaultAckWait, "cluster mode: redeliver a job not acknowledged for this long (name key ackwait=)")
	fs.BoolVar(&cfg.Shared, "shared", false, "measure every cell in this process instead of a fresh process per cell")
	fs.BoolVar(&cfg.Sequential, "sequential", false, "measure each cell's repetitions back to back instead of round-robin across a workload's cells")
	fs.DurationVar(&noiseProbe, "noise-probe", time.Second, "how long to watch the idle machine before the run (0: not at all)")
	fs.StringVar(&out, "out", "", "the run's directory (default: RESULTS/<date-time>)")
	fs.StringVar(&results, "results", "results", "where runs are written when -out is not given")
	fs.BoolVar(&verbose, "v", false, "also print every raw result on stdout")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	cfg.Workloads, cfg.Modes, cfg.Workers, cfg.Chunksizes = wl, modes, workers, chunksizes
	cfg.Commit = buildCommit()
	if cfg.Quick && !flagSet(fs, "count") {
		cfg.Count = 3
	}
	// Check everything before anything is written.
	note, err := findPythons(ctx, &cfg, pythons)
	if err != nil {
		return err
	}
	if err := runner.LoadPythonFiles(ctx, &cfg); err != nil {
		return err
	}
	cells, err := runner.Plan(cfg)
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(stderr, note)
	}
	if out == "" {
		out = filepath.Join(results, time.Now().UTC().Format("20060102-150405"))
	}
	cfg.Run = filepath.Base(out)
	rawPath := filepath.Join(out, "raw.txt")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return usageError{fmt.Sprintf("-out %s: cannot create the run directory: %v", out, unwrapPath(err))}
	}
	if _, err := os.Stat(rawPath); err == nil {
		return usageError{fmt.Sprintf("-out %s: already holds a run (raw.txt); choose another directory", out)}
	}
	raw, err := os.OpenFile(rawPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return usageError{fmt.Sprintf("-out %s: cannot write: %v", out, unwrapPath(err))}
	}
	defer raw.Close()

	tee := &lineTee{file: raw}
	if verbose {
		tee.out = stdout
	}
	opt := runner.Options{
		// Each record reaches raw.txt in one write, so an interrupted run leaves only
		// whole lines; with -v stdout gets the same lines.
		Raw:      tee,
		Progress: progress(stderr, cells, cfg.Count),
	}
	// The noise guard: a second of the idle machine before the run, then each workload.
	var busy []string
	worst := vocab.Load{}
	if noiseProbe > 0 {
		opt.NoiseProbe = noiseProbe
	}
	opt.OnLoad = func(w string, l vocab.Load) {
		if l.Busy() {
			if w == "" {
				w = "before the run"
			}
			busy = append(busy, w)
			if l.Other+l.Steal > worst.Other+worst.Steal {
				worst = l
			}
		}
	}
	if cfg.Settings.Trace {
		opt.TraceDir = out
	}
	fmt.Fprintf(stderr, "gilbench: %s; results in %s\n", planLine(cells, cfg), rawPath)
	err = runner.Run(ctx, cfg, opt)
	if cerr := raw.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing %s: %w", rawPath, cerr)
	}
	if len(busy) > 0 {
		fmt.Fprintf(stderr, "gilbench: warning: %s (%s)\n", worst.Warning("during this run"), strings.Join(busy, ", "))
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted: the finished cells are in %s", rawPath)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "gilbench: done: %s\n", rawPath)
	return nil
}

// findPythons finds the interpreters of the cpython-* modes: those of -python, where any
// that is not found or does not run is bad input; by default python3 on PATH, when the
// run may need it. With none found, note is the line that says the run goes on
// without those modes.
func findPythons(ctx context.Context, cfg *runner.Config, names []string) (note string, err error) {
	if len(names) > 0 {
		pys, err := cpython.FindAll(ctx, names)
		if err != nil {
			return "", usageError{err.Error()}
		}
		cfg.Pythons = pys
		return "", nil
	}
	needed := len(cfg.Modes) == 0
	for _, m := range cfg.Modes {
		if mode, err := runner.LookupMode(m); err == nil && mode.Rules().Python {
			needed = true
		}
	}
	for _, w := range cfg.Workloads {
		needed = needed || workloads.IsPythonFile(w)
	}
	if !needed {
		return "", nil
	}
	py, err := cpython.Find(ctx, "python3")
	if err != nil {
		return fmt.Sprintf("gilbench: %v: the cpython-* modes are left out (-python names an interpreter)", err), nil
	}
	cfg.Pythons = []*cpython.Interpreter{py}
	return "", nil
}

// commit is set by the Makefile (-ldflags -X main.commit=...), for builds where the go
// command does not stamp version control information (GOFLAGS=-buildvcs=false).
var commit string

// buildCommit is the commit the binary was built from: the Makefile's, else what the go
// command stamped into a binary built inside the repository; "" if it is not known.
func buildCommit() string {
	if commit != "" {
		return commit
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

func flagSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// lineTee writes each record to the file in one write and copies it to out.
type lineTee struct {
	file io.Writer
	out  io.Writer
	buf  bytes.Buffer
}

func (t *lineTee) Write(p []byte) (int, error) {
	// benchfmt.Writer writes a record in a few calls; write whole lines only.
	t.buf.Write(p)
	i := bytes.LastIndexByte(t.buf.Bytes(), '\n')
	if i < 0 {
		return len(p), nil
	}
	chunk := t.buf.Next(i + 1)
	if _, err := t.file.Write(chunk); err != nil {
		return 0, err
	}
	if t.out != nil {
		_, _ = t.out.Write(chunk)
	}
	return len(p), nil
}

// planLine says what the run will do: "3 workloads, 7 modes, 1,2,4,8 workers: 75 cells,
// 6 repetitions each, interleaved, a process per cell".
func planLine(cells []runner.Cell, cfg runner.Config) string {
	var ws, ms []string
	var ns []int
	for _, c := range cells {
		if !slices.Contains(ws, c.Workload.Name) {
			ws = append(ws, c.Workload.Name)
		}
		if !slices.Contains(ms, c.Mode.Name()) {
			ms = append(ms, c.Mode.Name())
		}
		if !slices.Contains(ns, c.Workers) {
			ns = append(ns, c.Workers)
		}
	}
	slices.Sort(ns)
	var wn []string
	for _, n := range ns {
		wn = append(wn, strconv.Itoa(n))
	}
	order, iso := "interleaved", "a process per cell"
	if cfg.Sequential {
		order = "back to back"
	}
	if cfg.Shared {
		iso = "all in this process"
	}
	return fmt.Sprintf("%s, %s, %s workers: %d cells, %d repetitions each, %s, %s",
		plural(len(ws), "workload"), plural(len(ms), "mode"), strings.Join(wn, ","), len(cells), cfg.Count, order, iso)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// progress reports on stderr: a bar of repetitions on a terminal; otherwise a line per
// workload when its cells are over, and a line per failed cell, so that a piped run
// stays short.
func progress(stderr io.Writer, cells []runner.Cell, count int) func(runner.Progress) {
	steps := len(cells) * count
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions(steps,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
		var mu sync.Mutex
		return func(p runner.Progress) {
			mu.Lock()
			defer mu.Unlock()
			var skip *runner.SkipError
			if p.Finished && p.Err != nil && !errors.Is(p.Err, context.Canceled) && !errors.As(p.Err, &skip) {
				_ = bar.Clear()
				fmt.Fprintf(stderr, "gilbench: FAILED %s: %v\n", cellLabel(p.Cell), p.Err)
			}
			bar.Describe(cellLabel(p.Cell))
			_ = bar.Set(p.Step)
		}
	}
	left := map[string]int{} // cells of each workload not over yet
	var order []string
	for _, c := range cells {
		if left[c.Workload.Name] == 0 {
			order = append(order, c.Workload.Name)
		}
		left[c.Workload.Name]++
	}
	failed, skipped := map[string]int{}, map[string]int{}
	start := time.Now()
	done := 0
	return func(p runner.Progress) {
		if !p.Finished {
			return
		}
		w := p.Cell.Workload.Name
		var skip *runner.SkipError
		switch {
		case errors.Is(p.Err, context.Canceled):
			return
		case errors.As(p.Err, &skip):
			skipped[w]++
		case p.Err != nil:
			failed[w]++
			fmt.Fprintf(stderr, "gilbench: FAILED %s: %v\n", cellLabel(p.Cell), p.Err)
		}
		if left[w]--; left[w] == 0 {
			done++
			status := "ok"
			if failed[w] > 0 {
				status = plural(failed[w], "failed cell")
			}
			if skipped[w] > 0 {
				status += ", " + plural(skipped[w], "cell") + " skipped"
			}
			fmt.Fprintf(stderr, "[%d/%d] %s: %s (%d of %d cells done, %s)\n", done, len(order), w, status,
				p.Ended, p.Cells, time.Since(start).Round(time.Second))
		}
	}
}

// cellLabel is the cell's name without the class: workload=primes/mode=gil/workers=2.
func cellLabel(c runner.Cell) string {
	_, label, _ := strings.Cut(c.Name(), "/")
	return label
}
