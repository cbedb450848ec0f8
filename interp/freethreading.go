package interp

import (
	"fmt"
	"sync/atomic"
)

// FreeThreading is the cost profile of a free-threaded CPython build (PEP 703), for the
// threads of an interpreter without a lock (SetFreeThreading). Without a profile an
// interpreter without a lock is ideal free threading: no lock and no cost.
//
// A profile charges what the free-threaded build pays beyond the default build:
//
//   - Per instruction, Work units of extra work per 1000 instructions (one unit is a
//     dependent multiply-add, about a nanosecond): what the free-threaded
//     interpreter pays everywhere, chiefly for its specializing interpreter being off
//     (3.13) and for atomic reference counts. The work is charged at the first check
//     point after every ftChargeEvery instructions, for all of them, so the eval loop
//     of the other modes is unchanged and the charging itself costs next to nothing.
//     Work is calibrated against sequential on primes (see
//     docs/design/FREETHREADING.md).
//   - Biased reference counting: every use of a container is a reference taken and
//     dropped; the owner (the thread that made it) adds to a count of its own, every
//     other thread atomically to the object's shared count word (see Obj).
//   - RefcountFunctions: a method call also takes and drops a reference to the function
//     object, on a counter word shared by every thread (3.13: functions were not yet
//     deferred-counted, cpython #123619); with false, functions are immortal or
//     deferred and cost nothing, as constants and types are in both.
type FreeThreading struct {
	Name              string // the profile's key: "3.13", "3.14"
	Work              int64  // extra work units per 1000 instructions
	RefcountFunctions bool
}

// SetFreeThreading makes in's threads pay ft's costs; nil is ideal free threading. Call
// it before making threads, on an interpreter without a lock.
func (in *Interpreter) SetFreeThreading(ft *FreeThreading) error {
	if in.lock != nil {
		return fmt.Errorf("interp: a free-threaded profile on an interpreter with a lock")
	}
	if in.nthreads.Load() > 0 {
		return fmt.Errorf("interp: SetFreeThreading after the interpreter made threads")
	}
	if ft != nil && ft.Work < 0 {
		return fmt.Errorf("interp: free-threaded profile %s: negative work", ft.Name)
	}
	in.ft = ft
	return nil
}

// FreeThreadingProfile returns in's profile, nil if none.
func (in *Interpreter) FreeThreadingProfile() *FreeThreading { return in.ft }

// ftChargeEvery is how many instructions a free-threaded thread runs between charges:
// the first check point after them charges the work of all of them. At every check
// point (every backward jump), the charge alone cost 12% more instructions on primes
// than sequential (callgrind) and 5–12% more time, which was the mechanism's cost, not
// a modelled one; charged every 1000 instructions it is about 1%.
const ftChargeEvery = 1000

// ftCharge does the extra work of the instructions run since the last charge.
func (t *Thread) ftCharge() {
	n := t.ticks - t.ftTicks
	t.ftTicks = t.ticks
	t.ftAcc += n * t.ft.Work
	units := t.ftAcc / 1000
	t.ftAcc -= units * 1000
	t.ftSink = spinUnits(t.ftSink, units)
}

// spinUnits is n units of dependent integer work on x.
func spinUnits(x, n int64) int64 {
	for ; n > 0; n-- {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// paddedCount is a reference count word alone on its cache line.
type paddedCount struct {
	atomic.Int64
	_ [56]byte
}
