package interp

// Lock is an interpreter lock policy: what a thread does to run bytecode, to let others
// run, and to block outside the interpreter. Implementations: the new GIL (CPython ≥ 3.2),
// the legacy GIL (CPython 2). Free threading is no Lock at all (nil).
//
// The eval loop calls Yield only on the holder, at a check point, when its eval breaker
// has BreakDropRequest set or, for a TickingLock, when its tick budget is used up.
type Lock interface {
	// Register is called once for each new thread of the interpreter.
	Register(t *Thread)
	// Take blocks until t holds the lock.
	Take(t *Thread)
	// Drop releases the lock held by t.
	Drop(t *Thread)
	// Yield is called by the holder at a check point: drop, let another thread run if
	// the policy wants to, take again.
	Yield(t *Thread)
	// BeginBlocking releases the lock before a blocking call; EndBlocking takes it again
	// afterwards. Locks that trace blocking calls record them here.
	BeginBlocking(t *Thread)
	EndBlocking(t *Thread)
}

// TickingLock is a Lock that wants its holder to yield every CheckInterval ticks
// (CPython 2's sys.setcheckinterval), whether or not anyone asked. A tick is CPython
// 2.7's: an instruction weighs the ticks of the bytecode it stands for
// (legacyTickWeight), most of the loads, stores and jumps nothing.
type TickingLock interface {
	Lock
	CheckInterval() int64
}

// An Awaiter is a Lock whose holder gives it up only where it awaits: an event loop
// (Loop). Thread.Blocking hands every blocking call to Await instead of releasing and
// re-taking the lock around it.
type Awaiter interface {
	Lock
	// Await runs f, a blocking call of t, while other coroutines run, and returns once f
	// has finished and t runs again.
	Await(t *Thread, f func())
}
