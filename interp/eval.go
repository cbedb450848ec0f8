package interp

import "math"

func b2v(b bool) Value {
	if b {
		return 1
	}
	return 0
}

// floorDiv and floorMod follow Python's // and %: the quotient rounds toward minus
// infinity and the remainder has the sign of the divisor.
func floorDiv(a, b Value) Value {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b Value) Value {
	m := a % b
	if m != 0 && ((m < 0) != (b < 0)) {
		m += b
	}
	return m
}

// fdivmod is Python's float // and % (a // b, a % b) for b != 0, computed as CPython's
// _float_div_mod (Objects/floatobject.c): fmod is exact, so a - mod is a multiple of b
// up to rounding; the remainder takes the sign of b (a zero one too), and the quotient
// is snapped to the nearest integral value, or is a zero with the sign of a / b.
func fdivmod(a, b float64) (div, mod float64) {
	mod = math.Mod(a, b)
	q := (a - mod) / b
	if mod != 0 { // NaN is not zero here, as in C
		if (b < 0) != (mod < 0) {
			mod += b
			q -= 1.0
		}
	} else {
		mod = math.Copysign(0, b)
	}
	if q != 0 {
		div = math.Floor(q)
		if q-div > 0.5 {
			div += 1.0
		}
	} else {
		div = math.Copysign(0, a/b)
	}
	return div, mod
}

// fmod is Python's float % for b != 0, as CPython's float_rem: fdivmod's remainder
// without the quotient.
func fmod(a, b float64) float64 {
	mod := math.Mod(a, b)
	if mod != 0 {
		if (b < 0) != (mod < 0) {
			mod += b
		}
	} else {
		mod = math.Copysign(0, b)
	}
	return mod
}

// ipow is a ** b for b >= 0 by repeated squaring, wrapping as the other integer
// instructions do (the result is Python's modulo 2^64).
func ipow(a, b Value) Value {
	r := Value(1)
	for ; b > 0; b >>= 1 {
		if b&1 != 0 {
			r *= a
		}
		a *= a
	}
	return r
}

// fpow is Python's float **: math.Pow, except where Python raises an error.
func fpow(a, b float64) (float64, error) {
	switch {
	case a == 0 && b < 0 && !math.IsInf(b, 0):
		return 0, errZeroPow
	case a < 0 && !math.IsInf(a, 0) && b != math.Trunc(b) && !math.IsInf(b, 0) && !math.IsNaN(b):
		return 0, errComplexPow
	}
	v := math.Pow(a, b)
	if math.IsInf(v, 0) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
		return 0, errPowRange
	}
	return v, nil
}

