package cpython_test

import (
	"bufio"
	"context"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gilbench/cpython"
	"gilbench/workloads"
)

// plainLoop is the same tasks timed in a plain loop in the interpreter: no driver, no
// queue, no protocol. It prints the seconds per task.
const plainLoop = `
import sys, time, importlib
sys.path.insert(0, sys.argv[1])
try:
    import importlib.util as u
    spec = u.spec_from_file_location("w", sys.argv[2]); m = u.module_from_spec(spec); spec.loader.exec_module(m)
except ImportError:
    import imp; m = imp.load_source("w", sys.argv[2])
size, tasks = int(sys.argv[3]), int(sys.argv[4])
clock = getattr(time, "perf_counter", time.time)
while sys.stdin.readline():  # one timed loop per line
    t0 = clock()
    for i in range(tasks):
        m.task(i, size)
    sys.stdout.write("%r\n" % ((clock() - t0) / tasks))
    sys.stdout.flush()
`

// BenchmarkDriverCost compares cpython-seq's time per task with the same task timed in
// a plain loop in the same interpreter; driver/plain is the ratio of the fastest of
// each, driver-cost-% the same as a difference (the bound: 5%), both from this
// one run. Each b.N is one batch of the driver and one loop of
// the plain process, interleaved, so that the machine's drift hits both alike.
func BenchmarkDriverCost(b *testing.B) {
	for _, py := range pythons(b) {
		for _, name := range []string{"primes", "countdown", "sleep"} {
			b.Run(py.Key()+"/"+name, func(b *testing.B) {
				w, _ := workloads.Lookup(name)
				size, tasks := w.DefaultSize/2, 16
				if name == "sleep" {
					size = w.DefaultSize
				}
				src, _ := workloads.PythonSource(name)
				dir := b.TempDir()
				file := filepath.Join(dir, workloads.PythonFileName(name))
				if err := os.WriteFile(file, src, 0o644); err != nil {
					b.Fatal(err)
				}
				support, _ := fs.ReadFile(workloads.PythonFS(), "gilbench.py")
				if err := os.WriteFile(filepath.Join(dir, "gilbench.py"), support, 0o644); err != nil {
					b.Fatal(err)
				}
				d, err := cpython.Start(context.Background(), py, cpython.Config{Strategy: cpython.Seq, Workers: 1, Path: file, Size: size})
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close()
				if _, err := d.Batch(context.Background(), tasks); err != nil { // warm-up
					b.Fatal(err)
				}
				plain := exec.Command(py.Path, "-c", plainLoop, dir, file, strconv.FormatInt(size, 10), strconv.Itoa(tasks))
				in, err := plain.StdinPipe()
				if err != nil {
					b.Fatal(err)
				}
				outPipe, err := plain.StdoutPipe()
				if err != nil {
					b.Fatal(err)
				}
				if err := plain.Start(); err != nil {
					b.Fatal(err)
				}
				defer plain.Wait()
				defer in.Close()
				lines := bufio.NewScanner(outPipe)
				loop := func() float64 {
					in.Write([]byte("run\n"))
					if !lines.Scan() {
						b.Fatalf("plain loop: %v", lines.Err())
					}
					x, err := strconv.ParseFloat(strings.TrimSpace(lines.Text()), 64)
					if err != nil {
						b.Fatal(err)
					}
					return x
				}
				loop() // its warm-up
				best, bestPlain := math.Inf(1), math.Inf(1)
				b.ResetTimer()
				for range b.N {
					bt, err := d.Batch(context.Background(), tasks)
					if err != nil {
						b.Fatal(err)
					}
					best = min(best, bt.Elapsed.Seconds()/float64(tasks))
					bestPlain = min(bestPlain, loop())
				}
				b.StopTimer()
				b.ReportMetric(best*1e9, "driver-ns/task")
				b.ReportMetric(bestPlain*1e9, "plain-ns/task")
				b.ReportMetric(best/bestPlain, "driver/plain")
				b.ReportMetric(100*(best/bestPlain-1), "driver-cost-%")
			})
		}
	}
}

