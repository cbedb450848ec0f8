package runner

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/perf/benchfmt"

	"gilbench/mp"
	"gilbench/workloads"
)

// The test binary is also the process mode's worker (mp re-executes it).
func TestMain(m *testing.M) {
	mp.Main()
	goleak.VerifyTestMain(m)
}

func quickConfig(w ...string) Config {
	cfg := DefaultConfig()
	cfg.Workloads = w
	cfg.Modes = []string{"sequential", "goroutine", "native"}
	cfg.Workers = []int{1, 2}
	cfg.Count = 2
	cfg.Quick = true
	return cfg
}

func TestPlanRejectsBadInput(t *testing.T) {
	cases := map[string]func(*Config){
		"count must be positive":   func(c *Config) { c.Count = 0 },
		"workers must be positive": func(c *Config) { c.Workers = []int{2, 0} },
		"unknown workload":         func(c *Config) { c.Workloads = []string{"nope"} },
		"unknown mode":             func(c *Config) { c.Modes = []string{"threads"} },
		"scaling must be":          func(c *Config) { c.Scaling = "diagonal" },
		"switch interval":          func(c *Config) { c.Settings.SwitchInterval = 0 },
		"no worker counts":         func(c *Config) { c.Workers = nil },
	}
	for want, mutate := range cases {
		cfg := quickConfig("countdown")
		mutate(&cfg)
		_, err := Plan(cfg)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), want) {
			t.Errorf("Plan: err = %v; want a usage error containing %q", err, want)
		}
	}
}

func TestPlanShape(t *testing.T) {
	cfg := quickConfig("countdown")
	cfg.Workers = []int{4, 1, 2, 2}
	cells, err := Plan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cells {
		names = append(names, c.Name())
	}
	p := func(n int) string { return "/procs=" + strconv.Itoa(ThreadGOMAXPROCS(n)) }
	want := []string{
		"BenchmarkCPU/workload=countdown/mode=sequential/workers=1" + p(1),
		"BenchmarkCPU/workload=countdown/mode=goroutine/workers=1" + p(1),
		"BenchmarkCPU/workload=countdown/mode=goroutine/workers=2" + p(2),
		"BenchmarkCPU/workload=countdown/mode=goroutine/workers=4" + p(4),
		"BenchmarkCPU/workload=countdown/mode=native/workers=1",
		"BenchmarkCPU/workload=countdown/mode=native/workers=2",
		"BenchmarkCPU/workload=countdown/mode=native/workers=4",
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Fatalf("cells:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	cfg.Scaling = "weak"
	cells, _ = Plan(cfg)
	if cells[3].Tasks != 4*cells[0].Tasks {
		t.Fatalf("weak scaling: %d tasks at 4 workers, %d at 1", cells[3].Tasks, cells[0].Tasks)
	}
}

func TestRunWritesReadableResults(t *testing.T) {
	var raw bytes.Buffer
	cfg := quickConfig("countdown")
	var events int
	err := Run(context.Background(), cfg, Options{Raw: &raw, Progress: func(Progress) { events++ }})
	if err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(bytes.NewReader(raw.Bytes()), "raw.txt")
	var results int
	units := map[string]bool{}
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			results++
			for _, v := range rec.Values {
				units[v.Unit] = true
			}
			if rec.GetConfig("switch-interval") != "5ms" || rec.GetConfig("goos") == "" {
				t.Errorf("config lines missing: %v", rec.Config)
			}
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", rec)
		}
	}
	// 5 cells (sequential×1, goroutine×2, native×2), 2 repetitions each.
	if results != 10 {
		t.Errorf("%d results; want 10\n%s", results, raw.String())
	}
	for _, u := range []string{"sec/op", "tasks/s", "cpu-sec/op", "peak-rss-B", "start-sec/op"} {
		if !units[u] {
			t.Errorf("unit %s missing (have %v)", u, units)
		}
	}
	if events != 20 {
		t.Errorf("%d progress events; want 20 (start, 2 repetitions and end of 5 cells)", events)
	}
	if !strings.Contains(raw.String(), "Unit tasks/s better=higher") {
		t.Errorf("no unit metadata for tasks/s:\n%s", raw.String())
	}
}

// wrongMode computes a wrong answer: the runner must fail the cell, not report it.
type wrongMode struct{ nativeMode }

func (wrongMode) Name() string { return "wrong" }
func (wrongMode) Start(ctx context.Context, spec Spec) (Pool, error) {
	w := *spec.Workload
	w.Twin = func(_ context.Context, _ workloads.Params, i, _ int64) (int64, error) { return i + 1, nil }
	spec.Workload = &w
	return nativeMode{}.Start(ctx, spec)
}

