package interp

import (
	"fmt"
	"math"
)

// Value is one machine word on the interpreter's stack. The instruction set is typed (as
// WebAssembly's is): integer instructions read a Value as int64, float instructions read
// its bits as a float64. The assembler and the natives keep the two apart.
type Value int64

// Float makes a Value that holds f.
func Float(f float64) Value { return Value(math.Float64bits(f)) }

// F reads v as a float64.
func (v Value) F() float64 { return math.Float64frombits(uint64(v)) }

// Op is an opcode.
type Op uint8

// The instruction set. A is the instruction's argument.
const (
	OpNop   Op = iota
	OpPop      // drop the top of the stack
	OpDup      // duplicate the top of the stack
	OpSwap     // swap the two top values
	OpConst    // push Consts[A]
	OpLoad     // push local A
	OpStore    // pop into local A

	OpAdd // integer arithmetic: pop b, pop a, push a op b
	OpSub
	OpMul
	OpDiv // floor division, as Python's //; division by zero is an error
	OpMod // modulo with the sign of the divisor, as Python's %
	OpNeg
	OpAnd // bitwise
	OpOr
	OpXor
	OpShl // Python's <<, wrapped to 64 bits: a count of 64 or more gives 0
	OpShr // Python's >>: arithmetic; a negative shift count is an error for both

	OpFAdd // float arithmetic
	OpFSub
	OpFMul
	OpFDiv // division by zero is an error, as Python's
	OpFNeg
	OpIToF // int -> float
	OpFToI // float -> int (truncation)

	OpLt // integer comparisons push 1 or 0
	OpLe
	OpGt
	OpGe
	OpEq
	OpNe
	OpFLt // float comparisons
	OpFLe
	OpFGt
	OpFGe
	OpNot // logical not: 0 -> 1, anything else -> 0

	OpJump        // pc = A; a backward jump checks the eval breaker (CPython's JUMP_BACKWARD)
	OpJumpIfFalse // pop; if zero, pc = A (forward or backward; backward checks the breaker)
	OpJumpIfTrue  // pop; if non-zero, pc = A
	OpJumpNoCheck // pc = A without checking the breaker (JUMP_BACKWARD_NO_INTERRUPT)

	OpCall   // call bytecode function A; its parameters are popped, its result pushed
	OpNative // call native function A; likewise
	OpReturn // return the top of the stack to the caller

	// Globals (CPython's LOAD_GLOBAL and STORE_GLOBAL): push global A, pop into global A.
	// Neither is a check point of the eval breaker, so `counter += 1` on a global
	// (load_global, const, add, store_global) cannot be interrupted by the new GIL.
	// A TickingLock (CPython 2) may yield after either: see Thread.eval.
	OpLoadGlobal
	OpStoreGlobal

	// Added for Python's operators (the compiler package): ** on integers (wrapping;
	// a negative exponent is an error, since Python's result would be a float), ** on
	// floats (Python's errors where math.Pow would give an infinity or a NaN), and
	// float equality.
	OpPow
	OpFPow
	OpFEq
	OpFNe
	// OpCheck is a check point and nothing else: where the compiler inlines a call
	// that CPython makes (range(), int(), abs(), ...), the check after that call.
	OpCheck

	// Containers (objects.go).
	OpNewList
	OpNewDict
	OpGetItem
	OpSetItem
	OpAppend
	OpLen
	OpContains
	OpDictGet
	OpGetAttr    // A: the attribute's index
	OpSetAttr    // A: the attribute's index
	OpLoadMethod // A: the method's function

	// Python's // and % on floats, as CPython's float_floor_div and float_rem compute
	// them (fmod, then the remainder takes the divisor's sign and the quotient is
	// snapped to an integral value); a zero divisor is an error matching
	// ErrZeroDivision.
	OpFFloorDiv
	OpFMod
	// OpRangeStep leaves the top of the stack, range()'s step, where it is, and fails
	// if it is zero, as Python's range() raises ValueError: the compiler's for over a
	// range whose step is not a constant.
	OpRangeStep

	numOps
)

