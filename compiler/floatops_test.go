package compiler

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"gilbench/interp"
)

// floatOpsSrc has // and % on floats, on an int and a float (promoted) and as
// augmented assignments; python3 runs the same text.
const floatOpsSrc = `
def fdiv(a: float, b: float) -> float:
    return a // b

def fmod(a: float, b: float) -> float:
    return a % b

def idiv(a: int, b: float) -> float:
    return a // b

def imod(a: int, b: float) -> float:
    return a % b

def divi(a: float, b: int) -> float:
    return a // b

def modi(a: float, b: int) -> float:
    return a % b

def augdiv(a: float, b: float) -> float:
    a //= b
    return a

def augmod(a: float, b: int) -> float:
    a %= b
    return a
`

// pyFloatOps calls the functions named in each line of its input ("fdiv f:7.5 i:2")
// and prints repr of the result, or ZeroDivisionError.
const pyFloatOps = `
import sys
exec(sys.argv[1])
for line in sys.stdin:
    fn, *args = line.split()
    args = [int(a[2:]) if a[0] == "i" else float(a[2:]) for a in args]
    try:
        print(repr(globals()[fn](*args)))
    except ZeroDivisionError:
        print("ZeroDivisionError")
`

type floatOpsCase struct {
	fn   string
	a, b interp.Value
	kind string // "ff", "if", "fi": the operands' types
}

func (c floatOpsCase) String() string {
	arg := func(k byte, v interp.Value) string {
		if k == 'i' {
			return "i:" + strconv.FormatInt(int64(v), 10)
		}
		return "f:" + strconv.FormatFloat(v.F(), 'g', -1, 64)
	}
	return c.fn + " " + arg(c.kind[0], c.a) + " " + arg(c.kind[1], c.b)
}

func floatOpsCases() []floatOpsCase {
	inf, nan := math.Inf(1), math.NaN()
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 2, -2, 3, 7.5, -7.5, 0.1, -0.1, 0.3, 1.5, 6,
		1e16, 1 << 53, 1<<53 + 2, 123456789.123, -987654.321e-3, 1e300, -1e300, 1e308, -math.MaxFloat64,
		1e-308, 5e-324, -5e-324, 2.2250738585072014e-308, inf, -inf, nan}
	ints := []int64{0, 1, -1, 2, 7, -7, 3, 1<<53 + 1, -(1 << 62), math.MaxInt64, math.MinInt64}
	var cs []floatOpsCase
	for _, a := range floats {
		for _, b := range floats {
			for _, fn := range []string{"fdiv", "fmod", "augdiv"} {
				cs = append(cs, floatOpsCase{fn, interp.Float(a), interp.Float(b), "ff"})
			}
		}
		for _, i := range ints {
			for _, fn := range []string{"idiv", "imod"} {
				cs = append(cs, floatOpsCase{fn, interp.Value(i), interp.Float(a), "if"})
			}
			for _, fn := range []string{"divi", "modi", "augmod"} {
				cs = append(cs, floatOpsCase{fn, interp.Float(a), interp.Value(i), "fi"})
			}
		}
	}
	return cs
}

// Float // and % give CPython's results, bit for bit (signs of zero included; any NaN
// for a NaN), and a ZeroDivisionError exactly where CPython raises one: python3 computes
// the expected values from the same source and operands.
func TestFloatFloorDivModMatchesCPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on PATH: CPython's results cannot be computed")
	}
	cases := floatOpsCases()
	var in bytes.Buffer
	for _, c := range cases {
		fmt.Fprintln(&in, c)
	}
	cmd := exec.Command(py, "-c", pyFloatOps, floatOpsSrc)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.Bytes())
	}
	want := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(want) != len(cases) {
		t.Fatalf("python3 printed %d lines for %d cases", len(want), len(cases))
	}

	u, err := Compile("floatops.py", []byte(floatOpsSrc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"ffloordiv", "fmod", "itof"} {
		if !strings.Contains(u.Asm, "\t"+op+"\n") {
			t.Errorf("the compiled program has no %s:\n%s", op, u.Asm)
		}
	}
	th := interp.New(u.Program, nil).NewThread()
	bad := 0
	for i, c := range cases {
		k, _ := u.Program.Func(c.fn)
		v, err := th.Call(k, c.a, c.b)
		var got string
		switch {
		case errors.Is(err, interp.ErrZeroDivision):
			got = "ZeroDivisionError"
		case err != nil:
			got = "error " + err.Error()
		default:
			got = strconv.FormatFloat(v.F(), 'g', -1, 64)
		}
		w, perr := strconv.ParseFloat(want[i], 64)
		ok := got == want[i] ||
			perr == nil && err == nil && (math.Float64bits(v.F()) == math.Float64bits(w) || math.IsNaN(v.F()) && math.IsNaN(w))
		if !ok {
			if bad++; bad <= 20 {
				t.Errorf("%s: got %s; CPython %s", c, got, want[i])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d cases differ from CPython (%s)", bad, len(cases), py)
	}
	t.Logf("%d cases, all CPython's (%s)", len(cases), py)
}
