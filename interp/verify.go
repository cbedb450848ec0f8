package interp

import "fmt"

// Verify checks that p is safe to run: every opcode is known, every argument names a
// local, constant, function, native, global or instruction that exists, the operand
// stack has one depth on every path into an instruction, nothing pops an empty stack,
// no path runs off the end of a function, and each function's MaxStack covers the
// deepest its stack gets. Assemble verifies what it builds; Verify is for code that
// builds programs (the Python compiler does so through Assemble) and for tests that
// want to say so.
//
// Unreachable instructions are checked for their arguments but not for stack depth, as
// the eval loop never runs them.
func Verify(p *Program) error {
	if p == nil {
		return fmt.Errorf("interp: verify: nil program")
	}
	for _, f := range p.Funcs {
		if err := verifyArgs(p, f); err != nil {
			return fmt.Errorf("interp: verify %s: %w", f.Name, err)
		}
		maxd, err := stackDepth(p, f)
		if err != nil {
			return fmt.Errorf("interp: verify %s: %w", f.Name, err)
		}
		if maxd > f.MaxStack {
			return fmt.Errorf("interp: verify %s: stack reaches %d, MaxStack is %d", f.Name, maxd, f.MaxStack)
		}
	}
	return nil
}

// verifyArgs checks the shape of f and the argument of each instruction.
func verifyArgs(p *Program, f *Function) error {
	if f.NParams < 0 || f.NParams > f.NLocals {
		return fmt.Errorf("%d parameters, %d locals", f.NParams, f.NLocals)
	}
	if f.Lines != nil && len(f.Lines) != len(f.Code) {
		return fmt.Errorf("%d source lines for %d instructions", len(f.Lines), len(f.Code))
	}
	for pc, in := range f.Code {
		n := -1 // the exclusive bound of the argument, -1: no argument
		switch in.Op {
		case OpConst:
			n = len(f.Consts)
		case OpLoad, OpStore:
			n = f.NLocals
		case OpJump, OpJumpIfFalse, OpJumpIfTrue, OpJumpNoCheck:
			n = len(f.Code)
		case OpCall, OpLoadMethod:
			n = len(p.Funcs)
		case OpGetAttr, OpSetAttr:
			n = maxAttrs
		case OpNative:
			n = len(p.Natives)
		case OpLoadGlobal, OpStoreGlobal:
			n = len(p.Globals)
		default:
			if in.Op >= numOps {
				return fmt.Errorf("pc %d: %v", pc, errBadOp)
			}
		}
		if n >= 0 && (in.A < 0 || int(in.A) >= n) {
			return fmt.Errorf("pc %d: %s %d out of range [0, %d)", pc, in.Op, in.A, n)
		}
		if in.Op == OpNative && p.Natives[in.A] == nil {
			return fmt.Errorf("pc %d: native %d is nil", pc, in.A)
		}
	}
	return nil
}

// effect returns how many values an instruction pops and pushes.
func effect(p *Program, in Instr) (pop, push int) {
	switch in.Op {
	case OpNop, OpJump, OpJumpNoCheck, OpCheck:
		return 0, 0
	case OpPop, OpStore, OpStoreGlobal, OpJumpIfFalse, OpJumpIfTrue:
		return 1, 0
	case OpDup:
		return 1, 2
	case OpSwap:
		return 2, 2
	case OpConst, OpLoad, OpLoadGlobal:
		return 0, 1
	case OpNeg, OpFNeg, OpIToF, OpFToI, OpNot, OpRangeStep:
		return 1, 1
	case OpCall:
		return p.Funcs[in.A].NParams, 1
	case OpNative:
		return p.Natives[in.A].NArgs, 1
	case OpReturn:
		return 1, 0
	case OpNewList, OpNewDict:
		return 0, 1
	case OpLen, OpGetAttr, OpLoadMethod:
		return 1, 1
	case OpAppend, OpSetAttr:
		return 2, 0
	case OpSetItem:
		return 3, 0
	case OpDictGet:
		return 3, 1
	default: // binary operators, getitem, contains
		return 2, 1
	}
}

// stackDepth walks every path through f, checks that depths agree where paths meet and
// that nothing pops an empty stack, and returns the deepest the stack gets. Arguments
// must have been checked (the assembler resolves them; Verify checks them first).
func stackDepth(p *Program, f *Function) (int, error) {
	line := func(pc int) string {
		if pc < len(f.Lines) {
			return fmt.Sprintf("line %d", f.Lines[pc])
		}
		return fmt.Sprintf("pc %d", pc)
	}
	if len(f.Code) == 0 {
		return 0, fmt.Errorf("asm: func %s has no instructions", f.Name)
	}
	depth := make([]int, len(f.Code))
	for i := range depth {
		depth[i] = -1
	}
	type item struct{ pc, d int }
	work := []item{{0, 0}}
	maxd := 0
	for len(work) > 0 {
		it := work[len(work)-1]
		work = work[:len(work)-1]
		for pc, d := it.pc, it.d; ; {
			if pc >= len(f.Code) {
				return 0, fmt.Errorf("asm: %s: %s runs off its end (missing return)", line(len(f.Code)-1), f.Name)
			}
			if depth[pc] >= 0 {
				if depth[pc] != d {
					return 0, fmt.Errorf("asm: %s: stack depth %d here but %d on another path", line(pc), d, depth[pc])
				}
				break
			}
			depth[pc] = d
			in := f.Code[pc]
			pop, push := effect(p, in)
			if d < pop {
				return 0, fmt.Errorf("asm: %s: %s needs %d values, the stack has %d", line(pc), in.Op, pop, d)
			}
			d += push - pop
			maxd = max(maxd, d)
			if in.Op == OpReturn {
				break
			}
			if isJump(in.Op) {
				if in.Op == OpJump || in.Op == OpJumpNoCheck {
					pc = int(in.A)
					continue
				}
				work = append(work, item{int(in.A), d})
			}
			pc++
		}
	}
	return maxd, nil
}
