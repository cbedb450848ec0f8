package mp

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Shared memory of a Barrier: its lock, a condition over it, and the state
// threading.Barrier keeps in its attributes.
const (
	offBarrierMutex   = 0
	offBarrierCond    = 8 // condCoreSize bytes
	offBarrierState   = 32
	offBarrierCount   = 36
	offBarrierParties = 40
	offBarrierAction  = 44 // 1: the barrier was made with an action
	offBarrierTimeout = 48 // int64 nanoseconds, 0: none
	barrierShmSize    = 64
)

// Barrier states, as threading.Barrier's _state.
const (
	barrierFilling   = 0
	barrierDraining  = 1
	barrierResetting = 2
	barrierBroken    = 3
)

// A Barrier makes a fixed number of parties wait for each other —
// Python's multiprocessing.Barrier (threading.Barrier's interface): each
// party calls Wait, and when the last has arrived all of them return, each
// with a different index in [0, parties). The barrier then fills again for
// the next round.
//
// Abort breaks the barrier: every waiting and later Wait fails with
// ErrBrokenBarrier until Reset. Reset returns it to its empty state; the
// parties waiting at that moment fail with ErrBrokenBarrier. As in Python,
// a Wait that gives up (its timeout passed, or here its context is done)
// breaks the barrier, because the other parties would wait for it forever.
//
// The action, if any, runs in the process of the last party to arrive,
// before any party is released; an error or panic of the action breaks the
// barrier and is that party's Wait error. A function cannot travel to a
// child, so a child's handle has no action until SetAction gives it one: a
// barrier made with an action that finds none in the last party's process
// breaks, rather than skip the action silently. The zero value is not
// usable.
type Barrier struct {
	p      prim
	mu     Lock
	core   condCore
	action func() error
}

// NewBarrier returns a barrier for parties parties (at least 1). action
// may be nil. A Wait without its own timeout gives up after timeout (0:
// never), breaking the barrier.
func NewBarrier(parties int, action func() error, timeout time.Duration) (*Barrier, error) {
	if parties < 1 || parties > 1<<30 {
		return nil, fmt.Errorf("mp: new Barrier: parties %d must be at least 1", parties)
	}
	if timeout < 0 {
		return nil, fmt.Errorf("mp: new Barrier: %w", ErrNegativeTimeout)
	}
	p, err := newPrim(kindBarrier, barrierShmSize)
	if err != nil {
		return nil, err
	}
	b := newBarrierHandle(p)
	b.action = action
	atomic.StoreUint32(p.word(offBarrierParties), uint32(parties))
	if action != nil {
		atomic.StoreUint32(p.word(offBarrierAction), 1)
	}
	atomic.StoreInt64((*int64)(p.mem.ptr(offBarrierTimeout)), int64(timeout))
	return b, nil
}

func newBarrierHandle(p prim) *Barrier {
	return &Barrier{p: p, mu: Lock{mem: p.mem, word: p.word(offBarrierMutex), id: p.id},
		core: newCondCore(p.mem, offBarrierCond)}
}

func (b *Barrier) String() string { return b.p.String() }

// SetAction sets the action this handle runs when its process's party is
// the last to arrive. Call it before the handle's first Wait.
func (b *Barrier) SetAction(action func() error) { b.action = action }

// Parties returns the number of parties the barrier waits for.
func (b *Barrier) Parties() int {
	if !b.p.mem.enter() {
		return 0
	}
	defer b.p.mem.leave()
	return int(atomic.LoadUint32(b.p.word(offBarrierParties)))
}

func (b *Barrier) state() *uint32 { return b.p.word(offBarrierState) }
func (b *Barrier) count() *uint32 { return b.p.word(offBarrierCount) }

// NWaiting returns the number of parties waiting in the barrier (Python's
// n_waiting).
func (b *Barrier) NWaiting() (int, error) {
	if err := b.p.enter("n_waiting"); err != nil {
		return 0, err
	}
	defer b.p.mem.leave()
	if atomic.LoadUint32(b.state()) != barrierFilling {
		return 0, nil
	}
	return int(atomic.LoadUint32(b.count())), nil
}

// Broken reports whether the barrier is broken.
func (b *Barrier) Broken() (bool, error) {
	if err := b.p.enter("broken"); err != nil {
		return false, err
	}
	defer b.p.mem.leave()
	return atomic.LoadUint32(b.state()) == barrierBroken, nil
}

// Wait waits for the other parties, giving up after the barrier's default
// timeout if it has one, and returns this party's index.
func (b *Barrier) Wait() (int, error) {
	return b.wait(b.defaultWait(nil))
}

// WaitTimeout is Wait that gives up after d instead of the default
// timeout. A negative d is ErrNegativeTimeout.
func (b *Barrier) WaitTimeout(d time.Duration) (int, error) {
	w, err := waitTimeout(d)
	if err != nil {
		return -1, b.p.errorf("wait", err)
	}
	return b.wait(w)
}

// WaitContext is Wait that also gives up when ctx is done.
func (b *Barrier) WaitContext(ctx context.Context) (int, error) {
	return b.wait(b.defaultWait(ctx))
}

