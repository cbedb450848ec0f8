package mp

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A condCore is the shared state of a condition variable, CPython's
// multiprocessing.Condition: three semaphores, counting the waiters that
// went to sleep, the waiters that woke (notified or not), and the wake-ups
// handed out. Notify wakes at most n sleepers and waits until that many
// have left their sleep, so that a waiter arriving later cannot take a
// wake-up meant for an earlier one.
type condCore struct {
	mem                      *shm
	sleeping, woken, waitSem sem
}

// condCoreSize is the bytes a condCore takes from its offset.
const condCoreSize = 24

func newCondCore(m *shm, base int) condCore {
	s := func(off int) sem { return sem{val: m.word(base + off), waiters: m.word(base + off + 4)} }
	return condCore{mem: m, sleeping: s(0), woken: s(8), waitSem: s(16)}
}

// condLock is what a condition needs of its lock.
type condLock interface {
	String() string
	// checkOwned fails with ErrNotOwner unless the caller may wait.
	checkOwned() error
	// releaseSave frees the lock entirely; acquireRestore takes it back
	// as it was, waiting as long as it takes.
	releaseSave() uint32
	acquireRestore(n uint32)
	lockMem() *shm
	newHandle() (Locker, error)
}

// wait gives up the lock, sleeps until notified or w expires, and takes
// the lock back. It reports whether it was notified; on expiry it returns
// ErrTimeout or the context's cause. The caller has entered c.mem.
func (c condCore) wait(lk condLock, w wait) (bool, error) {
	if err := lk.checkOwned(); err != nil {
		return false, err
	}
	c.sleeping.release()
	n := lk.releaseSave()
	err := c.waitSem.acquire(w, c.mem)
	c.woken.release()
	lk.acquireRestore(n)
	switch err {
	case nil:
		return true, nil
	case errTimedOut:
		return false, ErrTimeout
	case errHandleClosed:
		return false, ErrClosed
	}
	return false, err
}

// notify wakes at most n sleepers. The caller holds the lock and has
// entered c.mem.
func (c condCore) notify(lk condLock, n int) error {
	if err := lk.checkOwned(); err != nil {
		return err
	}
	now := wait{nowait: true}
	// Waiters that timed out since the last notify still count as
	// sleeping: take them off.
	for c.woken.acquire(now, c.mem) == nil {
		c.sleeping.acquire(now, c.mem)
	}
	sleepers := 0
	for sleepers < n && c.sleeping.acquire(now, c.mem) == nil {
		c.waitSem.release()
		sleepers++
	}
	if sleepers == 0 {
		return nil
	}
	for range sleepers {
		if err := c.woken.acquire(wait{}, c.mem); err != nil {
			return ErrClosed
		}
	}
	// Wake-ups that waiters timing out just now did not take.
	for c.waitSem.acquire(now, c.mem) == nil {
	}
	return nil
}

// waitFor waits until pred is true, as Python's wait_for: it returns pred's
// last value, false with a nil error when w's deadline passed.
func (c condCore) waitFor(lk condLock, pred func() bool, w wait) (bool, error) {
	ok := pred()
	for !ok {
		_, err := c.wait(lk, w)
		ok = pred()
		if err == ErrTimeout {
			return ok, nil
		}
		if err != nil {
			return ok, err
		}
	}
	return true, nil
}

// A Locker is the lock of a Condition: a *Lock or an *RLock.
type Locker interface {
	Acquire() error
	TryAcquire() (bool, error)
	AcquireTimeout(d time.Duration) error
	AcquireContext(ctx context.Context) error
	Release() error
	Close() error
	condLock
}

// A plain Lock has no owner: a condition over it checks only that it is
// held, by anyone.
func (l *Lock) checkOwned() error {
	if atomic.LoadUint32(l.word) == unlocked {
		return ErrNotOwner
	}
	return nil
}

func (l *Lock) releaseSave() uint32         { l.Release(); return 1 }
func (l *Lock) acquireRestore(uint32)       { l.acquire("acquire", wait{}) }
func (l *Lock) lockMem() *shm               { return l.mem }
func (r *RLock) lockMem() *shm              { return r.p.mem }
func (r *RLock) newHandle() (Locker, error) { return r.NewHandle() }

