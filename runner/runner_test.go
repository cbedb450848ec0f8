package runner

import (
	"bytes"
	"context"
	"errors"
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
	want := []string{
		"BenchmarkCPU/workload=countdown/mode=sequential/workers=1",
		"BenchmarkCPU/workload=countdown/mode=goroutine/workers=1",
		"BenchmarkCPU/workload=countdown/mode=goroutine/workers=2",
		"BenchmarkCPU/workload=countdown/mode=goroutine/workers=4",
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
	if events != 10 {
		t.Errorf("%d progress events; want 10 (start and end of 5 cells)", events)
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
	RegisterMode(wrongMode{})
	defer delete(modes, "wrong")
	cfg := quickConfig("countdown")
	cfg.Modes = []string{"wrong"}
	var raw bytes.Buffer
	err := Run(context.Background(), cfg, Options{Raw: &raw})
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Got == ce.Want {
		t.Fatalf("err = %v; want a ChecksumError", err)
	}
	if strings.Contains(raw.String(), "mode=wrong") {
		t.Fatalf("a wrong cell was written:\n%s", raw.String())
	}
}

func TestCancelledRunStopsCleanly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := quickConfig("countdown")
	var raw bytes.Buffer
	n := 0
	err := Run(ctx, cfg, Options{Raw: &raw, Progress: func(p Progress) {
		if p.Finished {
			n++
			if n == 2 {
				cancel()
			}
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	if got := strings.Count(raw.String(), "\nBenchmark"); got != 4 {
		t.Fatalf("%d result lines after 2 cells; want 4:\n%s", got, raw.String())
	}
}
