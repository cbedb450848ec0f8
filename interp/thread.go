package interp

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"sync/atomic"
)

// Eval-breaker bits. The holder of an interpreter lock reads its breaker with one atomic
// load at every check point (backward jumps, function entry, after calls).
const (
	// BreakDropRequest asks the thread to give up the interpreter lock (CPython's
	// gil_drop_request).
	BreakDropRequest uint32 = 1 << iota
	// BreakInterrupt asks the thread to stop: Call returns ErrInterrupted.
	BreakInterrupt
)

// MaxDepth is the deepest bytecode call chain a thread allows (Python's default
// recursion limit).
const MaxDepth = 1000

var (
	// ErrInterrupted is returned by Call when the thread was interrupted.
	ErrInterrupted = errors.New("interp: interrupted")
	// ErrRecursion is returned when calls nest deeper than MaxDepth.
	ErrRecursion = errors.New("maximum recursion depth exceeded")
	// ErrZeroDivision is returned by integer division or modulo by zero; the float
	// instructions' errors for a zero divisor (fdiv, ffloordiv, fmod) match it with
	// errors.Is, with messages of their own.
	ErrZeroDivision = errors.New("integer division or modulo by zero")
)

// Error is a failure inside bytecode: where it happened and why.
type Error struct {
	Func string
	PC   int
	Line int // source line, 0 if unknown
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("interp: %s (line %d, pc %d): %v", e.Func, e.Line, e.PC, e.Err)
	}
	return fmt.Sprintf("interp: %s (pc %d): %v", e.Func, e.PC, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// PanicError is a panic inside a native function, recovered by Call and returned as an
// error with the stack of the panic (STYLE.md 7).
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("interp: panic in native code: %v\n%s", e.Value, e.Stack)
}

// Interpreter is the state of one interpreter: the program it runs, the lock its
// threads share and the Shared that holds the program's globals. Modes differ only in
// how many interpreters there are and which Lock each has: one interpreter without a
// lock (free threading), one with a GIL, one per thread each with its own GIL (PEP 684).
type Interpreter struct {
	Prog   *Program
	lock   Lock // nil: no lock
	shared *Shared
	// tickEvery is the period of a ticking lock (legacy GIL) in CPython 2.7's ticks, else
	// MaxInt64: its check interval plus one, as ceval.c resets _Py_Ticker to the
	// interval and releases when a decrement takes it below zero.
	tickEvery int64
	nthreads  atomic.Int64
	ft        *FreeThreading // nil: no free-threaded costs
}

// New returns an interpreter for p whose threads share lock (nil for none). Its globals
// and objects are its own (a fresh Shared) until Share gives it others.
func New(p *Program, lock Lock) *Interpreter {
	shared, err := NewShared(p, Memory{})
	if err != nil { // one process's memory holds any program
		panic(err)
	}
	in := &Interpreter{Prog: p, lock: lock, shared: shared, tickEvery: math.MaxInt64}
	if tl, ok := lock.(TickingLock); ok && tl.CheckInterval() > 0 {
		in.tickEvery = tl.CheckInterval() + 1
	}
	return in
}

// Lock returns the interpreter's lock, nil if it has none.
func (in *Interpreter) Lock() Lock { return in.lock }

// Shared returns the state that holds the interpreter's globals and objects.
func (in *Interpreter) Shared() *Shared { return in.shared }

// Share makes in keep its globals and objects in s, which other interpreters of the same
// Program (or other processes, if s is in shared memory) may use too. Call it before
// making threads.
//
// Real subinterpreters (PEP 684/734) share no objects: data crosses between them by
// copying. Interpreters that Share one state model threads, or processes, that share
// memory; gilbench's subinterp mode does so for its shared-state workloads.
func (in *Interpreter) Share(s *Shared) error {
	if s.prog != in.Prog {
		return errors.New("interp: Share: the state belongs to another program")
	}
	if in.nthreads.Load() > 0 {
		return errors.New("interp: Share after the interpreter made threads")
	}
	in.shared = s
	return nil
}

// Thread is one thread of an interpreter. A thread is used by one goroutine at a time.
type Thread struct {
	ID   int
	In   *Interpreter
	lock Lock

	breaker atomic.Uint32

	shared  *Shared
	globals Globals // shared.Globals(), for load_global and store_global

	mem      []Value // frames: locals then operand stack, one region per activation
	depth    int
	ticks    int64 // instructions executed so far
	nextTick int64 // ticks (legacyTicks under a ticking lock) at which to yield or charge
	// Under a TickingLock the eval loop is evalLegacy, which also counts CPython 2.7's
	// ticks (legacyTickWeight); the check interval is a number of them.
	legacy      bool
	legacyTicks int64
	holding     bool // whether the thread holds its interpreter's lock

	// LockState is private to the Lock implementation (per-thread statistics).
	LockState any

	// Containers (objects.go): the private objects made since the last Call, and
	// this thread's attributes of each threading.local.
	arena  []*Obj
	arenaN int
	tls    []tlsEntry
	// Writes to concurrent containers (concurrent.go) not yet published: by the object's
	// global index, and those holding any.
	pending []*pending
	dirty   []*pending
	// A free-threaded profile (freethreading.go): instructions charged so far, the
	// remainder of a unit, and the work's result.
	ft      *FreeThreading
	ftTicks int64
	ftAcc   int64
	ftSink  int64
}

