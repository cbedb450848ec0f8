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
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"gilbench/runner"
	"gilbench/vocab"
)

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := runner.DefaultConfig()
	fs := newFlags("run")
	var (
		wl, modes  listFlag
		workers    = intListFlag(cfg.Workers)
		out        string
		noiseProbe time.Duration
		results    string
	)
	fs.Var(&wl, "workloads", "comma-separated workloads (default: "+strings.Join(runner.DefaultWorkloads(), ",")+")")
	fs.Var(&modes, "modes", "comma-separated modes (default: all: "+strings.Join(runner.ModeNames(), ",")+")")
	fs.Var(&workers, "workers", "comma-separated worker counts")
	fs.IntVar(&cfg.Count, "count", cfg.Count, "timed repetitions per cell (benchstat wants at least 6)")
	fs.IntVar(&cfg.Warmup, "warmup", cfg.Warmup, "untimed batches per cell before the timed ones")
	fs.IntVar(&cfg.Tasks, "tasks", 0, "tasks per batch (default: each workload's own)")
	fs.Int64Var(&cfg.Size, "size", 0, "per-task size (default: each workload's own)")
	fs.BoolVar(&cfg.Quick, "quick", false, "small sizes and 3 repetitions: a smoke run")
	fs.StringVar(&cfg.Scaling, "scaling", cfg.Scaling, "strong (fixed total work) or weak (work grows with workers)")
	fs.DurationVar(&cfg.Settings.SwitchInterval, "switch-interval", cfg.Settings.SwitchInterval, "GIL switch interval (sys.setswitchinterval)")
	fs.Int64Var(&cfg.Settings.CheckInterval, "check-interval", cfg.Settings.CheckInterval, "legacy GIL check interval in instructions (sys.setcheckinterval)")
	fs.BoolVar(&cfg.Settings.Trace, "trace", false, "write a lock trace (trace-event JSON) per cell")
	fs.StringVar(&cfg.Settings.NATS, "nats", "", "cluster mode: the server's URL (default: one embedded in each cell, on loopback)")
	fs.BoolVar(&cfg.Settings.RemoteWorkers, "remote-workers", false, "cluster mode: start no workers; wait for `gilbench worker -nats URL` processes")
	fs.IntVar(&cfg.Settings.Prefetch, "prefetch", 1, "cluster mode: jobs a worker holds unacknowledged")
	fs.DurationVar(&cfg.Settings.AckWait, "ack-wait", 0, "cluster mode: redeliver a job not acknowledged for this long (default 5s)")
	fs.BoolVar(&cfg.Shared, "shared", false, "measure every cell in this process instead of a fresh process per cell")
	fs.BoolVar(&cfg.Sequential, "sequential", false, "measure each cell's repetitions back to back instead of round-robin across a workload's cells")
	fs.DurationVar(&noiseProbe, "noise-probe", time.Second, "how long to watch the idle machine before the run (0: not at all)")
	fs.StringVar(&out, "out", "", "the run's directory (default: RESULTS/<date-time>)")
	fs.StringVar(&results, "results", "results", "where runs are written when -out is not given")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	cfg.Workloads, cfg.Modes, cfg.Workers = wl, modes, workers
	cfg.Commit = buildCommit()
	if cfg.Quick && !flagSet(fs, "count") {
		cfg.Count = 3
	}
	// Check everything before anything is written.
	cells, err := runner.Plan(cfg)
	if err != nil {
		return err
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

	opt := runner.Options{
		// Each record reaches raw.txt in one write, so an interrupted run leaves only
		// whole lines; stdout gets the same lines.
		Raw:      &lineTee{file: raw, out: stdout},
		Progress: progress(stderr, len(cells)*cfg.Count),
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
	fmt.Fprintf(stderr, "gilbench: %d cells, results in %s\n", len(cells), rawPath)
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
	_, _ = t.out.Write(chunk)
	return len(p), nil
}

// progress reports on stderr: a bar of repetitions on a terminal, a line per finished
// cell otherwise.
func progress(stderr io.Writer, steps int) func(runner.Progress) {
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
			bar.Describe(cellLabel(p.Cell))
			_ = bar.Set(p.Step)
		}
	}
	return func(p runner.Progress) {
		if !p.Finished {
			return
		}
		status := p.Median + "/op"
		switch {
		case errors.Is(p.Err, context.Canceled):
			status = "interrupted"
		case p.Err != nil:
			status = "FAILED"
		}
		fmt.Fprintf(stderr, "[%d/%d] %s %s\n", p.Ended, p.Cells, cellLabel(p.Cell), status)
	}
}

// cellLabel is the cell's name without the class: workload=primes/mode=gil/workers=2.
func cellLabel(c runner.Cell) string {
	_, label, _ := strings.Cut(c.Name(), "/")
	return label
}
