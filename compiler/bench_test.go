package compiler_test

import (
	"testing"

	"gilbench/interp"
	"gilbench/workloads"
)

// BenchmarkHandVsCompiled runs task(1, size) of primes, fib and mandelbrot under the
// interpreter, from the hand-written assembly they ran before (hand_test.go) and
// compiled from their Python files as the workloads now are, as sub-benchmarks of one
// run:
//
//	go test -run '^$' -bench HandVsCompiled -count 6 ./compiler/ | benchstat -col /src -
func BenchmarkHandVsCompiled(b *testing.B) {
	for _, c := range []struct {
		name string
		size interp.Value
	}{{"primes", 1000}, {"fib", 20}, {"mandelbrot", 64}} {
		hand := interp.MustAssemble(handWritten[c.name])
		w, err := workloads.Lookup(c.name)
		if err != nil {
			b.Fatal(err)
		}
		py, _, err := w.Program(nil, nil)
		if err != nil {
			b.Fatal(err)
		}
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

func call(t testing.TB, th *interp.Thread, p *interp.Program, fn string, args ...interp.Value) interp.Value {
	t.Helper()
	k, ok := p.Func(fn)
	if !ok {
		t.Fatalf("no function %s", fn)
	}
	v, err := th.Call(k, args...)
	if err != nil {
		t.Fatalf("%s%v: %v", fn, args, err)
	}
	return v
}
