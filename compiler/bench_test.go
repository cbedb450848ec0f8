package compiler

import (
	"os"
	"path/filepath"
	"testing"

	"gilbench/interp"
)

// BenchmarkHandVsCompiled runs task(1, size) of primes, fib and mandelbrot under the
// interpreter, from the hand-written assembly (testdata/NAME.asm, copied from the
// workloads) and compiled from testdata/NAME.py, as sub-benchmarks of one run:
//
//	go test -run '^$' -bench HandVsCompiled -count 6 ./compiler/ | benchstat -col /src -
func BenchmarkHandVsCompiled(b *testing.B) {
	for _, c := range []struct {
		name string
		size interp.Value
	}{{"primes", 1000}, {"fib", 20}, {"mandelbrot", 64}} {
		asm, err := os.ReadFile(filepath.Join("testdata", c.name+".asm"))
		if err != nil {
			b.Fatal(err)
		}
		hand := interp.MustAssemble(string(asm))
		py := compileFile(b, c.name, mustLookup(b, c.name), nil).Program
		for _, v := range []struct {
			src  string
			prog *interp.Program
		}{{"asm", hand}, {"py", py}} {
			b.Run("workload="+c.name+"/src="+v.src, func(b *testing.B) {
				want := call(b, interp.New(hand, nil).NewThread(), hand, "task", 1, c.size)
				th := interp.New(v.prog, nil).NewThread()
				start := th.Ticks()
				for b.Loop() {
					if got := call(b, th, v.prog, "task", 1, c.size); got != want {
						b.Fatalf("task = %d; want %d", got, want)
					}
				}
				// Instructions run: the figure that load on the machine cannot blur.
				b.ReportMetric(float64(th.Ticks()-start)/float64(b.N), "instrs/op")
			})
		}
	}
}
