package interp

import (
	"errors"
	"math"
	"strings"
	"sync/atomic"
	"testing"
)

const countdownSrc = `
func countdown n        # while n > 0: n -= 1
loop:
	load n
	const 0
	gt
	jump_if_false done
	load n
	const 1
	sub
	store n
	jump loop
done:
	load n
	return
end
`

const fibSrc = `
func fib n
	load n
	const 2
	lt
	jump_if_false rec
	load n
	return
rec:
	load n
	const 1
	sub
	call fib
	load n
	const 2
	sub
	call fib
	add
	return
end
`

func run(t *testing.T, src, fn string, args []Value, natives ...*Native) (Value, error) {
	t.Helper()
	p, err := Assemble(src, natives...)
	if err != nil {
		t.Fatal(err)
	}
	i, ok := p.Func(fn)
	if !ok {
		t.Fatalf("no function %s", fn)
	}
	return New(p, nil).NewThread().Call(i, args...)
}

func TestCountdown(t *testing.T) {
	v, err := run(t, countdownSrc, "countdown", []Value{1000})
	if err != nil || v != 0 {
		t.Fatalf("countdown(1000) = %d, %v; want 0, nil", v, err)
	}
}

func TestFib(t *testing.T) {
	for n, want := range []Value{0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55} {
		v, err := run(t, fibSrc, "fib", []Value{Value(n)})
		if err != nil || v != want {
			t.Errorf("fib(%d) = %d, %v; want %d", n, v, err, want)
		}
	}
}

func TestArithmeticFollowsPython(t *testing.T) {
	src := `
func f a b
	load a
	load b
	%s
	return
end`
	cases := []struct {
		op   string
		a, b Value
		want Value
	}{
		{"div", 7, 2, 3}, {"div", -7, 2, -4}, {"div", 7, -2, -4}, {"div", -7, -2, 3},
		{"mod", 7, 3, 1}, {"mod", -7, 3, 2}, {"mod", 7, -3, -2}, {"mod", -7, -3, -1},
		{"sub", 3, 5, -2}, {"mul", -4, 6, -24}, {"xor", 6, 3, 5}, {"shl", 1, 10, 1024},
		{"shr", 1024, 3, 128}, {"lt", 1, 2, 1}, {"ge", 1, 2, 0}, {"eq", 4, 4, 1}, {"ne", 4, 4, 0},
	}
	for _, c := range cases {
		v, err := run(t, strings.Replace(src, "%s", c.op, 1), "f", []Value{c.a, c.b})
		if err != nil || v != c.want {
			t.Errorf("%d %s %d = %d, %v; want %d", c.a, c.op, c.b, v, err, c.want)
		}
	}
}

func TestFloats(t *testing.T) {
	src := `
func f a b
	load a
	load b
	fmul
	const 0.5
	fadd
	ftoi
	return
end`
	v, err := run(t, src, "f", []Value{Float(2.5), Float(3)})
	if err != nil || v != 8 {
		t.Fatalf("int(2.5*3+0.5) = %d, %v; want 8", v, err)
	}
}

func TestZeroDivisionSaysWhere(t *testing.T) {
	src := "func f a\n\tload a\n\tconst 0\n\tdiv\n\treturn\nend\n"
	_, err := run(t, src, "f", []Value{1})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrZeroDivision) || e.Line != 4 || e.Func != "f" {
		t.Fatalf("err = %v; want ErrZeroDivision in f at line 4", err)
	}
}

func TestRecursionLimit(t *testing.T) {
	src := "func f n\n\tload n\n\tcall f\n\treturn\nend\n"
	_, err := run(t, src, "f", []Value{1})
	if !errors.Is(err, ErrRecursion) {
		t.Fatalf("err = %v; want ErrRecursion", err)
	}
}

