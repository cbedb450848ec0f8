//go:build linux

package mp

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func init() {
	// test.cond.f is _TestCondition.f: acquire, say "sleeping", wait (for
	// at most arg 3 milliseconds unless 0), say "woken", release.
	Register("test.cond.f", func(a Args) error {
		c, err := Arg[*Condition](a, 0)
		if err != nil {
			return err
		}
		sleeping, err := Arg[*Semaphore](a, 1)
		if err != nil {
			return err
		}
		woken, err := Arg[*Semaphore](a, 2)
		if err != nil {
			return err
		}
		ms, err := Arg[int](a, 3)
		if err != nil {
			return err
		}
		return condF(c, sleeping, woken, time.Duration(ms)*time.Millisecond)
	})
	// test.cond.waitfor is _test_waitfor_f: with the condition, set state
	// to 0, notify, and wait for state == 4.
	Register("test.cond.waitfor", func(a Args) error {
		c, err := Arg[*Condition](a, 0)
		if err != nil {
			return err
		}
		state, err := Arg[*Value[int32]](a, 1)
		if err != nil {
			return err
		}
		if err := c.Acquire(); err != nil {
			return err
		}
		defer c.Release()
		state.StoreLocked(0)
		if err := c.Notify(1); err != nil {
			return err
		}
		if err := c.WaitFor(func() bool { return state.LoadLocked() == 4 }); err != nil {
			return err
		}
		return check(state.LoadLocked() == 4, "state %d after WaitFor; want 4", state.LoadLocked())
	})
	// test.cond.waitfor_timeout is _test_waitfor_timeout_f: say "started",
	// then wait at most 100ms for state == 4, which never comes; success
	// is set if it timed out no earlier than that.
	Register("test.cond.waitfor_timeout", func(a Args) error {
		c, err := Arg[*Condition](a, 0)
		if err != nil {
			return err
		}
		state, err := Arg[*Value[int32]](a, 1)
		if err != nil {
			return err
		}
		success, err := Arg[*Value[bool]](a, 2)
		if err != nil {
			return err
		}
		started, err := Arg[*Semaphore](a, 3)
		if err != nil {
			return err
		}
		if err := started.Release(); err != nil {
			return err
		}
		if err := c.Acquire(); err != nil {
			return err
		}
		defer c.Release()
		const expected = 100 * time.Millisecond
		t0 := time.Now()
		ok, err := c.WaitForTimeout(func() bool { return state.LoadLocked() == 4 }, expected)
		if err != nil {
			return err
		}
		if !ok && time.Since(t0) >= expected {
			return success.Store(true)
		}
		return nil
	})
	// test.cond.notify is _test_wait_result: with the condition, notify.
	Register("test.cond.notify", func(a Args) error {
		c, err := Arg[*Condition](a, 0)
		if err != nil {
			return err
		}
		if err := c.Acquire(); err != nil {
			return err
		}
		if err := c.Notify(1); err != nil {
			return err
		}
		return c.Release()
	})
}

func condF(c *Condition, sleeping, woken *Semaphore, timeout time.Duration) error {
	if err := c.Acquire(); err != nil {
		return err
	}
	if err := sleeping.Release(); err != nil {
		return err
	}
	var err error
	if timeout > 0 {
		_, err = c.WaitTimeout(timeout)
	} else {
		err = c.Wait()
	}
	if err != nil {
		return err
	}
	if err := woken.Release(); err != nil {
		return err
	}
	return c.Release()
}

// condLocks are the locks a condition is tested with: Python's default
// RLock, and a Lock.
var condLocks = []struct {
	name string
	new  func() (Locker, error)
}{
	{"RLock", func() (Locker, error) { return nil, nil }},
	{"Lock", func() (Locker, error) { return NewLock() }},
}

func newCond(t *testing.T, lock func() (Locker, error)) *Condition {
	t.Helper()
	lk, err := lock()
	if err != nil {
		t.Fatal(err)
	}
	return closeLater(t, must[*Condition](t)(NewCondition(lk)))
}

// condWorkers starts n processes and n goroutines running _TestCondition.f,
// as CPython's tests start a process and a thread each time. Each
// goroutine has a handle of its own (for an RLock, an owner of its own).
func condWorkers(t *testing.T, c *Condition, sleeping, woken *Semaphore, n int, timeout time.Duration) (ps []*Process, gs []chan error) {
	t.Helper()
	for range n {
		p := NewProcess("test.cond.f", c, sleeping, woken, int(timeout/time.Millisecond))
		mustStart(t, p)
		ps = append(ps, p)
		h := must[*Condition](t)(c.NewHandle())
		g := make(chan error, 1)
		go func() { g <- condF(h, sleeping, woken, timeout) }()
		gs = append(gs, g)
	}
	return ps, gs
}