var opNames = [numOps]string{
	OpNop: "nop", OpPop: "pop", OpDup: "dup", OpSwap: "swap", OpConst: "const",
	OpLoad: "load", OpStore: "store",
	OpAdd: "add", OpSub: "sub", OpMul: "mul", OpDiv: "div", OpMod: "mod", OpNeg: "neg",
	OpAnd: "and", OpOr: "or", OpXor: "xor", OpShl: "shl", OpShr: "shr",
	OpFAdd: "fadd", OpFSub: "fsub", OpFMul: "fmul", OpFDiv: "fdiv", OpFNeg: "fneg",
	OpIToF: "itof", OpFToI: "ftoi",
	OpLt: "lt", OpLe: "le", OpGt: "gt", OpGe: "ge", OpEq: "eq", OpNe: "ne",
	OpFLt: "flt", OpFLe: "fle", OpFGt: "fgt", OpFGe: "fge", OpNot: "not",
	OpJump: "jump", OpJumpIfFalse: "jump_if_false", OpJumpIfTrue: "jump_if_true",
	OpJumpNoCheck: "jump_no_check",
	OpCall:        "call", OpNative: "native", OpReturn: "return",
	OpLoadGlobal: "load_global", OpStoreGlobal: "store_global",
	OpPow: "pow", OpFPow: "fpow", OpFEq: "feq", OpFNe: "fne", OpCheck: "check",
	OpNewList: "newlist", OpNewDict: "newdict", OpGetItem: "getitem", OpSetItem: "setitem",
	OpAppend: "append", OpLen: "len", OpContains: "contains", OpDictGet: "dict_get",
	OpGetAttr: "getattr", OpSetAttr: "setattr", OpLoadMethod: "load_method",
	OpFFloorDiv: "ffloordiv", OpFMod: "fmod", OpRangeStep: "range_step",
}

