package compiler

import (
	"errors"
	"strings"
	"testing"

	"gilbench/interp"
)

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

// run compiles src and calls f with args.
func run(t *testing.T, src, f string, args ...interp.Value) interp.Value {
	t.Helper()
	u, err := Compile("t.py", []byte(src), Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return call(t, interp.New(u.Program, nil).NewThread(), u.Program, f, args...)
}

// Python's results for the operators and statements of the subset.
func TestSemantics(t *testing.T) {
	cases := []struct {
		expr string
		want interp.Value
	}{
		{"-7 // 2", -4}, {"7 // -2", -4}, {"-7 % 3", 2}, {"7 % -3", -2}, {"2 ** 10", 1024}, {"(-3) ** 3", -27},
		{"2 ** 64", 0}, {"2 ** 63", -1 << 63}, {"1 << 64", 0}, {"-8 >> 1", -4}, {"-1 >> 70", -1}, {"~5", -6},
		{"6 & 3 | 8 ^ 1", 11}, {"int(7 / 2 * 10)", 35}, {"int(-7 / 2)", -3}, {"int(2.0 ** 0.5 * 1000)", 1414},
		{"1 < 2 < 3", 1}, {"1 < 3 < 2", 0}, {"3 > 2 > 1 > 0", 1}, {"1 < 2.5 <= 2.5", 1}, {"2 == 2.0", 1},
		{"0 and 5", 0}, {"3 and 5", 5}, {"0 or 7", 7}, {"4 or 7", 4}, {"not 0", 1}, {"not 0.0", 1}, {"not -0.0", 1},
		{"int(0.0 or 2.5)", 2}, {"5 if 0 else 6", 6}, {"abs(-4)", 4}, {"int(abs(-2.5) * 2)", 5},
		{"min(3, 1, 2)", 1}, {"max(3, 1, 2)", 3}, {"int(max(1, 2.5) * 2)", 5}, {"True + True", 2},
		{"int(7.5 // 2 * 10)", 30}, {"int(-7.5 % 2 * 10)", 5}, {"int(7 % -2.5 * 10)", -5}, {"int(-7 // 2.0)", -4},
		{"int(1e300 % 7.0)", 1}, {"int(1e3)", 1000}, {"1_000 + 0x10", 1016}, {"(9223372036854775807 + 1) < 0", 1}, {"-9223372036854775808 < 0", 1},
		{"-9223372036854775808 - 1", 9223372036854775807},
	}
	for _, c := range cases {
		src := "def f() -> int:\n    return " + c.expr + "\n"
		if got := run(t, src, "f"); got != c.want {
			t.Errorf("%s = %d; want %d", c.expr, got, c.want)
		}
	}
}

func TestStatements(t *testing.T) {
	cases := []struct {
		name, src string
		want      interp.Value
	}{
		{"for", `
def f():
    s = 0
    for k in range(10):
        s += k
    return s
`, 45},
		{"range step and last value", `
def f():
    s = 0
    for k in range(10, 0, -3):
        s = s * 100 + k
    return s * 10 + k
`, 100704011},
		{"range with a step not constant", `
def g(a, b, s):
    t = 0
    k = -1
    for k in range(a, b, s):
        t = t * 10 + k
        if k == 5:
            break
    else:
        t += 1000
    return t * 100 + k

def f():
    return g(1, 9, 3) + g(9, 0, -4) * 10 ** 6 + g(0, 10, 5) * 10 ** 10 + g(3, 3, -1) * 10 ** 13
`, 999995059505114707},
		{"range with a step not constant, the loop variable not read after", `
def f():
    t = 0
    for s in range(-3, 4, 2):
        for k in range(-5, 6, s):
            t = t * 3 + k
    return t
`, -32285450},
		{"break continue else", `
def f():
    s = 0
    for k in range(100):
        if k % 2:
            continue
        if k > 10:
            break
        s += k
    else:
        s = -1
    n = 0
    while n < 3:
        n += 1
    else:
        s += 1000
    return s
`, 1030},
		{"tuple assignment", `
def f():
    a, b = 0, 1
    for _ in range(10):
        a, b = b, a + b
    return a
`, 55},
		{"chained assignment", `
def f():
    a = b = 4
    return a * b
`, 16},
		{"while True", `
def f():
    n = 0
    while True:
        n += 1
        if n == 7:
            return n
`, 7},
		{"globals and constants", `
K = 3
total = 0
def add(x):
    global total
    total += x * K
def f():
    add(1)
    add(2)
    return total
`, 9},
		{"float params and returns", `
def half(x: float) -> float:
    return x / 2
def f():
    return int(half(7) * 10)
`, 35},
		{"with releases on return", `
import threading
mu = threading.Lock()
def g():
    with mu:
        return 5
def f():
    g()
    with mu:
        pass
    mu.acquire()
    mu.release()
    return g()
`, 5},
		{"recursion", `
def ack(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ack(m - 1, 1)
    return ack(m - 1, ack(m, n - 1))
def f():
    return ack(2, 3)
`, 9},
	}
	for _, c := range cases {
		if got := run(t, c.src, "f"); got != c.want {
			t.Errorf("%s = %d; want %d", c.name, got, c.want)
		}
	}
}

// Anything outside the subset is an error at file:line:col that names the construct.
func TestErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"def f():\n    return [x for x in range(3)]\n", "t.py:2:12: list comprehensions are not in the subset"},
		{"def f():\n    x = 'a'\n", "t.py:2:9: strings are not in the subset"},
		{"class A(B):\n    pass\n", "t.py:1:1: base classes"},
		{"def f():\n    try:\n        pass\n    except E:\n        pass\n", "t.py:2:5: try statements are not in the subset"},
		{"def f(x=1):\n    return x\n", "default parameter values"},
		{"def f(x):\n    return x.y\n", "t.py:2:13: attributes are not in the subset"},
		{"def f():\n    return g()\n", "t.py:2:12: g is not defined"},
		{"def f():\n    return 1 < 2 in 3\n", "in is not in the subset"},
		{"def f():\n    return 1.5 & 2\n", "& on floats is not defined"},
		{"def f():\n    x = 7\n    x //= 2.0\n    return x\n", "x is int, and //= would make it float"},
		{"def f():\n    x = 0\n    x = x * 0.5\n    return 1\n", "t.py:3:5: x is int (first assigned at line 2), this value is float"},
		{"def f(n):\n    if n:\n        return 1\n", "can reach its end without a return"},
		{"import os\n", "t.py:1:8: import of os"},
		{"n = 5\ndef f():\n    global n\n    n += 1\n", "t.py:1:1: global n starts at 5"},
		{"def f():\n    x = 1\n    y = x +\n", "t.py:3:"},
		{"def f():\n    return 99999999999999999999\n", "outside the int64 range"},
		{"def f():\n    for x in [1, 2]:\n        pass\n", "for over lists"},
		{"def f():\n    with g:\n        pass\n", "with is for lock objects"},
		{"def f():\n    print(1)\n", "t.py:2:5: the builtin print is not in the subset"},
		{"def f():\n    return lambda: 1\n", "lambdas are not in the subset"},
		{"def f(n):\n    return f(n, 1)\n", "f takes 1 arguments, 2 given"},
		{"def f(n):\n    for k in range(0, n, 0.5):\n        pass\n    return 0\n", "t.py:2:26: range's step must be an int (Python raises TypeError)"},
		{"def f(n):\n    for k in range(0, n, 0):\n        pass\n    return 0\n", "t.py:2:26: range's step must not be zero (Python raises ValueError)"},
	}
	for _, c := range cases {
		_, err := Compile("t.py", []byte(c.src), Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v; want %q", c.src, err, c.want)
		}
		if _, ok := err.(*Error); err != nil && !ok {
			t.Errorf("%q: err is a %T, not an *Error", c.src, err)
		}
	}
}