func joinWorkers(t *testing.T, ps []*Process, gs []chan error) {
	t.Helper()
	for _, g := range gs {
		if err := <-g; err != nil {
			t.Errorf("goroutine: %v", err)
		}
	}
	joinAll(t, ps...)
}

// checkInvariant is _TestCondition.check_invariant: with no sleeper,
// sleeping and woken balance and no wake-up is pending.
func checkInvariant(t *testing.T, c *Condition) {
	t.Helper()
	sleeping, woken, pending := atomic.LoadUint32(c.core.sleeping.val), atomic.LoadUint32(c.core.woken.val), atomic.LoadUint32(c.core.waitSem.val)
	if sleeping != woken || pending != 0 {
		t.Errorf("condition state: sleeping %d, woken %d, pending wake-ups %d; want sleeping == woken and 0",
			sleeping, woken, pending)
	}
}

func notify(t *testing.T, c *Condition, n int) {
	t.Helper()
	if err := c.Acquire(); err != nil {
		t.Fatal(err)
	}
	if err := c.Notify(n); err != nil {
		t.Fatal(err)
	}
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
}

// _TestCondition.test_notify.
func TestPortedConditionNotify(t *testing.T) {
	for _, lk := range condLocks {
		t.Run(lk.name, func(t *testing.T) {
			checkNoChildren(t)
			c := newCond(t, lk.new)
			sleeping := closeLater(t, must[*Semaphore](t)(NewSemaphore(0)))
			woken := closeLater(t, must[*Semaphore](t)(NewSemaphore(0)))
			ps, gs := condWorkers(t, c, sleeping, woken, 1, 0)
			acquireN(t, sleeping, 2)
			if v := semValue(t, woken); v != 0 {
				t.Fatalf("%d woke before any notify", v)
			}
			for i := range 2 {
				notify(t, c, 1)
				acquireN(t, woken, 1)
				if v := semValue(t, woken); v != 0 {
					t.Errorf("notify %d woke %d more", i+1, v)
				}
			}
			checkInvariant(t, c)
			joinWorkers(t, ps, gs)
		})
	}
}

// _TestCondition.test_notify_all.
func TestPortedConditionNotifyAll(t *testing.T) {
	for _, lk := range condLocks {
		t.Run(lk.name, func(t *testing.T) {
			checkNoChildren(t)
			c := newCond(t, lk.new)
			sleeping := closeLater(t, must[*Semaphore](t)(NewSemaphore(0)))
			woken := closeLater(t, must[*Semaphore](t)(NewSemaphore(0)))
			// Workers that time out.
			ps, gs := condWorkers(t, c, sleeping, woken, 3, 100*time.Millisecond)
			acquireN(t, sleeping, 6)
			acquireN(t, woken, 6)
			joinWorkers(t, ps, gs)
			checkInvariant(t, c)
			// Workers woken by NotifyAll.
			ps, gs = condWorkers(t, c, sleeping, woken, 3, 0)
			acquireN(t, sleeping, 6)
			if v := semValue(t, woken); v != 0 {
				t.Fatalf("%d woke before NotifyAll", v)
			}
			c.Acquire()
			c.NotifyAll()
			c.Release()
			acquireN(t, woken, 6)
			if v := semValue(t, woken); v != 0 {
				t.Errorf("woken %d more than the 6 sleepers", v)
			}
			joinWorkers(t, ps, gs)
			checkInvariant(t, c)
		})
	}
}

// _TestCondition.test_notify_n.
func TestPortedConditionNotifyN(t *testing.T) {
	checkNoChildren(t)
	c := newCond(t, condLocks[0].new)
	sleeping := closeLater(t, must[*Semaphore](t)(NewSemaphore(0)))
	woken := closeLater(t, must[*Semaphore](t)(NewSemaphore(0)))
	ps, gs := condWorkers(t, c, sleeping, woken, 3, 0)
	acquireN(t, sleeping, 6)
	for _, n := range []int{2, 4} {
		notify(t, c, n)
		acquireN(t, woken, n)
		if v := semValue(t, woken); v != 0 {
			t.Errorf("Notify(%d) woke %d more", n, v)
		}
	}
	notify(t, c, 3) // nobody left
	if v := semValue(t, woken); v != 0 {
		t.Errorf("Notify(3) without sleepers woke %d", v)
	}
	checkInvariant(t, c)
	joinWorkers(t, ps, gs)
}

// _TestCondition.test_timeout.
func TestPortedConditionTimeout(t *testing.T) {
	c := newCond(t, condLocks[0].new)
	c.Acquire()
	start := time.Now()
	ok, err := c.WaitTimeout(100 * time.Millisecond)
	if ok || err != nil {
		t.Errorf("WaitTimeout = %v, %v; want false, nil", ok, err)
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Errorf("WaitTimeout(100ms) returned after %v", el)
	}
	if err := c.Release(); err != nil {
		t.Errorf("Release after a timed-out wait (the lock is held again): %v", err)
	}
}