// bareSubinterp is the yardstick of BenchmarkSubinterp: k threads of the interpreter
// each make one _interpreters.exec call (concurrent.interpreters on 3.14+) running
// tasks/k tasks of countdown in their own sub-interpreter: no driver, no job pipe. Per
// line of stdin ("K") it prints the elapsed seconds.
const bareSubinterp = `
import sys, threading, time
tasks, size = int(sys.argv[1]), int(sys.argv[2])
try:
    from concurrent import interpreters as ci
    make, run = ci.create, lambda it, code: getattr(it, "exec")(code)
except ImportError:
    import _interpreters as m
    make, run = (lambda: m.create("isolated")), getattr(m, "exec")
interps = [make() for _ in range(2)]
def code(k):
    return "for _ in range(%d):\n    n = %d\n    while n > 0:\n        n -= 1\n" % (tasks // k, size)
for line in sys.stdin:
    k = int(line)
    ts = [threading.Thread(target=run, args=(interps[j], code(k))) for j in range(k)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    sys.stdout.write("%r\n" % (time.perf_counter() - t0))
    sys.stdout.flush()
`

// BenchmarkSubinterp measures cpython-subinterp's speed-up at 2 interpreters on
// countdown (elapsed at 1 / elapsed at 2, the fastest batch of each) beside the same
// speed-up of bare exec threads in the same interpreter, interleaved: speedup is the
// driver's, bare-speedup the machine's and the interpreter's at best, of-bare their
// ratio (1: the driver's job loop costs nothing in parallelism). Each b.N is one batch
// at 1 and at 2 of each.
func BenchmarkSubinterp(b *testing.B) {
	for _, py := range pythons(b) {
		if py.Subinterp == "" || py.Major == 3 && py.Minor < 13 {
			continue
		}
		b.Run(py.Key(), func(b *testing.B) {
			const tasks, size = 16, 200_000
			src, _ := workloads.PythonSource("countdown")
			start := func(n int) *cpython.Driver {
				d, err := cpython.Start(context.Background(), py, cpython.Config{Strategy: cpython.Subinterp, Workers: n,
					Name: workloads.PythonFileName("countdown"), Source: src, Size: size})
				if err != nil {
					b.Fatal(err)
				}
				return d
			}
			d1, d2 := start(1), start(2)
			defer d1.Close()
			defer d2.Close()
			bare := exec.Command(py.Path, "-c", bareSubinterp, strconv.Itoa(tasks), strconv.Itoa(size))
			in, err := bare.StdinPipe()
			if err != nil {
				b.Fatal(err)
			}
			out, err := bare.StdoutPipe()
			if err != nil {
				b.Fatal(err)
			}
			if err := bare.Start(); err != nil {
				b.Fatal(err)
			}
			defer bare.Wait()
			defer in.Close()
			lines := bufio.NewScanner(out)
			loop := func(k int) float64 {
				in.Write([]byte(strconv.Itoa(k) + "\n"))
				if !lines.Scan() {
					b.Fatalf("bare exec threads: %v", lines.Err())
				}
				x, err := strconv.ParseFloat(strings.TrimSpace(lines.Text()), 64)
				if err != nil {
					b.Fatal(err)
				}
				return x
			}
			batch := func(d *cpython.Driver) float64 {
				bt, err := d.Batch(context.Background(), tasks)
				if err != nil {
					b.Fatal(err)
				}
				return bt.Elapsed.Seconds()
			}
			batch(d1) // warm-up
			batch(d2)
			loop(1)
			loop(2)
			best := [4]float64{math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)}
			b.ResetTimer()
			for range b.N {
				for k, x := range []float64{batch(d1), batch(d2), loop(1), loop(2)} {
					best[k] = min(best[k], x)
				}
			}
			b.StopTimer()
			speedup, bareSpeedup := best[0]/best[1], best[2]/best[3]
			b.ReportMetric(speedup, "speedup")
			b.ReportMetric(bareSpeedup, "bare-speedup")
			b.ReportMetric(speedup/bareSpeedup, "of-bare")
		})
	}
}