func (b *Barrier) defaultWait(ctx context.Context) wait {
	w := wait{ctx: ctx}
	if b.p.mem.enter() {
		if d := atomic.LoadInt64((*int64)(b.p.mem.ptr(offBarrierTimeout))); d > 0 {
			w.deadline = time.Now().Add(time.Duration(d))
		}
		b.p.mem.leave()
	}
	return w
}

func (b *Barrier) wait(w wait) (int, error) {
	if err := b.p.enter("wait"); err != nil {
		return -1, err
	}
	defer b.p.mem.leave()
	if err := b.mu.acquire("wait", w); err != nil {
		return -1, b.p.errorf("wait", w.mutexErr(err))
	}
	defer b.mu.Release()
	// Wait while the barrier drains or resets: as in Python, without the
	// timeout, since the parties still leaving end it soon.
	for s := atomic.LoadUint32(b.state()); s == barrierDraining || s == barrierResetting; s = atomic.LoadUint32(b.state()) {
		if _, err := b.core.wait(&b.mu, wait{ctx: w.ctx}); err != nil {
			return -1, b.p.errorf("wait", err)
		}
	}
	if atomic.LoadUint32(b.state()) == barrierBroken {
		return -1, b.p.errorf("wait", ErrBrokenBarrier)
	}
	index := int(atomic.AddUint32(b.count(), 1)) - 1
	var err error
	if index+1 == int(atomic.LoadUint32(b.p.word(offBarrierParties))) {
		err = b.release()
	} else {
		err = b.waitRelease(w)
	}
	if atomic.AddUint32(b.count(), ^uint32(0)) == 0 {
		if s := atomic.LoadUint32(b.state()); s == barrierDraining || s == barrierResetting {
			atomic.StoreUint32(b.state(), barrierFilling)
			b.core.notify(&b.mu, 1<<30)
		}
	}
	if err != nil {
		return -1, err
	}
	return index, nil
}

// release runs the action and lets every party go; the last party calls
// it, holding the lock.
func (b *Barrier) release() error {
	if atomic.LoadUint32(b.p.word(offBarrierAction)) == 1 {
		err := errors.New("the barrier has an action but this process's handle has none (SetAction)")
		if b.action != nil {
			err = callAction(b.action)
		}
		if err != nil {
			b.breakLocked()
			return b.p.errorf("action", err)
		}
	}
	atomic.StoreUint32(b.state(), barrierDraining)
	b.core.notify(&b.mu, 1<<30)
	return nil
}

func callAction(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return fn()
}

// waitRelease waits, holding the lock, until the last party releases the
// others; giving up breaks the barrier.
func (b *Barrier) waitRelease(w wait) error {
	ok, err := b.core.waitFor(&b.mu, func() bool { return atomic.LoadUint32(b.state()) != barrierFilling }, w)
	if err != nil {
		b.breakLocked()
		return b.p.errorf("wait", fmt.Errorf("%w: %w", ErrBrokenBarrier, err))
	}
	if !ok {
		b.breakLocked()
		return b.p.errorf("wait", fmt.Errorf("%w: %w", ErrBrokenBarrier, ErrTimeout))
	}
	if s := atomic.LoadUint32(b.state()); s == barrierBroken || s == barrierResetting {
		return b.p.errorf("wait", ErrBrokenBarrier)
	}
	return nil
}

// breakLocked breaks the barrier; the caller holds the lock.
func (b *Barrier) breakLocked() {
	atomic.StoreUint32(b.state(), barrierBroken)
	b.core.notify(&b.mu, 1<<30)
}

// Reset returns the barrier to its empty state. Parties waiting in it fail
// with ErrBrokenBarrier.
func (b *Barrier) Reset() error {
	return b.locked("reset", func() {
		if atomic.LoadUint32(b.count()) > 0 {
			if s := atomic.LoadUint32(b.state()); s == barrierFilling || s == barrierBroken {
				atomic.StoreUint32(b.state(), barrierResetting)
			}
		} else {
			atomic.StoreUint32(b.state(), barrierFilling)
		}
		b.core.notify(&b.mu, 1<<30)
	})
}

// Abort breaks the barrier: waiting and later Waits fail with
// ErrBrokenBarrier until Reset.
func (b *Barrier) Abort() error { return b.locked("abort", b.breakLocked) }

func (b *Barrier) locked(op string, fn func()) error {
	if err := b.p.enter(op); err != nil {
		return err
	}
	defer b.p.mem.leave()
	if err := b.mu.acquire(op, wait{}); err != nil {
		return b.p.errorf(op, wait{}.mutexErr(err))
	}
	fn()
	return b.mu.Release()
}

// Close unmaps the barrier in this process, waking its waiters here.
func (b *Barrier) Close() error {
	return b.p.mem.close(b.core.waitSem.val, b.core.woken.val, b.mu.word)
}

// GobEncode fails: handles travel only as direct Process arguments.
func (b *Barrier) GobEncode() ([]byte, error) { return nil, errNested }

func (b *Barrier) share(pl *plan) (*handleSpec, error) { return b.p.spec(pl, kindBarrier) }

func (*Barrier) bind(s *handleSpec, obj any) (any, error) {
	p, err := bindPrim(s, obj, kindBarrier)
	if err != nil {
		return nil, err
	}
	return newBarrierHandle(p), nil
}