func TestChecksumMismatchFailsTheCell(t *testing.T) {
	cfg := quickConfig("countdown")
	cfg.Modes = []string{"native"}
	cfg.Shared = true // the wrong mode is in no table a cell process could look up
	cells, err := Plan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The wrong mode's cell first, then a good one: the run goes on after a failure.
	wrong := cells[0]
	wrong.Mode = wrongMode{}
	cells = append([]Cell{wrong}, cells...)
	var raw bytes.Buffer
	err = runCells(context.Background(), cells, cfg, Options{Raw: &raw})
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Got == ce.Want {
		t.Fatalf("err = %v; want a ChecksumError", err)
	}
	var fe *FailedError
	if !errors.As(err, &fe) || len(fe.Failed) != 1 || fe.Cells != len(cells) {
		t.Fatalf("err = %#v; want a FailedError with 1 failure of %d cells", err, len(cells))
	}
	if strings.Contains(raw.String(), "\nCPU/workload=countdown/mode=wrong") {
		t.Fatalf("a wrong cell's result was written:\n%s", raw.String())
	}
	if !strings.Contains(raw.String(), "\n# cell CPU/workload=countdown/mode=wrong/workers=1: failed: ") {
		t.Errorf("no failed outcome for the wrong cell:\n%s", raw.String())
	}
	if got := strings.Count(raw.String(), "mode=native/workers=2: completed"); got != 1 {
		t.Errorf("the cells after the failed one did not complete:\n%s", raw.String())
	}
}

func TestCancelledRunStopsCleanly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := quickConfig("countdown")
	var raw bytes.Buffer
	err := Run(ctx, cfg, Options{Raw: &raw, Progress: func(p Progress) {
		if !p.Started && !p.Finished && p.Step == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	// Interleaved: the first round's three repetitions are written, and every cell,
	// finished or not, says it was interrupted.
	if got := strings.Count(raw.String(), "\nBenchmarkCPU/"); got != 3 {
		t.Fatalf("%d result lines after 3 repetitions; want 3:\n%s", got, raw.String())
	}
	if got := strings.Count(raw.String(), ": interrupted\n"); got != 5 {
		t.Fatalf("%d interrupted outcomes; want 5 (every cell):\n%s", got, raw.String())
	}
	checkNoChildren(t)
}

func TestPlanRejectsWhatAModeCannotRun(t *testing.T) {
	cfg := quickConfig("countdown")
	cfg.Workers = []int{1, 11000}
	if _, err := Plan(cfg); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "at most") {
		t.Errorf("11000 workers: err = %v; want a usage error naming the limit", err)
	}
	cfg = quickConfig("countdown")
	cfg.Modes = []string{"process"}
	cfg.Workers = []int{MaxProcessWorkers + 1}
	if _, err := Plan(cfg); !errors.Is(err, ErrUsage) {
		t.Errorf("%d process workers: err = %v; want a usage error", MaxProcessWorkers+1, err)
	}
	cfg = quickConfig("countdown")
	cfg.Modes = []string{"sequential"}
	cfg.Workers = []int{2}
	if _, err := Plan(cfg); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "empty") {
		t.Errorf("sequential at 2 workers: err = %v; want a usage error: the matrix is empty", err)
	}
}

func TestRawNamesLineUpForBenchstat(t *testing.T) {
	var raw bytes.Buffer
	cfg := quickConfig("countdown")
	cfg.Count = 1
	if err := Run(context.Background(), cfg, Options{Raw: &raw}); err != nil {
		t.Fatal(err)
	}
	suffix := "-" + strconv.Itoa(runtime.GOMAXPROCS(0)) + " "
	for _, line := range strings.Split(raw.String(), "\n") {
		if strings.HasPrefix(line, "Benchmark") && !strings.Contains(line, suffix) {
			t.Errorf("result name without the run's -N suffix %q: %s", suffix, line)
		}
	}
	for _, want := range []string{"mode-sequential: baseline counterpart=cpython-seq\n", "mode-goroutine: rival\n", "mode-native: reference\n",
		`# mode goroutine: python="threading.Thread workers on free-threaded CPython (3.13t, 3.14t: no GIL)" doc="https://peps.python.org/pep-0703/"` + "\n"} {
		if !strings.Contains(raw.String(), want) {
			t.Errorf("no mode line %q in:\n%s", want, raw.String())
		}
	}
}
