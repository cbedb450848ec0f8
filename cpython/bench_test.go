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
