package mp

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// Shared memory of a Semaphore: the value, the number of sleepers (so that
// Release wakes only when someone sleeps) and, for a BoundedSemaphore, the
// bound.
const (
	offSemValue   = 0
	offSemWaiters = 4
	offSemBound   = 8
	semShmSize    = 64
)

// A Semaphore is a counter shared by processes — Python's
// multiprocessing.Semaphore: Acquire takes one unit, waiting while the
// value is zero, and Release returns one. A bounded semaphore
// (NewBoundedSemaphore, Python's BoundedSemaphore) refuses a Release that
// would raise the value above its initial value, with
// ErrReleasedTooManyTimes. Like Python's, a semaphore has no owner: any
// process may release it. The zero value is not usable.
type Semaphore struct {
	p       prim
	bounded bool
}

// NewSemaphore returns a semaphore with the given initial value (>= 0).
func NewSemaphore(value int) (*Semaphore, error) { return newSemaphore(value, false) }

// NewBoundedSemaphore returns a semaphore with the given initial value,
// which Release may not exceed.
func NewBoundedSemaphore(value int) (*Semaphore, error) { return newSemaphore(value, true) }

func newSemaphore(value int, bounded bool) (*Semaphore, error) {
	kind := kindSemaphore
	if bounded {
		kind = kindBounded
	}
	if value < 0 || value > math.MaxInt32 {
		return nil, fmt.Errorf("mp: new %s: value %d out of range [0, %d]", kind, value, math.MaxInt32)
	}
	p, err := newPrim(kind, semShmSize)
	if err != nil {
		return nil, err
	}
	atomic.StoreUint32(p.word(offSemValue), uint32(value))
	if bounded {
		atomic.StoreUint32(p.word(offSemBound), uint32(value))
	}
	return &Semaphore{p: p, bounded: bounded}, nil
}

func (s *Semaphore) String() string { return s.p.String() }

func (s *Semaphore) sem() sem {
	return sem{val: s.p.word(offSemValue), waiters: s.p.word(offSemWaiters)}
}

// Acquire takes one unit, waiting while the value is zero.
func (s *Semaphore) Acquire() error { return s.acquire(wait{}) }

// TryAcquire takes one unit if the value is above zero and reports whether
// it did (Python's acquire(block=False)). It fails only on a closed handle.
func (s *Semaphore) TryAcquire() (bool, error) {
	err := s.acquire(wait{nowait: true})
	if err == ErrTimeout {
		return false, nil
	}
	return err == nil, err
}

// AcquireTimeout takes one unit or gives up with ErrTimeout after d,
// leaving the value unchanged. A zero d tries once; a negative d is
// ErrNegativeTimeout.
func (s *Semaphore) AcquireTimeout(d time.Duration) error {
	w, err := waitTimeout(d)
	if err != nil {
		return s.p.errorf("acquire", err)
	}
	if err := s.acquire(w); err == ErrTimeout {
		return s.p.errorf("acquire", err)
	} else {
		return err
	}
}

// AcquireContext takes one unit or gives up when ctx is done, returning
// its cause and leaving the value unchanged.
func (s *Semaphore) AcquireContext(ctx context.Context) error {
	return s.acquire(wait{ctx: ctx})
}

// acquire returns ErrTimeout itself on a deadline or nowait expiry.
func (s *Semaphore) acquire(w wait) error {
	if err := s.p.enter("acquire"); err != nil {
		return err
	}
	defer s.p.mem.leave()
	switch err := s.sem().acquire(w, s.p.mem); err {
	case nil:
		return nil
	case errTimedOut:
		return ErrTimeout
	case errHandleClosed:
		return s.p.errorf("acquire", ErrClosed)
	default:
		return s.p.errorf("acquire", err)
	}
}

// Release returns one unit, waking a waiter. A bounded semaphore at its
// initial value fails with ErrReleasedTooManyTimes and is unchanged.
func (s *Semaphore) Release() error {
	if err := s.p.enter("release"); err != nil {
		return err
	}
	defer s.p.mem.leave()
	limit := uint32(math.MaxInt32)
	if s.bounded {
		limit = atomic.LoadUint32(s.p.word(offSemBound))
	}
	val := s.p.word(offSemValue)
	for {
		v := atomic.LoadUint32(val)
		if v >= limit {
			return s.p.errorf("release", ErrReleasedTooManyTimes)
		}
		if atomic.CompareAndSwapUint32(val, v, v+1) {
			break
		}
	}
	if atomic.LoadUint32(s.p.word(offSemWaiters)) > 0 {
		futexWake(val, 1<<30)
	}
	return nil
}

// Value returns the current value (Python's get_value); it may be stale by
// the time the caller acts on it.
func (s *Semaphore) Value() (int, error) {
	if err := s.p.enter("get_value"); err != nil {
		return 0, err
	}
	defer s.p.mem.leave()
	return int(atomic.LoadUint32(s.p.word(offSemValue))), nil
}

// Close unmaps the semaphore in this process, waking its waiters here.
func (s *Semaphore) Close() error { return s.p.mem.close(s.p.word(offSemValue)) }

// GobEncode fails: handles travel only as direct Process arguments.
func (s *Semaphore) GobEncode() ([]byte, error) { return nil, errNested }

func (s *Semaphore) share(pl *plan) (*handleSpec, error) { return s.p.spec(pl, s.p.kind) }

// bind accepts a Semaphore or a BoundedSemaphore: both are *Semaphore.
func (*Semaphore) bind(s *handleSpec, obj any) (any, error) {
	kind := kindSemaphore
	if s.Type == kindBounded {
		kind = kindBounded
	}
	p, err := bindPrim(s, obj, kind)
	if err != nil {
		return nil, err
	}
	return &Semaphore{p: p, bounded: kind == kindBounded}, nil
}
