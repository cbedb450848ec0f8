package interp

import (
	"math"
	"strings"
	"testing"
)

// The operators added for Python's: shifts as Python's (wrapped), ** on both types,
// float equality, and their errors.
func TestPythonOperators(t *testing.T) {
	src := "func f a b\n\tload a\n\tload b\n\t%s\n\treturn\nend\n"
	ints := []struct {
		op   string
		a, b Value
		want Value
	}{
		{"shl", 1, 63, math.MinInt64}, {"shl", 1, 64, 0}, {"shl", -1, 200, 0},
		{"shr", -8, 1, -4}, {"shr", -1, 64, -1}, {"shr", 5, 70, 0},
		{"pow", 3, 4, 81}, {"pow", -2, 3, -8}, {"pow", 7, 0, 1}, {"pow", 0, 0, 1},
		{"pow", 3, 41, 0}, // set below: 3**41 wrapped
	}
	ints[len(ints)-1].want = func() Value { // 3**41 by wrapping multiplication
		r := Value(1)
		for range 41 {
			r *= 3
		}
		return r
	}()
	for _, c := range ints {
		v, err := run(t, strings.Replace(src, "%s", c.op, 1), "f", []Value{c.a, c.b})
		if err != nil || v != c.want {
			t.Errorf("%d %s %d = %d, %v; want %d", c.a, c.op, c.b, v, err, c.want)
		}
	}
	for _, c := range []struct {
		op   string
		a, b Value
		want string
	}{
		{"shl", 1, -1, "negative shift count"}, {"shr", 1, -1, "negative shift count"},
		{"pow", 2, -1, "negative integer"},
		{"fdiv", Float(1), Float(0), "float division by zero"},
		{"fpow", Float(0), Float(-1), "negative power"},
		{"fpow", Float(-8), Float(1.0 / 3), "fractional power"},
		{"fpow", Float(10), Float(400), "overflows"},
	} {
		_, err := run(t, strings.Replace(src, "%s", c.op, 1), "f", []Value{c.a, c.b})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v; want %q", c.op, err, c.want)
		}
	}
	fsrc := "func f a b\n\tload a\n\tload b\n\t%s\n\treturn\nend\n"
	for _, c := range []struct {
		op   string
		a, b float64
		want Value
	}{
		{"feq", 1.5, 1.5, 1}, {"feq", math.NaN(), math.NaN(), 0}, {"fne", math.NaN(), math.NaN(), 1},
		{"fne", 0, math.Copysign(0, -1), 0},
	} {
		v, err := run(t, strings.Replace(fsrc, "%s", c.op, 1), "f", []Value{Float(c.a), Float(c.b)})
		if err != nil || v != c.want {
			t.Errorf("%v %s %v = %d, %v; want %d", c.a, c.op, c.b, v, err, c.want)
		}
	}
	v, err := run(t, strings.Replace(fsrc, "%s", "fpow", 1), "f", []Value{Float(2), Float(0.5)})
	if err != nil || v.F() != math.Sqrt2 {
		t.Errorf("2.0 ** 0.5 = %v, %v; want √2", v.F(), err)
	}
}

func TestVerifyRejects(t *testing.T) {
	good := func() *Program {
		return MustAssemble("global g\nfunc f a\n\tload a\n\tload_global g\n\tadd\n\treturn\nend\n")
	}
	if err := Verify(good()); err != nil {
		t.Fatalf("Verify(assembled) = %v", err)
	}
	for _, c := range []struct {
		name   string
		mutate func(p *Program)
		want   string
	}{
		{"bad opcode", func(p *Program) { p.Funcs[0].Code[0].Op = numOps }, "invalid opcode"},
		{"local out of range", func(p *Program) { p.Funcs[0].Code[0].A = 5 }, "out of range"},
		{"global out of range", func(p *Program) { p.Funcs[0].Code[1].A = 1 }, "out of range"},
		{"stack underflow", func(p *Program) { p.Funcs[0].Code[1] = Instr{Op: OpNop} }, "needs 2 values"},
		{"MaxStack too small", func(p *Program) { p.Funcs[0].MaxStack = 1 }, "MaxStack"},
		{"runs off its end", func(p *Program) { p.Funcs[0].Code[3] = Instr{Op: OpNop} }, "runs off"},
		{"lines", func(p *Program) { p.Funcs[0].Lines = p.Funcs[0].Lines[:1] }, "source lines"},
	} {
		p := good()
		c.mutate(p)
		if err := Verify(p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Verify = %v; want %q", c.name, err, c.want)
		}
	}
}

// check leaves the stack alone (its check is the same code as after a call's).
func TestCheckKeepsTheStack(t *testing.T) {
	v, err := run(t, "func f a\n\tload a\n\tcheck\n\treturn\nend\n", "f", []Value{7})
	if err != nil || v != 7 {
		t.Fatalf("f(7) = %d, %v; want 7", v, err)
	}
}

// range_step keeps a non-zero step on the stack and fails on zero, as range() does.
func TestRangeStep(t *testing.T) {
	src := "func f a\n\tload a\n\trange_step\n\treturn\nend\n"
	if v, err := run(t, src, "f", []Value{-3}); err != nil || v != -3 {
		t.Errorf("range_step -3 = %d, %v; want -3", v, err)
	}
	if _, err := run(t, src, "f", []Value{0}); err == nil || !strings.Contains(err.Error(), "range() arg 3 must not be zero") {
		t.Errorf("range_step 0: err = %v; want range() arg 3 must not be zero", err)
	}
}
