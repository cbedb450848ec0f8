package interp

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The event loop's invariants, tested by what happens in which order, never by how long
// anything takes.

const loopSrc = `
func spin i n          # n turns of a checked loop, logging each turn: CPU work
loop:
	load n
	const 0
	gt
	jump_if_false done
	load i
	native log
	pop
	load n
	const 1
	sub
	store n
	jump loop
done:
	load i
	return
end

func io i n            # log, await n times, log
	load i
	native log
	pop
again:
	load n
	const 0
	gt
	jump_if_false out
	load i
	native wait
	pop
	load n
	const 1
	sub
	store n
	jump again
out:
	load i
	native log
	pop
	load i
	return
end

func hash i n          # a native that releases the lock but computes
	load i
	native compute
	return
end
`

// loopRig is a program whose natives log who ran, check that only one coroutine runs
// interpreter code at a time, and (wait) block until the test's gate opens.
type loopRig struct {
	mu     sync.Mutex
	log    []int64
	inside atomic.Int32
	bad    atomic.Int32 // natives that found another coroutine inside
	gate   func(i int64)
	prog   *Program
}

func newLoopRig(t *testing.T) *loopRig {
	r := &loopRig{gate: func(int64) {}}
	enter := func() {
		if r.inside.Add(1) != 1 {
			r.bad.Add(1)
		}
		runtime.Gosched() // a chance for anyone else to run, if anyone could
	}
	leave := func() { r.inside.Add(-1) }
	record := func(i Value) {
		r.mu.Lock()
		r.log = append(r.log, int64(i))
		r.mu.Unlock()
	}
	r.prog = MustAssemble(loopSrc,
		&Native{Name: "log", NArgs: 1, Fn: func(_ *Thread, a []Value) (Value, error) {
			enter()
			defer leave()
			record(a[0])
			return 0, nil
		}},
		&Native{Name: "wait", NArgs: 1, Releases: true, Fn: func(_ *Thread, a []Value) (Value, error) {
			r.gate(int64(a[0]))
			return 0, nil
		}},
		&Native{Name: "compute", NArgs: 1, Releases: true, Computes: true, Fn: func(_ *Thread, a []Value) (Value, error) {
			enter()
			defer leave()
			record(a[0])
			r.gate(int64(a[0]))
			record(a[0])
			return a[0], nil
		}},
	)
	return r
}

