package interp

import (
	"sync/atomic"
	"time"
)

// The locks are built from two kernel-level primitives, as CPython's are built from
// pthread mutexes, condition variables and (CPython 2) semaphores: kmutex and kcond.
// Waiting threads sleep in the kernel (futexWait); nothing spins.

type futexResult uint8

const (
	futexWoken futexResult = iota
	futexTimedOut
	futexInterrupted
)

// kmutex is a mutex whose waiters sleep in the kernel, without spinning and without
// hand-off: an unlock wakes one sleeper, and whoever runs first takes the mutex (the
// unlocking thread itself, if it asks again at once). This is glibc's default mutex and,
// in effect, its semaphore (Drepper, "Futexes are tricky", mutex 2).
//
// state: 0 unlocked, 1 locked, 2 locked and perhaps waited for.
type kmutex struct {
	state atomic.Uint32
}

func (m *kmutex) lock() {
	if !m.state.CompareAndSwap(0, 1) {
		m.lockSlow()
	}
}

func (m *kmutex) tryLock() bool { return m.state.CompareAndSwap(0, 1) }

func (m *kmutex) lockSlow() {
	for m.state.Swap(2) != 0 {
		futexWait(&m.state, 2, -1)
	}
}

// unlock releases m and reports whether it woke a sleeper (a system call).
func (m *kmutex) unlock() bool {
	if m.state.Swap(0) == 2 {
		futexWake(&m.state, 1)
		return true
	}
	return false
}

// condVar is a condition variable whose waits can time out (pthread_cond_timedwait).
// The GIL's are kconds; tests replace them to drive time and wake-ups by hand.
type condVar interface {
	// wait releases mu, blocks until signal or until d has passed (d < 0: no limit),
	// takes mu again and reports whether it timed out. t is the waiting thread (for
	// tests). A wait may also end early without either (a spurious wake-up).
	wait(mu *kmutex, d time.Duration, t *Thread) (timedOut bool)
	// signal wakes one waiter, if any; which one is up to the kernel. Called with mu held.
	signal()
}

// kcond is a futex condition variable: a sequence number that signal bumps.
type kcond struct {
	seq     atomic.Uint32
	waiters atomic.Int32
}

func (c *kcond) wait(mu *kmutex, d time.Duration, _ *Thread) bool {
	s := c.seq.Load()
	c.waiters.Add(1)
	mu.unlock()
	timedOut := false
	var deadline time.Time
	if d >= 0 {
		deadline = time.Now().Add(d)
	}
	for {
		r := futexWait(&c.seq, s, d)
		if r == futexTimedOut {
			timedOut = true
			break
		}
		if r == futexWoken {
			break
		}
		// Interrupted by a signal: wait out the rest (pthread_cond_timedwait does not
		// return EINTR).
		if d >= 0 {
			if d = time.Until(deadline); d <= 0 {
				timedOut = true
				break
			}
		}
	}
	c.waiters.Add(-1)
	mu.lock()
	return timedOut
}

func (c *kcond) signal() {
	c.seq.Add(1)
	if c.waiters.Load() > 0 {
		futexWake(&c.seq, 1)
	}
}

// clockBase is the origin of monoNow.
var clockBase = time.Now()

// monoNow is the locks' clock: monotonic nanoseconds.
func monoNow() int64 { return int64(time.Since(clockBase)) }
