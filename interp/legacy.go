package interp

import (
	"strconv"
	"sync/atomic"
)

// LegacyGIL is the interpreter lock of CPython 2 (Python/ceval.c with a PyThread lock, a
// POSIX semaphore on Linux). It is a plain lock: the holder releases it every check
// interval ticks (CPython 2.7's, see TickingLock) and at once asks for it again. Nothing hands it over: the release
// wakes one sleeping waiter, and on several cores the releasing thread has usually taken
// the lock back before the woken one runs, which then finds it held and sleeps again
// (the "GIL battle"). A LegacyGIL is a TickingLock: the eval loop counts CPython 2.7's
// ticks for it.
type LegacyGIL struct {
	m             kmutex // the lock itself: sem_wait / sem_post
	checkInterval int64
	lastHolder    atomic.Pointer[Thread]
	lastAcquired  atomic.Int64 // when the last slow-path acquisition happened
	now           func() int64
	statsCore
}

// DefaultCheckInterval is CPython 2's sys.getcheckinterval().
const DefaultCheckInterval = 100

// NewLegacyGIL returns a legacy GIL whose holder yields every checkInterval ticks
// (sys.setcheckinterval; DefaultCheckInterval if checkInterval <= 0).
func NewLegacyGIL(checkInterval int64) *LegacyGIL {
	if checkInterval <= 0 {
		checkInterval = DefaultCheckInterval
	}
	return &LegacyGIL{checkInterval: checkInterval, now: monoNow}
}

// CheckInterval returns the number of CPython 2.7 ticks between two yields.
func (l *LegacyGIL) CheckInterval() int64 { return l.checkInterval }

// EnableTrace makes l record trace events, at most limit per batch (DefaultTraceLimit if
// limit <= 0). Call it before the interpreter makes its threads.
func (l *LegacyGIL) EnableTrace(limit int) {
	l.tr = newTracer(limit, [2]string{"lock", "gil-legacy"}, [2]string{"check_interval", strconv.FormatInt(l.checkInterval, 10)})
}

// Register prepares t's per-thread state.
func (l *LegacyGIL) Register(t *Thread) { l.register(t) }

// Take blocks until t holds l.
func (l *LegacyGIL) Take(t *Thread) {
	if l.m.tryLock() {
		l.acquired(t, -1)
		return
	}
	l.takeSlow(t, l.now())
}

func (l *LegacyGIL) takeSlow(t *Thread, waitStart int64) {
	l.m.lockSlow()
	l.acquired(t, waitStart)
}

// acquired does the accounting of an acquisition that began to wait at waitStart (-1:
// it did not wait).
func (l *LegacyGIL) acquired(t *Thread, waitStart int64) {
	st := stateOf(t)
	now := l.now()
	l.lastAcquired.Store(now)
	st.acquisitions.Add(1)
	if l.lastHolder.Load() != t {
		l.lastHolder.Store(t)
		st.switches.Add(1)
	}
	if waitStart >= 0 {
		st.waitNs.Add(now - waitStart)
		if l.tr != nil {
			l.tr.span(evWait, t.ID, waitStart, now)
		}
	}
	st.holdStart = now
}

// endHold closes t's hold at end and adds the re-takes counted on the fast path.
func (l *LegacyGIL) endHold(t *Thread, end int64) {
	st := stateOf(t)
	st.holdNs.Add(end - st.holdStart)
	if st.fastAcq > 0 {
		st.acquisitions.Add(st.fastAcq)
		st.fastAcq = 0
	}
	if l.tr != nil {
		l.tr.span(evHold, t.ID, st.holdStart, end)
	}
}

// Drop releases l.
func (l *LegacyGIL) Drop(t *Thread) {
	l.endHold(t, l.now())
	l.m.unlock()
}

// Yield is the check-interval release: give another thread a chance, take the lock
// again. The common case, nobody else got in, reads no clock: the hold goes on.
func (l *LegacyGIL) Yield(t *Thread) {
	st := stateOf(t)
	// With waiters, the release makes a system call anyway: read the clock first, so
	// that a hold that ends here ends before the next one begins.
	released := int64(-1)
	if l.m.state.Load() == 2 {
		released = l.now()
	}
	if l.m.state.Swap(0) == 2 {
		futexWake(&l.m.state, 1)
	}
	// Other threads may run now.
	if l.m.tryLock() {
		if l.lastHolder.Load() == t {
			st.fastAcq++
			return
		}
		// Someone took and released the lock in between.
		if released < 0 {
			released = l.lostAt(st)
		}
		l.endHold(t, released)
		l.acquired(t, released)
		return
	}
	if released < 0 {
		released = l.lostAt(st)
	}
	l.endHold(t, released)
	l.takeSlow(t, released)
}

// lostAt is when a thread that released the lock without reading the clock lost it: no
// later than the winner's acquisition (the thread may have been preempted between its
// release and now).
func (l *LegacyGIL) lostAt(st *threadStats) int64 {
	now := l.now()
	if a := l.lastAcquired.Load(); a > st.holdStart && a < now {
		return a
	}
	return now
}

// BeginBlocking releases l before a blocking call.
func (l *LegacyGIL) BeginBlocking(t *Thread) {
	now := l.now()
	l.endHold(t, now)
	l.m.unlock()
	stateOf(t).blockStart = now
}

// EndBlocking takes l again after a blocking call.
func (l *LegacyGIL) EndBlocking(t *Thread) {
	if l.tr != nil {
		l.tr.span(evBlocking, t.ID, stateOf(t).blockStart, l.now())
	}
	l.Take(t)
}

// ResetStats starts a new batch of statistics (and of trace events). Call it while no
// thread holds the lock.
func (l *LegacyGIL) ResetStats() { l.reset(l.now()) }

// Stats returns the statistics since the last reset. Holds in progress and re-takes of
// a thread still holding the lock are counted when it next releases it for good, blocks
// or loses it.
func (l *LegacyGIL) Stats() LockStats { return l.stats(nil) }

// TraceJSON returns the batch's trace events in trace-event JSON, nil when not tracing.
func (l *LegacyGIL) TraceJSON() []byte {
	if l.tr == nil {
		return nil
	}
	return l.traceJSON(l.Stats())
}