// run spawns one coroutine per (function, i, n) and runs the loop; it returns each
// coroutine's result.
func (r *loopRig) run(t *testing.T, calls ...[3]any) []Value {
	t.Helper()
	l := NewLoop()
	in := New(r.prog, l)
	res := make([]Value, len(calls))
	errs := make([]error, len(calls))
	for k, c := range calls {
		fn, _ := r.prog.Func(c[0].(string))
		th := in.NewThread()
		if err := l.Spawn(th, func() {
			th.Attach()
			defer th.Detach()
			res[k], errs[k] = th.Call(fn, Value(c[1].(int)), Value(c[2].(int)))
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	for k, err := range errs {
		if err != nil {
			t.Fatalf("coroutine %d: %v", k, err)
		}
	}
	if n := r.bad.Load(); n != 0 {
		t.Errorf("%d natives ran while another coroutine was inside the interpreter", n)
	}
	return res
}

func TestLoopCPUWorkNeverYields(t *testing.T) {
	defer goleak.VerifyNone(t)
	r := newLoopRig(t)
	res := r.run(t, [3]any{"spin", 1, 50}, [3]any{"spin", 2, 50}, [3]any{"spin", 3, 50})
	var want []int64
	for i := int64(1); i <= 3; i++ {
		for range 50 {
			want = append(want, i)
		}
	}
	if !slices.Equal(r.log, want) {
		t.Errorf("turns ran in the order %v; want each coroutine's 50 turns in one piece, in spawn order", r.log)
	}
	if !slices.Equal(res, []Value{1, 2, 3}) {
		t.Errorf("results %v; want [1 2 3]", res)
	}
}

func TestLoopAwaitsOverlap(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 8
	r := newLoopRig(t)
	// Every wait blocks until all n coroutines have started theirs: the loop must run
	// the others while one awaits, or this never finishes.
	var started sync.WaitGroup
	started.Add(n)
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	r.gate = func(int64) {
		started.Done()
		select {
		case <-all:
		case <-time.After(failsafe):
			panic("awaits did not overlap")
		}
	}
	var calls [][3]any
	for i := range n {
		calls = append(calls, [3]any{"io", i, 1})
	}
	r.run(t, calls...)
	// Each coroutine logged its start before any wait could finish.
	for k, i := range r.log[:n] {
		if i != int64(k) {
			t.Fatalf("log %v: the first %d entries should be the starts, in spawn order", r.log, n)
		}
	}
	if len(r.log) != 2*n {
		t.Errorf("log has %d entries; want %d", len(r.log), 2*n)
	}
}

func TestLoopComputingNativeBlocksTheLoop(t *testing.T) {
	defer goleak.VerifyNone(t)
	r := newLoopRig(t)
	// While coroutine 0 hashes, coroutine 1 must not start: its log entry comes after
	// both of coroutine 0's.
	r.run(t, [3]any{"hash", 0, 0}, [3]any{"spin", 1, 1})
	if want := []int64{0, 0, 1}; !slices.Equal(r.log, want) {
		t.Errorf("log %v; want %v (a computing native runs in place)", r.log, want)
	}
}

func TestLoopStats(t *testing.T) {
	defer goleak.VerifyNone(t)
	r := newLoopRig(t)
	// Two coroutines of three awaits each: one first resumption and three after awaits
	// each; the waits finish at once, so the two alternate.
	l := NewLoop()
	in := New(r.prog, l)
	fn, _ := r.prog.Func("io")
	for i := range 2 {
		th := in.NewThread()
		if err := l.Spawn(th, func() {
			th.Attach()
			defer th.Detach()
			if _, err := th.Call(fn, Value(i), 3); err != nil {
				panic(err)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	s := l.Stats()
	if s.Resumes != 8 || s.Awaits != 6 || len(s.Lags) != 8 {
		t.Errorf("stats %+v; want 8 resumes, 6 awaits, 8 lags", s)
	}
	if s.Switches < 1 || s.Switches > 7 {
		t.Errorf("switches %d; want 1..7", s.Switches)
	}
	l.ResetStats()
	if s := l.Stats(); s.Resumes != 0 || len(s.Lags) != 0 {
		t.Errorf("after reset: %+v", s)
	}
}

func TestLoopAwaitOutsideACoroutineRunsInPlace(t *testing.T) {
	l := NewLoop()
	th := New(MustAssemble(loopSrc, stubNatives()...), l).NewThread()
	ran := false
	l.Await(th, func() { ran = true })
	if !ran {
		t.Error("Await outside the loop did not run its call")
	}
}

func TestLoopSpawnWhileRunning(t *testing.T) {
	defer goleak.VerifyNone(t)
	l := NewLoop()
	in := New(MustAssemble(loopSrc, stubNatives()...), l)
	th := in.NewThread()
	var got error
	if err := l.Spawn(th, func() { got = l.Spawn(in.NewThread(), func() {}) }); err != nil {
		t.Fatal(err)
	}
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	if got != ErrLoopBusy {
		t.Errorf("Spawn from a coroutine: %v; want ErrLoopBusy", got)
	}
}

func stubNatives() []*Native {
	var ns []*Native
	for _, name := range []string{"log", "wait", "compute"} {
		ns = append(ns, &Native{Name: name, NArgs: 1, Fn: func(*Thread, []Value) (Value, error) { return 0, nil }})
	}
	return ns
}

// BenchmarkLoopSwitch is the cost of one await that finishes at once, with two
// coroutines taking turns: a helper goroutine's start and end, and two coroutine
// switches (away and back). CPython's counterpart is `await asyncio.sleep(0)` in two
// tasks (see docs/design/ASYNCIO.md).
func BenchmarkLoopSwitch(b *testing.B) {
	var p = MustAssemble(`
func task n
loop:
	load n
	const 0
	gt
	jump_if_false done
	native nop
	pop
	load n
	const 1
	sub
	store n
	jump loop
done:
	const 0
	return
end
`, &Native{Name: "nop", NArgs: 0, Releases: true, Fn: func(*Thread, []Value) (Value, error) { return 0, nil }})
	const per = 10_000
	for b.Loop() {
		l := NewLoop()
		in := New(p, l)
		for range 2 {
			th := in.NewThread()
			if err := l.Spawn(th, func() {
				th.Attach()
				if _, err := th.Call(0, per); err != nil {
					panic(fmt.Sprint(err))
				}
			}); err != nil {
				b.Fatal(err)
			}
		}
		if err := l.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(2*per), "ns/await")
}