// NewThread makes a thread of in. Ids count from 0 in the order threads are made.
func (in *Interpreter) NewThread() *Thread {
	t := &Thread{
		ID:      int(in.nthreads.Add(1) - 1),
		In:      in,
		lock:    in.lock,
		shared:  in.shared,
		globals: in.shared.globals,
		mem:     make([]Value, 1024),
	}
	t.nextTick = in.tickEvery
	t.legacy = in.tickEvery != math.MaxInt64
	if in.lock == nil && in.ft == nil {
		in.shared.makeConcurrent() // ideal free threading: concurrent containers
	}
	if in.ft != nil {
		t.ft = in.ft
		t.nextTick = 0 // the first check point charges the profile's work, then every ftChargeEvery
	}
	if t.lock != nil {
		t.lock.Register(t)
	}
	return t
}

// Attach makes t hold its interpreter's lock, waiting for it if needed (a thread that
// starts running Python code). It does nothing without a lock.
func (t *Thread) Attach() {
	if t.lock != nil && !t.holding {
		t.lock.Take(t)
		t.holding = true
	}
}

// Detach gives the lock up (a thread that ends or leaves Python code for good).
func (t *Thread) Detach() {
	if t.lock != nil && t.holding {
		t.holding = false
		t.lock.Drop(t)
	}
}

// Holding reports whether t holds its interpreter's lock.
func (t *Thread) Holding() bool { return t.holding }

// Blocking runs f with the interpreter lock released, as C code does between
// Py_BEGIN_ALLOW_THREADS and Py_END_ALLOW_THREADS. Every native call that releases the
// lock, and every blocking wait a worker does (queue get/put, join), goes through here.
func (t *Thread) Blocking(f func()) {
	if t.lock == nil || !t.holding {
		f()
		return
	}
	if a, ok := t.lock.(Awaiter); ok {
		a.Await(t, f)
		return
	}
	t.holding = false
	t.lock.BeginBlocking(t)
	defer func() {
		t.lock.EndBlocking(t)
		t.holding = true
	}()
	f()
}

// awaits reports whether t's lock is an event loop (its blocking calls are awaits).
func (t *Thread) awaits() bool {
	_, ok := t.lock.(Awaiter)
	return ok
}

// Breaker returns t's eval breaker, for Lock implementations.
func (t *Thread) Breaker() *atomic.Uint32 { return &t.breaker }

// Interrupt asks t to stop at its next check point; Call then returns ErrInterrupted.
// Safe to call from any goroutine.
func (t *Thread) Interrupt() { t.breaker.Or(BreakInterrupt) }

// Ticks returns the number of instructions t has executed.
func (t *Thread) Ticks() int64 { return t.ticks }

// Call runs bytecode function fn with args on t and returns its result. The thread must
// be attached if its interpreter has a lock. A panic in a native function is recovered
// and returned as *PanicError.
func (t *Thread) Call(fn int, args ...Value) (v Value, err error) {
	p := t.In.Prog
	if fn < 0 || fn >= len(p.Funcs) {
		return 0, fmt.Errorf("interp: no function %d", fn)
	}
	f := p.Funcs[fn]
	if len(args) != f.NParams {
		return 0, fmt.Errorf("interp: %s takes %d arguments, got %d", f.Name, f.NParams, len(args))
	}
	if t.lock != nil && !t.holding {
		return 0, fmt.Errorf("interp: thread %d calls %s without holding the interpreter lock", t.ID, f.Name)
	}
	defer func() {
		t.publish(true) // the task's appends are on their lists when it returns
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
			t.depth = 0
		}
	}()
	need := f.NLocals + f.MaxStack
	if need > len(t.mem) {
		t.mem = make([]Value, 2*need)
	}
	copy(t.mem, args)
	clear(t.mem[len(args):f.NLocals])
	t.arenaN = 0 // the last call's private objects are gone
	if t.legacy {
		return t.evalLegacy(f, 0)
	}
	return t.eval(f, 0)
}

// checkpoint handles a set eval breaker or a used-up tick budget.
func (t *Thread) checkpoint() error {
	b := t.breaker.Load()
	if b&BreakInterrupt != 0 {
		return ErrInterrupted
	}
	if t.ft != nil {
		t.ftCharge()
		t.nextTick = t.ticks + ftChargeEvery
		return nil
	}
	if t.legacy && t.legacyTicks >= t.nextTick { // only a ticking lock sets a budget
		// The next release is due a period after this one was, not after the check
		// point that came a few ticks late: 2.7 releases at the exact tick, so the
		// place in a loop where it releases moves round the loop (the lost-update
		// workload); re-arming from here would lock it onto one check point.
		for t.nextTick <= t.legacyTicks {
			t.nextTick += t.In.tickEvery
		}
		if t.holding {
			t.lock.Yield(t)
		}
		return nil
	}
	if b&BreakDropRequest != 0 && t.holding {
		t.lock.Yield(t)
	}
	return nil
}

// callNative calls n with the lock released if n says so. Under an event loop a native
// that computes (Native.Computes) runs in place: it blocks the loop.
func (t *Thread) callNative(n *Native, args []Value) (v Value, err error) {
	if n.Releases && !(n.Computes && t.awaits()) {
		t.Blocking(func() { v, err = n.Fn(t, args) })
		return v, err
	}
	return n.Fn(t, args)
}