// eval runs f whose locals start at t.mem[base]. The operand stack follows the locals.
// Hot state (pc, sp, the instruction counter) lives in locals; t.ticks is brought up to
// date before anything that may look at it (check points, calls, returns).
func (t *Thread) eval(f *Function, base int) (Value, error) {
	t.depth++
	if t.depth > MaxDepth {
		t.depth--
		return 0, &Error{Func: f.Name, Err: ErrRecursion}
	}
	defer func() { t.depth-- }()

	mem := t.mem
	locals := mem[base : base+f.NLocals : base+f.NLocals]
	stack := mem[base+f.NLocals : base+f.NLocals+f.MaxStack+1 : base+f.NLocals+f.MaxStack+1]
	code := f.Code
	consts := f.Consts
	sp := 0
	pc := 0
	ticks := t.ticks

	fail := func(err error) (Value, error) {
		t.ticks = ticks
		e := &Error{Func: f.Name, PC: pc - 1, Err: err}
		if f.Lines != nil && pc > 0 {
			e.Line = f.Lines[pc-1]
		}
		return 0, e
	}

	// Function entry is a check point (CPython's RESUME).
	if t.breaker.Load() != 0 || ticks >= t.nextTick {
		if err := t.checkpoint(); err != nil {
			return fail(err)
		}
	}

	for {
		in := code[pc]
		pc++
		ticks++
		switch in.Op {
		case OpNop:
		case OpPop:
			sp--
		case OpDup:
			stack[sp] = stack[sp-1]
			sp++
		case OpSwap:
			stack[sp-1], stack[sp-2] = stack[sp-2], stack[sp-1]
		case OpConst:
			stack[sp] = consts[in.A]
			sp++
		case OpLoad:
			stack[sp] = locals[in.A]
			sp++
		case OpStore:
			sp--
			locals[in.A] = stack[sp]

		case OpAdd:
			sp--
			stack[sp-1] += stack[sp]
		case OpSub:
			sp--
			stack[sp-1] -= stack[sp]
		case OpMul:
			sp--
			stack[sp-1] *= stack[sp]
		case OpDiv:
			sp--
			if stack[sp] == 0 {
				return fail(ErrZeroDivision)
			}
			stack[sp-1] = floorDiv(stack[sp-1], stack[sp])
		case OpMod:
			sp--
			if stack[sp] == 0 {
				return fail(ErrZeroDivision)
			}
			stack[sp-1] = floorMod(stack[sp-1], stack[sp])
		case OpNeg:
			stack[sp-1] = -stack[sp-1]
		case OpAnd:
			sp--
			stack[sp-1] &= stack[sp]
		case OpOr:
			sp--
			stack[sp-1] |= stack[sp]
		case OpXor:
			sp--
			stack[sp-1] ^= stack[sp]
		case OpShl:
			sp--
			if stack[sp] < 0 {
				return fail(errNegShift)
			}
			stack[sp-1] <<= uint64(stack[sp]) // Go gives 0 for a count of 64 or more
		case OpShr:
			sp--
			if stack[sp] < 0 {
				return fail(errNegShift)
			}
			stack[sp-1] >>= uint64(stack[sp]) // arithmetic: 0 or -1 for 64 or more
		case OpPow:
			sp--
			if stack[sp] < 0 {
				return fail(errNegPow)
			}
			stack[sp-1] = ipow(stack[sp-1], stack[sp])
		case OpFPow:
			sp--
			v, err := fpow(stack[sp-1].F(), stack[sp].F())
			if err != nil {
				return fail(err)
			}
			stack[sp-1] = Float(v)

		case OpFAdd:
			sp--
			stack[sp-1] = Float(stack[sp-1].F() + stack[sp].F())
		case OpFSub:
			sp--
			stack[sp-1] = Float(stack[sp-1].F() - stack[sp].F())
		case OpFMul:
			sp--
			stack[sp-1] = Float(stack[sp-1].F() * stack[sp].F())
		case OpFDiv:
			sp--
			if stack[sp].F() == 0 {
				return fail(errFloatZero)
			}
			stack[sp-1] = Float(stack[sp-1].F() / stack[sp].F())
		case OpFFloorDiv:
			sp--
			if stack[sp].F() == 0 {
				return fail(errFloorZero)
			}
			d, _ := fdivmod(stack[sp-1].F(), stack[sp].F())
			stack[sp-1] = Float(d)
		case OpFMod:
			sp--
			if stack[sp].F() == 0 {
				return fail(errModZero)
			}
			stack[sp-1] = Float(fmod(stack[sp-1].F(), stack[sp].F()))
		case OpRangeStep:
			if stack[sp-1] == 0 {
				return fail(errRangeStep)
			}
		case OpFNeg:
			stack[sp-1] = Float(-stack[sp-1].F())
		case OpIToF:
			stack[sp-1] = Float(float64(stack[sp-1]))
		case OpFToI:
			f := stack[sp-1].F()
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return fail(errFloatToInt)
			}
			stack[sp-1] = Value(f)

		case OpLt:
			sp--
			stack[sp-1] = b2v(stack[sp-1] < stack[sp])
		case OpLe:
			sp--
			stack[sp-1] = b2v(stack[sp-1] <= stack[sp])
		case OpGt:
			sp--
			stack[sp-1] = b2v(stack[sp-1] > stack[sp])
		case OpGe:
			sp--
			stack[sp-1] = b2v(stack[sp-1] >= stack[sp])
		case OpEq:
			sp--
			stack[sp-1] = b2v(stack[sp-1] == stack[sp])
		case OpNe:
			sp--
			stack[sp-1] = b2v(stack[sp-1] != stack[sp])
		case OpFLt:
			sp--
			stack[sp-1] = b2v(stack[sp-1].F() < stack[sp].F())
		case OpFLe:
			sp--
			stack[sp-1] = b2v(stack[sp-1].F() <= stack[sp].F())
		case OpFGt:
			sp--
			stack[sp-1] = b2v(stack[sp-1].F() > stack[sp].F())
		case OpFGe:
			sp--
			stack[sp-1] = b2v(stack[sp-1].F() >= stack[sp].F())
		case OpFEq:
			sp--
			stack[sp-1] = b2v(stack[sp-1].F() == stack[sp].F())
		case OpFNe:
			sp--
			stack[sp-1] = b2v(stack[sp-1].F() != stack[sp].F())
		case OpNot:
			stack[sp-1] = b2v(stack[sp-1] == 0)
		case OpCheck:
			if t.breaker.Load() != 0 || ticks >= t.nextTick {
				t.ticks = ticks
				if err := t.checkpoint(); err != nil {
					return fail(err)
				}
			}

		case OpJump:
			if int(in.A) < pc {
				// Backward jump: a check point.
				if t.breaker.Load() != 0 || ticks >= t.nextTick {
					t.ticks = ticks
					if err := t.checkpoint(); err != nil {
						return fail(err)
					}
				}
			}
			pc = int(in.A)
		case OpJumpNoCheck:
			pc = int(in.A)
		case OpJumpIfFalse, OpJumpIfTrue:
			sp--
			if (stack[sp] == 0) == (in.Op == OpJumpIfFalse) {
				if int(in.A) < pc && (t.breaker.Load() != 0 || ticks >= t.nextTick) {
					t.ticks = ticks
					if err := t.checkpoint(); err != nil {
						return fail(err)
					}
				}
				pc = int(in.A)
			}

		case OpCall:
			g := t.In.Prog.Funcs[in.A]
			sp -= g.NParams
			nb := base + f.NLocals + f.MaxStack + 1
			need := nb + g.NLocals + g.MaxStack + 1
			if need > len(t.mem) {
				grown := make([]Value, 2*need)
				copy(grown, t.mem)
				t.mem = grown
			}
			copy(t.mem[nb:], stack[sp:sp+g.NParams])
			clear(t.mem[nb+g.NParams : nb+g.NLocals])
			t.ticks = ticks
			v, err := t.eval(g, nb)
			ticks = t.ticks
			if err != nil {
				return 0, err
			}
			stack[sp] = v
			sp++
			// After a call: a check point.
			if t.breaker.Load() != 0 || ticks >= t.nextTick {
				if err := t.checkpoint(); err != nil {
					return fail(err)
				}
			}
		case OpNative:
			n := t.In.Prog.Natives[in.A]
			sp -= n.NArgs
			t.ticks = ticks
			v, err := t.callNative(n, stack[sp:sp+n.NArgs])
			if err != nil {
				return fail(err)
			}
			stack[sp] = v
			sp++
			if t.breaker.Load() != 0 || ticks >= t.nextTick {
				if err := t.checkpoint(); err != nil {
					return fail(err)
				}
			}
		case OpNewList, OpNewDict:
			k := KindList
			if in.Op == OpNewDict {
				k = KindDict
			}
			stack[sp] = t.newPrivate(k)
			sp++
		case OpGetItem:
			sp--
			v, err := t.getItem(stack[sp-1], stack[sp])
			if err != nil {
				return fail(err)
			}
			stack[sp-1] = v
		case OpSetItem:
			sp -= 3
			if err := t.setItem(stack[sp], stack[sp+1], stack[sp+2]); err != nil {
				return fail(err)
			}
		case OpAppend:
			sp -= 2
			if err := t.appendItem(stack[sp], stack[sp+1]); err != nil {
				return fail(err)
			}
		case OpLen:
			v, err := t.length(stack[sp-1])
			if err != nil {
				return fail(err)
			}
			stack[sp-1] = v
		case OpContains:
			sp--
			v, err := t.contains(stack[sp-1], stack[sp])
			if err != nil {
				return fail(err)
			}
			stack[sp-1] = v
		case OpDictGet:
			sp -= 2
			v, err := t.dictGet(stack[sp-1], stack[sp], stack[sp+1])
			if err != nil {
				return fail(err)
			}
			stack[sp-1] = v
		case OpGetAttr:
			v, err := t.getAttr(stack[sp-1], int(in.A))
			if err != nil {
				return fail(err)
			}
			stack[sp-1] = v
		case OpSetAttr:
			sp -= 2
			if err := t.setAttr(stack[sp], int(in.A), stack[sp+1]); err != nil {
				return fail(err)
			}
		case OpLoadMethod:
			if err := t.loadMethod(stack[sp-1], int(in.A)); err != nil {
				return fail(err)
			}

		case OpLoadGlobal:
			stack[sp] = t.globals.Load(int(in.A))
			sp++
			// Not a check point of the eval breaker (LOAD_GLOBAL checks nothing in
			// CPython 3). CPython 2 counted down its ticker before every instruction
			// that did not take the fast path, and a global access did not: a ticking
			// lock may yield here, between the load and the store of `counter += 1`.
			if ticks >= t.nextTick {
				t.ticks = ticks
				if err := t.checkpoint(); err != nil {
					return fail(err)
				}
			}
		case OpStoreGlobal:
			sp--
			t.globals.Store(int(in.A), stack[sp])
			if ticks >= t.nextTick {
				t.ticks = ticks
				if err := t.checkpoint(); err != nil {
					return fail(err)
				}
			}
		case OpReturn:
			t.ticks = ticks
			return stack[sp-1], nil
		default:
			return fail(errBadOp)
		}
	}
}