// Bind gives the compiled program again with other natives of the same signature, and
// refuses natives of another.
func TestBind(t *testing.T) {
	native := func(v interp.Value) *interp.Native {
		return &interp.Native{Name: "k", NArgs: 1, Fn: func(_ *interp.Thread, a []interp.Value) (interp.Value, error) { return a[0] * v, nil }}
	}
	src := "import gilbench_support\ndef f():\n    return gilbench_support.k(3)\n"
	u, err := Compile("t.py", []byte(src), Options{Natives: []*interp.Native{native(2)}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := u.Bind([]*interp.Native{native(5)})
	if err != nil {
		t.Fatal(err)
	}
	if got := call(t, interp.New(p, nil).NewThread(), p, "f"); got != 15 {
		t.Errorf("bound f() = %d; want 15", got)
	}
	if k, _ := p.Func("f"); p.Funcs[k].Lines[0] != 3 {
		t.Errorf("bound program's first line %d; want the Python line 3", p.Funcs[k].Lines[0])
	}
	if _, err := u.Bind([]*interp.Native{{Name: "k", NArgs: 2}}); err == nil {
		t.Error("Bind accepted natives of another arity")
	}
}

// A step that is not a constant is Python's: zero fails at run time where range() is
// called, as Python's ValueError; a negative one counts down.
func TestRangeStepAtRunTime(t *testing.T) {
	src := "def f(n):\n    s = 0\n    for k in range(10, -10, n):\n        s += k\n    return s\n"
	if got := run(t, src, "f", -7); got != 10+3-4 {
		t.Errorf("f(-7) = %d; want %d", got, 10+3-4)
	}
	if got := run(t, src, "f", 7); got != 0 {
		t.Errorf("f(7) = %d; want 0", got)
	}
	u, err := Compile("t.py", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := u.Program.Func("f")
	_, err = interp.New(u.Program, nil).NewThread().Call(k, 0)
	var e *interp.Error
	if !errors.As(err, &e) || e.Line != 3 || !strings.Contains(err.Error(), "range() arg 3 must not be zero") {
		t.Errorf("f(0): err = %v; want range() arg 3 must not be zero at line 3", err)
	}
}
