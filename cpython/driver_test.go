package cpython_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gilbench/cpython"
	"gilbench/workloads"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pythonNames are the interpreters the tests look for on PATH.
var pythonNames = []string{"python3", "python3.14", "python3.13", "python3.12", "python2.7"}

// pythons are the interpreters of the machine's PATH the tests run against, one per
// version; the test is skipped, with the reason, where there is none.
func pythons(t testing.TB) []*cpython.Interpreter {
	t.Helper()
	var out []*cpython.Interpreter
	seen := map[string]bool{}
	for _, name := range pythonNames {
		if _, err := exec.LookPath(name); err != nil {
			continue
		}
		py, err := cpython.Find(context.Background(), name)
		if err != nil {
			t.Logf("%s: %v", name, err)
			continue
		}
		if !seen[py.Key()] {
			seen[py.Key()] = true
			out = append(out, py)
		}
	}
	if len(out) == 0 {
		t.Skipf("no CPython on PATH (looked for %s)", strings.Join(pythonNames, ", "))
	}
	return out
}

// start starts a driver for the built-in workload name and closes it at the end of the
// test, checking that its process group is gone.
func start(t *testing.T, py *cpython.Interpreter, name, strategy string, workers int, size int64, params map[string]string) *cpython.Driver {
	t.Helper()
	src, ok := workloads.PythonSource(name)
	if !ok {
		t.Fatalf("no Python source for %s", name)
	}
	c := cpython.Config{Strategy: strategy, Workers: workers, Name: workloads.PythonFileName(name), Source: src, Size: size, Params: params}
	if strategy == cpython.Asyncio {
		c.AsyncSource, _ = workloads.PythonAsyncSource(name)
	}
	d, err := cpython.Start(context.Background(), py, c)
	if err != nil {
		t.Fatalf("%s %s %s: %v", py.Key(), name, strategy, err)
	}
	t.Cleanup(func() {
		d.Close()
		noGroup(t, d.Pid)
	})
	return d
}