// _TestCondition.test_waitfor.
func TestPortedConditionWaitFor(t *testing.T) {
	for _, lk := range condLocks {
		t.Run(lk.name, func(t *testing.T) {
			checkNoChildren(t)
			c := newCond(t, lk.new)
			state := closeLater(t, must[*Value[int32]](t)(NewRawValue[int32](-1)))
			p := NewProcess("test.cond.waitfor", c, state)
			mustStart(t, p)
			c.Acquire()
			if err := c.WaitFor(func() bool { return state.LoadLocked() == 0 }); err != nil {
				t.Fatal(err)
			}
			if v := state.LoadLocked(); v != 0 {
				t.Errorf("state %d after WaitFor; want 0", v)
			}
			c.Release()
			for range 4 {
				c.Acquire()
				state.StoreLocked(state.LoadLocked() + 1)
				c.Notify(1)
				c.Release()
			}
			joinAll(t, p)
		})
	}
}

// _TestCondition.test_waitfor_timeout.
func TestPortedConditionWaitForTimeout(t *testing.T) {
	checkNoChildren(t)
	c := newCond(t, condLocks[0].new)
	state := closeLater(t, must[*Value[int32]](t)(NewRawValue[int32](0)))
	success := closeLater(t, must[*Value[bool]](t)(NewValue(false)))
	started := closeLater(t, must[*Semaphore](t)(NewSemaphore(0)))
	p := NewProcess("test.cond.waitfor_timeout", c, state, success, started)
	mustStart(t, p)
	acquireN(t, started, 1)
	for range 3 { // state == 4 is never reached
		c.Acquire()
		state.StoreLocked(state.LoadLocked() + 1)
		c.Notify(1)
		c.Release()
	}
	joinAll(t, p)
	if ok, _ := success.Load(); !ok {
		t.Error("WaitForTimeout in the child did not time out after its 100ms")
	}
}

// _TestCondition.test_wait_result, without its KeyboardInterrupt half.
func TestPortedConditionWaitResult(t *testing.T) {
	checkNoChildren(t)
	c := newCond(t, condLocks[0].new)
	c.Acquire()
	for _, d := range []time.Duration{0, 20 * time.Millisecond} {
		if ok, err := c.WaitTimeout(d); ok || err != nil {
			t.Errorf("WaitTimeout(%v) = %v, %v; want false", d, ok, err)
		}
	}
	p := NewProcess("test.cond.notify", c)
	mustStart(t, p) // it blocks on the lock until we wait
	if ok, err := c.WaitTimeout(long); !ok || err != nil {
		t.Errorf("WaitTimeout for the child's notify = %v, %v; want true", ok, err)
	}
	c.Release()
	joinAll(t, p)
}

func TestConditionErrors(t *testing.T) {
	for _, lk := range condLocks {
		c := newCond(t, lk.new)
		if err := c.Wait(); !errors.Is(err, ErrNotOwner) {
			t.Errorf("%s: Wait without the lock = %v; want ErrNotOwner", lk.name, err)
		}
		if err := c.Notify(1); !errors.Is(err, ErrNotOwner) {
			t.Errorf("%s: Notify without the lock = %v; want ErrNotOwner", lk.name, err)
		}
		c.Acquire()
		if _, err := c.WaitTimeout(-time.Millisecond); !errors.Is(err, ErrNegativeTimeout) {
			t.Errorf("%s: WaitTimeout(-1ms) = %v; want ErrNegativeTimeout", lk.name, err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := c.WaitContext(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: WaitContext with a cancelled context = %v", lk.name, err)
		}
		if err := c.WaitForContext(ctx, func() bool { return false }); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: WaitForContext with a cancelled context = %v", lk.name, err)
		}
		if err := c.Release(); err != nil {
			t.Errorf("%s: Release after the failed waits (the lock is held again): %v", lk.name, err)
		}
		checkInvariant(t, c)
		if s := fmt.Sprint(c); s == "" {
			t.Error("empty String")
		}
	}
}

// With an RLock held twice, Wait gives it up entirely and restores the
// count.
func TestConditionRLockRecursion(t *testing.T) {
	c := newCond(t, condLocks[0].new)
	other := must[*Condition](t)(c.NewHandle())
	c.Acquire()
	c.Acquire()
	res := make(chan error)
	go func() {
		// Gets the lock only while c waits.
		if err := other.Acquire(); err != nil {
			res <- err
			return
		}
		other.Notify(1)
		res <- other.Release()
	}()
	if ok, err := c.WaitTimeout(long); !ok || err != nil {
		t.Fatalf("WaitTimeout = %v, %v", ok, err)
	}
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if mine, n, _ := c.Lock().(*RLock).IsMine(); !mine || n != 2 {
		t.Errorf("after Wait: IsMine = %v, %d; want true, 2", mine, n)
	}
	c.Release()
	c.Release()
}