func TestNativeCallAndPanic(t *testing.T) {
	add := &Native{Name: "add3", NArgs: 3, Fn: func(_ *Thread, a []Value) (Value, error) { return a[0] + a[1] + a[2], nil }}
	boom := &Native{Name: "boom", NArgs: 0, Fn: func(*Thread, []Value) (Value, error) { panic("boom") }}
	src := "func f\n\tconst 1\n\tconst 2\n\tconst 3\n\tnative add3\n\treturn\nend\nfunc g\n\tnative boom\n\treturn\nend\n"
	v, err := run(t, src, "f", nil, add, boom)
	if err != nil || v != 6 {
		t.Fatalf("add3(1,2,3) = %d, %v", v, err)
	}
	_, err = run(t, src, "g", nil, add, boom)
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" || len(pe.Stack) == 0 {
		t.Fatalf("err = %v; want a PanicError with a stack", err)
	}
}

func TestAssemblerErrors(t *testing.T) {
	cases := map[string]string{
		"func f\n\tbogus\n\treturn\nend":                                    "unknown instruction",
		"func f\n\tload x\n\treturn\nend":                                   "unknown local",
		"func f\n\tjump nowhere\nend":                                       "unknown label",
		"func f\n\tadd\n\treturn\nend":                                      "needs 2 values",
		"func f\n\tconst 1\nend":                                            "runs off its end",
		"func f\n\tcall g\n\treturn\nend":                                   "unknown function",
		"func f\n\tconst 1\n":                                               "has no end",
		"func f\n\tconst 1\n\treturn\nend\nfunc f\nend":                     "defined twice",
		"func f\n\tconst x\n\treturn\nend":                                  "bad integer",
		"func f\nl:\n\tconst 1\n\tjump_if_true l\n\tconst 1\n\treturn\nend": "",
		"func f\nl:\n\tconst 1\n\tconst 1\n\tjump_if_true l\n\treturn\nend": "stack depth",
	}
	for src, want := range cases {
		_, err := Assemble(src)
		if want == "" {
			if err != nil {
				t.Errorf("Assemble(%q) = %v; want success", src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Assemble(%q) = %v; want an error containing %q", src, err, want)
		}
	}
}

// countingLock counts the check points at which a holder yields.
type countingLock struct {
	yields, blocks atomic.Int64
	every          int64
}

func (l *countingLock) Register(*Thread)      {}
func (l *countingLock) Take(*Thread)          {}
func (l *countingLock) Drop(*Thread)          {}
func (l *countingLock) BeginBlocking(*Thread) { l.blocks.Add(1) }
func (l *countingLock) EndBlocking(*Thread)   {}
func (l *countingLock) Yield(t *Thread) {
	l.yields.Add(1)
	t.Breaker().And(^BreakDropRequest)
}

type tickingLock struct{ countingLock }

func (l *tickingLock) CheckInterval() int64 { return l.every }

func TestBreakerCheckedAtBackwardJumps(t *testing.T) {
	l := &countingLock{}
	p := MustAssemble(countdownSrc)
	th := New(p, l).NewThread()
	th.Attach()
	// A drop request set before the call is honoured at function entry, once.
	th.Breaker().Or(BreakDropRequest)
	if _, err := th.Call(0, 10); err != nil {
		t.Fatal(err)
	}
	if got := l.yields.Load(); got != 1 {
		t.Fatalf("yields = %d; want 1", got)
	}
}

func TestTickingLockYieldsEveryInterval(t *testing.T) {
	l := &tickingLock{countingLock{every: 90}}
	th := New(MustAssemble(countdownSrc), l).NewThread()
	th.Attach()
	// countdown(100) executes 9 instructions per iteration plus 6: 906 in all. A
	// ticking lock counts CPython 2.7's ticks, 3 an iteration (gt, sub, the backward
	// jump) plus the entry's and the last test's: 302, and yields at the first check
	// point after every 91 of them, as 2.7 with sys.setcheckinterval(90) releases.
	if _, err := th.Call(0, 100); err != nil {
		t.Fatal(err)
	}
	if got, want := th.Ticks(), int64(906); got != want {
		t.Fatalf("ticks = %d; want %d", got, want)
	}
	if got := th.legacyTicks; got != 302 {
		t.Fatalf("CPython 2.7 ticks = %d; want 302", got)
	}
	if got := l.yields.Load(); got != 3 {
		t.Fatalf("yields = %d; want 3", got)
	}
}

func TestReleasingNativeGoesThroughBlocking(t *testing.T) {
	l := &countingLock{}
	rel := &Native{Name: "io", Releases: true, Fn: func(th *Thread, _ []Value) (Value, error) {
		if th.Holding() {
			t.Error("a releasing native runs with the lock held")
		}
		return 7, nil
	}}
	hold := &Native{Name: "calc", Fn: func(th *Thread, _ []Value) (Value, error) {
		if !th.Holding() {
			t.Error("a holding native runs without the lock")
		}
		return 1, nil
	}}
	p := MustAssemble("func f\n\tnative io\n\tnative calc\n\tadd\n\treturn\nend\n", rel, hold)
	th := New(p, l).NewThread()
	th.Attach()
	v, err := th.Call(0)
	if err != nil || v != 8 || l.blocks.Load() != 1 || !th.Holding() {
		t.Fatalf("v=%d err=%v blocks=%d holding=%v", v, err, l.blocks.Load(), th.Holding())
	}
}

func TestInterrupt(t *testing.T) {
	th := New(MustAssemble(countdownSrc), nil).NewThread()
	th.Interrupt()
	if _, err := th.Call(0, 1<<40); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v; want ErrInterrupted", err)
	}
}

func TestCallWithoutLockIsAnError(t *testing.T) {
	th := New(MustAssemble(countdownSrc), &countingLock{}).NewThread()
	if _, err := th.Call(0, 1); err == nil {
		t.Fatal("Call without Attach succeeded")
	}
}

// ffloordiv and fmod are Python's float // and %: these are CPython's results (3.11 and
// 3.13 agree), signs of zero included. compiler's TestFloatFloorDivModMatchesCPython
// checks many more against a running python3.
func TestFloatFloorDivMod(t *testing.T) {
	inf, nan, negz := math.Inf(1), math.NaN(), math.Copysign(0, -1)
	src := "func f a b\n\tload a\n\tload b\n\t%s\n\treturn\nend\n"
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
	}
	for _, c := range []struct{ a, b, div, mod float64 }{
		{7.5, 2, 3, 1.5}, {-7.5, 2, -4, 0.5}, {7.5, -2, -4, -0.5}, {-7.5, -2, 3, -1.5},
		{negz, 5, negz, 0}, {0, -5, negz, negz}, {negz, -5, 0, negz}, {3, 1.5, 2, 0}, {-3, 1.5, -2, 0},
		{5, inf, 0, 5}, {-5, inf, -1, inf}, {5, -inf, -1, -inf},
		{inf, 1, nan, nan}, {nan, 1, nan, nan}, {1, nan, nan, nan},
		{1e308, 1e-308, inf, 3.498445546245627e-309}, {0.1, 0.01, 10, 3.469446951953614e-18},
		{1, 0.1, 9, 0.09999999999999995}, {-1e-320, 1, -1, 1},
	} {
		for _, op := range []struct {
			name string
			want float64
		}{{"ffloordiv", c.div}, {"fmod", c.mod}} {
			v, err := run(t, strings.Replace(src, "%s", op.name, 1), "f", []Value{Float(c.a), Float(c.b)})
			if err != nil || !same(v.F(), op.want) {
				t.Errorf("%v %s %v = %v, %v; want %v", c.a, op.name, c.b, v.F(), err, op.want)
			}
		}
	}
	for _, c := range []struct {
		op, want string
		a, b     float64
	}{
		{"ffloordiv", "float floor division by zero", 1, 0}, {"ffloordiv", "float floor division by zero", nan, negz},
		{"fmod", "float modulo by zero", 1, negz}, {"fmod", "float modulo by zero", inf, 0},
		{"fdiv", "float division by zero", 1, 0},
	} {
		_, err := run(t, strings.Replace(src, "%s", c.op, 1), "f", []Value{Float(c.a), Float(c.b)})
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrZeroDivision) || e.Line != 4 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %s %v: err = %v; want ErrZeroDivision %q at line 4", c.a, c.op, c.b, err, c.want)
		}
	}
}