func (o Op) String() string {
	if o < numOps && opNames[o] != "" {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Instr is one instruction.
type Instr struct {
	Op Op
	A  int32
}

// Function is a bytecode function. Its parameters are its first NParams locals.
type Function struct {
	Name    string
	NParams int
	NLocals int // including parameters
	Code    []Instr
	Consts  []Value
	// MaxStack is the deepest the operand stack gets inside one activation; the
	// assembler computes it.
	MaxStack int
	Lines    []int // source line of each instruction, for error messages (may be nil)
}

// Native is a function written in Go that bytecode calls with OpNative.
//
// Releases says whether the call gives up the interpreter lock while it runs, as C code
// between Py_BEGIN_ALLOW_THREADS and Py_END_ALLOW_THREADS does: sleeps, socket and file
// I/O, large hashes. A native that does not release it (most helpers on small data)
// keeps every other thread of its interpreter waiting.
//
// Computes marks a releasing native whose time is the CPU's, not a wait (a large hash):
// threads run it in parallel with the lock released, but an event loop (Loop) cannot
// await it and runs it in place, as asyncio runs a hashlib call on the loop's thread.
type Native struct {
	Name     string
	NArgs    int
	Releases bool
	Computes bool
	Fn       func(t *Thread, args []Value) (Value, error)
}

// Program is a set of functions, the natives they call and the globals they share,
// ready to run. It is immutable once built and may be shared by any number of
// interpreters and threads; the values of its globals live in a Shared.
type Program struct {
	Funcs   []*Function
	Natives []*Native
	// Globals are the module-level names, in the order declared: plain integers and
	// shared objects (see Kind). Global k is in slot k of a Shared's Globals.
	Globals []Global
	byName  map[string]int
	globals map[string]int
	layout  layout
}

// Global returns the index of the global called name.
func (p *Program) Global(name string) (int, bool) {
	k, ok := p.globals[name]
	return k, ok
}

// Func returns the index of the function called name.
func (p *Program) Func(name string) (int, bool) {
	i, ok := p.byName[name]
	return i, ok
}

var (
	errBadOp      = fmt.Errorf("invalid opcode")
	errFloatToInt = fmt.Errorf("cannot convert float NaN or infinity to integer")
	errNegShift   = fmt.Errorf("negative shift count")
	errNegPow     = fmt.Errorf("integer ** negative integer (a float in Python)")
	errFloatZero  = zeroDivision("float division by zero")
	errFloorZero  = zeroDivision("float floor division by zero")
	errModZero    = zeroDivision("float modulo by zero")
	errRangeStep  = fmt.Errorf("range() arg 3 must not be zero")
	errZeroPow    = fmt.Errorf("0.0 cannot be raised to a negative power")
	errComplexPow = fmt.Errorf("negative number raised to a fractional power (complex in Python)")
	errPowRange   = fmt.Errorf("float ** overflows (numerical result out of range)")
)

// zeroDivision is a float division by zero: its own message, as CPython's, and
// errors.Is(err, ErrZeroDivision) as for the integer instructions (all are Python's
// ZeroDivisionError).
type zeroDivision string

func (e zeroDivision) Error() string        { return string(e) }
func (e zeroDivision) Is(target error) bool { return target == ErrZeroDivision }

// legacyTickWeight is how many of CPython 2.7's ticks (a pass through the top of
// ceval.c's dispatch loop, where --_Py_Ticker happens) the bytecode that each
// instruction stands for costs; a TickingLock's check interval counts these, not
// instructions. CPython 2.7.18 is built with computed gotos, which turn PREDICT() off:
// every opcode ticks except those that end in `goto fast_next_opcode` (FAST_DISPATCH):
// LOAD_FAST, LOAD_CONST, STORE_FAST, POP_TOP, ROT_*, DUP_TOP(X), NOP, JUMP_FORWARD and
// POP_JUMP_IF_* / JUMP_IF_*_OR_POP on a bool. Measured on 2.7.18 by reading _Py_Ticker
// (docs/design/GIL.md, "CPython 2.7's ticks"). Not in the table, added by the legacy eval
// loop (eval_legacy.go): a taken backward jump is a JUMP_ABSOLUTE (1), and a function's
// entry is its frame's first pass through the top of the loop (1).
var legacyTickWeight = [256]int8{
	// Fast path, no tick: LOAD_FAST, LOAD_CONST, STORE_FAST, POP_TOP, DUP_TOP, ROT_TWO,
	// NOP; JUMP_FORWARD and POP_JUMP_IF_* on the bool of a comparison.
	OpNop: 0, OpPop: 0, OpDup: 0, OpSwap: 0, OpConst: 0, OpLoad: 0, OpStore: 0,
	OpJump: 0, OpJumpIfFalse: 0, OpJumpIfTrue: 0, OpJumpNoCheck: 0,
	// BINARY_* / INPLACE_* / UNARY_*: one tick each.
	OpAdd: 1, OpSub: 1, OpMul: 1, OpDiv: 1, OpMod: 1, OpNeg: 1,
	OpAnd: 1, OpOr: 1, OpXor: 1, OpShl: 1, OpShr: 1, OpPow: 1,
	OpFAdd: 1, OpFSub: 1, OpFMul: 1, OpFDiv: 1, OpFNeg: 1, OpFPow: 1,
	OpFFloorDiv: 1, OpFMod: 1, OpNot: 1,
	// Conversions the compiler inserts between int and float: no bytecode of their own
	// (float(n) and int(x) are calls, which their check counts).
	OpIToF: 0, OpFToI: 0,
	// COMPARE_OP ticks: 2.7.18 does not predict the jump after it.
	OpLt: 1, OpLe: 1, OpGt: 1, OpGe: 1, OpEq: 1, OpNe: 1,
	OpFLt: 1, OpFLe: 1, OpFGt: 1, OpFGe: 1, OpFEq: 1, OpFNe: 1,
	// A call: LOAD_GLOBAL of the function and CALL_FUNCTION (the callee's entry adds
	// its own tick). A native: LOAD_GLOBAL and CALL_FUNCTION too (gilbench.sleep_us,
	// mu.acquire() add a LOAD_ATTR that is not counted). check stands for an inlined
	// builtin's call: LOAD_GLOBAL and CALL_FUNCTION. RETURN_VALUE leaves the loop
	// without a tick. range_step is part of range()'s call.
	OpCall: 2, OpNative: 2, OpCheck: 2, OpReturn: 0, OpRangeStep: 0,
	// LOAD_GLOBAL, STORE_GLOBAL.
	OpLoadGlobal: 1, OpStoreGlobal: 1,
	// BUILD_LIST, BUILD_MAP, BINARY_SUBSCR, STORE_SUBSCR, COMPARE_OP (in), LOAD_ATTR,
	// STORE_ATTR: one each. append, len and get are method or builtin calls that the
	// compiler follows with check (LOAD_ATTR/LOAD_GLOBAL + CALL_FUNCTION there), and
	// load_method's LOAD_ATTR is counted by the call's LOAD_GLOBAL.
	OpNewList: 1, OpNewDict: 1, OpGetItem: 1, OpSetItem: 1, OpContains: 1,
	OpGetAttr: 1, OpSetAttr: 1, OpAppend: 0, OpLen: 0, OpDictGet: 0, OpLoadMethod: 0,
}