// newHandle of a Lock, which has no owner, is the Lock itself; the
// condition that gets it does not close it.
func (l *Lock) newHandle() (Locker, error) { return l, nil }

const condShmSize = 64

// A Condition is a condition variable shared by processes — Python's
// multiprocessing.Condition: Wait gives up its lock, sleeps until another
// process calls Notify or NotifyAll, and takes the lock back. The lock is
// a Lock or an RLock (Python's default, NewCondition(nil)); the calls that
// need it held fail with ErrNotOwner otherwise (for a Lock, which has no
// owner: unless it is held by someone).
//
// A Condition handle holds a handle of its lock (Lock returns it): with an
// RLock, the owner that may wait is that handle (see RLock), and
// goroutines that must exclude each other each use their own handle of
// the condition (NewHandle). The zero value is not usable.
type Condition struct {
	p        prim
	lock     Locker
	core     condCore
	ownsLock bool // Close closes lock
}

// NewCondition returns a condition over lock, or over a new RLock if lock
// is nil. The condition keeps using lock's handle: closing the condition
// closes it.
func NewCondition(lock Locker) (*Condition, error) {
	if lock == nil {
		r, err := NewRLock()
		if err != nil {
			return nil, err
		}
		lock = r
	}
	p, err := newPrim(kindCondition, condShmSize)
	if err != nil {
		return nil, err
	}
	return &Condition{p: p, lock: lock, core: newCondCore(p.mem, 0), ownsLock: true}, nil
}

func (c *Condition) String() string { return fmt.Sprintf("%s(%s)", &c.p, c.lock) }

// NewHandle returns another handle on the same condition, with another
// handle of its lock (for an RLock: a different owner). Like
// RLock.NewHandle, it lives as long as c.
func (c *Condition) NewHandle() (*Condition, error) {
	if err := c.p.enter("new handle"); err != nil {
		return nil, err
	}
	defer c.p.mem.leave()
	lk, err := c.lock.newHandle()
	if err != nil {
		return nil, err
	}
	_, derivedLock := lk.(*RLock)
	return &Condition{p: c.p.derived(), lock: lk, core: c.core, ownsLock: derivedLock}, nil
}

// Lock returns the condition's lock handle (Python's cond._lock, as used
// by "with cond").
func (c *Condition) Lock() Locker { return c.lock }

// Acquire takes the condition's lock.
func (c *Condition) Acquire() error { return c.lock.Acquire() }

// AcquireTimeout takes the lock or gives up with ErrTimeout after d.
func (c *Condition) AcquireTimeout(d time.Duration) error { return c.lock.AcquireTimeout(d) }

// AcquireContext takes the lock or gives up when ctx is done.
func (c *Condition) AcquireContext(ctx context.Context) error { return c.lock.AcquireContext(ctx) }

// Release releases the condition's lock.
func (c *Condition) Release() error { return c.lock.Release() }

// Wait releases the lock, sleeps until notified and takes the lock back.
func (c *Condition) Wait() error {
	_, err := c.wait("wait", wait{})
	return err
}

// WaitTimeout is Wait for at most d: it reports whether it was notified
// (false: the time is up), and holds the lock again in both cases. A
// negative d is ErrNegativeTimeout.
func (c *Condition) WaitTimeout(d time.Duration) (bool, error) {
	w, err := waitTimeout(d)
	if err != nil {
		return false, c.p.errorf("wait", err)
	}
	ok, err := c.wait("wait", w)
	if err == ErrTimeout {
		return false, nil
	}
	return ok, err
}

// WaitContext is Wait until ctx is done; then it returns the context's
// cause, holding the lock again.
func (c *Condition) WaitContext(ctx context.Context) error {
	_, err := c.wait("wait", wait{ctx: ctx})
	return err
}

// enter registers a call on the condition's memory and its lock's; every
// successful enter is paired with leave.
func (c *Condition) enter(op string) error {
	if err := c.p.enter(op); err != nil {
		return err
	}
	if !c.lock.lockMem().enter() {
		c.p.mem.leave()
		return c.p.errorf(op, ErrClosed)
	}
	return nil
}

func (c *Condition) leave() {
	c.lock.lockMem().leave()
	c.p.mem.leave()
}

func (c *Condition) wait(op string, w wait) (bool, error) {
	if err := c.enter(op); err != nil {
		return false, err
	}
	defer c.leave()
	ok, err := c.core.wait(c.lock, w)
	if err != nil && err != ErrTimeout {
		return ok, c.p.errorf(op, err)
	}
	return ok, err
}

