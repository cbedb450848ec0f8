package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gilbench/cpython"
	"gilbench/vocab"
)

// testPythons finds the interpreters of the machine's PATH (one per version), skipping
// the test with the reason where there is none.
func testPythons(t *testing.T, names ...string) []*cpython.Interpreter {
	t.Helper()
	var out []*cpython.Interpreter
	seen := map[string]bool{}
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			continue
		}
		py, err := cpython.Find(context.Background(), n)
		if err != nil || seen[py.Key()] {
			continue
		}
		seen[py.Key()] = true
		out = append(out, py)
	}
	if len(out) == 0 {
		t.Skipf("no CPython on PATH (looked for %s)", strings.Join(names, ", "))
	}
	return out
}

// runRaw runs cfg and returns raw.txt's text and Run's error.
func runRaw(t *testing.T, cfg Config) (string, error) {
	t.Helper()
	var raw bytes.Buffer
	err := Run(context.Background(), cfg, Options{Raw: &raw})
	return raw.String(), err
}

// outcomes are raw's outcome lines by cell.
func outcomes(raw string) map[string]vocab.Outcome {
	out := map[string]vocab.Outcome{}
	for _, line := range strings.Split(raw, "\n") {
		if o, ok := vocab.ParseOutcome(line); ok {
			out[o.Cell] = o
		}
	}
	return out
}