// noGroup fails t if any process of the group pgid is left.
func noGroup(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := syscall.Kill(-pgid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("processes of group %d are left behind", pgid)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWorkloadsMatchWant runs every built-in workload's Python file in one thread in
// each interpreter and checks its results against the workload's Want.
func TestWorkloadsMatchWant(t *testing.T) {
	for _, py := range pythons(t) {
		for _, w := range workloads.All() {
			t.Run(py.Key()+"/"+w.Name, func(t *testing.T) {
				size, tasks := w.QuickSize, 4
				switch w.Name {
				case "sha256", "file":
					size = 100_000
				case "countdown", "lost-update", "sha256-small", "primes":
					size /= 10
				}
				if w.OneTaskPerWorker {
					tasks = 1
				}
				env, err := w.NewEnv(context.Background(), size)
				if err != nil {
					t.Fatal(err)
				}
				defer env.Close()
				d := start(t, py, w.Name, cpython.Seq, 1, size, env.Params)
				b, err := d.Batch(context.Background(), tasks)
				if err != nil {
					t.Fatal(err)
				}
				if want := w.Checksum(tasks, size); b.Checksum != want {
					t.Errorf("checksum %d, want %d", b.Checksum, want)
				}
				if len(b.Latencies) != tasks || b.Elapsed <= 0 || b.CPU <= 0 || b.MaxRSS <= 0 {
					t.Errorf("batch figures: %d latencies for %d tasks, elapsed %v, CPU %v, peak RSS %d", len(b.Latencies), tasks, b.Elapsed, b.CPU, b.MaxRSS)
				}
			})
		}
	}
}

// TestStrategies runs one CPU-bound and one I/O-bound workload under every strategy
// that each interpreter has, over several batches.
func TestStrategies(t *testing.T) {
	for _, py := range pythons(t) {
		for _, s := range []string{cpython.Seq, cpython.Threads, cpython.Process, cpython.Subinterp, cpython.Asyncio} {
			for _, name := range []string{"primes", "tcp"} {
				t.Run(py.Key()+"/"+s+"/"+name, func(t *testing.T) {
					if s == cpython.Subinterp && py.Subinterp == "" || s == cpython.Asyncio && !py.Asyncio {
						t.Skipf("Python %s has no %s", py.Version, s)
					}
					w, _ := workloads.Lookup(name)
					size := int64(300)
					if name == "tcp" {
						size = 2
					}
					env, err := w.NewEnv(context.Background(), size)
					if err != nil {
						t.Fatal(err)
					}
					defer env.Close()
					workers := 3
					if s == cpython.Seq {
						workers = 1
					}
					d := start(t, py, name, s, workers, size, env.Params)
					for range 2 {
						b, err := d.Batch(context.Background(), 7)
						if err != nil {
							t.Fatal(err)
						}
						if want := w.Checksum(7, size); b.Checksum != want {
							t.Fatalf("checksum %d, want %d", b.Checksum, want)
						}
					}
					if s == cpython.Process && len(d.Pids) != workers {
						t.Errorf("%d worker pids, want %d", len(d.Pids), workers)
					}
				})
			}
		}
	}
}

// TestSkips checks the cells a strategy cannot run faithfully.
func TestSkips(t *testing.T) {
	for _, py := range pythons(t) {
		for _, tc := range []struct{ name, strategy, params, want string }{
			{"lost-update", cpython.Process, "global", "module global"},
			{"counter", cpython.Subinterp, "", "share no Python objects"},
		} {
			if tc.strategy == cpython.Subinterp && py.Subinterp == "" || tc.strategy == cpython.Asyncio && !py.Asyncio {
				continue
			}
			src, _ := workloads.PythonSource(tc.name)
			_, err := cpython.Start(context.Background(), py, cpython.Config{Strategy: tc.strategy, Workers: 2,
				Name: "x.py", Source: src, Size: 10, Params: map[string]string{"update": tc.params}})
			var skip *cpython.SkipError
			if !errors.As(err, &skip) || !strings.Contains(skip.Reason, tc.want) {
				t.Errorf("%s %s %s: %v, want a skip saying %q", py.Key(), tc.name, tc.strategy, err, tc.want)
			}
		}
	}
}

// writeFile writes a user's workload file for a test.
func writeFile(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTaskException: an exception inside task fails the batch with the traceback's
// last frame, file:line: message, and the driver goes on.
func TestTaskException(t *testing.T) {
	src := "def task(i, size):\n    if i == 3:\n        raise ValueError('bad task %d' % i)\n    return i\n"
	for _, py := range pythons(t) {
		for _, s := range []string{cpython.Seq, cpython.Threads, cpython.Process, cpython.Subinterp} {
			if s == cpython.Subinterp && py.Subinterp == "" {
				continue
			}
			p := writeFile(t, "boom.py", src)
			d, err := cpython.Start(context.Background(), py, cpython.Config{Strategy: s, Workers: 2, Path: p, Size: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Batch(context.Background(), 5)
			if err == nil || !strings.Contains(err.Error(), p+":3: ValueError: bad task 3") {
				t.Errorf("%s %s: %v, want the file:line and message", py.Key(), s, err)
			}
			// The driver is still there for the next batch.
			if _, err := d.Batch(context.Background(), 3); err != nil {
				t.Errorf("%s %s: the batch after the failed one: %v", py.Key(), s, err)
			}
			d.Close()
			noGroup(t, d.Pid)
		}
	}
}

// TestSubinterpLongBatch: a batch of more ids than the job pipe holds before the gun
// (1 MiB: 131072 ids) is fed as the interpreters take them, and every result arrives.
func TestSubinterpLongBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("a long batch")
	}
	for _, py := range pythons(t) {
		if py.Subinterp == "" {
			continue
		}
		p := writeFile(t, "ids.py", "def task(i, size):\n    return i\n")
		d, err := cpython.Start(context.Background(), py, cpython.Config{Strategy: cpython.Subinterp, Workers: 2, Path: p, Size: 1})
		if err != nil {
			t.Fatal(err)
		}
		const tasks = 140_000
		b, err := d.Batch(context.Background(), tasks)
		if err != nil || b.Checksum != tasks*(tasks-1)/2 || len(b.Latencies) != tasks {
			t.Errorf("%s: checksum %d, %d latencies, %v; want %d, %d", py.Key(), b.Checksum, len(b.Latencies), err, tasks*(tasks-1)/2, tasks)
		}
		if _, err := d.Batch(context.Background(), 7); err != nil {
			t.Errorf("%s: the batch after: %v", py.Key(), err)
		}
		d.Close()
		noGroup(t, d.Pid)
	}
}

// TestSyntaxError: a file that does not load fails the start with file:line.
func TestSyntaxError(t *testing.T) {
	for _, py := range pythons(t) {
		p := writeFile(t, "bad.py", "def task(i, size):\n    return i +\n")
		_, err := cpython.CheckFile(context.Background(), py, p)
		var fe *cpython.FileError
		if !errors.As(err, &fe) || !strings.Contains(fe.Msg, p+":2: SyntaxError") {
			t.Errorf("%s: %v, want %s:2: SyntaxError", py.Key(), err, p)
		}
		p = writeFile(t, "notask.py", "x = 1\n")
		if _, err := cpython.CheckFile(context.Background(), py, p); !errors.As(err, &fe) || !strings.Contains(fe.Msg, "defines no function task") {
			t.Errorf("%s: %v, want a file without task", py.Key(), err)
		}
	}
}

// TestKilledWorker: a worker process killed mid-batch fails the batch within a second.
func TestKilledWorker(t *testing.T) {
	for _, py := range pythons(t) {
		d := start(t, py, "sleep", cpython.Process, 2, 200_000, nil) // 200 ms a task
		go func() {
			time.Sleep(300 * time.Millisecond)
			syscall.Kill(d.Pids[0], syscall.SIGKILL)
		}()
		t0 := time.Now()
		_, err := d.Batch(context.Background(), 40) // 4 s if nothing happened
		if err == nil || !strings.Contains(err.Error(), "exited with signal 9") {
			t.Errorf("%s: %v, want a worker that exited with signal 9", py.Key(), err)
		}
		if el := time.Since(t0); el > 300*time.Millisecond+time.Second {
			t.Errorf("%s: the dead worker was reported after %v", py.Key(), el)
		}
	}
}

// TestKilledDriver: a driver killed mid-batch is reported within a second.
func TestKilledDriver(t *testing.T) {
	for _, py := range pythons(t) {
		d := start(t, py, "sleep", cpython.Threads, 2, 200_000, nil)
		go func() {
			time.Sleep(300 * time.Millisecond)
			syscall.Kill(d.Pid, syscall.SIGKILL)
		}()
		t0 := time.Now()
		_, err := d.Batch(context.Background(), 40)
		if err == nil || !strings.Contains(err.Error(), "signal: killed") {
			t.Errorf("%s: %v, want a killed driver", py.Key(), err)
		}
		if el := time.Since(t0); el > 300*time.Millisecond+time.Second {
			t.Errorf("%s: the dead driver was reported after %v", py.Key(), el)
		}
	}
}

// TestCancel: a cancelled batch returns promptly and leaves no process behind.
func TestCancel(t *testing.T) {
	py := pythons(t)[0]
	d := start(t, py, "sleep", cpython.Process, 2, 500_000, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if _, err := d.Batch(ctx, 10); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v, want the context's error", err)
	}
	if el := time.Since(t0); el > 2*time.Second {
		t.Errorf("cancelled after %v", el)
	}
}

func TestFindMissing(t *testing.T) {
	_, err := cpython.Find(context.Background(), "no-such-python-here")
	var nf *cpython.NotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("%v, want a NotFoundError", err)
	}
	_, err = cpython.Find(context.Background(), "/bin/true")
	if !errors.As(err, &nf) {
		t.Errorf("/bin/true: %v, want a NotFoundError", err)
	}
}
