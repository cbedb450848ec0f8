// Package interp is a small stack-based bytecode interpreter whose threads can run under
// an interpreter lock that behaves like CPython's.
//
// Every interpreted mode of gilbench runs the same Program; only the Lock around it
// changes. The design follows CPython where it matters for concurrency and stays small
// everywhere else:
//
//   - Values are 64-bit words; the instruction set is typed (integer and float
//     instructions), as WebAssembly's is. There are no objects: shared state lives in
//     natives.
//   - A Program is built with Assemble from a readable assembly text (see Assemble).
//   - Each Thread has an eval breaker, one atomic word, read at the check points where
//     CPython reads its own: backward jumps (JUMP_BACKWARD), function entry (RESUME) and
//     after calls. OpJumpNoCheck is JUMP_BACKWARD_NO_INTERRUPT. Straight-line code and a
//     long native call cannot be interrupted.
//   - A Native says whether it releases the lock while it runs (Py_BEGIN_ALLOW_THREADS).
//     Releasing natives, and every blocking wait a worker does, go through
//     Thread.Blocking: one code path.
//   - Lock is the policy interface. A TickingLock (CPython 2) is asked to yield every
//     CheckInterval instructions; the eval loop counts instructions for it.
//
// Errors: a failure in bytecode is an *Error naming the function, pc and source line; a
// panic in a native is recovered by Thread.Call and returned as a *PanicError with its
// stack. Nothing in this package panics on bad bytecode built by Assemble.
package interp
