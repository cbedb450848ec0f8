// Package interp is a small stack-based bytecode interpreter whose threads can run under
// an interpreter lock that behaves like CPython's.
//
// Every interpreted mode of gilbench runs the same Program; only the Lock around it
// changes. The design follows CPython where it matters for concurrency and stays small
// everywhere else:
//
//   - Values are 64-bit words; the instruction set is typed (integer and float
//     instructions), as WebAssembly's is. The objects are the shared ones a program
//     declares — globals, Lock, RLock, value and map objects, lists, dicts, instances
//     and threading.local — kept in a Shared that all threads of an interpreter use,
//     and that several interpreters or processes may use together (see Shared;
//     load_global and store_global), and the private lists and dicts a thread makes
//     (objects.go). A FreeThreading profile makes an interpreter without a lock
//     charge free-threaded CPython's costs (biased reference counting, per-instruction
//     work).
//   - A Program is built with Assemble from a readable assembly text (see Assemble).
//   - Each Thread has an eval breaker, one atomic word, read at the check points where
//     CPython reads its own: backward jumps (JUMP_BACKWARD), function entry (RESUME) and
//     after calls. OpJumpNoCheck is JUMP_BACKWARD_NO_INTERRUPT. Straight-line code and a
//     long native call cannot be interrupted.
//   - A Native says whether it releases the lock while it runs (Py_BEGIN_ALLOW_THREADS).
//     Releasing natives, and every blocking wait a worker does, go through
//     Thread.Blocking: one code path.
//   - Lock is the policy interface. A TickingLock (CPython 2) is asked to yield every
//     CheckInterval of CPython 2.7's ticks; the eval loop counts them for it.
//   - A lock object's blocking acquire waits inside Thread.Blocking, as
//     threading.Lock.acquire() releases the GIL while it waits.
//
// # Interpreter locks
//
// GIL is CPython's lock since 3.2 (Python/ceval_gil.c): waiters wait one switch interval
// on a condition variable, then set a drop request on the holder's eval breaker; the
// holder drops at its next check point and, having been asked, waits until another
// thread has taken the lock (forced switching). LegacyGIL is CPython 2's: a plain lock
// that the holder releases and at once re-takes every check interval ticks, with
// no hand-off. Per-interpreter locks (PEP 684) need nothing more: each Interpreter gets a
// GIL of its own, and interpreters share only the immutable Program. Both locks count
// acquisitions, switches, drop requests, forced drops, wait and hold time (LockStats, per
// thread and in total) and can record a trace in the Chrome/Perfetto trace-event format
// (EnableTrace): a span per hold, wait, hand-off wait and blocking call, an instant per
// drop request and forced drop.
//
// Where the emulation differs from CPython, and why:
//
//  1. Threads are goroutines locked to OS threads, and waiting threads sleep in the
//     kernel (futex(2) on Linux, as glibc's mutexes, condition variables and semaphores
//     do under CPython; elsewhere on channels, woken in FIFO order). Nothing spins. But a
//     woken goroutine must also get a Go P before it runs: with GOMAXPROCS equal to the
//     number of cores and more threads than cores, Go's scheduler, not the kernel's, may
//     decide who runs next (a P held by a thread blocked in a system call is freed only
//     by sysmon, after 20 µs to 10 ms). gilbench validate raises GOMAXPROCS so that Ps
//     are never short and the kernel alone decides, as it does for CPython's threads.
//  2. The new GIL's two mutexes are futex mutexes without spinning, like glibc's default
//     mutex; its condition variables are futex sequence counters whose signal wakes one
//     waiter of the kernel's choosing (glibc's condition variable is fairer since 2.25,
//     but CPython documents no order either). Timed waits are relative futex timeouts
//     on the monotonic clock, as pthread_cond_timedwait with CLOCK_MONOTONIC; a wait cut
//     short by a signal waits out the rest.
//  3. The legacy GIL is a futex mutex (Drepper's "mutex 2") where CPython 2 on Linux uses
//     a POSIX semaphore: the same release-then-race behaviour, but the mutex remembers
//     "perhaps waited for" until its next release, so that release may make one system
//     call for nobody, where glibc's semaphore counts its waiters exactly.
//  4. Our instructions are simpler than CPython's bytecodes and somewhat faster (about
//     2.3 ns each on countdown, against 3–5 ns for CPython 2.7 and 3.11 on this loop),
//     so one switch interval covers more of them.
//  5. CPython 2 counts a tick only for a bytecode that does not take the fast path
//     (LOAD_FAST, LOAD_CONST, STORE_FAST, POP_TOP, a jump on a bool, ... do), and so
//     does a thread under a TickingLock here: it runs evalLegacy, a copy of the eval
//     loop generated from it that also counts each instruction's weight in CPython 2.7's
//     ticks (legacyTickWeight; 3 a turn of `while n > 0: n -= 1`, as 2.7.18's 2.97
//     measured), and the check interval is a number of those (docs/design/GIL.md,
//     "CPython 2.7's ticks"). Thread.Ticks stays an instruction count. The eval loop
//     yields only at the next check point (backward jump, function entry, after a call)
//     once the budget is used up: a few instructions late. Global accesses
//     (load_global, store_global) are such points for a ticking lock only: CPython 2
//     checked its ticker before every bytecode that followed one off the fast path, so
//     it could switch threads between the LOAD_GLOBAL and the STORE_GLOBAL of
//     `counter += 1` and lose updates, which CPython 3.10 and later, checking only at
//     the points above, cannot. Because the budget is a fixed number of ticks, the place
//     where a tight loop yields follows a fixed cycle: with some loop lengths it always
//     lands on the backward jump (see the lost-update workload).
//  6. The drop request is a bit of the holder's own eval breaker, set on the last holder,
//     as in CPython 3.13 and later (3.2–3.12 keep one flag per interpreter); the forced
//     dropper clears its own bit before waiting for the hand-off, and a thread clears it
//     on taking the lock, as they do.
//  7. Detach is the final release of a thread (drop_gil without a thread state): it never
//     waits for the hand-off. Yield and BeginBlocking do, when a request is pending,
//     since CPython's drop_gil does whether the drop comes from the eval breaker or from
//     Py_BEGIN_ALLOW_THREADS.
//  8. There are no pending calls, signal handlers, async exceptions or GC requests on the
//     eval breaker: only drop requests and interrupts.
//  9. A forced switch costs the emulation the wake-up of the next thread and a few
//     system calls. CPython also pays for the cache misses of a thread whose objects
//     went cold while it waited; our threads' working sets are a few kilobytes. So a
//     tiny switch interval makes CPU-bound threads thrash somewhat less here than in
//     CPython (gilbench validate shows both).
//  10. Statistics cost a clock read at each take and drop of the new GIL (which already
//     locks a mutex there); the legacy GIL reads the clock only on contended paths, so
//     its release-and-re-take every check interval stays a pair of atomic operations.
//
// Errors: a failure in bytecode is an *Error naming the function, pc and source line; a
// panic in a native is recovered by Thread.Call and returned as a *PanicError with its
// stack. Nothing in this package panics on bad bytecode built by Assemble: it verifies
// what it builds (Verify, which code that builds programs may call too).
package interp