func TestCPythonModesRun(t *testing.T) {
	cfg := quickConfig("primes", "sleep")
	cfg.Pythons = testPythons(t, "python3", "python2.7")
	cfg.Modes = []string{"cpython-seq", "cpython-threads", "cpython-process", "cpython-subinterp", "cpython-asyncio"}
	cfg.Size = 200
	cfg.Tasks = 6
	raw, err := runRaw(t, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	for cell, o := range outcomes(raw) {
		switch {
		case strings.Contains(cell, "subinterp") && o.Status != vocab.Skipped:
			// python3 here is older than 3.12 or has them; either is fine.
		case o.Status == vocab.Failed:
			t.Errorf("%s: %s", cell, o.Line())
		}
		if !strings.Contains(cell, "/python=") {
			t.Errorf("%s: no python= part", cell)
		}
		if strings.Contains(cell, "cpython-process") && !strings.Contains(cell, "/start=") {
			t.Errorf("%s: no start= part", cell)
		}
	}
	if !strings.Contains(raw, "BenchmarkCPU/workload=primes/mode=cpython-threads/workers=2/python=") {
		t.Errorf("no cpython-threads result:\n%s", raw)
	}
}

// TestStartMethod: -start reaches the driver and the name (start=spawn); a method the
// interpreter lacks is a skipped cell; an unknown one is bad input.
func TestStartMethod(t *testing.T) {
	cfg := quickConfig("primes")
	cfg.Pythons = testPythons(t, "python3", "python2.7")
	cfg.Modes = []string{"cpython-process", "cpython-threads"}
	cfg.Workers = []int{2}
	cfg.Count, cfg.Tasks, cfg.Size = 1, 4, 100
	cfg.Settings.StartMethod = "vfork"
	if _, err := Plan(cfg); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "start method must be one of fork, spawn, forkserver") {
		t.Errorf("Plan with start method vfork: %v; want a usage error", err)
	}
	cfg.Settings.StartMethod = "spawn"
	raw, err := runRaw(t, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	if !strings.Contains(raw, "start-method: spawn") {
		t.Errorf("raw.txt has no start-method config line:\n%s", raw)
	}
	got := outcomes(raw)
	for _, py := range cfg.Pythons {
		cell := "CPU/workload=primes/mode=cpython-process/workers=2/python=" + py.Key() + "/start=spawn"
		o, ok := got[cell]
		switch {
		case !ok:
			t.Errorf("no outcome for %s in:\n%s", cell, raw)
		case py.HasStart("spawn") && o.Status != vocab.Completed:
			t.Errorf("%s: %s", cell, o.Line())
		case !py.HasStart("spawn") && (o.Status != vocab.Skipped || !strings.Contains(o.Reason, "spawn")):
			t.Errorf("%s: %s; want skipped for want of spawn", cell, o.Line())
		}
		if _, ok := got["CPU/workload=primes/mode=cpython-threads/workers=2/python="+py.Key()]; !ok {
			t.Errorf("cpython-threads of %s: no outcome, or a start= part it should not have:\n%s", py.Key(), raw)
		}
	}
}

// TestCPythonSkips: strategies an interpreter lacks are skipped cells, not failed ones.
func TestCPythonSkips(t *testing.T) {
	pys := testPythons(t, "python2.7")
	cfg := quickConfig("primes", "lost-update")
	cfg.Pythons = pys
	cfg.Modes = []string{"cpython-process", "cpython-subinterp", "cpython-asyncio"}
	cfg.Workers = []int{2}
	cfg.Count = 1
	cfg.Tasks = 4
	cfg.Size = 100
	raw, err := runRaw(t, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	want := map[string]string{
		"CPU/workload=primes/mode=cpython-subinterp/workers=2/python=2.7":                                "no sub-interpreters",
		"CPU/workload=primes/mode=cpython-asyncio/workers=2/python=2.7":                                  "no asyncio",
		"Shared/workload=lost-update/mode=cpython-process/workers=2/python=2.7/start=fork/update=global": "module global",
	}
	got := outcomes(raw)
	for cell, reason := range want {
		if o := got[cell]; o.Status != vocab.Skipped || !strings.Contains(o.Reason, reason) {
			t.Errorf("%s: %+v, want skipped: ...%s...", cell, o, reason)
		}
	}
}

// TestPythonModesNeedAnInterpreter: no interpreter leaves them out of every mode's
// matrix, and naming one is bad input.
func TestPythonModesNeedAnInterpreter(t *testing.T) {
	cfg := quickConfig("countdown")
	cfg.Modes = nil
	cells, err := Plan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		if c.Mode.Rules().Python {
			t.Errorf("%s planned without an interpreter", c.Name())
		}
	}
	cfg.Modes = []string{"cpython-seq"}
	if _, err := Plan(cfg); !errors.Is(err, ErrUsage) {
		t.Errorf("cpython-seq without an interpreter: %v, want a usage error", err)
	}
}

// TestUserFile: a user's own workload outside the compiler's subset runs under every
// CPython mode with equal checksums (its reference is cpython-seq's result), and its
// emulated cells are skipped with the compile error: file:line:col, the construct.
func TestUserFile(t *testing.T) {
	pys := testPythons(t, "python3")
	path := filepath.Join(t.TempDir(), "mine.py")
	src := `"""Sum of squares below size, plus i."""
import threading
CLASS = "CPU"
SIZE = 2000
TASKS = 6
def task(i, size):
    return sum(k * k for k in range(size)) + i
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := quickConfig(path)
	cfg.Quick = false
	cfg.Pythons = pys
	cfg.Modes = []string{"cpython-seq", "cpython-threads", "cpython-process", "cpython-subinterp", "cpython-asyncio", "gil"}
	cfg.Count = 1
	if err := LoadPythonFiles(context.Background(), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Workloads[0] != "mine" {
		t.Fatalf("workload %q, want mine", cfg.Workloads[0])
	}
	raw, err := runRaw(t, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	for cell, o := range outcomes(raw) {
		switch {
		case strings.Contains(cell, "mode=gil/"):
			if o.Status != vocab.Skipped || !strings.Contains(o.Reason, "mine.py:7:12: the builtin sum is not in the subset") {
				t.Errorf("%s: %s; want skipped with the compile error", cell, o.Line())
			}
		case strings.Contains(cell, "subinterp"):
		default:
			if o.Status != vocab.Completed {
				t.Errorf("%s: %s", cell, o.Line())
			}
		}
	}
}

// TestUserFileInSubset: a user's file inside the compiler's subset — recursion, float
// and int maths, a global counter updated under a lock and one without — gives equal
// checksums in the emulated modes, in-process and in worker processes, and in CPython.
func TestUserFileInSubset(t *testing.T) {
	pys := testPythons(t, "python3")
	path := filepath.Join(t.TempDir(), "inside.py")
	src := `"""Recursion, floats and a global counter, under a lock and not."""
import threading
CLASS = "CPU"
SIZE = 300
TASKS = 8
mu = threading.Lock()
locked = 0
racy = 0


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def mean(a: float, b: float) -> float:
    return (a + b) / 2


def task(i, size):
    global locked, racy
    x = 0.0
    for k in range(size):
        x += mean(k % 7, 1.5) ** 2
    with mu:
        locked += 1
    racy += 1
    return fib(8 + i % 5) + int(x) + size // 3 - (i << 2)
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := quickConfig(path)
	cfg.Quick = false
	cfg.Pythons = pys
	cfg.Modes = []string{"sequential", "gil", "goroutine", "subinterp", "process", "cpython-threads"}
	cfg.Count = 1
	if err := LoadPythonFiles(context.Background(), &cfg); err != nil {
		t.Fatal(err)
	}
	raw, err := runRaw(t, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	got := outcomes(raw)
	if len(got) == 0 {
		t.Fatalf("no outcomes in\n%s", raw)
	}
	modes := map[string]bool{}
	for cell, o := range got {
		if o.Status != vocab.Completed {
			t.Errorf("%s: %s", cell, o.Line())
		}
		for _, m := range cfg.Modes {
			if strings.Contains(cell, "mode="+m+"/") {
				modes[m] = true
			}
		}
	}
	for _, m := range cfg.Modes {
		if !modes[m] {
			t.Errorf("no cell of mode %s in\n%s", m, raw)
		}
	}
}

func TestUserFileBad(t *testing.T) {
	pys := testPythons(t, "python3")
	dir := t.TempDir()
	for name, tc := range map[string]struct{ src, want string }{
		"syntax.py": {"def task(i, size):\n    return (\n", "syntax.py:2: SyntaxError"},
		"none.py":   {"x = 1\n", "defines no function task"},
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(tc.src), 0o644)
		cfg := quickConfig(p)
		cfg.Pythons = pys
		err := LoadPythonFiles(context.Background(), &cfg)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a usage error with %q", name, err, tc.want)
		}
	}
}
