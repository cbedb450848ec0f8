package interp

import (
	"sync/atomic"
	"time"
)

// GIL is the interpreter lock of CPython 3.2 and later (the "new GIL", Python/ceval_gil.c)
// with forced switching on, as CPython always builds it:
//
//   - A thread that finds the lock held waits on a condition variable with a timeout of
//     one switch interval. If the wait times out, the lock is still held and no switch
//     happened during the whole wait, it sets a drop request on the holder's eval
//     breaker, and waits again.
//   - The holder sees the request at its next check point (Yield), drops the lock, and
//     waits until another thread has taken it (forced hand-off) before asking again.
//   - A drop with no request pending (a blocking call) wakes one waiter and goes on.
//
// The interval is a timeout of the waiters, not a time slice of the holder. A GIL is safe
// for use by any number of threads of one interpreter; subinterp gives each interpreter a
// GIL of its own.
type GIL struct {
	mu         kmutex  // gil->mutex: guards locked, switchNumber and the waits on cond
	cond       condVar // gil->cond: threads waiting for the lock
	switchMu   kmutex  // gil->switch_mutex
	switchCond condVar // gil->switch_cond: forced droppers waiting for the hand-off

	locked       bool
	switchNumber uint64
	lastHolder   atomic.Pointer[Thread] // the holder while locked; else who held it last
	interval     time.Duration

	now func() int64 // monotonic ns; tests drive it
	statsCore
}

// MinSwitchInterval is the smallest switch interval: CPython treats anything below 1 µs
// as 1 µs.
const MinSwitchInterval = time.Microsecond

// NewGIL returns a new GIL with the given switch interval (sys.setswitchinterval; CPython's
// default is 5 ms).
func NewGIL(interval time.Duration) *GIL {
	return newGIL(interval, new(kcond), new(kcond), monoNow)
}

func newGIL(interval time.Duration, cond, switchCond condVar, now func() int64) *GIL {
	return &GIL{interval: max(interval, MinSwitchInterval), cond: cond, switchCond: switchCond, now: now}
}

// SwitchInterval returns g's switch interval.
func (g *GIL) SwitchInterval() time.Duration { return g.interval }

// EnableTrace makes g record trace events, at most limit per batch (DefaultTraceLimit if
// limit <= 0). Call it before the interpreter makes its threads.
func (g *GIL) EnableTrace(limit int) {
	g.tr = newTracer(limit, [2]string{"lock", "gil"}, [2]string{"switch_interval", g.interval.String()})
}

// Register prepares t's per-thread state.
func (g *GIL) Register(t *Thread) { g.register(t) }

// Take is take_gil: it blocks until t holds g.
func (g *GIL) Take(t *Thread) {
	st := stateOf(t)
	g.mu.lock()
	waitStart := int64(-1)
	if g.locked {
		waitStart = g.now()
		for g.locked {
			saved := g.switchNumber
			timedOut := g.cond.wait(&g.mu, g.interval, t)
			// A whole interval and no switch: ask the holder to drop the lock.
			if timedOut && g.locked && g.switchNumber == saved {
				h := g.lastHolder.Load()
				h.breaker.Or(BreakDropRequest)
				g.dropRequests.Add(1)
				if g.tr != nil {
					g.tr.instant(evDropRequest, h.ID, g.now(), "by", int64(t.ID))
				}
			}
		}
	}
	// We now hold the lock. switchMu is taken before lastHolder changes: see release.
	g.switchMu.lock()
	g.locked = true
	switched := false
	if g.lastHolder.Load() != t {
		g.lastHolder.Store(t)
		g.switchNumber++
		switched = true
	}
	g.switchCond.signal() // a forced dropper may be waiting for exactly this
	g.switchMu.unlock()
	t.breaker.And(^BreakDropRequest)

	now := g.now()
	st.acquisitions.Add(1)
	if switched {
		st.switches.Add(1)
	}
	if waitStart >= 0 {
		st.waitNs.Add(now - waitStart)
		if g.tr != nil {
			g.tr.span(evWait, t.ID, waitStart, now)
		}
	}
	st.holdStart = now
	g.mu.unlock()
}

// release is drop_gil. A final release (the thread detaches) never waits for the
// hand-off, as CPython's drop_gil without a thread state.
func (g *GIL) release(t *Thread, final bool) {
	st := stateOf(t)
	g.lastHolder.Store(t)
	g.mu.lock()
	now := g.now()
	g.locked = false
	requested := t.breaker.Load()&BreakDropRequest != 0
	st.holdNs.Add(now - st.holdStart)
	if g.tr != nil {
		g.tr.span(evHold, t.ID, st.holdStart, now)
	}
	if requested && !final {
		st.forcedDrops.Add(1)
		if g.tr != nil {
			g.tr.instant(evForcedDrop, t.ID, now, "", 0)
		}
	}
	g.cond.signal() // one waiter; which one is up to the kernel
	g.mu.unlock()

	if final {
		t.breaker.And(^BreakDropRequest)
		return
	}
	if requested {
		// Forced switching: do not come back for the lock before someone else has had it.
		g.switchMu.lock()
		if g.lastHolder.Load() == t {
			t.breaker.And(^BreakDropRequest)
			g.switchCond.wait(&g.switchMu, -1, t)
			end := g.now()
			st.waitNs.Add(end - now)
			if g.tr != nil {
				g.tr.span(evHandoff, t.ID, now, end)
			}
		}
		g.switchMu.unlock()
	}
}

// Drop releases g for good (the thread detaches).
func (g *GIL) Drop(t *Thread) { g.release(t, true) }

// Yield is what the holder does at a check point when asked to drop: drop, let another
// thread take the lock, take it again.
func (g *GIL) Yield(t *Thread) {
	g.release(t, false)
	g.Take(t)
}

// BeginBlocking releases g before a blocking call (Py_BEGIN_ALLOW_THREADS). If a drop
// request is pending, the thread first waits for the hand-off, as in CPython.
func (g *GIL) BeginBlocking(t *Thread) {
	g.release(t, false)
	if g.tr != nil {
		stateOf(t).blockStart = g.now()
	}
}

// EndBlocking takes g again after a blocking call (Py_END_ALLOW_THREADS).
func (g *GIL) EndBlocking(t *Thread) {
	if g.tr != nil {
		g.tr.span(evBlocking, t.ID, stateOf(t).blockStart, g.now())
	}
	g.Take(t)
}

// ResetStats starts a new batch of statistics (and of trace events). Call it while no
// thread is between Take and Drop, or accept that a hold in progress is cut at the reset.
func (g *GIL) ResetStats() {
	g.mu.lock()
	now := g.now()
	g.reset(now)
	if g.locked {
		stateOf(g.lastHolder.Load()).holdStart = now
	}
	g.mu.unlock()
}

// Stats returns the statistics since the last reset; a hold in progress counts up to now.
func (g *GIL) Stats() LockStats {
	g.mu.lock()
	defer g.mu.unlock()
	var holder *Thread
	if g.locked {
		holder = g.lastHolder.Load()
	}
	now := g.now()
	return g.stats(func(st *threadStats) int64 {
		if st.t == holder {
			return now - st.holdStart
		}
		return 0
	})
}

// TraceJSON returns the batch's trace events in trace-event JSON, nil when not tracing.
func (g *GIL) TraceJSON() []byte {
	if g.tr == nil {
		return nil
	}
	return g.traceJSON(g.Stats())
}