// WaitFor waits until pred, called with the lock held, returns true
// (Python's wait_for without a timeout).
func (c *Condition) WaitFor(pred func() bool) error {
	_, err := c.waitFor(pred, wait{})
	return err
}

// WaitForTimeout waits at most d until pred returns true, and returns
// pred's last value (Python's wait_for(pred, timeout)).
func (c *Condition) WaitForTimeout(pred func() bool, d time.Duration) (bool, error) {
	w, err := waitTimeout(d)
	if err != nil {
		return false, c.p.errorf("wait_for", err)
	}
	return c.waitFor(pred, w)
}

// WaitForContext waits until pred returns true or ctx is done; then it
// returns the context's cause.
func (c *Condition) WaitForContext(ctx context.Context, pred func() bool) error {
	_, err := c.waitFor(pred, wait{ctx: ctx})
	return err
}

func (c *Condition) waitFor(pred func() bool, w wait) (bool, error) {
	if err := c.enter("wait_for"); err != nil {
		return false, err
	}
	defer c.leave()
	ok, err := c.core.waitFor(c.lock, pred, w)
	if err != nil {
		return ok, c.p.errorf("wait_for", err)
	}
	return ok, nil
}

// Notify wakes at most n processes waiting on the condition; the caller
// holds the lock. It returns once they have left their sleep (they then
// wait for the lock), as Python's does.
func (c *Condition) Notify(n int) error {
	if err := c.enter("notify"); err != nil {
		return err
	}
	defer c.leave()
	if err := c.core.notify(c.lock, n); err != nil {
		return c.p.errorf("notify", err)
	}
	return nil
}

// NotifyAll wakes every process waiting on the condition.
func (c *Condition) NotifyAll() error { return c.Notify(1 << 30) }

// Close unmaps the condition and closes its lock handle in this process,
// waking the waiters here.
func (c *Condition) Close() error {
	err := c.p.close(c.core.waitSem.val, c.core.woken.val)
	if !c.ownsLock {
		return err
	}
	if lerr := c.lock.Close(); err == nil {
		err = lerr
	}
	return err
}

// GobEncode fails: handles travel only as direct Process arguments.
func (c *Condition) GobEncode() ([]byte, error) { return nil, errNested }

// share passes the condition's memory, and its lock's as the second
// descriptor; Maxsize carries the lock's id and Raw says it is a Lock.
func (c *Condition) share(pl *plan) (*handleSpec, error) {
	lm := c.lock.lockMem()
	if !lm.enter() {
		return nil, c.p.errorf("pass to a child", ErrClosed)
	}
	pl.release = append(pl.release, lm.leave)
	s, err := c.p.spec(pl, kindCondition)
	if err != nil {
		return nil, err
	}
	switch l := c.lock.(type) {
	case *Lock:
		s.Maxsize, s.Raw = int(l.id), true
	case *RLock:
		s.Maxsize = int(l.p.id)
	}
	s.Conn = pl.add(lm.f, false)
	return s, nil
}

func (*Condition) bind(s *handleSpec, obj any) (any, error) {
	p, err := bindPrim(s, obj, kindCondition)
	if err != nil {
		return nil, err
	}
	f, err := extraFile(s, "mp-condition-lock")
	if err != nil {
		return nil, err
	}
	lm, err := mapFile(f)
	if err != nil {
		return nil, fmt.Errorf("Condition's lock: %w", err)
	}
	var lk Locker
	if s.Raw {
		lk = &Lock{mem: lm, word: lm.word(offLock), id: uint64(s.Maxsize)}
	} else {
		lk = newRLockHandle(prim{mem: lm, id: uint64(s.Maxsize), kind: kindRLock})
	}
	return &Condition{p: p, lock: lk, core: newCondCore(p.mem, 0), ownsLock: true}, nil
}

// mapFile maps a whole shared memory file received from a parent.
func mapFile(f *os.File) (*shm, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("fstat: %w", err)
	}
	if st.Size < lockShmSize || st.Size > 1<<30 {
		f.Close()
		return nil, fmt.Errorf("shared memory size %d out of range", st.Size)
	}
	return mapShm(f, int(st.Size))
}
