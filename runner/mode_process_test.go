package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"gilbench/interp"
	"gilbench/workloads"
)

// crashWorkload's task 3 ends its process with exit status 7 in the middle of a batch;
// its task 5 panics in native code.
func init() {
	die := &interp.Native{Name: "maybe_die", NArgs: 1, Fn: func(t *interp.Thread, a []interp.Value) (interp.Value, error) {
		switch a[0] {
		case 3:
			if os.Getenv("CRASH_EXIT") != "" {
				os.Exit(7)
			}
		case 5:
			if os.Getenv("CRASH_PANIC") != "" {
				panic("native code blew up")
			}
		}
		return a[0], nil
	}}
	workloads.Register(&workloads.Workload{
		Name: "test-crash", Class: workloads.CPU, Description: "test only",
		DefaultSize: 1, DefaultTasks: 8, QuickSize: 1, QuickTasks: 8,
		Source:  "func task i size\n\tload i\n\tnative maybe_die\n\treturn\nend\n",
		Natives: func(workloads.Params, *workloads.Local) ([]*interp.Native, error) { return []*interp.Native{die}, nil },
		Twin:    func(_ context.Context, _ workloads.Params, i, _ int64) (int64, error) { return i, nil },
		Want:    func(i, _ int64) int64 { return i },
	})
}

func TestProcessModeChecksums(t *testing.T) {
	var raw bytes.Buffer
	cfg := quickConfig("countdown", "sleep")
	cfg.Modes = []string{"process"}
	if err := Run(context.Background(), cfg, Options{Raw: &raw}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(raw.String(), "mode=process/workers=2-"); n != 4 {
		t.Fatalf("%d process lines at 2 workers; want 4:\n%s", n, raw.String())
	}
	checkNoChildren(t)
}

func TestProcessWorkerDeathIsReported(t *testing.T) {
	t.Setenv("CRASH_EXIT", "1")
	cfg := quickConfig("test-crash")
	cfg.Modes = []string{"process"}
	cfg.Workers = []int{2}
	err := Run(context.Background(), cfg, Options{Raw: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "exit code 7") {
		t.Fatalf("err = %v; want the exit status 7", err)
	}
	// Task 3 killed its worker: it must be among the tasks without a result.
	_, pending, _ := strings.Cut(err.Error(), "tasks without a result: ")
	if !slices.Contains(strings.Split(pending, ", "), "3") {
		t.Fatalf("err = %v; want task 3 among the tasks without a result", err)
	}
	checkNoChildren(t)
}

// TestFailedCellDoesNotStopTheRun: a worker killed in one cell fails that cell, the
// other cells are measured, and raw.txt says which cell failed and why.
func TestFailedCellDoesNotStopTheRun(t *testing.T) {
	t.Setenv("CRASH_EXIT", "1")
	cfg := quickConfig("test-crash")
	cfg.Modes = []string{"process", "native"}
	cfg.Workers = []int{2}
	var raw bytes.Buffer
	err := Run(context.Background(), cfg, Options{Raw: &raw})
	var fe *FailedError
	if !errors.As(err, &fe) || len(fe.Failed) != 1 || fe.Cells != 2 {
		t.Fatalf("err = %v; want 1 of 2 cells failed", err)
	}
	for _, want := range []string{
		"\n# cell CPU/workload=test-crash/mode=process/workers=2: failed: ",
		"\n# cell CPU/workload=test-crash/mode=native/workers=2: completed\n",
	} {
		if !strings.Contains(raw.String(), want) {
			t.Errorf("no %q in:\n%s", strings.TrimSpace(want), raw.String())
		}
	}
	if n := strings.Count(raw.String(), "\nBenchmarkCPU/workload=test-crash/mode=native/workers=2-"); n != cfg.Count {
		t.Errorf("%d native results, want %d", n, cfg.Count)
	}
	checkNoChildren(t)
}

func TestProcessWorkerPanicIsReported(t *testing.T) {
	t.Setenv("CRASH_PANIC", "1")
	cfg := quickConfig("test-crash")
	cfg.Modes = []string{"process"}
	cfg.Workers = []int{2}
	err := Run(context.Background(), cfg, Options{Raw: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "task 5") || !strings.Contains(err.Error(), "native code blew up") {
		t.Fatalf("err = %v; want task 5's panic", err)
	}
	checkNoChildren(t)
}

// checkNoChildren fails if any process still has this one as its parent.
func checkNoChildren(t *testing.T) {
	t.Helper()
	me := strconv.Itoa(os.Getpid())
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == me {
			t.Errorf("child process %s (%s) is still there", e.Name(), strings.TrimSpace(s[:strings.LastIndexByte(s, ')')+1]))
		}
	}
}

// TestProcessConvoyHasRoundtrips: the worker that ran the I/O task sends the convoy's
// round trips back with its end-of-batch answer, so the process mode has the convoy's
// headline figure, as the in-process modes do.
func TestProcessConvoyHasRoundtrips(t *testing.T) {
	var raw bytes.Buffer
	cfg := quickConfig("convoy")
	cfg.Modes = []string{"process"}
	cfg.Workers = []int{2}
	if err := Run(context.Background(), cfg, Options{Raw: &raw}); err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(bytes.NewReader(raw.Bytes()), "raw.txt")
	n := 0
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		n++
		rt, ok := res.Value("roundtrips/s")
		if !ok || rt <= 0 {
			t.Errorf("%s: roundtrips/s = %v, %v; want a positive rate", res.Name, rt, ok)
		}
		if acq, ok := res.Value("acquisitions/op"); !ok || acq <= 0 {
			t.Errorf("%s: no lock statistics from the workers (acquisitions/op = %v, %v)", res.Name, acq, ok)
		}
	}
	if n != cfg.Count {
		t.Fatalf("%d results, want %d:\n%s", n, cfg.Count, raw.String())
	}
	checkNoChildren(t)
}
